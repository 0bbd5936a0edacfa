#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "probes/address_policy.h"
#include "probes/probe.h"

namespace medic::probes {
namespace asio = boost::asio;
using asio::ip::tcp;
using namespace asio::experimental::awaitable_operators;

namespace {

asio::awaitable<void> connectOnce(const std::string& host, const std::string& port,
                                  ProbeOutcome& out) {
  auto ex = co_await asio::this_coro::executor;
  tcp::resolver resolver(ex);
  auto [rerr, endpoints] =
      co_await resolver.async_resolve(host, port, asio::as_tuple(asio::use_awaitable));
  if (rerr) {
    out.summary = "cannot resolve " + host + ": " + rerr.message();
    co_return;
  }
  for (const auto& e : endpoints) {
    auto why = refusedAddressReason(e.endpoint().address());
    if (!why.empty()) {
      out.summary = "refused: ";
      out.summary.append(host).append(" resolves to a ").append(why);
      continue;
    }
    tcp::socket socket(ex);
    auto [cerr] = co_await socket.async_connect(e.endpoint(), asio::as_tuple(asio::use_awaitable));
    if (!cerr) {
      out.ok = true;
      out.summary = "connected to " + e.endpoint().address().to_string() + ":" + port;
      out.data["address"] = e.endpoint().address().to_string();
      co_return;
    }
    out.summary = "connect " + e.endpoint().address().to_string() + ":" + port + ": " +
                  cerr.message();
  }
}

}  // namespace

asio::awaitable<ProbeOutcome> runTcpProbe(const config::ProbeConfig& probe) {
  ProbeOutcome out;
  out.data = {{"address", probe.address}, {"timeout_ms", probe.timeout.count()}};
  auto colon = probe.address.rfind(':');
  if (colon == std::string::npos || colon == 0) {
    out.summary = "not host:port: " + probe.address;
    co_return out;
  }
  std::string host = probe.address.substr(0, colon);
  if (host.size() > 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
  const std::string port = probe.address.substr(colon + 1);
  auto ex = co_await asio::this_coro::executor;
  asio::steady_timer deadline(ex, probe.timeout);
  const auto started = std::chrono::steady_clock::now();
  auto winner = co_await (connectOnce(host, port, out) ||
                          deadline.async_wait(asio::as_tuple(asio::use_awaitable)));
  out.latency = std::chrono::duration_cast<Millis>(std::chrono::steady_clock::now() - started);
  if (winner.index() == 1) {
    out.ok = false;
    out.timed_out = true;
    out.summary = "timed out after " + std::to_string(probe.timeout.count()) + " ms";
  }
  out.data["ok"] = out.ok;
  out.data["latency_ms"] = out.latency.count();
  if (!out.ok) out.data["error"] = out.summary;
  co_return out;
}

}  // namespace medic::probes
