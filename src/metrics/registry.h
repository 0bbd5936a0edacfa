#pragma once
/// A small metrics registry that renders the Prometheus text exposition format 0.0.4.
///
/// Single-threaded by contract: it lives on the daemon's loop, so nothing here locks. Families are
/// declared once at startup (declaring throws std::invalid_argument on a bad or duplicate name, the
/// one place this library throws); after that, updating and rendering never throw.
///
///   Registry registry;
///   auto& recoveries = registry.counter("medic_recoveries_total", "Recovery actions.",
///                                       {"service", "action", "result"});
///   recoveries.with({{"service", "webui"}, {"action", "restart"}, {"result", "success"}}).inc();
///   std::string text = registry.render();
///
/// Gauges whose values are only known at scrape time (per-service state, which services exist at
/// all) are declared with scrapeGauge() and filled by collectors that render() runs on every call,
/// so a service that is gone disappears from the next scrape instead of lingering.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace medic::metrics {

/// Label name → value pairs as a caller writes them. Order does not matter: a family renders its
/// labels in the order its label names were declared.
using Labels = std::vector<std::pair<std::string, std::string>>;

/// 0.005 s .. 60 s: from a fast probe to a slow recreate-and-verify.
const std::vector<double>& defaultSecondsBuckets();

/// A value that only goes up (restarts, failures). Negative or NaN increments are ignored.
class Counter {
 public:
  void inc(double amount = 1.0);
  double value() const { return value_; }

 private:
  double value_ = 0;
};

/// A value that goes up and down (reachable, firing alerts).
class Gauge {
 public:
  void set(double value) { value_ = value; }
  void inc(double amount = 1.0) { value_ += amount; }
  void dec(double amount = 1.0) { value_ -= amount; }
  double value() const { return value_; }

 private:
  double value_ = 0;
};

/// Observations counted into fixed buckets (upper bounds, strictly increasing; +Inf is implied).
/// NaN observations are ignored.
class Histogram {
 public:
  explicit Histogram(std::vector<double> upper_bounds);
  void observe(double value);
  std::uint64_t count() const { return count_; }
  double sum() const { return sum_; }
  const std::vector<double>& upperBounds() const { return upper_bounds_; }
  /// Observations <= upperBounds()[i] for each i, then the total (the +Inf bucket): cumulative,
  /// as the exposition format wants it.
  std::vector<std::uint64_t> cumulativeCounts() const;

 private:
  std::vector<double> upper_bounds_;
  std::vector<std::uint64_t> bucket_counts_;  ///< per bucket, not cumulative; last is +Inf
  std::uint64_t count_ = 0;
  double sum_ = 0;
};

enum class MetricType { kCounter, kGauge, kHistogram };
const char* toString(MetricType type);

class Scrape;

/// What every family shares: name, HELP, TYPE, declared label names. Rendering is the registry's.
class FamilyBase {
 public:
  FamilyBase(std::string name, std::string help, MetricType type,
             std::vector<std::string> label_names);
  virtual ~FamilyBase() = default;
  FamilyBase(const FamilyBase&) = delete;
  FamilyBase& operator=(const FamilyBase&) = delete;

  const std::string& name() const { return name_; }
  const std::string& help() const { return help_; }
  MetricType type() const { return type_; }
  const std::vector<std::string>& labelNames() const { return label_names_; }

  /// Appends the sample lines (no HELP/TYPE) for this scrape; nothing when the family is empty.
  virtual void renderSamples(std::string& out, const Scrape& scrape) const = 0;

 protected:
  /// Label values in declared order. A declared name missing from `labels` gets "" (which
  /// Prometheus treats as an absent label); an undeclared name is ignored (asserts in debug
  /// builds): a misspelt label must not take the daemon down.
  std::vector<std::string> keyOf(const Labels& labels) const;

 private:
  std::string name_;
  std::string help_;
  MetricType type_;
  std::vector<std::string> label_names_;
};

/// A family of counters, gauges or histograms, one per distinct set of label values. References
/// returned by with() stay valid until remove() or clear() drops that child.
template <class Metric>
class Family : public FamilyBase {
 public:
  Family(std::string name, std::string help, MetricType type, std::vector<std::string> label_names,
         std::vector<double> upper_bounds = {});

