#include "http/server.h"

#include <openssl/crypto.h>
#include <openssl/ssl.h>

#include <array>
#include <fstream>
#include <optional>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include "core/json_depth.h"
#include "core/log.h"

namespace medic::http {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
namespace ssl = asio::ssl;
using asio::ip::tcp;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;

namespace {

constexpr size_t kMaxBody = 1 << 20;
constexpr size_t kMaxHeader = size_t{16} * 1024;
constexpr int kMaxJsonDepth = 64;

constexpr auto kIdleTimeout = std::chrono::seconds(30);
constexpr auto kHandshakeTimeout = std::chrono::seconds(10);
constexpr int kStreamSendBuffer = 64 * 1024;
constexpr auto kStreamKeepalive = std::chrono::seconds(15);

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

bool hostAllowed(const std::string& host_header, const std::vector<std::string>& extra) {
  std::string host = lower(host_header);
  if (host.empty()) return false;
  if (host.front() == '[') {
    auto close = host.find(']');
    if (close == std::string::npos) return false;
    host = host.substr(1, close - 1);
  } else if (auto colon = host.rfind(':'); colon != std::string::npos &&
                                           host.find(':') == colon) {
    host = host.substr(0, colon);
  }
  if (host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0) {
    // 127.x must be a literal address, not a name like 127.evil.test
    if (host.rfind("127.", 0) == 0) {
      boost::system::error_code ec;
      auto a = asio::ip::make_address(host, ec);
      return !ec && a.is_loopback();
    }
    return true;
  }
  for (const auto& e : extra) {
    if (lower(e) == host) return true;
  }
  return false;
}

std::string crossSiteRefusal(const std::string& sec_fetch_site, const std::string& origin,
                             const std::vector<std::string>& extra_hosts) {
  const std::string site = lower(sec_fetch_site);
  if (site == "cross-site" || site == "same-site") {
    return "a request another site's page made (Sec-Fetch-Site: " + site + ") is refused";
  }
  if (origin.empty()) return "";
  // scheme://host[:port]; "null" (a sandboxed or file page) is no origin of ours either.
  const auto scheme_end = origin.find("://");
  const std::string host =
      scheme_end == std::string::npos ? std::string() : origin.substr(scheme_end + 3);
  if (host.empty() || host.find('/') != std::string::npos || !hostAllowed(host, extra_hosts)) {
    return "a request from the page of origin '" + origin + "' is refused";
  }
  return "";
}

bool tokenMatches(const std::string& authorization_header, const std::string& token) {
  static const std::string kPrefix = "Bearer ";
  if (token.empty() || authorization_header.size() != kPrefix.size() + token.size()) return false;
  if (authorization_header.compare(0, kPrefix.size(), kPrefix) != 0) return false;
  return CRYPTO_memcmp(authorization_header.data() + kPrefix.size(), token.data(), token.size()) ==
         0;
}

std::string tokenRefusal(const SecurityPolicy& policy, bool reads_need_token, bool mutation,
                         const std::string& method, const std::string& path,
                         const std::string& authorization_header) {
  if (tokenMatches(authorization_header, policy.token)) return "";
  if (mutation) {
    return "this request changes something: send the token from the state dir as "
           "'Authorization: Bearer <token>'";
  }
  if (!reads_need_token) return "";
  if (method == "GET" && (path == "/" || path.rfind("/ui/", 0) == 0)) return "";
  const bool metrics = path == "/metrics";
  if (metrics && tokenMatches(authorization_header, policy.metrics_token)) return "";
  return std::string("medic listens beyond loopback, so reads need a token too: send the token "
                     "from the state dir") +
         (metrics ? " or the metrics token (metrics_token_file)" : "") +
         " as 'Authorization: Bearer <token>'";
}

struct Server::Impl : std::enable_shared_from_this<Server::Impl> {
  Impl(asio::any_io_executor ex, Router& r, SecurityPolicy p)
      : executor(std::move(ex)), acceptor(executor), router(r), policy(std::move(p)) {}

  asio::any_io_executor executor;
  tcp::acceptor acceptor;
  Router& router;
  SecurityPolicy policy;
  bool reads_need_token = false;  ///< listening beyond loopback
  std::shared_ptr<ssl::context> tls_context;  ///< null: plain HTTP
  bool stopped = false;
  int connections = 0;          ///< open now (sessions and event streams)
  bool refusing_logged = false;  ///< "too many connections" is logged once per burst

