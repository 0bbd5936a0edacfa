#include "alerts/sinks/webhook_sink.h"

namespace medic::alerts {
namespace {

std::string upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

/// "[CRITICAL] webui: webui failed" (or "[RESOLVED] ...").
std::string head(const Alert& alert) {
  std::string line = "[" + (alert.firing() ? upper(toString(alert.severity)) : "RESOLVED") + "] ";
  if (!alert.service.empty()) line += alert.service + ": ";
  return line + alert.title;
}

std::string withText(const Alert& alert, std::string line) {
  if (!alert.text.empty()) line += " — " + alert.text;
  return line;
}

std::string slackIcon(const Alert& alert) {
  if (!alert.firing()) return ":white_check_mark:";
  return alert.severity == Severity::kCritical  ? ":red_circle:"
         : alert.severity == Severity::kWarning ? ":warning:"
                                                : ":information_source:";
}

std::string unicodeIcon(const Alert& alert) {
  if (!alert.firing()) return "\u2705";
  return alert.severity == Severity::kCritical  ? "\U0001F534"
         : alert.severity == Severity::kWarning ? "\u26A0\uFE0F"
                                                : "\u2139\uFE0F";
}

/// Cuts UTF-8 text to at most `max` code points (Discord counts characters, not bytes).
std::string cutCodePoints(const std::string& text, size_t max) {
  size_t points = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0) == 0x80) continue;
    if (points++ == max) return text.substr(0, i);
  }
  return text;
}

nlohmann::json ntfyPayload(const Alert& alert, const std::string& topic) {
  int priority = 3;
  std::string tag = "white_check_mark";
  if (alert.firing()) {
    priority = alert.severity == Severity::kCritical ? 5
               : alert.severity == Severity::kWarning ? 4
                                                      : 3;
    tag = alert.severity == Severity::kCritical  ? "rotating_light"
          : alert.severity == Severity::kWarning ? "warning"
                                                 : "information_source";
  }
  return {{"topic", topic},
          {"title", head(alert)},
          {"message", alert.text.empty() ? alert.title : alert.text},
          {"priority", priority},
          {"tags", {tag}}};
}

nlohmann::json teamsPayload(const Alert& alert) {
  const char* color = !alert.firing()                        ? "Good"
                      : alert.severity == Severity::kCritical ? "Attention"
                      : alert.severity == Severity::kWarning  ? "Warning"
                                                              : "Default";
  nlohmann::json body = nlohmann::json::array();
  body.push_back({{"type", "TextBlock"},
                  {"text", unicodeIcon(alert) + " " + head(alert)},
                  {"weight", "Bolder"},
                  {"size", "Medium"},
                  {"color", color},
                  {"wrap", true}});
  if (!alert.text.empty()) body.push_back({{"type", "TextBlock"}, {"text", alert.text}, {"wrap", true}});
  body.push_back({{"type", "FactSet"},
                  {"facts",
                   {{{"title", "Service"}, {"value", alert.service.empty() ? "-" : alert.service}},
                    {{"title", "Severity"}, {"value", toString(alert.severity)}},
                    {{"title", "State"}, {"value", toString(alert.state)}},
                    {{"title", "Since"}, {"value", formatWallTime(alert.created)}}}}});
  nlohmann::json card = {{"$schema", "http://adaptivecards.io/schemas/adaptive-card.json"},
                         {"type", "AdaptiveCard"},
                         {"version", "1.2"},
                         {"body", body}};
  return {{"type", "message"},
          {"attachments",
           {{{"contentType", "application/vnd.microsoft.card.adaptive"},
             {"contentUrl", nullptr},
             {"content", card}}}}};
}

}  // namespace

std::optional<WebhookFormat> parseWebhookFormat(std::string_view text) {
  if (text == "json") return WebhookFormat::kJson;
  if (text == "slack") return WebhookFormat::kSlack;
  if (text == "discord") return WebhookFormat::kDiscord;
  if (text == "ntfy") return WebhookFormat::kNtfy;
  if (text == "msteams") return WebhookFormat::kMsTeams;
  return std::nullopt;
}

nlohmann::json webhookPayload(const Alert& alert, WebhookFormat format,
                              const std::string& ntfy_topic) {
  switch (format) {
    case WebhookFormat::kJson:
      return {{"source", "medic"}, {"alert", toJson(alert)}};
    case WebhookFormat::kSlack:
      return {{"text", withText(alert, slackIcon(alert) + " " + head(alert))}};
    case WebhookFormat::kDiscord:
      return {{"content", cutCodePoints(withText(alert, unicodeIcon(alert) + " " + head(alert)),
                                        2000)},
              {"allowed_mentions", {{"parse", nlohmann::json::array()}}}};
    case WebhookFormat::kNtfy:
      return ntfyPayload(alert, ntfy_topic);
    case WebhookFormat::kMsTeams:
      return teamsPayload(alert);
  }
  return nullptr;
}

WebhookSink::WebhookSink(HttpTarget target, WebhookFormat format, RetryPolicy policy)
    : target_(std::move(target)), format_(format), policy_(policy) {
  if (format_ != WebhookFormat::kNtfy) return;
  std::string& path = target_.url.target;
  if (const size_t query = path.find('?'); query != std::string::npos) path.resize(query);
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  const size_t slash = path.rfind('/');
  ntfy_topic_ = path.substr(slash + 1);
  path.resize(slash + 1);
}

boost::asio::awaitable<DeliveryReport> WebhookSink::deliverTest(const Alert& alert,
                                                                const SinkContext&) {
  const std::string body = webhookPayload(alert, format_, ntfy_topic_).dump();
  co_return co_await postWithRetries(target_, body, "application/json", policy_);
}

boost::asio::awaitable<Status> WebhookSink::deliver(const Alert& alert, const SinkContext& ctx) {
  DeliveryReport report = co_await deliverTest(alert, ctx);
  co_return report.status;
}

}  // namespace medic::alerts
