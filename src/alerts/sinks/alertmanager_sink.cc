#include "alerts/sinks/alertmanager_sink.h"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <utility>

namespace medic::alerts {
namespace {

bool isLabelName(const std::string& name) {
  if (name.empty()) return false;
  if (!(std::isalpha(static_cast<unsigned char>(name[0])) || name[0] == '_')) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
  });
}

std::string hostName() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0 || buf[0] == '\0') return "medic";
  return buf;
}

}  // namespace

std::string alertmanagerName(std::string_view kind) {
  static constexpr std::pair<std::string_view, std::string_view> kNames[] = {
      {"failed", "MedicServiceFailed"},
      {"escalated", "MedicServiceEscalated"},
      {"missing", "MedicServiceMissing"},
      {"flapping", "MedicServiceFlapping"},
      {"held", "MedicServiceHeld"},
      {"action_failed", "MedicRecoveryActionFailed"},
      {"replacement_failed", "MedicReplacementFailed"},
      {"engine_unreachable", "MedicEngineUnreachable"},
      {"panic", "MedicPanicMode"},
      {"store_corrupt", "MedicStoreCorrupt"},
      {"deploy_rolled_back", "MedicDeployRolledBack"},
      {"deploy_rollback_failed", "MedicDeployRollbackFailed"},
      {"deploy_refused", "MedicDeployRefused"},
      {"deploy_downtime_over_budget", "MedicDeployDowntimeOverBudget"},
      {"endpoint_failed", "MedicEndpointFailed"},
      {"claim_rejected", "MedicClaimRejected"},
      {"gate_failed", "MedicGateFailed"},
  };
  for (const auto& [k, name] : kNames) {
    if (k == kind) return std::string(name);
  }
  std::string name = "Medic";
  bool upper = true;
  for (char c : kind) {
    if (!std::isalnum(static_cast<unsigned char>(c))) {
      upper = true;
      continue;
    }
    name.push_back(upper ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : c);
    upper = false;
  }
  return name;
}

nlohmann::json alertmanagerPayload(const Alert& alert, const AlertmanagerOrigin& origin) {
  nlohmann::json labels = nlohmann::json::object();
  if (alert.labels.is_object()) {
    for (const auto& [name, value] : alert.labels.items()) {
      if (isLabelName(name) && value.is_string() && !value.get<std::string>().empty()) {
        labels[name] = value;
      }
    }
  }
  // medic's own labels win over the alert's extra labels of the same name ("project" is one of
  // the extra labels: the daemon sets it for a compose service).
  const std::string kind(alertKind(alert.dedup_key));
  labels["alertname"] = alertmanagerName(kind);
  labels["kind"] = kind;
  labels["severity"] = toString(alert.severity);
  if (alert.service.empty()) {
    labels.erase("service");
  } else {
    labels["service"] = alert.service;
  }
  labels["instance"] = origin.instance;
  labels["medic_key"] = alert.dedup_key;
  nlohmann::json item = {
      {"labels", labels},
      {"annotations", {{"summary", alert.title}, {"description", alert.text}}},
      {"startsAt", formatWallTime(alert.created)},
  };
  if (!origin.dashboard_url.empty()) item["generatorURL"] = origin.dashboard_url;
  if (!alert.firing()) item["endsAt"] = formatWallTime(alert.resolved.value_or(alert.updated));
  nlohmann::json out = nlohmann::json::array();
  if (alert.replaces_severity && alert.firing()) {
    // The same incident under its old severity label ends as the new one starts, in the same
    // request: one identity at a time (docs/api.md, "Alertmanager").
    nlohmann::json old = item;
    old["labels"]["severity"] = toString(*alert.replaces_severity);
    old["endsAt"] = formatWallTime(alert.updated);
    out.push_back(std::move(old));
  }
  out.push_back(std::move(item));
  return out;
}

AlertmanagerSink::AlertmanagerSink(HttpTarget base, RetryPolicy policy, AlertmanagerOrigin origin)
    : target_(std::move(base)), policy_(policy), origin_(std::move(origin)) {
  if (origin_.instance.empty()) origin_.instance = hostName();
  std::string prefix = target_.url.target;
  while (!prefix.empty() && prefix.back() == '/') prefix.pop_back();
  target_.url.target = prefix + "/api/v2/alerts";
  target_.shown = (target_.url.tls ? "https://" : "http://") + target_.url.authority +
                  target_.url.target;
}

boost::asio::awaitable<Status> AlertmanagerSink::deliver(const Alert& alert, const SinkContext&) {
  const std::string body = alertmanagerPayload(alert, origin_).dump();
  Status st = co_await postJsonWithRetries(target_, body, policy_);
  co_return st;
}

}  // namespace medic::alerts
