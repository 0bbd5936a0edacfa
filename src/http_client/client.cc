#include "http_client/client.h"

#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include "http_client/tls.h"

namespace medic::http_client {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using asio::ip::tcp;
using namespace asio::experimental::awaitable_operators;

namespace {

constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);

/// Writes `req` and reads the answer on a connected stream (plain or TLS).
template <class Stream>
asio::awaitable<std::optional<Failure>> sendAndReceive(Stream& stream, const Request& req,
                                                       ResponseParser& parser) {
  auto [wec, written] = co_await bhttp::async_write(stream, req, kNoThrow);
  if (wec) co_return Failure{Stage::kSend, wec, {}};
  beast::flat_buffer buffer;
  auto [rec, read] = co_await bhttp::async_read(stream, buffer, parser, kNoThrow);
  if (rec) co_return Failure{Stage::kReceive, rec, {}};
  co_return std::nullopt;
}

/// SNI and the name check: a DNS name goes in SNI and must be in the certificate; an IP address
/// is not sent as SNI (RFC 6066) and must be in the certificate's IP SANs.
void expectPeerName(SSL* ssl, const std::string& host) {
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(host, ec);
  if (ec) {
    SSL_set_tlsext_host_name(ssl, host.c_str());
    SSL_set1_host(ssl, host.c_str());
  } else {
    X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), address.to_string().c_str());
  }
}

}  // namespace

Request makeRequest(bhttp::verb method, const Url& url, std::string_view user_agent) {
  Request req{method, url.target, 11};
  req.set(bhttp::field::host, url.authority);
  req.set(bhttp::field::user_agent, user_agent);
  req.set(bhttp::field::connection, "close");
  return req;
}

std::string Failure::describe(const Url& url) const {
  const std::string where = url.host + ":" + url.port;
  switch (stage) {
    case Stage::kResolve:
      return "cannot resolve " + url.host + ": " + ec.message();
    case Stage::kConnect:
      return "cannot connect to " + where + ": " + ec.message();
    case Stage::kTls:
      if (verify_error == "hostname mismatch" || verify_error == "IP address mismatch") {
        return "TLS handshake with " + where + " failed: certificate verify failed: " +
               verify_error + " (the certificate is not for '" + url.host +
               "'; use the name it was issued for)";
      }
      if (!verify_error.empty()) {
        return "TLS handshake with " + where + " failed: certificate verify failed: " +
               verify_error + " (no trusted CA signed it; set ca_file to the CA that did)";
      }
      return "TLS handshake with " + where + " failed: " + ec.message();
    case Stage::kSend:
      return "send to " + where + " failed: " + ec.message();
    case Stage::kReceive:
      return "no valid HTTP answer from " + where + ": " + ec.message();
  }
  return ec.message();
}

asio::awaitable<std::optional<Failure>> exchange(const Url& url,
                                                 const std::vector<tcp::endpoint>& endpoints,
                                                 asio::ssl::context* tls, const Request& req,
                                                 ResponseParser& parser) {
  auto ex = co_await asio::this_coro::executor;
  if (!url.tls) {
    beast::tcp_stream stream(ex);
    auto [cec, endpoint] = co_await stream.async_connect(endpoints, kNoThrow);
    if (cec) co_return Failure{Stage::kConnect, cec, {}};
    auto failed = co_await sendAndReceive(stream, req, parser);
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    co_return failed;
  }
  beast::ssl_stream<beast::tcp_stream> stream(ex, *tls);
  expectPeerName(stream.native_handle(), url.host);
  auto [cec, endpoint] =
      co_await beast::get_lowest_layer(stream).async_connect(endpoints, kNoThrow);
  if (cec) co_return Failure{Stage::kConnect, cec, {}};
  auto [hec] = co_await stream.async_handshake(asio::ssl::stream_base::client, kNoThrow);
  if (hec) {
    Failure f{Stage::kTls, hec, {}};
    const long verdict = SSL_get_verify_result(stream.native_handle());
    if (verdict != X509_V_OK) f.verify_error = X509_verify_cert_error_string(verdict);
    co_return f;
  }
  co_return co_await sendAndReceive(stream, req, parser);
}

namespace {

asio::awaitable<std::optional<Failure>> resolveAndExchange(const Url& url, const Request& req,
                                                           asio::ssl::context* tls,
                                                           ResponseParser& parser) {
  auto ex = co_await asio::this_coro::executor;
  tcp::resolver resolver(ex);
  auto [rec, results] = co_await resolver.async_resolve(url.host, url.port, kNoThrow);
  if (rec) co_return Failure{Stage::kResolve, rec, {}};
  std::vector<tcp::endpoint> endpoints;
  for (const auto& r : results) endpoints.push_back(r.endpoint());
  co_return co_await exchange(url, endpoints, tls, req, parser);
}

}  // namespace

asio::awaitable<Result<Response>> fetch(const std::string& url_text, const Url& url,
                                        const Request& req, const Options& options) {
  const std::string what = std::string(req.method_string()) + " " + url_text + ": ";
  std::shared_ptr<asio::ssl::context> tls = options.tls;
  if (url.tls && !tls) {
    auto made = makeTlsContext();
    if (!made) co_return Error::make(made.error().kind, what + made.error().message);
    tls = std::move(*made);
  }
  ResponseParser parser;
  parser.header_limit(static_cast<std::uint32_t>(options.limits.max_header));
  parser.body_limit(options.limits.max_body);

  auto ex = co_await asio::this_coro::executor;
  asio::steady_timer deadline(ex, options.timeout);
  auto winner = co_await (resolveAndExchange(url, req, tls.get(), parser) ||
                          deadline.async_wait(kNoThrow));
  if (winner.index() == 1) {
    co_return Error::make(ErrorKind::kTimeout,
                          what + "no answer within " + std::to_string(options.timeout.count()) +
                              " ms");
  }
  const auto& failed = std::get<0>(winner);
  const bool truncated =
      failed && failed->stage == Stage::kReceive && failed->ec == bhttp::error::body_limit;
  if (failed && !truncated) {
    co_return Error::make(failed->certificateRefused() ? ErrorKind::kConfig
                                                       : ErrorKind::kUnreachable,
                          what + failed->describe(url));
  }
  auto& res = parser.get();
  co_return Response{static_cast<int>(res.result_int()), std::move(res.body()), truncated};
}

Result<Response> fetchBlocking(const std::string& url_text, const Url& url, const Request& req,
                               const Options& options) {
  asio::io_context io;
  Result<Response> out;
  asio::co_spawn(io, fetch(url_text, url, req, options),
                 [&out](std::exception_ptr e, Result<Response> r) {
                   out = e ? Result<Response>(Error::make(ErrorKind::kInternal,
                                                          "the HTTP client failed unexpectedly"))
                           : std::move(r);
                 });
  io.run();
  return out;
}

}  // namespace medic::http_client
