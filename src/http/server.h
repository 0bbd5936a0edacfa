#pragma once
/// The daemon's HTTP server: Beast on the daemon's io_context, one coroutine per connection, one
/// request in flight per connection. Security rules (DESIGN §4): refuses Hosts that are not loopback
/// or configured names (DNS rebinding), mutations need the bearer token (constant-time compare) and a
/// JSON body, headers and bodies are bounded.

#include <memory>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>

#include "core/result.h"
#include "http/router.h"

namespace medic::http {

struct SecurityPolicy {
  std::string token;                     ///< bearer token for mutations; never logged
  std::vector<std::string> extra_hosts;  ///< Host names accepted besides loopback names
  /// A read-only token accepted for GET /metrics only ("" = none); never logged.
  std::string metrics_token;
  /// Connections open at once (event streams included); one more is closed at accept, so idle
  /// or slow clients cannot use up medic's descriptors.
  int max_connections = 512;
};

/// Why a request is refused for want of a token, "" when it may go on. Mutations need `token`.
/// On a non-loopback listener (`reads_need_token`) every other request needs it too, except the
/// dashboard's static files (GET / and /ui/..., which hold no data) and GET /metrics, which also
/// takes `metrics_token`.
std::string tokenRefusal(const SecurityPolicy& policy, bool reads_need_token, bool mutation,
                         const std::string& method, const std::string& path,
                         const std::string& authorization_header);

class Server {
 public:
  Server(boost::asio::any_io_executor executor, Router& router, SecurityPolicy policy);
  ~Server();
  /// Binds "host:port" (port 0 picks one). Refuses a non-loopback address when no token is set;
  /// on one, reads need the token too (tokenRefusal).
  Status listen(const std::string& address);
  /// Serves HTTPS from now on with this PEM certificate chain and key; connections already open
  /// keep the certificate they started with. On an error (unreadable file, key not matching the
  /// certificate) nothing changes. Call again to rotate the certificate (SIGHUP).
  Status useTls(const std::string& cert_file, const std::string& key_file);
  bool tls() const;
  /// Replaces the Host list and tokens (SIGHUP); the next request is checked against them.
  void setPolicy(SecurityPolicy policy);
  /// The bound port (after listen).
  unsigned short port() const;
  std::string boundAddress() const;
  void stop();

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

/// True for a Host header naming this machine's loopback (localhost, 127.0.0.0/8, [::1]), with or
/// without a port, or one of `extra`.
bool hostAllowed(const std::string& host_header, const std::vector<std::string>& extra);

/// Constant-time comparison of a presented "Bearer X" header with the token.
/// Why a request a browser made on behalf of another site is refused, "" when it is not one:
/// `Sec-Fetch-Site: cross-site` or `same-site` (an `<img src>` or a form on any other page), or an
/// `Origin` whose host is not one hostAllowed() accepts. Clients that send neither (the CLI,
/// curl, Prometheus) and the dashboard's own same-origin requests pass. Without it any web page
/// could make medic run a gate's probes through a GET.
std::string crossSiteRefusal(const std::string& sec_fetch_site, const std::string& origin,
                             const std::vector<std::string>& extra_hosts);

bool tokenMatches(const std::string& authorization_header, const std::string& token);

}  // namespace medic::http
