#include "metrics/medic_metrics.h"

#include <utility>

namespace medic::metrics {
namespace {

std::string str(std::string_view s) {
  return std::string(s);
}

}  // namespace

MedicMetrics::MedicMetrics(MedicMetricsOptions options)
    : options_(std::move(options)),
      recoveries_(registry_.counter("medic_recoveries_total",
                                    "Recovery actions medic finished, by action and result.",
                                    {"service", "action", "result"})),
      restarts_(registry_.counter(
          "medic_restarts_total",
          "Times medic started, restarted or recreated a service's container.", {"service"})),
      probe_failures_(registry_.counter("medic_probe_failures_total",
                                        "Probe runs that failed, by service and probe.",
                                        {"service", "probe"})),
      sink_failures_(registry_.counter("medic_alert_sink_failures_total",
                                       "Alert deliveries a sink failed after its retries.",
                                       {"sink"})),
      sink_dropped_(registry_.counter("medic_alert_sink_dropped_total",
                                      "Alerts a sink dropped because its queue was full.",
                                      {"sink"})),
      reconnects_(registry_.counter("medic_event_stream_reconnects_total",
                                    "Reconnects of the Docker event stream.")),
      channel_messages_(registry_.counter("medic_channel_messages_total",
                                          "Messages published on medic's channels.")),
      channel_dropped_(registry_.counter(
          "medic_channel_subscribers_dropped_total",
          "Channel subscribers (SSE clients) dropped because their bounded queue filled.")),
      detection_seconds_(registry_.histogram(
          "medic_detection_seconds", "Time from a failure to medic detecting it, in seconds.")),
      recovery_seconds_(registry_.histogram(
          "medic_recovery_seconds",
          "Time from detection to the service passing its probes again, in seconds.")),
      probe_seconds_(registry_.histogram("medic_probe_duration_seconds",
                                         "Duration of probe runs by kind, in seconds.", {"kind"})),
      build_info_(registry_.gauge("medic_build_info", "medic's version; always 1.", {"version"})),
      health_score_(registry_.scrapeGauge(
          "medic_health_score",
          "Weighted health of the protected services, 0-100; absent when nothing is protected.")),
      health_ratio_(registry_.scrapeGauge(
          "medic_health_ratio",
          "medic_health_score as a ratio, 0-1 (Prometheus base unit); absent when nothing is "
          "protected.")),
      last_resync_(registry_.scrapeGauge(
          "medic_last_resync_timestamp_seconds",
          "When medic last completed a full resync with the Docker engine (Unix time).")),
      cpu_seconds_(registry_.scrapeCounter(
          "medic_container_cpu_seconds_total",
          "CPU time the service's container used since it started, in seconds (last Docker "
          "stats sample).",
          {"service"})),
      service_up_(registry_.scrapeGauge(
          "medic_service_up", "1 when the service is healthy and its probes pass, else 0.",
          {"service"})),
      service_state_(registry_.scrapeGauge(
          "medic_service_state", "1 for the state the service is in, 0 for every other state.",
          {"service", "state"})),
      cpu_percent_(registry_.scrapeGauge(
          "medic_container_cpu_percent",
          "CPU use of the service's container in percent of one core (last Docker stats sample).",
          {"service"})),
      memory_bytes_(registry_.scrapeGauge(
          "medic_container_memory_bytes",
          "Memory use of the service's container in bytes (last Docker stats sample).",
          {"service"})),
      engine_reachable_(
          registry_.scrapeGauge("medic_engine_reachable", "1 when the Docker engine answers.")),
      panic_mode_(registry_.scrapeGauge(
          "medic_panic_mode",
          "1 while more than half of the protected services fail and medic repairs slowly.")),
      observe_only_(registry_.scrapeGauge(
          "medic_observe_only",
          "1 while medic only observes (for example, its store is corrupt).")),
      alerts_firing_(registry_.scrapeGauge("medic_alerts_firing",
                                           "Alerts firing and not yet resolved, by severity.",
                                           {"severity"})),
      endpoint_up_(registry_.scrapeGauge(
          "medic_endpoint_up",
          "1 while the endpoint answers as configured (status, body, latency), else 0.",
          {"endpoint"})),
      endpoint_latency_(registry_.scrapeGauge(
          "medic_endpoint_latency_seconds", "Latency of the endpoint's last probe, in seconds.",
          {"endpoint"})) {
  build_info_.with({{"version", options_.version}}).set(1);
  registry_.addCollector([this](Scrape& scrape) { collect(scrape); });
}

void MedicMetrics::recordDetection(double seconds) {
  detection_seconds_.withoutLabels().observe(seconds);
}

void MedicMetrics::recordRecovery(std::string_view service, std::string_view action, bool ok,
                                  double seconds) {
  recoveries_
      .with({{"service", str(service)},
             {"action", str(action)},
             {"result", ok ? "success" : "failure"}})
      .inc();
  if (ok) recovery_seconds_.withoutLabels().observe(seconds);
}

void MedicMetrics::recordRestart(std::string_view service) {
  restarts_.with({{"service", str(service)}}).inc();
}

void MedicMetrics::recordProbe(std::string_view service, std::string_view probe,
                               std::string_view kind, double seconds, bool ok) {
  probe_seconds_.with({{"kind", str(kind)}}).observe(seconds);
  auto& failures = probe_failures_.with({{"service", str(service)}, {"probe", str(probe)}});
  // Created at 0 on the first run, so rate() sees the first failure as an increase.
  if (!ok) failures.inc();
}

void MedicMetrics::recordAlertSinkFailure(std::string_view sink) {
  sink_failures_.with({{"sink", str(sink)}}).inc();
}

void MedicMetrics::recordAlertSinkDropped(std::string_view sink, std::uint64_t count) {
  sink_dropped_.with({{"sink", str(sink)}}).inc(static_cast<double>(count));
}

void MedicMetrics::recordEventStreamReconnect() {
  reconnects_.withoutLabels().inc();
}

void MedicMetrics::recordChannelMessages(std::uint64_t count) {
  channel_messages_.withoutLabels().inc(static_cast<double>(count));
}

void MedicMetrics::recordChannelSubscribersDropped(std::uint64_t count) {
  channel_dropped_.withoutLabels().inc(static_cast<double>(count));
}

void MedicMetrics::collect(Scrape& scrape) const {
  if (!source_) return;
  const Snapshot snap = source_();
  if (snap.health_score) {
    scrape.set(health_score_, {}, *snap.health_score);
    scrape.set(health_ratio_, {}, *snap.health_score / 100.0);
  }
  if (snap.last_resync_unix_seconds) scrape.set(last_resync_, {}, *snap.last_resync_unix_seconds);
  scrape.set(engine_reachable_, {}, snap.engine_reachable ? 1 : 0);
  scrape.set(panic_mode_, {}, snap.panic_mode ? 1 : 0);
  scrape.set(observe_only_, {}, snap.observe_only ? 1 : 0);
  for (const auto& severity : options_.alert_severities) {
    scrape.set(alerts_firing_, {{"severity", severity}}, 0);
  }
  for (const auto& [severity, count] : snap.alerts_firing) {
    scrape.set(alerts_firing_, {{"severity", severity}}, count);
  }
  for (const auto& ep : snap.endpoints) {
    scrape.set(endpoint_up_, {{"endpoint", ep.name}}, ep.up ? 1 : 0);
    if (ep.latency_seconds) {
      scrape.set(endpoint_latency_, {{"endpoint", ep.name}}, *ep.latency_seconds);
    }
  }
  for (const auto& service : snap.services) {
    scrape.set(service_up_, {{"service", service.name}}, service.up ? 1 : 0);
    for (const auto& state : options_.service_states) {
      scrape.set(service_state_, {{"service", service.name}, {"state", state}},
                 state == service.state ? 1 : 0);
    }
    scrape.set(service_state_, {{"service", service.name}, {"state", service.state}}, 1);
    if (service.cpu_percent) {
      scrape.set(cpu_percent_, {{"service", service.name}}, *service.cpu_percent);
    }
    if (service.cpu_seconds_total) {
      scrape.set(cpu_seconds_, {{"service", service.name}}, *service.cpu_seconds_total);
    }
    if (service.memory_bytes) {
      scrape.set(memory_bytes_, {{"service", service.name}}, *service.memory_bytes);
    }
  }
}

}  // namespace medic::metrics
