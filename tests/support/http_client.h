#pragma once
/// A tiny blocking HTTP/1.1 client for tests. It only ever talks to 127.0.0.1 (the network rule:
/// tests contact nothing else), one request per connection.

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace medic::test {

struct HttpResponse {
  /// The HTTP status; 0 when nothing answered in time (refused, reset, timed out, garbled).
  int status = 0;
  std::string body;  ///< de-chunked when the server sent Transfer-Encoding: chunked
  std::vector<std::pair<std::string, std::string>> headers;  ///< names lower-cased
  std::string error;                                         ///< why status is 0

  /// First header named `name` (lower case), or "".
  std::string header(std::string_view name) const;
};

/// Sends `method path` to 127.0.0.1:port with Connection: close and reads the whole answer. The
/// deadline covers connect, send and receive together.
HttpResponse httpRequest(std::string_view method, int port, std::string_view path,
                         std::chrono::milliseconds timeout, std::string_view body = "",
                         const std::vector<std::pair<std::string, std::string>>& headers = {});

inline HttpResponse httpGet(int port, std::string_view path,
                            std::chrono::milliseconds timeout = std::chrono::seconds(2)) {
  return httpRequest("GET", port, path, timeout);
}

}  // namespace medic::test
