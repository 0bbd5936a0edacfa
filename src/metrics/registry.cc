#include "metrics/registry.h"

#include <fmt/format.h>

#include <algorithm>
#include <cassert>
#include <cmath>
#include <stdexcept>

namespace medic::metrics {
namespace {

bool isNameStart(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
bool isDigit(char c) {
  return c >= '0' && c <= '9';
}

/// Every series name a family writes: a histogram also owns name_bucket, name_sum, name_count.
std::vector<std::string> seriesNames(const std::string& name, MetricType type) {
  if (type == MetricType::kHistogram) {
    return {name, name + "_bucket", name + "_sum", name + "_count"};
  }
  return {name};
}

void appendLabels(std::string& out, const std::vector<std::string>& names,
                  const std::vector<std::string>& values, std::string_view extra_name = {},
                  std::string_view extra_value = {}) {
  if (names.empty() && extra_name.empty()) return;
  out += '{';
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += ',';
    out += names[i];
    out += "=\"";
    out += escapeLabelValue(values[i]);
    out += '"';
  }
  if (!extra_name.empty()) {
    if (!names.empty()) out += ',';
    out += extra_name;
    out += "=\"";
    out += extra_value;
    out += '"';
  }
  out += '}';
}

void appendSample(std::string& out, std::string_view series, const std::vector<std::string>& names,
                  const std::vector<std::string>& values, double value) {
  out += series;
  appendLabels(out, names, values);
  out += ' ';
  out += formatValue(value);
  out += '\n';
}

}  // namespace

const std::vector<double>& defaultSecondsBuckets() {
  static const std::vector<double> buckets = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
                                              1,     2.5,  5,     10,   30,  60};
  return buckets;
}

const char* toString(MetricType type) {
  switch (type) {
    case MetricType::kCounter:
      return "counter";
    case MetricType::kGauge:
      return "gauge";
    case MetricType::kHistogram:
      return "histogram";
  }
  return "untyped";
}

// --- text helpers -------------------------------------------------------------------------------

