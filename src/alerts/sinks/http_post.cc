#include "alerts/sinks/http_post.h"

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cctype>

namespace medic::alerts {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;

namespace {

constexpr size_t kMaxReplyBytes = size_t{64} * 1024;

Error bad(std::string_view url, const std::string& what) {
  return Error::make(ErrorKind::kBadRequest,
                     "'" + std::string(url) + "': " + what +
                         " (write e.g. http://127.0.0.1:9093 or http://hooks.internal/medic)");
}

}  // namespace

Result<HttpTarget> parseHttpTarget(std::string_view url) {
  std::string lower(url.substr(0, std::min<size_t>(url.size(), 8)));
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (lower.rfind("https://", 0) == 0) {
    return bad(url,
               "https is not supported for alert sinks yet; use http:// (e.g. through a "
               "local relay)");
  }
  if (lower.rfind("http://", 0) != 0) return bad(url, "must start with http://");
  std::string_view rest = url.substr(7);
  if (rest.find('#') != std::string_view::npos) return bad(url, "a fragment (#...) is not sent");
  const size_t slash = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, slash);
  HttpTarget t;
  t.url = std::string(url);
  t.target = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  if (!t.target.empty() && t.target.front() == '?') t.target.insert(0, "/");
  if (authority.find('@') != std::string_view::npos) {
    return bad(url, "credentials in the URL are refused (they would be logged)");
  }
  if (authority.empty()) return bad(url, "has no host");
  t.host_header = std::string(authority);
  std::string_view host = authority;
  std::string_view port = "80";
  if (authority.front() == '[') {
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) return bad(url, "unclosed [ in the host");
    host = authority.substr(1, close - 1);
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return bad(url, "unexpected text after ]");
      port = after.substr(1);
    }
  } else if (const size_t colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  if (host.empty()) return bad(url, "has no host");
  const bool numeric =
      !port.empty() && port.size() <= 5 && std::all_of(port.begin(), port.end(), [](char c) {
        return std::isdigit(static_cast<unsigned char>(c));
      });
  if (!numeric || std::stoi(std::string(port)) < 1 || std::stoi(std::string(port)) > 65535) {
    return bad(url, "the port must be a number from 1 to 65535");
  }
  t.host = std::string(host);
  t.port = std::string(port);
  return t;
}

asio::awaitable<Result<PostReply>> postJsonOnce(const HttpTarget& t, const std::string& body,
                                                Millis timeout) {
  auto ex = co_await asio::this_coro::executor;
  beast::tcp_stream stream(ex);
  asio::ip::tcp::resolver resolver(ex);
  const std::string what = "POST " + t.url;
  auto timed_out = [&] {
    return Error::make(ErrorKind::kTimeout,
                       what + ": no answer within " + std::to_string(timeout.count()) + " ms");
  };

  // The resolver has no deadline of its own: race it against a timer.
  asio::steady_timer resolve_deadline(ex, timeout);
  const auto started = std::chrono::steady_clock::now();
  resolve_deadline.async_wait([&resolver](boost::system::error_code ec) {
    if (!ec) resolver.cancel();
  });
  auto [rec, endpoints] =
      co_await resolver.async_resolve(t.host, t.port, asio::as_tuple(asio::use_awaitable));
  resolve_deadline.cancel();
  if (rec == asio::error::operation_aborted) co_return timed_out();
  if (rec) {
    co_return Error::make(ErrorKind::kUnreachable,
                          what + ": cannot resolve " + t.host + ": " + rec.message());
  }
  const auto left =
      timeout - std::chrono::duration_cast<Millis>(std::chrono::steady_clock::now() - started);
  stream.expires_after(std::max(left, Millis(1)));

  auto [cec, endpoint] =
      co_await stream.async_connect(endpoints, asio::as_tuple(asio::use_awaitable));
  if (cec == beast::error::timeout) co_return timed_out();
  if (cec) {
    co_return Error::make(ErrorKind::kUnreachable,
                          what + ": cannot connect: " + cec.message() + " (is the receiver up?)");
  }
  bhttp::request<bhttp::string_body> req{bhttp::verb::post, t.target, 11};
  req.set(bhttp::field::host, t.host_header);
  req.set(bhttp::field::user_agent, "medic-alerts/" MEDIC_VERSION);
  req.set(bhttp::field::content_type, "application/json");
  req.set(bhttp::field::connection, "close");
  req.body() = body;
  req.prepare_payload();
  auto [wec, written] =
      co_await bhttp::async_write(stream, req, asio::as_tuple(asio::use_awaitable));
  if (wec == beast::error::timeout) co_return timed_out();
  if (wec) co_return Error::make(ErrorKind::kUnreachable, what + ": send failed: " + wec.message());

  beast::flat_buffer buffer;
  bhttp::response_parser<bhttp::string_body> parser;
  parser.body_limit(kMaxReplyBytes);
  auto [rdec, read] =
      co_await bhttp::async_read(stream, buffer, parser, asio::as_tuple(asio::use_awaitable));
  if (rdec == beast::error::timeout) co_return timed_out();
  if (rdec && rdec != bhttp::error::body_limit) {
    co_return Error::make(ErrorKind::kUnreachable,
                          what + ": no valid HTTP answer: " + rdec.message());
  }
  beast::error_code ignored;
  stream.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  const auto& res = parser.get();
  co_return PostReply{static_cast<int>(res.result_int()), res.body()};
}

asio::awaitable<Status> postJsonWithRetries(const HttpTarget& target, const std::string& body,
                                            const RetryPolicy& policy) {
  auto ex = co_await asio::this_coro::executor;
  Millis backoff = policy.backoff_initial;
  std::string last;
  ErrorKind last_kind = ErrorKind::kUnreachable;
  const int attempts = 1 + std::max(0, policy.retries);
  for (int attempt = 1; attempt <= attempts; ++attempt) {
    auto reply = co_await postJsonOnce(target, body, policy.timeout);
    if (reply) {
      const int status = reply->status;
      if (status >= 200 && status < 300) co_return okStatus();
      std::string excerpt = reply->body.substr(0, 200);
      last = "HTTP " + std::to_string(status) + (excerpt.empty() ? "" : ": " + excerpt);
      last_kind = ErrorKind::kUnreachable;  // the receiver is there but not taking alerts
      if (status < 500 && status != 429) {
        co_return Error::make(ErrorKind::kBadRequest,
                              "POST " + target.url + " was refused with " + last +
                                  " (not retried: check the URL and the receiver's format)",
                              status);
      }
    } else {
      last = reply.error().message;
      last_kind = reply.error().kind;
    }
    if (attempt == attempts) break;
    asio::steady_timer wait(ex, backoff);
    co_await wait.async_wait(asio::as_tuple(asio::use_awaitable));
    backoff = std::min(backoff * 2, policy.backoff_max);
  }
  co_return Error::make(last_kind, "POST " + target.url + " failed after " +
                                       std::to_string(attempts) + " attempt(s); last: " + last);
}

}  // namespace medic::alerts
