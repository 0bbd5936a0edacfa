#pragma once
/// medic's own metric families (docs/metrics.md lists each one: type, labels, meaning) on a
/// Registry, with one method per thing that happens. Single-threaded: use it on the daemon's loop.
///
/// Two kinds of input:
///  - events, recorded as they happen: recordRecovery(), recordDetection(), recordProbe(), ...
///    (counters and histograms);
///  - current state, read at every scrape from the snapshot source the daemon installs
///    (health score, per-service up/state, CPU and memory, engine, panic, observe-only, alerts
///    firing). Reading at scrape time means a service that is no longer protected vanishes from
///    the next scrape, and nothing stale is served. The source must not block: CPU and memory come
///    from the last Docker stats sample the daemon took in the background.

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "metrics/registry.h"

namespace medic::metrics {

/// One protected service as the daemon sees it at scrape time.
struct ServiceSample {
  std::string name;
  std::string state;  ///< the supervisor's state name (supervisor::toString(ServiceState))
  bool up = false;    ///< healthy: serving and its probes pass
  std::optional<double> cpu_percent;   ///< last Docker stats sample; nullopt: none yet, no sample
  std::optional<double> memory_bytes;  ///< last Docker stats sample (usage minus page cache)
  std::optional<double> cpu_seconds_total;  ///< CPU time of its container so far (same sample)
};

/// One configured endpoint (`endpoints:` in medic.yaml) at scrape time.
struct EndpointSample {
  std::string name;
  bool up = false;                        ///< its probe state is passing
  std::optional<double> latency_seconds;  ///< of the last probe; nullopt before the first
};

/// Everything that is state rather than an event, read once per scrape.
struct Snapshot {
  /// DESIGN §4 score, 0-100, as the daemon computes it; nullopt when nothing is protected (then
  /// medic_health_score has no sample: "no score", not 0).
  std::optional<double> health_score;
  std::vector<ServiceSample> services;
  std::vector<EndpointSample> endpoints;
  /// When the last full resync pass completed (Unix seconds); nullopt before the first.
  std::optional<double> last_resync_unix_seconds;
  bool engine_reachable = false;
  bool panic_mode = false;
  bool observe_only = false;
  std::map<std::string, int> alerts_firing;  ///< severity -> unacknowledged firing alerts
};

using SnapshotSource = std::function<Snapshot()>;

struct MedicMetricsOptions {
  std::string version = MEDIC_VERSION;
  /// Every state a service can be in. medic_service_state has one sample per state for each
  /// service (1 for the current one, 0 for the rest), so a query never sees a state series vanish
  /// and reappear. A state not in this list still gets its 1. Mirrors
  /// supervisor::toString(ServiceState).
  std::vector<std::string> service_states = {
      "unknown",    "healthy",   "starting",    "failed",    "waiting_replacement",
      "recovering", "verifying", "maintenance", "escalated", "missing", "waiting_dependency"};
  /// Severities medic_alerts_firing always shows (0 when none fire).
  std::vector<std::string> alert_severities = {"info", "warning", "critical"};
};

class MedicMetrics {
 public:
  explicit MedicMetrics(MedicMetricsOptions options = {});
  MedicMetrics(const MedicMetrics&) = delete;
  MedicMetrics& operator=(const MedicMetrics&) = delete;

  /// Installs the scrape-time source. Until there is one, the state gauges have no samples
  /// (except medic_build_info, which is constant).
  void setSnapshotSource(SnapshotSource source) { source_ = std::move(source); }

  /// A failure was detected `seconds` after it happened (event time -> detection).
  void recordDetection(double seconds);
  /// A recovery action finished: medic_recoveries_total{service,action,result=success|failure}.
  /// `seconds` (detection -> passing again) goes into medic_recovery_seconds only when it
  /// succeeded: a failed attempt has no recovery time.
  void recordRecovery(std::string_view service, std::string_view action, bool ok, double seconds);
  /// medic started, restarted or recreated the service's container (whatever came of it).
  void recordRestart(std::string_view service);
  /// A probe ran: its duration by kind (http, tcp, exec, command, docker), and a failure by
  /// service and probe name.
  void recordProbe(std::string_view service, std::string_view probe, std::string_view kind,
                   double seconds, bool ok);
  /// An alert sink failed to deliver (after its retries).
  void recordAlertSinkFailure(std::string_view sink);
  /// Alerts a sink dropped because its bounded queue was full.
  void recordAlertSinkDropped(std::string_view sink, std::uint64_t count = 1);
  /// The Docker event stream was connected again after losing it.
  void recordEventStreamReconnect();
  /// Messages published on the channels, and channel subscribers (SSE clients) dropped because
  /// they read too slowly and their bounded queue filled.
  void recordChannelMessages(std::uint64_t count);
  void recordChannelSubscribersDropped(std::uint64_t count);

  /// The text exposition of every family (reads the snapshot source once).
  std::string render() const { return registry_.render(); }
  static constexpr const char* kContentType = Registry::kContentType;

  /// For families the daemon adds itself.
  Registry& registry() { return registry_; }

 private:
  void collect(Scrape& scrape) const;

  MedicMetricsOptions options_;
  SnapshotSource source_;
  Registry registry_;

  // Events.
  CounterFamily& recoveries_;
  CounterFamily& restarts_;
  CounterFamily& probe_failures_;
  CounterFamily& sink_failures_;
  CounterFamily& sink_dropped_;
  CounterFamily& reconnects_;
  CounterFamily& channel_messages_;
  CounterFamily& channel_dropped_;
  HistogramFamily& detection_seconds_;
  HistogramFamily& recovery_seconds_;
  HistogramFamily& probe_seconds_;
  // State, filled at scrape time.
  GaugeFamily& build_info_;
  ScrapeGauge& health_score_;
  ScrapeGauge& health_ratio_;
  ScrapeGauge& last_resync_;
  ScrapeGauge& cpu_seconds_;
  ScrapeGauge& service_up_;
  ScrapeGauge& service_state_;
  ScrapeGauge& cpu_percent_;
  ScrapeGauge& memory_bytes_;
  ScrapeGauge& engine_reachable_;
  ScrapeGauge& panic_mode_;
  ScrapeGauge& observe_only_;
  ScrapeGauge& alerts_firing_;
  ScrapeGauge& endpoint_up_;
  ScrapeGauge& endpoint_latency_;
};

}  // namespace medic::metrics
