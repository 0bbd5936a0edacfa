#include "docker/engine_client.h"

#include <signal.h>
#include <sys/types.h>
#include <unistd.h>

#include <array>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/basic_stream.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <functional>
#include <iterator>
#include <mutex>
#include <optional>
#include <string_view>
#include <utility>

#include "core/log.h"
#include "docker/json_mapping.h"
#include "docker/spec.h"

namespace medic::docker {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using nlohmann::json;

namespace {

constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t kMaxHeaderBytes = std::size_t{64} * 1024;
constexpr std::size_t kMaxBodyBytes = std::size_t{32} * 1024 * 1024;
constexpr std::size_t kMaxErrorBodyBytes = std::size_t{64} * 1024;
constexpr std::size_t kMaxExecOutputBytes = std::size_t{64} * 1024;
constexpr std::size_t kMaxEventLineBytes = std::size_t{1024} * 1024;

using UnixStream = beast::basic_stream<asio::local::stream_protocol, asio::any_io_executor,
                                       beast::unlimited_rate_policy>;
using TcpStream = beast::tcp_stream;

/// Receives 2xx body bytes as they arrive; an error aborts the exchange.
using BodySink = std::function<Status(std::string_view)>;

/// One HTTP request/response on a fresh connection.
struct Exchange {
  http::verb verb = http::verb::get;
  std::string target;               ///< path and query, already encoded
  std::optional<std::string> body;  ///< JSON text
  Millis deadline{10'000};
  /// Streams (events): the deadline covers connect and response headers only.
  bool deadline_headers_only = false;
  std::string accept;  ///< Accept header, when the answer's format must be chosen
  /// Where a 2xx body goes; without one it is collected (bounded) into Reply::body.
  BodySink sink;

  std::string describe() const {
    std::string path = target.substr(0, target.find('?'));
    return std::string(http::to_string(verb)) + " " + path;
  }
};

struct Reply {
  unsigned status = 0;
  std::string body;
  std::string api_version;  ///< the engine's API-Version header (its maximum), "" when absent
};

std::string jsonText(const json& doc) {
  return doc.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string segment(std::string_view id) {
  return urlEncode(id);
}

Error connectError(const EngineAddress& address, const boost::system::error_code& ec,
                   Millis deadline) {
  std::string where = address.display();
  if (ec == beast::error::timeout) {
    return Error::make(ErrorKind::kTimeout, "cannot connect to the Docker engine at " + where +
                                                ": no answer within " +
                                                std::to_string(deadline.count()) +
                                                " ms — is dockerd running and responsive?");
  }
  std::string hint = " — is dockerd running? (sudo systemctl start docker)";
  if (ec == boost::system::errc::permission_denied) {
    hint = " — run medic as root or as a member of the docker group";
  }
  return Error::make(ErrorKind::kUnreachable, "cannot connect to the Docker engine at " + where +
                                                  ": " + ec.message() + hint);
}

Error transportError(const EngineAddress& address, const Exchange& ex,
                     const boost::system::error_code& ec) {
  if (ec == beast::error::timeout) {
    return Error::make(ErrorKind::kTimeout,
                       ex.describe() + ": no complete answer from the Docker engine at " +
                           address.display() + " within " + std::to_string(ex.deadline.count()) +
                           " ms — the engine may be overloaded or hung; retry later");
  }
  // A malformed answer (any HTTP parse error but a cut-off message) is the engine's fault.
  const bool parse_error =
      ec.category() == http::make_error_code(http::error::bad_target).category() &&
      ec != http::error::partial_message && ec != http::error::end_of_stream;
  if (parse_error) {
    return Error::make(ErrorKind::kEngine, ex.describe() + ": unreadable answer from the Docker " +
                                               "engine at " + address.display() + ": " +
                                               ec.message());
  }
  return Error::make(ErrorKind::kUnreachable, ex.describe() + ": the connection to the Docker " +
                                                  "engine at " + address.display() + " failed: " +
                                                  ec.message() + " — is dockerd restarting?");
}

Error httpError(unsigned status, std::string_view body, const std::string& what) {
  ErrorKind kind = ErrorKind::kEngine;
  if (status == 400) kind = ErrorKind::kBadRequest;
  if (status == 404) kind = ErrorKind::kNotFound;
  if (status == 409) kind = ErrorKind::kConflict;
  return Error::make(kind, what + ": HTTP " + std::to_string(status) + ": " + engineMessage(body),
                     static_cast<int>(status));
}

/// Writes the request and reads the answer on a connected stream whose deadline is running.
template <class Stream>
asio::awaitable<Result<Reply>> converse(Stream& stream, const EngineAddress& address,
                                        Exchange& ex) {
  http::request<http::string_body> req{ex.verb, ex.target, 11};
  req.set(http::field::host, "docker");
  req.set(http::field::user_agent, "medic/" MEDIC_VERSION);
  req.set(http::field::connection, "close");
  if (!ex.accept.empty()) req.set(http::field::accept, ex.accept);
  if (ex.body) {
    req.set(http::field::content_type, "application/json");
    req.body() = *ex.body;
  }
  req.prepare_payload();
  auto [write_ec, written] = co_await http::async_write(stream, req, kNoThrow);
  if (write_ec) co_return transportError(address, ex, write_ec);

  beast::flat_buffer buffer;
  http::response_parser<http::buffer_body> parser;
  parser.header_limit(static_cast<std::uint32_t>(kMaxHeaderBytes));
  parser.body_limit(boost::none);  // bounded below, per kind of response
  auto [header_ec, header_bytes] =
      co_await http::async_read_header(stream, buffer, parser, kNoThrow);
  if (header_ec) co_return transportError(address, ex, header_ec);

  Reply reply;
  reply.status = parser.get().result_int();
  reply.api_version = std::string(parser.get()["API-Version"]);
  const bool success = reply.status < 400;
  if (success && ex.deadline_headers_only) stream.expires_never();
  std::array<char, 16 * 1024> chunk;
  while (!parser.is_done()) {
    parser.get().body().data = chunk.data();
    parser.get().body().size = chunk.size();
    auto [read_ec, read_bytes] = co_await http::async_read_some(stream, buffer, parser, kNoThrow);
    if (read_ec == http::error::need_buffer) read_ec = {};
    std::size_t got = chunk.size() - parser.get().body().size;
    if (got > 0) {
      std::string_view piece(chunk.data(), got);
      if (success && ex.sink) {
        Status st = ex.sink(piece);
        if (!st) co_return st.error();
      } else if (!success) {
        // Keep what fits of an error body: its message is what matters.
        std::size_t room = kMaxErrorBodyBytes - std::min(kMaxErrorBodyBytes, reply.body.size());
        reply.body.append(piece.substr(0, room));
        if (reply.body.size() >= kMaxErrorBodyBytes) break;
      } else {
        if (reply.body.size() + got > kMaxBodyBytes) {
          co_return Error::make(ErrorKind::kEngine,
                                ex.describe() + ": the Docker engine's answer exceeds " +
                                    std::to_string(kMaxBodyBytes >> 20) + " MiB; refusing it");
        }
        reply.body.append(piece);
      }
    }
    if (read_ec) co_return transportError(address, ex, read_ec);
  }
  co_return reply;
}

}  // namespace

struct EngineClient::Impl {
  asio::any_io_executor executor;
  Result<EngineAddress> address;
  Millis timeout;
  /// The version fixed by DOCKER_API_VERSION ("" = negotiate), or why it is unusable.
  Result<std::string> fixed;
  mutable std::mutex mutex;
  // Guarded by mutex:
  std::string api_version;  ///< spoken; "" before negotiation
  std::string engine_min;   ///< the engine's range as last learnt ("" = unknown)
  std::string engine_max;

