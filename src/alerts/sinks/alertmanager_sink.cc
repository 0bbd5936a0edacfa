#include "alerts/sinks/alertmanager_sink.h"

#include <unistd.h>

#include <cctype>

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

nlohmann::json alertmanagerPayload(const Alert& alert, const std::string& instance) {
  nlohmann::json labels = nlohmann::json::object();
  if (alert.labels.is_object()) {
    for (const auto& [name, value] : alert.labels.items()) {
      if (isLabelName(name) && value.is_string() && !value.get<std::string>().empty()) {
        labels[name] = value;
      }
    }
  }
  // medic's own labels win over the alert's extra labels of the same name.
  labels["alertname"] = alert.title.empty() ? alert.dedup_key : alert.title;
  labels["severity"] = toString(alert.severity);
  if (!alert.service.empty()) labels["service"] = alert.service;
  labels["instance"] = instance;
  labels["medic_key"] = alert.dedup_key;
  nlohmann::json item = {
      {"labels", labels},
      {"annotations", {{"summary", alert.title}, {"description", alert.text}}},
      {"startsAt", formatWallTime(alert.created)},
  };
  if (!alert.firing()) item["endsAt"] = formatWallTime(alert.resolved.value_or(alert.updated));
  return nlohmann::json::array({item});
}

AlertmanagerSink::AlertmanagerSink(HttpTarget base, RetryPolicy policy, std::string instance)
    : target_(std::move(base)), policy_(policy), instance_(std::move(instance)) {
  if (instance_.empty()) instance_ = hostName();
  std::string prefix = target_.url.target;
  while (!prefix.empty() && prefix.back() == '/') prefix.pop_back();
  target_.url.target = prefix + "/api/v2/alerts";
  target_.shown = (target_.url.tls ? "https://" : "http://") + target_.url.authority +
                  target_.url.target;
}

boost::asio::awaitable<Status> AlertmanagerSink::deliver(const Alert& alert, const SinkContext&) {
  const std::string body = alertmanagerPayload(alert, instance_).dump();
  Status st = co_await postJsonWithRetries(target_, body, policy_);
  co_return st;
}

}  // namespace medic::alerts
