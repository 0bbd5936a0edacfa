#pragma once
/// medic's one HTTP client, used by the HTTP probes, the alert sinks and the CLI: HTTP/1.1 over
/// TCP or TLS (SNI, the peer's certificate verified and checked against the URL's host), one
/// request per connection, a deadline over the whole exchange, limits on the answer's size.
/// Errors are values naming where the exchange failed and what to do.

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include "core/result.h"
#include "core/time.h"
#include "http_client/url.h"

namespace medic::http_client {

using Request = boost::beast::http::request<boost::beast::http::string_body>;
using ResponseParser = boost::beast::http::response_parser<boost::beast::http::string_body>;

/// A request for `url` with Host, User-Agent and Connection: close set (the caller adds its own
/// headers and body; prepare_payload() after setting a body).
Request makeRequest(boost::beast::http::verb method, const Url& url, std::string_view user_agent);

/// Where an exchange failed.
enum class Stage { kResolve, kConnect, kTls, kSend, kReceive };

struct Failure {
  Stage stage = Stage::kConnect;
  boost::system::error_code ec;
  /// kTls: OpenSSL's verdict on the peer's certificate ("hostname mismatch", "unable to get local
  /// issuer certificate"); empty when the handshake failed before the certificate was judged.
  std::string verify_error;

  /// True when the certificate was refused: retrying cannot help, the configuration must change.
  bool certificateRefused() const { return !verify_error.empty(); }
  /// "cannot connect: Connection refused", "TLS handshake failed: certificate verify failed:
  /// hostname mismatch (the certificate is not for 'localhost')".
  std::string describe(const Url& url) const;
};

/// The low level, for callers that resolve, filter and time the exchange themselves (the HTTP
/// probe): connects to the first of `endpoints` that accepts; for https (url.tls) handshakes with
/// `tls` (never nullptr then), sending SNI and checking that the certificate names url.host;
/// writes `req`; reads the answer into `parser`, whose limits the caller sets. Has no deadline:
/// the caller cancels it. nullopt on success.
boost::asio::awaitable<std::optional<Failure>> exchange(
    const Url& url, const std::vector<boost::asio::ip::tcp::endpoint>& endpoints,
    boost::asio::ssl::context* tls, const Request& req, ResponseParser& parser);

struct Limits {
  size_t max_header = size_t{16} * 1024;
  size_t max_body = size_t{1} << 20;  ///< a longer answer is cut (Response::truncated)
};

struct Options {
  Millis timeout{5000};  ///< resolve, connect, TLS, send and receive together
  Limits limits;
  /// For https: the context to verify with (makeTlsContext, built once per client); nullptr makes
  /// one with the system CA store for this call.
  std::shared_ptr<boost::asio::ssl::context> tls;
};

struct Response {
  int status = 0;
  std::string body;
  bool truncated = false;  ///< the body was longer than Limits::max_body
};

/// One request, the high level. Errors: kTimeout (the deadline passed), kConfig (the peer's
/// certificate was refused: fix ca_file or the URL's host), kUnreachable (resolve, connect, TLS,
/// send or receive failed, or the answer is not HTTP). Messages start with "METHOD URL: ".
boost::asio::awaitable<Result<Response>> fetch(const std::string& url_text, const Url& url,
                                               const Request& req, const Options& options);

/// fetch() on a private io_context, for the CLI.
Result<Response> fetchBlocking(const std::string& url_text, const Url& url, const Request& req,
                               const Options& options);

}  // namespace medic::http_client
