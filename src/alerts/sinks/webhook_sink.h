#pragma once
/// A webhook: each alert change is POSTed to an http(s) URL in the receiver's own format, with a
/// deadline per attempt and retries with exponential backoff (http_post.h).

#include <optional>
#include <string>
#include <string_view>

#include "alerts/sink.h"
#include "alerts/sinks/http_post.h"

namespace medic::alerts {

enum class WebhookFormat { kJson, kSlack, kDiscord, kNtfy, kMsTeams };

/// "json", "slack", "discord", "ntfy", "msteams" (the config's format: key); nullopt otherwise.
std::optional<WebhookFormat> parseWebhookFormat(std::string_view text);

/// The body each format sends (every one is JSON, Content-Type application/json). The line below
/// reads "<icon> [CRITICAL] webui: title — text" (firing) or "<icon> [RESOLVED] webui: title —
/// text"; Slack gets emoji shortcodes (:red_circle:), the others Unicode emoji.
/// - kJson: {"source":"medic","alert":<toJson(alert)>}.
/// - kSlack (Slack incoming webhook; Mattermost and Rocket.Chat accept it): {"text": line}.
/// - kDiscord (Execute Webhook): {"content": line cut to 2000 characters, "allowed_mentions":
///   {"parse": []}} so an alert's text can never ping @everyone.
/// - kNtfy (ntfy's publish-as-JSON, POSTed to the server's root): {"topic": ntfy_topic,
///   "title": "[CRITICAL] webui: title", "message": text (or the title), "priority": 5 critical,
///   4 warning, 3 info or resolved, "tags": ["rotating_light" | "warning" | "information_source"
///   | "white_check_mark"]}.
/// - kMsTeams (Teams Workflows webhook): {"type":"message","attachments":[{"contentType":
///   "application/vnd.microsoft.card.adaptive","contentUrl":null,"content":<Adaptive Card 1.2:
///   a bold TextBlock with the line's head (coloured Attention, Warning, Good), a TextBlock with
///   the text, a FactSet: Service, Severity, State, Since>}]}.
nlohmann::json webhookPayload(const Alert& alert, WebhookFormat format,
                              const std::string& ntfy_topic = {});

class WebhookSink final : public Sink {
 public:
  /// For kNtfy the target's last path segment is the topic and the POST goes to the path before
  /// it (https://ntfy.sh/alerts -> POST https://ntfy.sh/ with "topic":"alerts").
  WebhookSink(HttpTarget target, WebhookFormat format, RetryPolicy policy);

  boost::asio::awaitable<Status> deliver(const Alert& alert, const SinkContext& ctx) override;
  boost::asio::awaitable<DeliveryReport> deliverTest(const Alert& alert,
                                                     const SinkContext& ctx) override;

 private:
  HttpTarget target_;
  WebhookFormat format_;
  RetryPolicy policy_;
  std::string ntfy_topic_;
};

}  // namespace medic::alerts
