#include <chrono>
#include <optional>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http.hpp>

#include "evidence/evidence.h"
#include "evidence/redact.h"
#include "http_client/client.h"
#include "http_client/tls.h"
#include "probes/address_policy.h"
#include "probes/probe.h"

namespace medic::probes {
namespace asio = boost::asio;
namespace http = boost::beast::http;
using asio::ip::tcp;
using namespace asio::experimental::awaitable_operators;

namespace {

constexpr size_t kBodyLimit = 1 << 20;  // bodies beyond 1 MiB are a failed probe, not a memory spike
constexpr size_t kExcerpt = 512;

/// Judges the answer: status and body against what the probe expects, the evidence in `out`.
void judge(const http::response<http::string_body>& res, ProbeOutcome& out,
           const config::ProbeConfig& probe) {
  const int status = static_cast<int>(res.result_int());
  const std::string& body = res.body();
  nlohmann::json headers = nlohmann::json::object();
  for (auto name : {http::field::content_type, http::field::content_length, http::field::server,
                    http::field::location}) {
    auto it = res.find(name);
    if (it != res.end()) headers[std::string(it->name_string())] = std::string(it->value());
  }
  out.data["status"] = status;
  out.data["headers"] = headers;
  out.data["body_excerpt"] = body.substr(0, kExcerpt);
  out.data["body_bytes"] = body.size();
  out.data["body_sha256"] = evidence::sha256Hex(body);

  const bool status_ok = status >= probe.expect_status_min && status <= probe.expect_status_max;
  const bool body_ok =
      !probe.body_contains || body.find(*probe.body_contains) != std::string::npos;
  out.ok = status_ok && body_ok;
  if (!status_ok) {
    out.summary = "HTTP " + std::to_string(status) + " (expected " +
                  std::to_string(probe.expect_status_min) + "-" +
                  std::to_string(probe.expect_status_max) + ")";
  } else if (!body_ok) {
    out.summary = "HTTP " + std::to_string(status) + " but body lacks \"" + *probe.body_contains + "\"";
  } else {
    out.summary = "HTTP " + std::to_string(status);
  }
}

asio::awaitable<void> attempt(const config::ProbeConfig& probe, const http_client::Url& t,
                              ProbeOutcome& out) {
  auto ex = co_await asio::this_coro::executor;
  try {
    tcp::resolver resolver(ex);
    auto endpoints = co_await resolver.async_resolve(t.host, t.port, asio::use_awaitable);
    std::vector<tcp::endpoint> allowed;
    for (const auto& e : endpoints) {
      auto why = refusedAddressReason(e.endpoint().address());
      if (why.empty()) {
        allowed.push_back(e.endpoint());
      } else {
        out.summary = "refused: " + t.host + " resolves to a " + why;
      }
    }
    if (allowed.empty()) {
      if (out.summary.empty()) out.summary = "cannot resolve " + t.host;
      co_return;
    }
    out.data["address"] = allowed.front().address().to_string();
    auto req = http_client::makeRequest(http::verb::get, t, "medic-probe/" MEDIC_VERSION);
    for (const auto& [name, value] : probe.headers) req.set(name, value);
    http_client::ResponseParser parser;
    parser.body_limit(kBodyLimit);
    parser.header_limit(16 * 1024);
    std::optional<asio::ssl::context> tls;
    if (t.tls) {
      tls.emplace(asio::ssl::context::tls_client);
      if (auto st = http_client::configureTls(*tls); !st) {
        out.summary = st.error().message;
        out.data["error"] = out.summary;
        co_return;
      }
    }
    if (auto failed = co_await http_client::exchange(t, allowed, tls ? &*tls : nullptr, req, parser)) {
      out.ok = false;
      out.summary = failed->describe(t);
      out.data["error"] = out.summary;
      co_return;
    }
    judge(parser.get(), out, probe);
  } catch (const boost::system::system_error& e) {
    out.ok = false;
    out.summary = e.code().message();
    out.data["error"] = e.code().message();
  }
}

}  // namespace

asio::awaitable<ProbeOutcome> runHttpProbe(const config::ProbeConfig& probe) {
  ProbeOutcome out;
  out.data = {{"url", probe.url}, {"timeout_ms", probe.timeout.count()}};
  // What was sent, as evidence; makeEvidence redacts Authorization, Cookie and other secret names.
  if (!probe.headers.empty()) out.data["request_headers"] = probe.headers;
  auto target = http_client::parseUrl(probe.url);
  if (!target) {
    out.summary = target.error().message;
    out.data["error"] = out.summary;
    co_return out;
  }
  auto ex = co_await asio::this_coro::executor;
  asio::steady_timer deadline(ex, probe.timeout);
  const auto started = std::chrono::steady_clock::now();
  auto winner = co_await (attempt(probe, *target, out) ||
                          deadline.async_wait(asio::as_tuple(asio::use_awaitable)));
  out.latency = std::chrono::duration_cast<Millis>(std::chrono::steady_clock::now() - started);
  if (winner.index() == 1) {
    out.ok = false;
    out.timed_out = true;
    out.summary = "timed out after " + std::to_string(probe.timeout.count()) + " ms";
    out.data["error"] = "timeout";
  } else if (out.ok) {
    out.summary += " in " + std::to_string(out.latency.count()) + " ms";
  }
  out.data["ok"] = out.ok;
  out.data["latency_ms"] = out.latency.count();
  co_return out;
}

std::string describeProbe(const config::ProbeConfig& probe) {
  if (!probe.name.empty()) return probe.name;
  switch (probe.kind) {
    // A name is shown in the status, metrics and logs: never with a password from the URL.
    case config::ProbeKind::kHttp: return "http " + evidence::redactText(probe.url);
    case config::ProbeKind::kTcp: return "tcp " + probe.address;
    case config::ProbeKind::kExec: return "exec";
    case config::ProbeKind::kCommand: return "command";
    case config::ProbeKind::kDocker: return "docker health";
  }
  return "probe";
}

}  // namespace medic::probes