  /// Counts a connection for as long as it lives.
  struct Counted {
    std::shared_ptr<Impl> impl;
    explicit Counted(std::shared_ptr<Impl> i) : impl(std::move(i)) { ++impl->connections; }
    ~Counted() { --impl->connections; }
    Counted(const Counted&) = delete;
    Counted& operator=(const Counted&) = delete;
  };

  /// What the request line and headers alone decide (Host, cross-site, route, token): checked
  /// before the body is read, so no body is buffered for a request that will be refused.
  std::optional<Response> refusal(const Request& req) const {
    if (!hostAllowed(req.header("host"), policy.extra_hosts)) {
      return Response::error(403, "Host '" + req.header("host") +
                                      "' is not allowed (only loopback names or configured hosts)");
    }
    if (auto why = crossSiteRefusal(req.header("sec-fetch-site"), req.header("origin"),
                                    policy.extra_hosts);
        !why.empty()) {
      return Response::error(403, why);
    }
    auto m = router.match(req.method, req.path);
    if (m.handler == nullptr && m.stream == nullptr && m.async == nullptr) {
      if (m.path_known) return Response::error(405, "method " + req.method + " not allowed here");
      return Response::error(404, "no such endpoint: " + req.path);
    }
    if (auto why = tokenRefusal(policy, reads_need_token, m.mutation, req.method, req.path,
                                req.header("authorization"));
        !why.empty()) {
      auto r = Response::error(401, why);
      r.headers["WWW-Authenticate"] = "Bearer";
      return r;
    }
    return std::nullopt;
  }

  /// Checks and dispatches a request. For a stream route it also creates the stream, returned in
  /// `stream_out`.
  Response handle(Request& req, std::shared_ptr<EventStream>& stream_out,
                  const AsyncHandler*& async_out) {
    if (auto refused = refusal(req)) return *refused;
    auto m = router.match(req.method, req.path);
    if (m.mutation) {
      if (!req.body.empty()) {
        auto ct = lower(req.header("content-type"));
        if (ct.rfind("application/json", 0) != 0) {
          return Response::error(415, "send the body as application/json");
        }
        if (!jsonDepthWithin(req.body, kMaxJsonDepth)) {
          return Response::error(400, "the body nests deeper than " +
                                          std::to_string(kMaxJsonDepth) + " levels");
        }
        if (!nlohmann::json::accept(req.body)) {
          return Response::error(400, "the body is not valid JSON");
        }
      }
    }
    req.params = std::move(m.params);
    if (m.async != nullptr) {
      async_out = m.async;  // the session awaits it
      return Response{};
    }
    try {
      if (m.stream != nullptr) {
        stream_out = std::make_shared<EventStream>();
        return (*m.stream)(req, stream_out);
      }
      return (*m.handler)(req);
    } catch (const std::exception& e) {
      spdlog::error("http: handler for {} {} failed: {}", req.method, req.path, e.what());
      return Response::error(500, "internal error");
    }
  }

  asio::awaitable<void> plainSession(tcp::socket socket) {
    Counted counted(shared_from_this());
    auto stream = std::make_shared<beast::tcp_stream>(std::move(socket));
    if (co_await serve(stream)) co_return;
    beast::error_code ignored;
    stream->socket().shutdown(tcp::socket::shutdown_both, ignored);
  }

  /// A TLS connection: the handshake (bounded), then the same requests as over plain HTTP. The
  /// context it started with stays alive with it, so a certificate reload leaves it alone.
  asio::awaitable<void> tlsSession(tcp::socket socket, std::shared_ptr<ssl::context> context) {
    Counted counted(shared_from_this());
    struct Connection {
      std::shared_ptr<ssl::context> context;
      TlsStream stream;
    };
    auto conn = std::make_shared<Connection>(
        Connection{context, TlsStream(beast::tcp_stream(std::move(socket)), *context)});
    std::shared_ptr<TlsStream> stream(conn, &conn->stream);
    beast::get_lowest_layer(*stream).expires_after(kHandshakeTimeout);
    auto [hec] = co_await stream->async_handshake(ssl::stream_base::server,
                                                  asio::as_tuple(asio::use_awaitable));
    if (!hec) {
      if (co_await serve(stream)) co_return;
      beast::get_lowest_layer(*stream).expires_after(std::chrono::seconds(2));
      (void)co_await stream->async_shutdown(asio::as_tuple(asio::use_awaitable));
    } else {
      spdlog::debug("http: TLS handshake failed: {}", hec.message());
    }
    beast::error_code ignored;
    beast::get_lowest_layer(*stream).socket().shutdown(tcp::socket::shutdown_both, ignored);
    beast::get_lowest_layer(*stream).socket().close(ignored);
  }

