#pragma once
/// Prometheus Alertmanager, API v2: POST <url>/api/v2/alerts with a list of one alert. Firing
/// alerts are re-sent periodically (wantsResend), because Alertmanager resolves an alert it has
/// not heard of for its resolve_timeout; a resolved alert carries endsAt.

#include <string>
#include <string_view>

#include "alerts/sink.h"
#include "alerts/sinks/http_post.h"

namespace medic::alerts {

/// Where an alert comes from, for the labels every alert carries.
struct AlertmanagerOrigin {
  std::string instance;       ///< this host (default: the host name)
  std::string dashboard_url;  ///< generatorURL: medic's web dashboard ("" = none)
};

/// The alertname of a kind: "MedicServiceFailed" for "failed", ... (docs/api.md lists them);
/// "Medic" + the kind in CamelCase for a kind without its own name. Stable: routes match on it.
std::string alertmanagerName(std::string_view kind);

/// [{"labels": {"alertname": alertmanagerName(kind), "kind", "severity", "service" (when set),
///   "project" (the alert's "project" label, when set), "instance", "medic_key": dedup_key, plus
///   the alert's own string labels}, "annotations": {"summary": title, "description": text},
///   "startsAt": created, "endsAt": resolved (only when resolved), "generatorURL" (when set)}]
/// An alert that got louder (replaces_severity) comes first as its old identity, ended now, so
/// Alertmanager never lists two alerts for one incident. Label names that are not valid
/// Prometheus names ([a-zA-Z_][a-zA-Z0-9_]*) are left out.
nlohmann::json alertmanagerPayload(const Alert& alert, const AlertmanagerOrigin& origin);

class AlertmanagerSink final : public Sink {
 public:
  /// `base` is the Alertmanager URL (http://127.0.0.1:9093); its path, if any, is kept as a
  /// prefix. An empty origin.instance is the host name.
  AlertmanagerSink(HttpTarget base, RetryPolicy policy, AlertmanagerOrigin origin = {});

  boost::asio::awaitable<Status> deliver(const Alert& alert, const SinkContext& ctx) override;
  bool wantsResend() const override { return true; }

 private:
  HttpTarget target_;
  RetryPolicy policy_;
  AlertmanagerOrigin origin_;
};

}  // namespace medic::alerts