  /// The child for these label values, created (at zero) on first use.
  Metric& with(const Labels& labels);
  /// The one child of a family declared without labels.
  Metric& withoutLabels() { return with({}); }
  /// Drops one child (a service that is no longer protected).
  void remove(const Labels& labels) { children_.erase(keyOf(labels)); }
  /// Drops every child; a family without labels keeps its one child, reset to zero.
  void clear();
  std::size_t size() const { return children_.size(); }

  void renderSamples(std::string& out, const Scrape& scrape) const override;

 private:
  Metric make() const;

  std::vector<double> upper_bounds_;                     ///< histograms only
  std::map<std::vector<std::string>, Metric> children_;  ///< sorted: stable output
};

using CounterFamily = Family<Counter>;
using GaugeFamily = Family<Gauge>;
using HistogramFamily = Family<Histogram>;

/// A gauge family with no stored values: its samples come from collectors at every render().
class ScrapeGauge : public FamilyBase {
 public:
  ScrapeGauge(std::string name, std::string help, std::vector<std::string> label_names,
              MetricType type = MetricType::kGauge)
      : FamilyBase(std::move(name), std::move(help), type, std::move(label_names)) {}
  void renderSamples(std::string& out, const Scrape& scrape) const override;

 private:
  friend class Scrape;
};

/// The values collectors produce for one render(). Setting the same labels twice keeps the last.
class Scrape {
 public:
  void set(const ScrapeGauge& family, const Labels& labels, double value);

 private:
  friend class ScrapeGauge;
  std::map<const ScrapeGauge*, std::map<std::vector<std::string>, double>> samples_;
};

/// Runs inside render(): fills scrape gauges from current state. Must not block (it runs on the
/// loop, during an HTTP request) and must not declare families.
using Collector = std::function<void(Scrape&)>;

class Registry {
 public:
  Registry() = default;
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  /// Declares a family. Throws std::invalid_argument when the name or a label name is not valid
  /// Prometheus syntax, a label name is reserved (`__*`, `le` on histograms) or repeated, or the
  /// name is taken (also by the `_bucket`/`_sum`/`_count` series of a histogram).
  CounterFamily& counter(std::string name, std::string help,
                         std::vector<std::string> label_names = {});
  GaugeFamily& gauge(std::string name, std::string help, std::vector<std::string> label_names = {});
  HistogramFamily& histogram(std::string name, std::string help,
                             std::vector<std::string> label_names = {},
                             std::vector<double> upper_bounds = defaultSecondsBuckets());
  ScrapeGauge& scrapeGauge(std::string name, std::string help,
                           std::vector<std::string> label_names = {});
  /// A counter whose value is read at scrape time from a total kept elsewhere (the kernel's CPU
  /// time, Docker's). Filled like a scrape gauge; typed counter.
  ScrapeGauge& scrapeCounter(std::string name, std::string help,
                             std::vector<std::string> label_names = {});

  /// Collectors run in the order added, at every render().
  void addCollector(Collector collector);

  /// The whole registry in the text format 0.0.4: families sorted by name, each with one HELP and
  /// one TYPE line followed by its samples sorted by label values; families without samples are
  /// left out.
  std::string render() const;

  /// The Content-Type to serve render() with.
  static constexpr const char* kContentType = "text/plain; version=0.0.4; charset=utf-8";

 private:
  void checkNew(const std::string& name, const std::vector<std::string>& label_names,
                MetricType type) const;
  template <class F, class... Args>
  F& add(Args&&... args);

  std::map<std::string, std::unique_ptr<FamilyBase>> families_;
  std::vector<Collector> collectors_;
};

/// Text-format helpers, exposed for tests.
/// Label values: backslash, double quote and newline escaped.
std::string escapeLabelValue(std::string_view value);
/// HELP text: backslash and newline escaped.
std::string escapeHelp(std::string_view help);
/// Shortest round-trip decimal; "+Inf", "-Inf", "NaN" as Prometheus spells them.
std::string formatValue(double value);
bool isValidMetricName(std::string_view name);
bool isValidLabelName(std::string_view name);

}  // namespace medic::metrics
