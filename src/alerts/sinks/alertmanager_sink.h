#pragma once
/// Prometheus Alertmanager, API v2: POST <url>/api/v2/alerts with a list of one alert. Firing
/// alerts are re-sent periodically (wantsResend), because Alertmanager resolves an alert it has
/// not heard of for its resolve_timeout; a resolved alert carries endsAt.

#include <string>

#include "alerts/sink.h"
#include "alerts/sinks/http_post.h"

namespace medic::alerts {

/// [{"labels": {"alertname": title, "severity", "service" (when set), "instance", "medic_key":
///   dedup_key, plus the alert's own string labels}, "annotations": {"summary": title,
///   "description": text}, "startsAt": created, "endsAt": resolved (only when resolved)}]
/// Label names that are not valid Prometheus names ([a-zA-Z_][a-zA-Z0-9_]*) are left out.
nlohmann::json alertmanagerPayload(const Alert& alert, const std::string& instance);

class AlertmanagerSink final : public Sink {
 public:
  /// `base` is the Alertmanager URL (http://127.0.0.1:9093); its path, if any, is kept as a
  /// prefix. `instance` names this host (default: the host name).
  AlertmanagerSink(HttpTarget base, RetryPolicy policy, std::string instance = {});

  boost::asio::awaitable<Status> deliver(const Alert& alert, const SinkContext& ctx) override;
  bool wantsResend() const override { return true; }

 private:
  HttpTarget target_;
  RetryPolicy policy_;
  std::string instance_;
};

}  // namespace medic::alerts