  /// Reads and answers requests until the client is done. True when a stream route took the
  /// connection over (the caller then leaves it alone).
  template <class Stream>
  asio::awaitable<bool> serve(std::shared_ptr<Stream> stream) {
    beast::flat_buffer buffer;
    for (;;) {
      beast::get_lowest_layer(*stream).expires_after(kIdleTimeout);
      bhttp::request_parser<bhttp::string_body> parser;
      parser.header_limit(kMaxHeader);
      parser.body_limit(kMaxBody);
      // The header first: a request refused on it (no token, wrong Host, no such route) is
      // answered before any body is read, and the connection closed.
      auto [hec, hn] = co_await bhttp::async_read_header(*stream, buffer, parser,
                                                         asio::as_tuple(asio::use_awaitable));
      (void)hn;
      if (hec == bhttp::error::header_limit) {
        co_await writeResponse(*stream, Response::error(431, "headers too large"), false);
        break;
      }
      if (hec == bhttp::error::body_limit) {  // a Content-Length over the limit, told at once
        co_await writeResponse(*stream, Response::error(413, "body too large (limit 1 MiB)"),
                               false);
        break;
      }
      if (hec) break;
      {
        Request head;
        head.method = std::string(parser.get().method_string());
        splitTarget(std::string(parser.get().target()), head.path, head.query);
        for (const auto& f : parser.get()) {
          head.headers[lower(std::string(f.name_string()))] = std::string(f.value());
        }
        if (auto refused = refusal(head)) {
          co_await writeResponse(*stream, *refused, false);
          break;
        }
      }
      boost::system::error_code ec;
      if (!parser.is_done()) {
        auto [bec, bn] = co_await bhttp::async_read(*stream, buffer, parser,
                                                    asio::as_tuple(asio::use_awaitable));
        (void)bn;
        ec = bec;
      }
      if (ec == bhttp::error::body_limit) {
        co_await writeResponse(*stream, Response::error(413, "body too large (limit 1 MiB)"),
                               false);
        break;
      }
      if (ec == bhttp::error::header_limit) {
        co_await writeResponse(*stream, Response::error(431, "headers too large"), false);
        break;
      }
      if (ec) break;
      auto& breq = parser.get();
      Request req;
      req.method = std::string(breq.method_string());
      splitTarget(std::string(breq.target()), req.path, req.query);
      for (const auto& f : breq) req.headers[lower(std::string(f.name_string()))] = std::string(f.value());
      req.body = std::move(breq.body());
      const bool keep_alive = breq.keep_alive();
      std::shared_ptr<EventStream> events;
      const AsyncHandler* async = nullptr;
      Response res = handle(req, events, async);
      if (async != nullptr) {
        const std::string method = req.method, path = req.path;
        bool failed = false;
        try {
          res = co_await (*async)(std::move(req));
        } catch (const std::exception& e) {
          spdlog::error("http: handler for {} {} failed: {}", method, path, e.what());
          failed = true;
        }
        if (failed) res = Response::error(500, "internal error");
      }
      if (events) {
        if (res.status >= 200 && res.status < 300) {
          beast::get_lowest_layer(*stream).expires_never();
          co_await streamEvents(stream, res, events);
          co_return true;
        }
        events->close();
      }
      bool ok = co_await writeResponse(*stream, res, keep_alive);
      if (!ok || !keep_alive) break;
    }
    co_return false;
  }

