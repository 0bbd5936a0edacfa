#pragma once
/// How CLI commands talk to the daemon (recover, status, ...): blocking calls through medic's one
/// HTTP client (http_client/client.h), so an https daemon URL works too. Every call has a
/// deadline; errors come back as values naming the URL and what to do.

#include <string>

#include "core/result.h"
#include "core/time.h"

namespace medic::http {

struct ClientResponse {
  int status = 0;
  std::string body;
};

/// base_url: "http://127.0.0.1:8080" (or https://, verified against the system CAs). token: sent as a bearer token when not empty.
Result<ClientResponse> request(const std::string& base_url, const std::string& method,
                               const std::string& path, const std::string& body,
                               const std::string& token, Millis timeout = Millis(10'000));

/// Where the daemon said it listens, and its token (state dir files `daemon.json` and `token`).
struct DaemonAddress {
  std::string url;
  std::string token;
};
/// url_override: --url. Errors explain how to start the daemon.
Result<DaemonAddress> findDaemon(const std::string& state_dir, const std::string& url_override);

/// Reads the token file or creates it (>= 32 random bytes, hex, mode 0600). Never logs it.
Result<std::string> loadOrCreateToken(const std::string& state_dir);

}  // namespace medic::http
