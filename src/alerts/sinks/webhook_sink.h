#pragma once
/// A webhook: each alert change is POSTed as JSON to an http:// URL, with a deadline per attempt
/// and retries with exponential backoff. `slack` format sends Slack's incoming-webhook shape
/// {"text": "..."} (Mattermost and Rocket.Chat accept it too).

#include <string>

#include "alerts/sink.h"
#include "alerts/sinks/http_post.h"

namespace medic::alerts {

enum class WebhookFormat { kJson, kSlack };

/// kJson: {"source":"medic","alert":<toJson(alert)>}. kSlack: {"text":"<line>"} where the line
/// reads ":red_circle: [CRITICAL] webui: title — text" (firing) or
/// ":white_check_mark: [RESOLVED] webui: title — text" (resolved).
nlohmann::json webhookPayload(const Alert& alert, WebhookFormat format);

class WebhookSink final : public Sink {
 public:
  WebhookSink(HttpTarget target, WebhookFormat format, RetryPolicy policy)
      : target_(std::move(target)), format_(format), policy_(policy) {}

  boost::asio::awaitable<Status> deliver(const Alert& alert, const SinkContext& ctx) override;

 private:
  HttpTarget target_;
  WebhookFormat format_;
  RetryPolicy policy_;
};

}  // namespace medic::alerts