  Impl(asio::any_io_executor ex, std::string_view text, Millis t, std::string_view fixed_version)
      : executor(std::move(ex)),
        address(parseEngineAddress(text)),
        timeout(t),
        fixed(fixed_version.empty() ? Result<std::string>(std::string())
                                    : parseFixedApiVersion(fixed_version)) {
    if (fixed && !fixed->empty()) api_version = *fixed;
  }

  std::string negotiated() const {
    std::lock_guard lock(mutex);
    return api_version;
  }
  bool pinned() const { return fixed && !fixed->empty(); }

  /// Adopts the engine's range [min, max] (min may be ""): the version spoken becomes
  /// min(max, ours). Logs a change of version after the first choice (an engine upgrade).
  Result<std::string> adopt(std::string min, std::string max) {
    auto chosen = negotiateApiVersion(max, min);
    if (!chosen) return chosen.error();
    std::lock_guard lock(mutex);
    if (!api_version.empty() && api_version != *chosen) {
      spdlog::info("Docker engine API range is now {}{}; speaking {} instead of {}",
                   min.empty() ? "up to " : min + " to ", max, *chosen, api_version);
    }
    engine_min = std::move(min);
    engine_max = std::move(max);
    api_version = *chosen;
    return chosen;
  }

  /// A fresh connection, the exchange, and the connection closed again.
  asio::awaitable<Result<Reply>> perform(Exchange ex) {
    if (!address) co_return address.error();
    if (!fixed) co_return fixed.error();
    const EngineAddress& where = address.value();
    if (where.kind == EngineAddress::Kind::kUnix) {
      UnixStream stream(executor);
      stream.expires_after(ex.deadline);
      auto [ec] = co_await stream.async_connect(asio::local::stream_protocol::endpoint(where.path),
                                                kNoThrow);
      if (ec) co_return connectError(where, ec, ex.deadline);
      co_return co_await converse(stream, where, ex);
    }
    TcpStream stream(executor);
    stream.expires_after(ex.deadline);
    asio::ip::tcp::resolver resolver(executor);
    auto [resolve_ec, endpoints] =
        co_await resolver.async_resolve(where.host, std::to_string(where.port), kNoThrow);
    if (resolve_ec) co_return connectError(where, resolve_ec, ex.deadline);
    auto [ec, endpoint] = co_await stream.async_connect(endpoints, kNoThrow);
    if (ec) co_return connectError(where, ec, ex.deadline);
    co_return co_await converse(stream, where, ex);
  }