  /// Owns the connection of a stream route until the stream or the client ends it. The header
  /// has no length (Connection: close), so the body is whatever is written until the close. A
  /// reader watches for the client going away; a small send buffer keeps a stalled client's
  /// backlog in our bounded queue, where it is noticed, rather than in the kernel.
  template <class Stream>
  asio::awaitable<void> streamEvents(std::shared_ptr<Stream> socket, const Response& r,
                                     std::shared_ptr<EventStream> events) {
    auto wake = std::make_shared<asio::steady_timer>(executor);
    auto& raw = beast::get_lowest_layer(*socket).socket();
    boost::system::error_code ec;
    raw.set_option(asio::socket_base::send_buffer_size(kStreamSendBuffer), ec);
    raw.set_option(tcp::no_delay(true), ec);
    auto close = [socket] {
      boost::system::error_code ignored;
      auto& s = beast::get_lowest_layer(*socket).socket();
      s.shutdown(tcp::socket::shutdown_both, ignored);
      s.close(ignored);
    };
    events->attach([wake] { wake->cancel(); }, close);
    // The client sends nothing more; a read that ends means it hung up.
    asio::co_spawn(
        executor,
        [socket, events]() -> asio::awaitable<void> {
          std::array<char, 512> buf{};
          for (;;) {
            auto [rec, n] = co_await socket->async_read_some(asio::buffer(buf),
                                                             asio::as_tuple(asio::use_awaitable));
            (void)n;
            if (rec) break;
          }
          events->close();
        },
        asio::detached);

    std::string head = "HTTP/1.1 " + std::to_string(r.status) + " " +
                       std::string(bhttp::obsolete_reason(static_cast<bhttp::status>(r.status))) +
                       "\r\nServer: medic/" MEDIC_VERSION "\r\nContent-Type: " + r.content_type +
                       "\r\nCache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\n"
                       "Connection: close\r\n";
    for (const auto& [k, v] : r.headers) head.append(k).append(": ").append(v).append("\r\n");
    head += "\r\n" + r.body;
    auto [wec, wn] = co_await asio::async_write(*socket, asio::buffer(head),
                                                asio::as_tuple(asio::use_awaitable));
    (void)wn;
    bool ok = !wec;
    while (ok && !stopped) {
      if (events->overflowed()) break;
      std::string chunk = events->take();
      if (!chunk.empty()) {
        auto [e, n] = co_await asio::async_write(*socket, asio::buffer(chunk),
                                                 asio::as_tuple(asio::use_awaitable));
        (void)n;
        ok = !e;
        continue;
      }
      if (events->closed()) break;
      wake->expires_after(kStreamKeepalive);
      auto [te] = co_await wake->async_wait(asio::as_tuple(asio::use_awaitable));
      if (!te && !events->closed()) {
        // Idle: a comment line keeps proxies from timing out and finds dead peers.
        events->send(": keepalive\n\n");
      }
    }
    events->detach();
    events->close();
    close();
  }

  template <class Stream>
  static asio::awaitable<bool> writeResponse(Stream& stream, const Response& r, bool keep_alive) {
    bhttp::response<bhttp::string_body> res{static_cast<bhttp::status>(r.status), 11};
    res.set(bhttp::field::server, "medic/" MEDIC_VERSION);
    res.set(bhttp::field::content_type, r.content_type);
    res.set(bhttp::field::cache_control, "no-store");
    res.set("X-Content-Type-Options", "nosniff");
    for (const auto& [k, v] : r.headers) res.set(k, v);
    res.keep_alive(keep_alive);
    res.body() = r.body;
    res.prepare_payload();
    auto [ec, n] = co_await bhttp::async_write(stream, res, asio::as_tuple(asio::use_awaitable));
    (void)n;
    co_return !ec;
  }

