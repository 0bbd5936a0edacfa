#include "api_floor_proxy.h"

#include <stdlib.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <future>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string_view>

namespace medic::test {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using nlohmann::json;
using Socket = asio::local::stream_protocol::socket;

namespace {

constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);

struct Version {
  long major = 0;
  long minor = 0;
};

/// "1.44" -> {1, 44}; nullopt otherwise. The proxy's own parser, independent of medic's.
std::optional<Version> parseVersion(std::string_view text) {
  auto dot = text.find('.');
  if (dot == std::string_view::npos) return std::nullopt;
  Version v;
  auto a = std::from_chars(text.data(), text.data() + dot, v.major);
  auto b = std::from_chars(text.data() + dot + 1, text.data() + text.size(), v.minor);
  if (a.ec != std::errc() || a.ptr != text.data() + dot || b.ec != std::errc() ||
      b.ptr != text.data() + text.size()) {
    return std::nullopt;
  }
  return v;
}

bool lessThan(const Version& a, const Version& b) {
  return a.major != b.major ? a.major < b.major : a.minor < b.minor;
}

enum class Kind { kPing, kVersion, kEvents, kInspect, kRelay };

Kind kindOf(std::string_view route) {
  if (route == "/_ping") return Kind::kPing;
  if (route == "/version") return Kind::kVersion;
  if (route == "/events") return Kind::kEvents;
  // /containers/{id}/json (not /containers/json, the list)
  if (route.starts_with("/containers/") && route.ends_with("/json") &&
      route != "/containers/json") {
    return Kind::kInspect;
  }
  return Kind::kRelay;
}

/// Docker 29 at API 1.52 leaves these out of a container inspect.
void shapeInspectLike152(json& doc) {
  if (!doc.is_object()) return;
  if (auto ns = doc.find("NetworkSettings"); ns != doc.end() && ns->is_object()) {
    for (const char* key :
         {"Bridge", "HairpinMode", "LinkLocalIPv6Address", "LinkLocalIPv6PrefixLen",
          "SecondaryIPAddresses", "SecondaryIPv6Addresses", "EndpointID", "Gateway",
          "GlobalIPv6Address", "GlobalIPv6PrefixLen", "IPAddress", "IPPrefixLen", "IPv6Gateway",
          "MacAddress"}) {
      ns->erase(key);
    }
  }
  if (auto config = doc.find("Config"); config != doc.end() && config->is_object()) {
    config->erase("MacAddress");
  }
  if (auto host = doc.find("HostConfig"); host != doc.end() && host->is_object()) {
    host->erase("KernelMemory");
    host->erase("KernelMemoryTCP");
  }
}

/// Docker 29 at API 1.52 sends events without the fields deprecated since API 1.22.
std::string shapeEventLike152(const std::string& line) {
  json doc = json::parse(line, nullptr, false);
  if (!doc.is_object()) return line;
  doc.erase("status");
  doc.erase("id");
  doc.erase("from");
  return doc.dump();
}

std::string chunk(std::string_view data) {
  char size[32];
  std::snprintf(size, sizeof size, "%zx\r\n", data.size());
  return std::string(size) + std::string(data) + "\r\n";
}

}  // namespace

struct ApiFloorProxy::State {
  Options options;
  Version min;
  Version max;
  std::string upstream_version;
  mutable std::mutex mutex;
  std::vector<std::string> requests;
  std::atomic<std::size_t> refused{0};
  std::atomic<std::size_t> open{0};
  // Declared last, destroyed first: the sessions' frames die with the io_context while the
  // fields above (which they touch on the way out) still live.
  asio::io_context io;
  asio::local::stream_protocol::acceptor acceptor{io};
};