  /// GET /version (unversioned), and negotiation from its ApiVersion and MinAPIVersion (unless
  /// DOCKER_API_VERSION fixes the version).
  asio::awaitable<Result<VersionInfo>> fetchVersion() {
    Exchange ex;
    ex.target = "/version";
    ex.deadline = timeout;
    auto reply = co_await perform(std::move(ex));
    if (!reply) co_return reply.error();
    if (reply->status >= 300) co_return httpError(reply->status, reply->body, "GET /version");
    auto doc = parseJsonBody(reply->body);
    if (!doc) co_return doc.error();
    auto info = versionInfoFromJson(*doc);
    if (!info) co_return info.error();
    if (pinned()) {
      info->negotiated = *fixed;
      co_return info;
    }
    auto chosen = adopt(info->min_api_version, info->api_version);
    if (!chosen) co_return chosen.error();
    info->negotiated = *chosen;
    co_return info;
  }

  /// GET /_ping (unversioned). Its API-Version header, when present and not fixed by
  /// DOCKER_API_VERSION, (re)sets the version spoken: an engine upgraded or downgraded behind
  /// a reconnect is followed.
  asio::awaitable<Result<Reply>> fetchPing() {
    Exchange ex;
    ex.target = "/_ping";
    ex.deadline = timeout;
    auto reply = co_await perform(std::move(ex));
    if (!reply) co_return reply.error();
    if (!pinned() && !reply->api_version.empty()) {
      std::string min;
      {
        std::lock_guard lock(mutex);
        // The minimum is not in the ping; keep what /version or a refusal said, while the
        // maximum is the same engine's.
        if (engine_max == reply->api_version) min = engine_min;
      }
      auto chosen = adopt(min, reply->api_version);
      if (!chosen) {
        // No overlap: name the engine's full range when /version gives it.
        if (min.empty()) {
          auto info = co_await fetchVersion();
          if (!info) co_return info.error();
        }
        co_return chosen.error();
      }
    }
    co_return reply;
  }

