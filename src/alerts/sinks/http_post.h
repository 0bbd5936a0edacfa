#pragma once
/// JSON POST over plain HTTP for the webhook and Alertmanager sinks: a deadline on every attempt,
/// retries with exponential backoff on failures worth retrying, errors as values.

#include <boost/asio/awaitable.hpp>
#include <string>
#include <string_view>

#include "core/result.h"
#include "core/time.h"

namespace medic::alerts {

/// Where to POST, from an http:// URL.
struct HttpTarget {
  std::string url;     ///< as written, for messages (no credentials: userinfo is refused)
  std::string host;    ///< name or address, without brackets
  std::string port;    ///< "80" when not written
  std::string target;  ///< path and query, "/" when empty
  std::string host_header;
};

/// Parses "http://host[:port][/path]". https, userinfo and fragments are refused with a message
/// that says what to write instead.
Result<HttpTarget> parseHttpTarget(std::string_view url);

struct RetryPolicy {
  Millis timeout{5000};         ///< per attempt: resolve, connect, send and receive together
  int retries = 3;              ///< attempts after the first
  Millis backoff_initial{500};  ///< wait before the first retry; doubles each time
  Millis backoff_max{30'000};
};

struct PostReply {
  int status = 0;
  std::string body;  ///< at most 64 KiB is read
};

/// One POST of `body` (Content-Type application/json) to `target`. kTimeout when the deadline
/// passes, kUnreachable when it cannot connect, kEngine for a garbled answer.
boost::asio::awaitable<Result<PostReply>> postJsonOnce(const HttpTarget& target,
                                                       const std::string& body, Millis timeout);

/// POSTs until a 2xx answer. Retries connection failures, timeouts, 5xx and 429 up to
/// policy.retries times with exponential backoff; any other status fails at once (the request
/// itself is wrong; repeating it cannot help). The error names the URL, the attempts and the last
/// failure.
boost::asio::awaitable<Status> postJsonWithRetries(const HttpTarget& target,
                                                   const std::string& body,
                                                   const RetryPolicy& policy);

}  // namespace medic::alerts