namespace {

using State = ApiFloorProxy::State;

/// GET /version from the real engine, with a deadline.
asio::awaitable<std::string> fetchUpstreamVersion(State* st) {
  Socket upstream(st->io);
  asio::steady_timer deadline(st->io, std::chrono::seconds(10));
  deadline.async_wait([&upstream](boost::system::error_code ec) {
    if (!ec) upstream.close();
  });
  auto [ec] = co_await upstream.async_connect(
      asio::local::stream_protocol::endpoint(st->options.upstream), kNoThrow);
  if (ec) co_return "";
  http::request<http::string_body> req{http::verb::get, "/version", 11};
  req.set(http::field::host, "docker");
  req.set(http::field::connection, "close");
  auto [write_ec, written] = co_await http::async_write(upstream, req, kNoThrow);
  if (write_ec) co_return "";
  beast::flat_buffer buffer;
  http::response<http::string_body> res;
  auto [read_ec, read] = co_await http::async_read(upstream, buffer, res, kNoThrow);
  deadline.cancel();
  if (read_ec) co_return "";
  json doc = json::parse(res.body(), nullptr, false);
  co_return doc.is_object() ? doc.value("ApiVersion", std::string()) : std::string();
}

asio::awaitable<void> writeAll(Socket& socket, const std::string& text) {
  co_await asio::async_write(socket, asio::buffer(text), kNoThrow);
}

/// A whole answer with a Content-Length.
std::string responseText(unsigned status, std::string_view reason, const std::string& headers,
                         const std::string& body) {
  return "HTTP/1.1 " + std::to_string(status) + " " + std::string(reason) + "\r\n" + headers +
         "Content-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
}

/// Relays the upstream body to the client as it arrives (re-chunked), events reshaped line by
/// line; closes the client at the end so the watcher of the client ends too.
asio::awaitable<void> relayStream(Socket& client, Socket& upstream, beast::flat_buffer& buffer,
                                  http::response_parser<http::buffer_body>& parser, Kind kind) {
  std::array<char, 16 * 1024> piece;
  std::string pending;
  bool ok = true;
  while (ok && !parser.is_done()) {
    parser.get().body().data = piece.data();
    parser.get().body().size = piece.size();
    auto [ec, n] = co_await http::async_read_some(upstream, buffer, parser, kNoThrow);
    if (ec == http::error::need_buffer) ec = {};
    std::size_t got = piece.size() - parser.get().body().size;
    std::string out;
    if (kind == Kind::kEvents) {
      pending.append(piece.data(), got);
      for (auto nl = pending.find('\n'); nl != std::string::npos; nl = pending.find('\n')) {
        out += shapeEventLike152(pending.substr(0, nl)) + "\n";
        pending.erase(0, nl + 1);
      }
    } else {
      out.assign(piece.data(), got);
    }
    if (!out.empty()) {
      const std::string framed = chunk(out);
      auto [write_ec, written] = co_await asio::async_write(client, asio::buffer(framed), kNoThrow);
      if (write_ec) ok = false;
    }
    if (ec) ok = false;
  }
  if (ok) {
    const std::string last = "0\r\n\r\n";
    co_await writeAll(client, last);
  }
  boost::system::error_code ignored;
  client.close(ignored);
  upstream.close(ignored);
}

/// Ends when the client closes its side (medic cancelling an event stream), closing the
/// upstream connection so the engine ends the stream too.
asio::awaitable<void> watchClient(Socket& client, Socket& upstream) {
  char byte = 0;
  co_await client.async_read_some(asio::buffer(&byte, 1), kNoThrow);
  boost::system::error_code ignored;
  upstream.close(ignored);
}

asio::awaitable<void> session(State* st, Socket client) {
  ++st->open;
  struct Done {
    State& st;
    ~Done() { --st.open; }
  } done{*st};

  beast::flat_buffer buffer;
  http::request_parser<http::string_body> request_parser;
  request_parser.body_limit(std::uint64_t{64} << 20);
  auto [read_ec, read] = co_await http::async_read(client, buffer, request_parser, kNoThrow);
  if (read_ec) co_return;
  http::request<http::string_body> req = request_parser.release();
  const std::string target(req.target());
  {
    std::lock_guard lock(st->mutex);
    st->requests.push_back(target);
  }

  // "/v1.52/containers/json?all=1" -> version "1.52", path "/containers/json?all=1"
  std::string version;
  std::string path = target;
  if (target.starts_with("/v")) {
    auto slash = target.find('/', 2);
    std::string candidate = target.substr(2, slash == std::string::npos ? std::string::npos
                                                                        : slash - 2);
    if (parseVersion(candidate)) {
      version = candidate;
      path = slash == std::string::npos ? "/" : target.substr(slash);
    }
  }
  const std::string advertised = "Api-Version: " + st->options.max +
                                 "\r\nServer: Docker/29.0.0 (linux)\r\nOstype: linux\r\n";
  if (!version.empty()) {
    const Version v = *parseVersion(version);
    std::string refusal;
    if (lessThan(v, st->min)) {
      refusal = "client version " + version + " is too old. Minimum supported API version is " +
                st->options.min + ", please upgrade your client to a newer version";
    } else if (lessThan(st->max, v)) {
      refusal = "client version " + version + " is too new. Maximum supported API version is " +
                st->options.max;
    }
    if (!refusal.empty()) {
      ++st->refused;
      const std::string body = json{{"message", refusal}}.dump() + "\n";
      const std::string answer = responseText(
          400, "Bad Request", advertised + "Content-Type: application/json\r\n", body);
      co_await writeAll(client, answer);
      co_return;
    }
  }
  const Kind kind = kindOf(path.substr(0, path.find('?')));

  Socket upstream(st->io);
  auto [connect_ec] = co_await upstream.async_connect(
      asio::local::stream_protocol::endpoint(st->options.upstream), kNoThrow);
  if (connect_ec) co_return;  // the client sees the connection close: engine gone
  req.target(version.empty() ? path : "/v" + st->upstream_version + path);
  req.set(http::field::connection, "close");
  req.prepare_payload();
  auto [write_ec, written] = co_await http::async_write(upstream, req, kNoThrow);
  if (write_ec) co_return;

  beast::flat_buffer upstream_buffer;
  http::response_parser<http::buffer_body> parser;
  parser.body_limit(boost::none);
  auto [header_ec, header_bytes] =
      co_await http::async_read_header(upstream, upstream_buffer, parser, kNoThrow);
  if (header_ec) co_return;
  const auto& head = parser.get();
  const unsigned status = head.result_int();
  std::string headers;
  for (const auto& field : head) {
    const auto name = field.name();
    if (name == http::field::content_length || name == http::field::transfer_encoding ||
        name == http::field::connection || name == http::field::server ||
        beast::iequals(field.name_string(), "Api-Version") ||
        beast::iequals(field.name_string(), "Ostype")) {
      continue;
    }
    const auto name_text = field.name_string();
    const auto value_text = field.value();
    headers += std::string(name_text.data(), name_text.size()) + ": " +
               std::string(value_text.data(), value_text.size()) + "\r\n";
  }
  std::string own = advertised;
  if (kind == Kind::kPing && !st->options.ping_header.empty()) {
    own = st->options.ping_header == "-"
              ? std::string("Server: Docker/29.0.0 (linux)\r\nOstype: linux\r\n")
              : "Api-Version: " + st->options.ping_header +
                    "\r\nServer: Docker/29.0.0 (linux)\r\nOstype: linux\r\n";
  }
  const auto reason = head.reason();
  const std::string status_line = "HTTP/1.1 " + std::to_string(status) + " " +
                                  std::string(reason.data(), reason.size()) + "\r\n";

  if (kind == Kind::kPing || kind == Kind::kVersion || kind == Kind::kInspect) {
    // Small answers: read whole, reshape, send with a length.
    std::string body;
    std::array<char, 16 * 1024> piece;
    while (!parser.is_done()) {
      parser.get().body().data = piece.data();
      parser.get().body().size = piece.size();
      auto [ec, n] = co_await http::async_read_some(upstream, upstream_buffer, parser, kNoThrow);
      if (ec == http::error::need_buffer) ec = {};
      body.append(piece.data(), piece.size() - parser.get().body().size);
      if (ec) co_return;
    }
    if (status == 200 && kind != Kind::kPing) {
      json doc = json::parse(body, nullptr, false);
      if (kind == Kind::kVersion && doc.is_object()) {
        doc["ApiVersion"] = st->options.max;
        doc["MinAPIVersion"] = st->options.min;
        if (auto components = doc.find("Components"); components != doc.end()) {
          for (auto& component : *components) {
            if (component.value("Name", "") != "Engine") continue;
            component["Details"]["ApiVersion"] = st->options.max;
            component["Details"]["MinAPIVersion"] = st->options.min;
          }
        }
      }
      if (kind == Kind::kInspect) shapeInspectLike152(doc);
      if (!doc.is_discarded()) body = doc.dump() + "\n";
    }
    const std::string answer = status_line + headers + own + "Content-Length: " +
                               std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" +
                               body;
    co_await writeAll(client, answer);
    co_return;
  }

  if (parser.is_done()) {
    // No body (204 No Content, 304 Not Modified, or an empty one).
    const bool bodyless = status == 204 || status == 304 || status < 200;
    const std::string answer = status_line + headers + own +
                               (bodyless ? "" : "Content-Length: 0\r\n") +
                               "Connection: close\r\n\r\n";
    co_await writeAll(client, answer);
    co_return;
  }
  const std::string head_text = status_line + headers + own +
                                "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n";
  co_await writeAll(client, head_text);
  using namespace asio::experimental::awaitable_operators;
  co_await (relayStream(client, upstream, upstream_buffer, parser, kind) ||
            watchClient(client, upstream));
}

asio::awaitable<void> acceptLoop(State* st) {
  while (true) {
    auto [ec, socket] = co_await st->acceptor.async_accept(kNoThrow);
    if (ec) co_return;
    asio::co_spawn(st->io, session(st, std::move(socket)), asio::detached);
  }
}

}  // namespace