  /// The version to speak, negotiating on first use like the docker CLI: from the engine's
  /// /_ping API-Version header, else from GET /version.
  asio::awaitable<Result<std::string>> ensureVersion() {
    std::string known = negotiated();
    if (!known.empty()) co_return known;
    auto ping = co_await fetchPing();
    if (!ping) co_return ping.error();
    known = negotiated();
    if (!known.empty()) co_return known;
    auto info = co_await fetchVersion();
    if (!info) co_return info.error();
    co_return info->negotiated;
  }

  /// The engine refused `used` (a 400 naming its own limit): adopts the limit when it lies in
  /// our range. Error naming both ranges when it does not, or when the version is fixed.
  Status adoptRefusal(const VersionRefusal& refusal, const std::string& used,
                      const std::string& message) {
    if (pinned()) {
      return Error::make(ErrorKind::kEngine,
                         "the Docker engine refuses API " + used +
                             " (set by DOCKER_API_VERSION): " + message +
                             " — unset DOCKER_API_VERSION to let medic negotiate, or set a "
                             "version the engine accepts");
    }
    std::string min, max;
    {
      std::lock_guard lock(mutex);
      min = engine_min;
      max = engine_max;
    }
    if (refusal.too_old) {
      min = refusal.supported;
      if (!max.empty() && compareApiVersions(max, min) < 0) max.clear();
      if (compareApiVersions(min, kMaxApiVersion) > 0) {
        return Error::make(ErrorKind::kEngine, apiMismatchMessage(min, max));
      }
      // Speak the minimum it names: the one version it is known to accept (what it advertised
      // was stale, or it would not have refused).
      std::lock_guard lock(mutex);
      spdlog::warn("the Docker engine refuses API {} (minimum {}); speaking {}", used, min, min);
      engine_min = min;
      engine_max = max;
      api_version = min;
      return okStatus();
    }
    max = refusal.supported;
    if (!min.empty() && compareApiVersions(min, max) > 0) min.clear();
    auto chosen = adopt(min, max);
    if (!chosen) return chosen.error();
    spdlog::warn("the Docker engine refuses API {} (maximum {}); speaking {}", used, max, *chosen);
    return okStatus();
  }

  /// `ex` sent to the versioned `path` ("/containers/json?all=1"). An answer refusing the
  /// version (HTTP 400, "client version X is too old/new ...") re-negotiates to the limit it
  /// names and is retried once.
  asio::awaitable<Result<Reply>> performVersioned(Exchange ex, const std::string& path) {
    for (int attempt = 0;; ++attempt) {
      auto version = co_await ensureVersion();
      if (!version) co_return version.error();
      Exchange request = ex;
      request.target = "/v" + *version + path;
      auto reply = co_await perform(std::move(request));
      if (!reply || reply->status != 400 || attempt > 0) co_return reply;
      const std::string message = engineMessage(reply->body);
      auto refusal = parseVersionRefusal(message);
      if (!refusal) co_return reply;
      if (auto adopted = adoptRefusal(*refusal, *version, message); !adopted) {
        co_return adopted.error();
      }
    }
  }

  /// A versioned request with the client deadline (or `deadline`); >= 400 becomes an Error.
  asio::awaitable<Result<Reply>> call(http::verb verb, std::string path,
                                      std::optional<json> body = std::nullopt,
                                      std::optional<Millis> deadline = std::nullopt) {
    Exchange ex;
    ex.verb = verb;
    ex.target = path;
    if (body) ex.body = jsonText(*body);
    ex.deadline = deadline.value_or(timeout);
    std::string what = ex.describe();
    auto reply = co_await performVersioned(std::move(ex), path);
    if (!reply) co_return reply.error();
    if (reply->status >= 400) co_return httpError(reply->status, reply->body, what);
    co_return reply;
  }

  asio::awaitable<Result<json>> callJson(http::verb verb, std::string path,
                                         std::optional<json> body = std::nullopt,
                                         std::optional<Millis> deadline = std::nullopt) {
    auto reply = co_await call(verb, std::move(path), std::move(body), deadline);
    if (!reply) co_return reply.error();
    co_return parseJsonBody(reply->body);
  }

