#include "alerts/configure.h"

#include "alerts/sinks/alertmanager_sink.h"
#include "alerts/sinks/command_sink.h"
#include "alerts/sinks/critical_file_sink.h"
#include "alerts/sinks/log_sink.h"
#include "alerts/sinks/webhook_sink.h"

namespace medic::alerts {

std::filesystem::path alertLogPath(const std::filesystem::path& state_dir) {
  return state_dir / "logs" / "monitoring-alerts.log";
}

std::filesystem::path criticalFilePath(const std::filesystem::path& state_dir) {
  return state_dir / "alerts" / "critical-failures.json";
}

Result<std::unique_ptr<Sink>> buildSink(const config::AlertSinkConfig& s,
                                        const std::string& dashboard_url) {
  using config::AlertSinkKind;
  auto fail = [&s](const Error& e) {
    return Error::make(ErrorKind::kConfig, "alert sink '" + s.name + "' (alerts.sinks, line " +
                                               std::to_string(s.line) + "): " + e.message);
  };
  const RetryPolicy policy{s.timeout, s.retries};
  if (s.kind == AlertSinkKind::kCommand) {
    return std::unique_ptr<Sink>(std::make_unique<CommandSink>(s.argv, s.timeout));
  }
  if (s.kind != AlertSinkKind::kWebhook && s.kind != AlertSinkKind::kAlertmanager) {
    return fail(Error::make(ErrorKind::kConfig, "log and file sinks are built by the queue"));
  }
  auto target = parseHttpTarget(s.url, s.ca_file);
  if (!target) return fail(target.error());
  auto headers = resolveHeaders(s.headers);
  if (!headers) return fail(headers.error());
  target->headers = std::move(*headers);
  if (s.kind == AlertSinkKind::kAlertmanager) {
    return std::unique_ptr<Sink>(std::make_unique<AlertmanagerSink>(
        std::move(*target), policy, AlertmanagerOrigin{"", dashboard_url}));
  }
  const auto format = parseWebhookFormat(s.format);
  if (!format) return fail(Error::make(ErrorKind::kConfig, "unknown format " + s.format));
  return std::unique_ptr<Sink>(std::make_unique<WebhookSink>(std::move(*target), *format, policy));
}

Status addConfiguredSinks(AlertQueue& queue, const config::AlertsConfig& alerts,
                          const std::filesystem::path& state_dir) {
  using config::AlertSinkKind;
  Severity log_min = Severity::kInfo;
  for (const auto& s : alerts.sinks) {
    if (s.kind == AlertSinkKind::kLog) log_min = parseSeverity(s.min_severity).value_or(log_min);
  }
  queue.addSink("log", log_min, std::make_unique<LogSink>(alertLogPath(state_dir)));
  queue.addSink("file", Severity::kCritical,
                std::make_unique<CriticalFileSink>(criticalFilePath(state_dir)));

  for (const auto& s : alerts.sinks) {
    if (s.kind == AlertSinkKind::kLog || s.kind == AlertSinkKind::kFile) continue;
    auto sink = buildSink(s, alerts.dashboard_url);
    if (!sink) return sink.error();
    queue.addSink(s.name.empty() ? config::toString(s.kind) : s.name,
                  parseSeverity(s.min_severity).value_or(Severity::kWarning), std::move(*sink));
  }
  return okStatus();
}

}  // namespace medic::alerts
