#include "alerts/configure.h"

#include <map>

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

  std::map<AlertSinkKind, int> seen;
  for (const auto& s : alerts.sinks) {
    if (s.kind == AlertSinkKind::kLog || s.kind == AlertSinkKind::kFile) continue;
    const int n = ++seen[s.kind];
    std::string name = config::toString(s.kind);
    if (n > 1) name += "_" + std::to_string(n);
    const Severity min = parseSeverity(s.min_severity).value_or(Severity::kWarning);
    const RetryPolicy policy{s.timeout, s.retries};
    std::unique_ptr<Sink> sink;
    if (s.kind == AlertSinkKind::kCommand) {
      sink = std::make_unique<CommandSink>(s.argv, s.timeout);
    } else {
      auto target = parseHttpTarget(s.url);
      if (!target) {
        return Error::make(ErrorKind::kConfig, "alerts.sinks (line " + std::to_string(s.line) +
                                                   "): " + target.error().message);
      }
      if (s.kind == AlertSinkKind::kWebhook) {
        sink = std::make_unique<WebhookSink>(
            *target, s.format == "slack" ? WebhookFormat::kSlack : WebhookFormat::kJson, policy);
      } else {
        sink = std::make_unique<AlertmanagerSink>(*target, policy,
                                                  AlertmanagerOrigin{"", alerts.dashboard_url});
      }
    }
    queue.addSink(std::move(name), min, std::move(sink));
  }
  return okStatus();
}

}  // namespace medic::alerts