  asio::awaitable<Status> callOk(http::verb verb, std::string path,
                                 std::optional<json> body = std::nullopt,
                                 std::optional<Millis> deadline = std::nullopt) {
    auto reply = co_await call(verb, std::move(path), std::move(body), deadline);
    if (!reply) co_return reply.error();
    co_return Ok{};
  }

  asio::awaitable<void> sleep(Millis d) {
    asio::steady_timer timer(executor, d);
    co_await timer.async_wait(kNoThrow);
  }
};

EngineClient::EngineClient(asio::any_io_executor executor, std::string_view address, Millis timeout,
                           std::string_view fixed_api_version)
    : impl_(std::make_shared<Impl>(std::move(executor), address, timeout, fixed_api_version)) {}

EngineClient::~EngineClient() = default;

const Error* EngineClient::addressError() const {
  if (!impl_->address) return &impl_->address.error();
  return impl_->fixed ? nullptr : &impl_->fixed.error();
}

std::string EngineClient::apiVersion() const {
  return impl_->negotiated();
}

Task<VersionInfo> EngineClient::version() {
  auto impl = impl_;
  co_return co_await impl->fetchVersion();
}

Task<Ok> EngineClient::ping() {
  auto impl = impl_;
  auto reply = co_await impl->fetchPing();
  if (!reply) co_return reply.error();
  if (reply->status >= 400) co_return httpError(reply->status, reply->body, "GET /_ping");
  co_return Ok{};
}

Task<std::vector<ContainerSummary>> EngineClient::listContainers(ListOptions options) {
  auto impl = impl_;
  std::string path = std::string("/containers/json?all=") + (options.all ? "1" : "0");
  if (!options.labels.empty() || !options.names.empty()) {
    path += "&filters=" +
            urlEncode(encodeFilters({{"label", options.labels}, {"name", options.names}}));
  }
  auto doc = co_await impl->callJson(http::verb::get, std::move(path));
  if (!doc) co_return doc.error();
  co_return containerSummariesFromJson(*doc);
}

Task<ContainerInfo> EngineClient::inspectContainer(std::string id_or_name) {
  auto impl = impl_;
  auto doc =
      co_await impl->callJson(http::verb::get, "/containers/" + segment(id_or_name) + "/json");
  if (!doc) co_return doc.error();
  co_return containerInfoFromJson(*doc);
}

Task<std::string> EngineClient::createContainer(ContainerSpec spec) {
  auto impl = impl_;
  auto api = co_await impl->ensureVersion();
  if (!api) co_return api.error();
  std::string path = "/containers/create";
  if (!spec.name.empty()) path += "?name=" + urlEncode(spec.name);
  CreateRequest request = createRequestFor(spec.body, *api);
  auto doc = co_await impl->callJson(http::verb::post, path, request.body);
  if (!doc && impl->negotiated() != *api) {
    // The engine made us change version during the call (it refused the one the body was
    // fitted to): fit it again for the version now spoken.
    request = createRequestFor(spec.body, impl->negotiated());
    doc = co_await impl->callJson(http::verb::post, path, request.body);
  }
  if (!doc) co_return doc.error();
  for (const auto& note : request.dropped) {
    spdlog::warn("creating {}: API {} cannot carry {}; left out", spec.name, impl->negotiated(),
                 note);
  }
  std::string id = doc->is_object() ? doc->value("Id", std::string()) : std::string();
  if (id.empty()) {
    co_return Error::make(ErrorKind::kEngine,
                          "POST /containers/create: the Docker engine returned no container id");
  }
  for (auto& [network, endpoint] : request.connect_after) {
    json connect = {{"Container", id}, {"EndpointConfig", endpoint}};
    auto connected = co_await impl->callOk(
        http::verb::post, "/networks/" + segment(network) + "/connect", std::move(connect));
    if (!connected) {
      // Leave nothing half made: a retry must not meet a name conflict.
      auto removed =
          co_await impl->callOk(http::verb::delete_, "/containers/" + segment(id) + "?force=1");
      if (!removed)
        spdlog::warn("could not remove half-created container {}: {}", id,
                     removed.error().describe());
      Error error = connected.error();
      error.message = "creating " + spec.name + ": connecting network " + network +
                      " failed, container removed again: " + error.message;
      co_return error;
    }
  }
  co_return id;
}

Task<Ok> EngineClient::startContainer(std::string id) {
  auto impl = impl_;
  co_return co_await impl->callOk(http::verb::post, "/containers/" + segment(id) + "/start");
}

Task<Ok> EngineClient::stopContainer(std::string id, std::chrono::seconds timeout) {
  auto impl = impl_;
  // The engine itself waits up to `timeout` before SIGKILL; our deadline must outlast that.
  Millis deadline = impl->timeout + std::chrono::duration_cast<Millis>(timeout);
  co_return co_await impl->callOk(
      http::verb::post, "/containers/" + segment(id) + "/stop?t=" + std::to_string(timeout.count()),
      std::nullopt, deadline);
}

Task<Ok> EngineClient::restartContainer(std::string id, std::chrono::seconds timeout) {
  auto impl = impl_;
  Millis deadline = impl->timeout + std::chrono::duration_cast<Millis>(timeout);
  co_return co_await impl->callOk(
      http::verb::post,
      "/containers/" + segment(id) + "/restart?t=" + std::to_string(timeout.count()), std::nullopt,
      deadline);
}

Task<Ok> EngineClient::killContainer(std::string id, std::string signal) {
  auto impl = impl_;
  std::string path = "/containers/" + segment(id) + "/kill";
  if (!signal.empty()) path += "?signal=" + urlEncode(signal);
  co_return co_await impl->callOk(http::verb::post, std::move(path));
}

Task<Ok> EngineClient::removeContainer(std::string id, bool force) {
  auto impl = impl_;
  // Never v=1: volumes outlive containers (DESIGN §4, "Volumes are never deleted").
  co_return co_await impl->callOk(http::verb::delete_,
                                  "/containers/" + segment(id) + "?force=" + (force ? "1" : "0"));
}

Task<Ok> EngineClient::renameContainer(std::string id, std::string new_name) {
  auto impl = impl_;
  co_return co_await impl->callOk(
      http::verb::post, "/containers/" + segment(id) + "/rename?name=" + urlEncode(new_name));
}

Task<Ok> EngineClient::pauseContainer(std::string id) {
  auto impl = impl_;
  co_return co_await impl->callOk(http::verb::post, "/containers/" + segment(id) + "/pause");
}

Task<Ok> EngineClient::unpauseContainer(std::string id) {
  auto impl = impl_;
  co_return co_await impl->callOk(http::verb::post, "/containers/" + segment(id) + "/unpause");
}

bool cgroupNamesContainer(std::string_view cgroup, std::string_view container_id) {
  // A full id only (64 hex digits): a prefix could name another container's cgroup.
  if (container_id.size() != 64 ||
      container_id.find_first_not_of("0123456789abcdef") != std::string_view::npos) {
    return false;
  }
  // cgroupfs: ".../docker/<id>"; systemd: ".../docker-<id>.scope"; both on v1 and v2.
  return cgroup.find(container_id) != std::string_view::npos;
}

bool processInContainer(int pid, const std::string& container_id) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/cgroup");
  if (!in) return false;
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return cgroupNamesContainer(text, container_id);
}

Task<ExecResult> EngineClient::exec(std::string id, std::vector<std::string> argv,
                                    std::chrono::milliseconds timeout) {
  auto impl = impl_;
  if (argv.empty()) {
    co_return Error::make(ErrorKind::kBadRequest, "exec in " + id + ": empty command (argv)");
  }
  json create = {{"AttachStdin", false},
                 {"AttachStdout", true},
                 {"AttachStderr", true},
                 {"Tty", false},
                 {"Cmd", argv}};
  auto created =
      co_await impl->callJson(http::verb::post, "/containers/" + segment(id) + "/exec", create);
  if (!created) co_return created.error();
  std::string exec_id = created->is_object() ? created->value("Id", std::string()) : std::string();
  if (exec_id.empty()) {
    co_return Error::make(ErrorKind::kEngine, "exec in " + id + ": the engine returned no exec id");
  }

  ExecStreamDemuxer demux(kMaxExecOutputBytes);
  const std::string start_path = "/exec/" + segment(exec_id) + "/start";
  Exchange start;
  start.verb = http::verb::post;
  start.target = start_path;
  start.body = R"({"Detach":false,"Tty":false})";
  start.deadline = timeout;
  start.sink = [&demux](std::string_view bytes) {
    demux.feed(bytes);
    return okStatus();
  };
  std::string what = start.describe();
  auto reply = co_await impl->performVersioned(std::move(start), start_path);

  ExecResult result;
  const bool timed_out = !reply && reply.error().kind == ErrorKind::kTimeout;
  if (!reply && !timed_out) co_return reply.error();
  if (reply && reply->status >= 400) co_return httpError(reply->status, reply->body, what);
  result.output = demux.output();
  result.timed_out = timed_out;

  // The exit code (or, after a timeout, the PID to kill) comes from exec inspect. The engine
  // records the exit a moment after the stream closes, so poll briefly.
  const std::string inspect_path = "/exec/" + segment(exec_id) + "/json";
  bool killed = false;
  const auto give_up = std::chrono::steady_clock::now() + impl->timeout;
  while (true) {
    auto info = co_await impl->callJson(http::verb::get, inspect_path);
    if (!info) co_return info.error();
    bool running = info->is_object() && info->value("Running", false);
    if (!running) {
      auto code = info->find("ExitCode");
      if (code != info->end() && code->is_number_integer()) {
        result.exit_code = timed_out ? -1 : code->get<int>();
        co_return result;
      }
    } else if (timed_out && !killed) {
      int pid = info->value("Pid", 0);
      // The engine reports the PID in its own PID namespace. It is medic's only when medic and
      // the engine share one (medic on the Docker host): the PID's cgroup names the container.
      // Otherwise (a remote engine, an engine in a container) that number is some other
      // process here, never to be killed: the exec runs on until it ends by itself.
      const std::string container = info->value("ContainerID", std::string());
      if (pid > 1 && !processInContainer(pid, container)) {
        spdlog::warn("exec {} in {} timed out after {} ms; its process (engine PID {}) is not in "
                     "medic's PID namespace, so it is left to end by itself",
                     argv.front(), id, timeout.count(), pid);
        result.exit_code = -1;
        co_return result;
      }
      if (pid > 1) {
        // runc starts every exec as a session and process-group leader: killing the group also
        // takes its children (a `sh -c` exec leaves no orphaned sleep behind).
        pid_t target = ::getpgid(pid) == pid ? -pid : pid;
        if (::kill(target, SIGKILL) != 0 && errno != ESRCH) {
          co_return Error::make(
              ErrorKind::kTimeout,
              "exec " + argv.front() + " in " + id + " timed out after " +
                  std::to_string(timeout.count()) + " ms and could not be killed (pid " +
                  std::to_string(pid) + "): " + std::strerror(errno) +
                  " — medic must run as root on the Docker host to kill timed-out execs");
        }
      }
      killed = true;
    }
    if (std::chrono::steady_clock::now() >= give_up) {
      if (timed_out) co_return result;  // killed; the engine has not caught up yet
      co_return Error::make(ErrorKind::kTimeout,
                            "exec " + argv.front() + " in " + id +
                                ": the engine did not report an exit code within " +
                                std::to_string(impl->timeout.count()) + " ms");
    }
    co_await impl->sleep(Millis(20));
  }
}

Task<Stats> EngineClient::stats(std::string id) {
  auto impl = impl_;
  // stream=false without one-shot: the engine takes a second sample ~1 s later, so precpu_stats
  // is filled (one-shot=true would answer at once with an empty precpu and no CPU figure).
  Millis deadline = impl->timeout + Millis(3000);
  auto doc =
      co_await impl->callJson(http::verb::get, "/containers/" + segment(id) + "/stats?stream=false",
                              std::nullopt, deadline);
  if (!doc) co_return doc.error();
  co_return statsFromJson(*doc);
}

Task<ImageInfo> EngineClient::inspectImage(std::string id_or_name) {
  auto impl = impl_;
  auto doc = co_await impl->callJson(http::verb::get, "/images/" + segment(id_or_name) + "/json");
  if (!doc) co_return doc.error();
  co_return imageInfoFromJson(*doc);
}

Task<NetworkInfo> EngineClient::inspectNetwork(std::string id_or_name) {
  auto impl = impl_;
  auto doc = co_await impl->callJson(http::verb::get, "/networks/" + segment(id_or_name));
  if (!doc) co_return doc.error();
  co_return networkInfoFromJson(*doc);
}

Task<std::string> EngineClient::createNetwork(json body) {
  auto impl = impl_;
  auto api = co_await impl->ensureVersion();
  if (!api) co_return api.error();
  // Duplicate names always fail from 1.44; the field is deprecated there.
  if (body.is_object() && compareApiVersions(*api, "1.44") >= 0) body.erase("CheckDuplicate");
  auto doc = co_await impl->callJson(http::verb::post, "/networks/create", std::move(body));
  if (!doc) co_return doc.error();
  std::string id = doc->is_object() ? doc->value("Id", std::string()) : std::string();
  if (id.empty()) {
    co_return Error::make(ErrorKind::kEngine,
                          "POST /networks/create: the Docker engine returned no network id");
  }
  co_return id;
}

Task<Ok> EngineClient::removeNetworkForTest(std::string id_or_name) {
  auto impl = impl_;
  co_return co_await impl->callOk(http::verb::delete_, "/networks/" + segment(id_or_name));
}

Task<Ok> EngineClient::streamEvents(EventOptions options, EventHandler on_event) {
  auto impl = impl_;
  std::string query =
      "?filters=" + urlEncode(encodeFilters({{"type", options.types}, {"label", options.labels}}));
  if (options.since) query += "&since=" + std::to_string(*options.since);
  if (options.until) query += "&until=" + std::to_string(*options.until);

  LineSplitter splitter(kMaxEventLineBytes);
  std::vector<std::string> lines;
  Exchange ex;
  const std::string path = "/events" + query;
  ex.target = path;
  ex.deadline = impl->timeout;
  ex.deadline_headers_only = true;
  // Newline-delimited JSON: API 1.52 may otherwise choose RFC 7464 sequences.
  ex.accept = "application/x-ndjson";
  ex.sink = [&](std::string_view bytes) -> Status {
    bool within_bound = splitter.feed(bytes, lines);
    for (auto& line : lines) {
      // An RFC 7464 record separator, should an engine send json-seq anyway.
      if (!line.empty() && line.front() == '\x1e') line.erase(0, 1);
      if (line.empty()) continue;
      auto doc = parseJsonBody(line);
      auto event = doc ? eventFromJson(*doc) : Result<Event>(doc.error());
      if (!event) {
        // One unreadable line is skipped, not fatal: the periodic resync covers what it said.
        spdlog::warn("skipping an unreadable Docker event: {}", event.error().describe());
        continue;
      }
      try {
        on_event(*event);
      } catch (const std::exception& e) {
        lines.clear();
        return Error::make(ErrorKind::kInternal,
                           std::string("the event handler threw: ") + e.what());
      }
    }
    lines.clear();
    if (!within_bound) {
      return Error::make(ErrorKind::kEngine, "GET /events: an event line exceeds " +
                                                 std::to_string(kMaxEventLineBytes >> 10) +
                                                 " KiB; dropping the stream");
    }
    return okStatus();
  };
  std::string what = ex.describe();
  auto reply = co_await impl->performVersioned(std::move(ex), path);
  // A cancelled stream ends normally: the caller asked it to stop. Nothing async may be awaited
  // after cancellation (it would throw), and checking the state is not an async operation.
  asio::cancellation_state state = co_await asio::this_coro::cancellation_state;
  if (state.cancelled() != asio::cancellation_type::none) co_return Ok{};
  if (!reply) co_return reply.error();
  if (reply->status >= 400) co_return httpError(reply->status, reply->body, what);
  co_return Ok{};
}

}  // namespace medic::docker
