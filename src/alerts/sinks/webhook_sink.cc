#include "alerts/sinks/webhook_sink.h"

namespace medic::alerts {
namespace {

std::string upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

nlohmann::json webhookPayload(const Alert& alert, WebhookFormat format) {
  if (format == WebhookFormat::kJson) return {{"source", "medic"}, {"alert", toJson(alert)}};
  std::string icon;
  std::string tag;
  if (!alert.firing()) {
    icon = ":white_check_mark:";
    tag = "RESOLVED";
  } else {
    icon = alert.severity == Severity::kCritical  ? ":red_circle:"
           : alert.severity == Severity::kWarning ? ":warning:"
                                                  : ":information_source:";
    tag = upper(toString(alert.severity));
  }
  std::string line = icon + " [" + tag + "] ";
  if (!alert.service.empty()) line += alert.service + ": ";
  line += alert.title;
  if (!alert.text.empty()) line += " — " + alert.text;
  return {{"text", line}};
}

boost::asio::awaitable<Status> WebhookSink::deliver(const Alert& alert, const SinkContext&) {
  const std::string body = webhookPayload(alert, format_).dump();
  Status st = co_await postJsonWithRetries(target_, body, policy_);
  co_return st;
}

}  // namespace medic::alerts