  asio::awaitable<void> acceptLoop() {
    auto self = shared_from_this();
    // An accept that fails (EMFILE when the descriptors are used up) leaves the connection in the
    // backlog, so the next accept fails at once: without a pause the loop would spin a core, and
    // starve the repairs on the same loop. Back off 50 ms, doubling to 1 s, and say so once.
    std::chrono::milliseconds backoff{0};
    while (!stopped) {
      auto [ec, socket] = co_await acceptor.async_accept(asio::as_tuple(asio::use_awaitable));
      if (ec) {
        if (stopped || ec == asio::error::operation_aborted) break;
        if (backoff.count() == 0) {
          spdlog::warn("http: accepting a connection failed ({}); pausing accepts with backoff",
                       ec.message());
        }
        backoff = std::min(std::chrono::milliseconds(1000),
                           std::max(std::chrono::milliseconds(50), backoff * 2));
        asio::steady_timer pause(executor, backoff);
        (void)co_await pause.async_wait(asio::as_tuple(asio::use_awaitable));
        continue;
      }
      if (backoff.count() != 0) spdlog::info("http: accepting connections again");
      backoff = std::chrono::milliseconds(0);
      if (connections >= policy.max_connections) {
        // Closed at once: idle or slow clients cannot use up the descriptors medic needs for the
        // Docker socket and its repairs.
        if (!refusing_logged) {
          spdlog::warn("http: {} connections are open (the most allowed): closing new ones until "
                       "some end",
                       connections);
          refusing_logged = true;
        }
        boost::system::error_code ignored;
        socket.close(ignored);
        continue;
      }
      if (refusing_logged && connections < policy.max_connections / 2) refusing_logged = false;
      if (tls_context) {
        asio::co_spawn(executor, tlsSession(std::move(socket), tls_context), asio::detached);
      } else {
        asio::co_spawn(executor, plainSession(std::move(socket)), asio::detached);
      }
    }
  }
};

Server::Server(asio::any_io_executor executor, Router& router, SecurityPolicy policy)
    : impl_(std::make_shared<Impl>(std::move(executor), router, std::move(policy))) {}

Server::~Server() { stop(); }

Status Server::listen(const std::string& address) {
  auto colon = address.rfind(':');
  if (colon == std::string::npos) {
    return Error::make(ErrorKind::kConfig, "listen address '" + address + "' is not host:port");
  }
  std::string host = address.substr(0, colon);
  if (host.size() > 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
  boost::system::error_code ec;
  auto ip = asio::ip::make_address(host == "localhost" ? "127.0.0.1" : host, ec);
  if (ec) return Error::make(ErrorKind::kConfig, "listen address '" + address + "': bad IP address");
  if (!ip.is_loopback() && impl_->policy.token.empty()) {
    return Error::make(ErrorKind::kConfig, "refusing to listen on non-loopback " + address +
                                               " without a token");
  }
  impl_->reads_need_token = !ip.is_loopback();
  unsigned long port = 0;
  try {
    port = std::stoul(address.substr(colon + 1));
  } catch (...) {
    return Error::make(ErrorKind::kConfig, "listen address '" + address + "': bad port");
  }
  if (port > 65535) return Error::make(ErrorKind::kConfig, "listen address '" + address + "': bad port");
  tcp::endpoint ep(ip, static_cast<unsigned short>(port));
  auto& acc = impl_->acceptor;
  acc.open(ep.protocol(), ec);
  if (!ec) acc.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acc.bind(ep, ec);
  if (!ec) acc.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return Error::make(ErrorKind::kIo, "cannot listen on " + address + ": " + ec.message() +
                                           " (another medic running? change `listen:`)");
  }
  asio::co_spawn(impl_->executor, impl_->acceptLoop(), asio::detached);
  return Ok{};
}

namespace {

/// The first line of a PEM file that cannot be used, or "" (a clearer message than OpenSSL's).
std::string unreadable(const std::string& path, const char* key) {
  std::ifstream in(path);
  if (!in) return std::string(key) + " " + path + " cannot be read (missing, or no permission)";
  return "";
}

}  // namespace

Status Server::useTls(const std::string& cert_file, const std::string& key_file) {
  for (const auto& [path, key] : {std::pair{cert_file, "tls_cert_file"}, {key_file, "tls_key_file"}}) {
    if (auto why = unreadable(path, key); !why.empty()) return Error::make(ErrorKind::kConfig, why);
  }
  auto context = std::make_shared<ssl::context>(ssl::context::tls_server);
  context->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                       ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                       ssl::context::no_tlsv1_1 | ssl::context::single_dh_use);
  boost::system::error_code ec;
  context->use_certificate_chain_file(cert_file, ec);
  if (ec) {
    return Error::make(ErrorKind::kConfig, "tls_cert_file " + cert_file +
                                               " is not a PEM certificate chain: " + ec.message());
  }
  context->use_private_key_file(key_file, ssl::context::pem, ec);
  if (ec || SSL_CTX_check_private_key(context->native_handle()) != 1) {
    return Error::make(ErrorKind::kConfig,
                       "tls_key_file " + key_file + " is not the PEM private key of " + cert_file +
                           (ec ? ": " + ec.message() : std::string()));
  }
  impl_->tls_context = std::move(context);
  return Ok{};
}

bool Server::tls() const { return impl_->tls_context != nullptr; }

void Server::setPolicy(SecurityPolicy policy) { impl_->policy = std::move(policy); }

unsigned short Server::port() const {
  boost::system::error_code ec;
  auto ep = impl_->acceptor.local_endpoint(ec);
  return ec ? 0 : ep.port();
}

std::string Server::boundAddress() const {
  boost::system::error_code ec;
  auto ep = impl_->acceptor.local_endpoint(ec);
  if (ec) return "";
  auto a = ep.address().to_string();
  if (ep.address().is_v6()) a = "[" + a + "]";
  return a + ":" + std::to_string(ep.port());
}

void Server::stop() {
  if (!impl_ || impl_->stopped) return;
  impl_->stopped = true;
  boost::system::error_code ec;
  impl_->acceptor.close(ec);
}

}  // namespace medic::http