ApiFloorProxy::ApiFloorProxy(Options options) : state_(std::make_unique<State>()) {
  state_->options = std::move(options);
  auto min = parseVersion(state_->options.min);
  auto max = parseVersion(state_->options.max);
  if (!min || !max) {
    error_ = "ApiFloorProxy: bad advertised range " + state_->options.min + ".." +
             state_->options.max;
    return;
  }
  state_->min = *min;
  state_->max = *max;
  std::string tmpl = "/tmp/medic-apifloor-XXXXXX";
  if (mkdtemp(tmpl.data()) == nullptr) {
    error_ = "ApiFloorProxy: mkdtemp failed";
    return;
  }
  dir_ = tmpl;
  socket_path_ = dir_ + "/docker.sock";

  auto version =
      asio::co_spawn(state_->io, fetchUpstreamVersion(state_.get()), asio::use_future);
  state_->io.run();
  state_->io.restart();
  upstream_version_ = version.get();
  if (upstream_version_.empty()) {
    error_ = "ApiFloorProxy: the real engine at " + state_->options.upstream +
             " did not answer GET /version";
    return;
  }
  state_->upstream_version = upstream_version_;

  boost::system::error_code ec;
  asio::local::stream_protocol::endpoint endpoint(socket_path_);
  state_->acceptor.open(endpoint.protocol(), ec);
  if (!ec) state_->acceptor.bind(endpoint, ec);
  if (!ec) state_->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    error_ = "ApiFloorProxy: cannot listen on " + socket_path_ + ": " + ec.message();
    return;
  }
  asio::co_spawn(state_->io, acceptLoop(state_.get()), asio::detached);
  thread_ = std::thread([st = state_.get()] { st->io.run(); });
}

ApiFloorProxy::~ApiFloorProxy() {
  state_->io.stop();
  if (thread_.joinable()) thread_.join();
  if (!dir_.empty()) {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
}

std::vector<std::string> ApiFloorProxy::requests() const {
  std::lock_guard lock(state_->mutex);
  return state_->requests;
}

std::size_t ApiFloorProxy::refusedCount() const {
  return state_->refused.load();
}

std::size_t ApiFloorProxy::openConnections() const {
  return state_->open.load();
}

}  // namespace medic::test