std::string escapeLabelValue(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string escapeHelp(std::string_view help) {
  std::string out;
  out.reserve(help.size());
  for (char c : help) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string formatValue(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  return fmt::format("{}", value);
}

bool isValidMetricName(std::string_view name) {
  if (name.empty() || !(isNameStart(name[0]) || name[0] == ':')) return false;
  return std::all_of(name.begin(), name.end(),
                     [](char c) { return isNameStart(c) || isDigit(c) || c == ':'; });
}

bool isValidLabelName(std::string_view name) {
  if (name.empty() || !isNameStart(name[0])) return false;
  return std::all_of(name.begin(), name.end(), [](char c) { return isNameStart(c) || isDigit(c); });
}

// --- metrics ------------------------------------------------------------------------------------

void Counter::inc(double amount) {
  if (!(amount >= 0)) return;  // negative or NaN: a counter never goes down
  value_ += amount;
}

Histogram::Histogram(std::vector<double> upper_bounds)
    : upper_bounds_(std::move(upper_bounds)), bucket_counts_(upper_bounds_.size() + 1, 0) {}

void Histogram::observe(double value) {
  if (std::isnan(value)) return;
  // First bucket whose upper bound is >= value ("le" is inclusive); past the end is +Inf.
  const auto it = std::lower_bound(upper_bounds_.begin(), upper_bounds_.end(), value);
  ++bucket_counts_[static_cast<std::size_t>(it - upper_bounds_.begin())];
  ++count_;
  sum_ += value;
}

std::vector<std::uint64_t> Histogram::cumulativeCounts() const {
  std::vector<std::uint64_t> out(bucket_counts_.size());
  std::uint64_t running = 0;
  for (std::size_t i = 0; i < bucket_counts_.size(); ++i) {
    running += bucket_counts_[i];
    out[i] = running;
  }
  return out;
}

// --- families -----------------------------------------------------------------------------------

FamilyBase::FamilyBase(std::string name, std::string help, MetricType type,
                       std::vector<std::string> label_names)
    : name_(std::move(name)),
      help_(std::move(help)),
      type_(type),
      label_names_(std::move(label_names)) {}

std::vector<std::string> FamilyBase::keyOf(const Labels& labels) const {
  std::vector<std::string> key(label_names_.size());
  for (const auto& [label, value] : labels) {
    const auto it = std::find(label_names_.begin(), label_names_.end(), label);
    assert(it != label_names_.end() && "label not declared for this family");
    if (it == label_names_.end()) continue;
    key[static_cast<std::size_t>(it - label_names_.begin())] = value;
  }
  return key;
}

template <class Metric>
Family<Metric>::Family(std::string name, std::string help, MetricType type,
                       std::vector<std::string> label_names, std::vector<double> upper_bounds)
    : FamilyBase(std::move(name), std::move(help), type, std::move(label_names)),
      upper_bounds_(std::move(upper_bounds)) {
  // A family without labels always has its one sample, so "0 so far" is visible from the start.
  if (labelNames().empty()) children_.try_emplace(std::vector<std::string>{}, make());
}

template <class Metric>
Metric Family<Metric>::make() const {
  if constexpr (std::is_same_v<Metric, Histogram>) {
    return Histogram(upper_bounds_);
  } else {
    return Metric{};
  }
}

template <class Metric>
Metric& Family<Metric>::with(const Labels& labels) {
  auto key = keyOf(labels);
  auto it = children_.find(key);
  if (it == children_.end()) it = children_.try_emplace(std::move(key), make()).first;
  return it->second;
}

template <class Metric>
void Family<Metric>::clear() {
  children_.clear();
  if (labelNames().empty()) children_.try_emplace(std::vector<std::string>{}, make());
}

template <class Metric>
void Family<Metric>::renderSamples(std::string& out, const Scrape& /*scrape*/) const {
  for (const auto& [values, metric] : children_) {
    if constexpr (std::is_same_v<Metric, Histogram>) {
      const auto cumulative = metric.cumulativeCounts();
      const std::string bucket = name() + "_bucket";
      for (std::size_t i = 0; i < cumulative.size(); ++i) {
        const bool inf = i == metric.upperBounds().size();
        out += bucket;
        appendLabels(out, labelNames(), values, "le",
                     inf ? "+Inf" : formatValue(metric.upperBounds()[i]));
        out += ' ';
        out += formatValue(static_cast<double>(cumulative[i]));
        out += '\n';
      }
      appendSample(out, name() + "_sum", labelNames(), values, metric.sum());
      appendSample(out, name() + "_count", labelNames(), values,
                   static_cast<double>(metric.count()));
    } else {
      appendSample(out, name(), labelNames(), values, metric.value());
    }
  }
}

template class Family<Counter>;
template class Family<Gauge>;
template class Family<Histogram>;

void ScrapeGauge::renderSamples(std::string& out, const Scrape& scrape) const {
  const auto it = scrape.samples_.find(this);
  if (it == scrape.samples_.end()) return;
  for (const auto& [values, value] : it->second)
    appendSample(out, name(), labelNames(), values, value);
}

void Scrape::set(const ScrapeGauge& family, const Labels& labels, double value) {
  samples_[&family][family.keyOf(labels)] = value;
}

// --- registry -----------------------------------------------------------------------------------

void Registry::checkNew(const std::string& name, const std::vector<std::string>& label_names,
                        MetricType type) const {
  if (!isValidMetricName(name)) {
    throw std::invalid_argument(
        fmt::format("metric name '{}' is not valid: use [a-zA-Z_:][a-zA-Z0-9_:]*", name));
  }
  for (std::size_t i = 0; i < label_names.size(); ++i) {
    const auto& label = label_names[i];
    if (!isValidLabelName(label) || label.starts_with("__")) {
      throw std::invalid_argument(fmt::format(
          "label name '{}' of metric '{}' is not valid: use [a-zA-Z_][a-zA-Z0-9_]*, not __*", label,
          name));
    }
    if (type == MetricType::kHistogram && label == "le") {
      throw std::invalid_argument(
          fmt::format("histogram '{}' cannot have a label 'le': it names the buckets", name));
    }
    if (std::find(label_names.begin(), label_names.begin() + static_cast<std::ptrdiff_t>(i),
                  label) != label_names.begin() + static_cast<std::ptrdiff_t>(i)) {
      throw std::invalid_argument(
          fmt::format("label name '{}' appears twice in metric '{}'", label, name));
    }
  }
  for (const auto& series : seriesNames(name, type)) {
    for (const auto& [other_name, other] : families_) {
      for (const auto& taken : seriesNames(other_name, other->type())) {
        if (series == taken) {
          throw std::invalid_argument(
              fmt::format("metric '{}' clashes with the already declared {} '{}'", name,
                          toString(other->type()), other_name));
        }
      }
    }
  }
}

template <class F, class... Args>
F& Registry::add(Args&&... args) {
  auto family = std::make_unique<F>(std::forward<Args>(args)...);
  F& ref = *family;
  families_.emplace(ref.name(), std::move(family));
  return ref;
}

CounterFamily& Registry::counter(std::string name, std::string help,
                                 std::vector<std::string> label_names) {
  checkNew(name, label_names, MetricType::kCounter);
  return add<CounterFamily>(std::move(name), std::move(help), MetricType::kCounter,
                            std::move(label_names));
}

GaugeFamily& Registry::gauge(std::string name, std::string help,
                             std::vector<std::string> label_names) {
  checkNew(name, label_names, MetricType::kGauge);
  return add<GaugeFamily>(std::move(name), std::move(help), MetricType::kGauge,
                          std::move(label_names));
}

HistogramFamily& Registry::histogram(std::string name, std::string help,
                                     std::vector<std::string> label_names,
                                     std::vector<double> upper_bounds) {
  checkNew(name, label_names, MetricType::kHistogram);
  for (std::size_t i = 0; i < upper_bounds.size(); ++i) {
    const double bound = upper_bounds[i];
    if (std::isnan(bound) || std::isinf(bound) || (i > 0 && !(upper_bounds[i - 1] < bound))) {
      throw std::invalid_argument(fmt::format(
          "histogram '{}': bucket bounds must be finite and strictly increasing (+Inf is implied)",
          name));
    }
  }
  return add<HistogramFamily>(std::move(name), std::move(help), MetricType::kHistogram,
                              std::move(label_names), std::move(upper_bounds));
}

ScrapeGauge& Registry::scrapeGauge(std::string name, std::string help,
                                   std::vector<std::string> label_names) {
  checkNew(name, label_names, MetricType::kGauge);
  return add<ScrapeGauge>(std::move(name), std::move(help), std::move(label_names));
}

ScrapeGauge& Registry::scrapeCounter(std::string name, std::string help,
                                     std::vector<std::string> label_names) {
  checkNew(name, label_names, MetricType::kCounter);
  return add<ScrapeGauge>(std::move(name), std::move(help), std::move(label_names),
                          MetricType::kCounter);
}

void Registry::addCollector(Collector collector) {
  collectors_.push_back(std::move(collector));
}

std::string Registry::render() const {
  Scrape scrape;
  for (const auto& collector : collectors_) collector(scrape);

  std::string out;
  std::string samples;
  for (const auto& [name, family] : families_) {
    samples.clear();
    family->renderSamples(samples, scrape);
    if (samples.empty()) continue;
    out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, escapeHelp(family->help()), name,
                       toString(family->type()));
    out += samples;
  }
  return out;
}

}  // namespace medic::metrics
