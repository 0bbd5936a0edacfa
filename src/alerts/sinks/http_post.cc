#include "alerts/sinks/http_post.h"

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http/verb.hpp>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <iterator>

#include "http_client/client.h"
#include "http_client/tls.h"

namespace medic::alerts {
namespace asio = boost::asio;

namespace {

constexpr size_t kMaxReplyBytes = size_t{64} * 1024;
constexpr size_t kMaxHeaderFileBytes = size_t{16} * 1024;

Error bad(std::string_view url, const std::string& what) {
  return Error::make(ErrorKind::kBadRequest,
                     "'" + std::string(url) + "': " + what +
                         " (write e.g. https://hooks.example.com/medic or http://127.0.0.1:9093)");
}

/// The receiver's answer as it may appear in a message: cut, and with every header value (a
/// token the receiver might echo) replaced.
std::string scrubbed(const HttpTarget& target, const std::string& body) {
  std::string out = body.substr(0, 200);
  for (const auto& [name, value] : target.headers) {
    if (value.size() < 4) continue;
    for (size_t at = out.find(value); at != std::string::npos; at = out.find(value, at)) {
      out.replace(at, value.size(), "[redacted]");
    }
  }
  return out;
}

}  // namespace

Result<HttpTarget> parseHttpTarget(std::string_view url, const std::string& ca_file) {
  const size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return bad(url, "must start with https:// or http://");
  const std::string_view rest = url.substr(scheme_end + 3);
  if (rest.find('#') != std::string_view::npos) return bad(url, "a fragment (#...) is not sent");
  const std::string_view authority = rest.substr(0, rest.find_first_of("/?"));
  if (authority.find('@') != std::string_view::npos) {
    return bad(url, "credentials in the URL are refused (they would be logged); send them in "
                    "headers: with {file: PATH} or {env: NAME}");
  }
  auto parsed = http_client::parseUrl(url);
  if (!parsed) return bad(url, parsed.error().message);
  const int port = std::atoi(parsed->port.c_str());
  if (parsed->port.empty() || parsed->port.size() > 5 ||
      !std::all_of(parsed->port.begin(), parsed->port.end(),
                   [](char c) { return std::isdigit(static_cast<unsigned char>(c)); }) ||
      port < 1 || port > 65535) {
    return bad(url, "the port must be a number from 1 to 65535");
  }
  HttpTarget t;
  t.url = std::move(*parsed);
  t.shown = std::string(url.substr(0, scheme_end + 3)) + t.url.authority +
            (t.url.target == "/" ? "/" : "/…");
  if (t.url.tls) {
    auto tls = http_client::makeTlsContext(ca_file);
    if (!tls) return tls.error();
    t.tls = std::move(*tls);
  }
  return t;
}

Result<std::vector<std::pair<std::string, std::string>>> resolveHeaders(
    const std::vector<config::SinkHeader>& headers) {
  using Source = config::SinkHeader::Source;
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& h : headers) {
    auto fail = [&h](const std::string& what) {
      return Error::make(ErrorKind::kConfig, h.origin + ": " + what);
    };
    std::string value;
    if (h.source == Source::kText) {
      value = h.value;
    } else if (h.source == Source::kEnv) {
      const char* env = std::getenv(h.value.c_str());
      if (env == nullptr) {
        return fail("environment variable " + h.value +
                    " is not set (medic reads it from its own environment: for the service, "
                    "set it in the unit's Environment= or EnvironmentFile=)");
      }
      value = env;
    } else {
      std::ifstream in(h.value, std::ios::binary);
      if (!in) return fail("cannot read " + h.value + " (does it exist, readable by medic?)");
      value.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
      if (value.size() > kMaxHeaderFileBytes) return fail(h.value + " is larger than 16 KiB");
      if (!value.empty() && value.back() == '\n') value.pop_back();
      if (!value.empty() && value.back() == '\r') value.pop_back();
    }
    if (value.empty()) return fail("the value is empty");
    if (value.find_first_of("\r\n") != std::string::npos) {
      return fail("the value spans lines; a header value is one line");
    }
    out.emplace_back(h.name, std::move(value));
  }
  return out;
}

asio::awaitable<Result<PostReply>> postOnce(const HttpTarget& t, const std::string& body,
                                            std::string_view content_type, Millis timeout) {
  auto req = http_client::makeRequest(boost::beast::http::verb::post, t.url,
                                      "medic-alerts/" MEDIC_VERSION);
  req.set(boost::beast::http::field::content_type, content_type);
  for (const auto& [name, value] : t.headers) req.set(name, value);
  req.body() = body;
  req.prepare_payload();
  http_client::Options options;
  options.timeout = timeout;
  options.limits.max_body = kMaxReplyBytes;
  options.tls = t.tls;
  auto res = co_await http_client::fetch(t.shown, t.url, req, options);
  if (!res) co_return res.error();
  co_return PostReply{res->status, std::move(res->body)};
}

asio::awaitable<DeliveryReport> postWithRetries(const HttpTarget& target, const std::string& body,
                                             std::string_view content_type,
                                             const RetryPolicy& policy) {
  auto ex = co_await asio::this_coro::executor;
  DeliveryReport out;
  Millis backoff = policy.backoff_initial;
  std::string last;
  ErrorKind last_kind = ErrorKind::kUnreachable;
  const int attempts = 1 + std::max(0, policy.retries);
  for (int attempt = 1; attempt <= attempts; ++attempt) {
    out.attempts = attempt;
    auto reply = co_await postOnce(target, body, content_type, policy.timeout);
    if (reply) {
      const int status = reply->status;
      out.http_status = status;
      if (status >= 200 && status < 300) co_return out;
      std::string excerpt = scrubbed(target, reply->body);
      last = "HTTP " + std::to_string(status) + (excerpt.empty() ? "" : ": " + excerpt);
      last_kind = ErrorKind::kUnreachable;  // the receiver is there but not taking alerts
      if (status < 500 && status != 429) {
        out.status = Error::make(ErrorKind::kBadRequest,
                                 "POST " + target.shown + " was refused with " + last +
                                     " (not retried: check the URL, the headers and the "
                                     "receiver's format)",
                                 status);
        co_return out;
      }
    } else {
      out.http_status = 0;
      last = reply.error().message;
      last_kind = reply.error().kind;
      if (last_kind == ErrorKind::kConfig) {  // a refused certificate: repeating cannot help
        out.status = Error::make(last_kind, last + " (not retried)");
        co_return out;
      }
    }
    if (attempt == attempts) break;
    asio::steady_timer wait(ex, backoff);
    co_await wait.async_wait(asio::as_tuple(asio::use_awaitable));
    backoff = std::min(backoff * 2, policy.backoff_max);
  }
  out.status = Error::make(last_kind, "POST " + target.shown + " failed after " +
                                          std::to_string(attempts) + " attempt(s); last: " + last);
  co_return out;
}

asio::awaitable<Status> postJsonWithRetries(const HttpTarget& target, const std::string& body,
                                            const RetryPolicy& policy) {
  auto outcome = co_await postWithRetries(target, body, "application/json", policy);
  co_return outcome.status;
}

}  // namespace medic::alerts
