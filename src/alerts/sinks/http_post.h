#pragma once
/// POST for the webhook and Alertmanager sinks over medic's HTTP client (http_client/client.h):
/// http or https (verified against the system CAs or the sink's ca_file), the sink's headers, a
/// deadline on every attempt, retries with exponential backoff on failures worth retrying.

#include <boost/asio/awaitable.hpp>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "alerts/sink.h"
#include "config/config.h"
#include "core/result.h"
#include "core/time.h"
#include "http_client/url.h"

namespace boost::asio::ssl {
class context;
}

namespace medic::alerts {

/// Where to POST and how.
struct HttpTarget {
  std::string shown;  ///< for messages: scheme://host[:port] and "/…" for a path (a webhook's
                      ///< path is often its secret: Slack, Discord, ntfy topics)
  http_client::Url url;
  std::shared_ptr<boost::asio::ssl::context> tls;  ///< https only
  /// Sent with every request. Values are secrets: never logged, and scrubbed from the receiver's
  /// answers before they reach a message.
  std::vector<std::pair<std::string, std::string>> headers;
};

/// Parses "http[s]://host[:port][/path]" and, for https, loads the CA store (`ca_file`, else the
/// system's). Userinfo and fragments are refused with a message that says what to write instead;
/// kConfig when the CA file cannot be loaded.
Result<HttpTarget> parseHttpTarget(std::string_view url, const std::string& ca_file = {});

/// The value of each header: text as written, a file's content (one trailing newline dropped) or
/// an environment variable. kConfig naming the header's origin (file:line: path) when the file
/// cannot be read, the variable is unset, or the value is empty or spans lines.
Result<std::vector<std::pair<std::string, std::string>>> resolveHeaders(
    const std::vector<config::SinkHeader>& headers);

struct RetryPolicy {
  Millis timeout{5000};         ///< per attempt: resolve, connect, TLS, send and receive together
  int retries = 3;              ///< attempts after the first
  Millis backoff_initial{500};  ///< wait before the first retry; doubles each time
  Millis backoff_max{30'000};
};

struct PostReply {
  int status = 0;
  std::string body;  ///< at most 64 KiB is read
};

/// One POST of `body` with `content_type` to `target`. kTimeout when the deadline passes, kConfig
/// when the receiver's certificate is refused, kUnreachable when it cannot connect or answers
/// garbage.
boost::asio::awaitable<Result<PostReply>> postOnce(const HttpTarget& target,
                                                   const std::string& body,
                                                   std::string_view content_type, Millis timeout);

/// POSTs until a 2xx answer. Retries connection failures, timeouts, 5xx and 429 up to
/// policy.retries times with exponential backoff; any other status and a refused certificate
/// fail at once (repeating cannot help). The error names the URL, the attempts and the last
/// failure.
boost::asio::awaitable<DeliveryReport> postWithRetries(const HttpTarget& target,
                                                    const std::string& body,
                                                    std::string_view content_type,
                                                    const RetryPolicy& policy);

/// postWithRetries with Content-Type application/json, its status only.
boost::asio::awaitable<Status> postJsonWithRetries(const HttpTarget& target,
                                                   const std::string& body,
                                                   const RetryPolicy& policy);

}  // namespace medic::alerts
