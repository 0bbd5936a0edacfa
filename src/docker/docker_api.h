#pragma once
/// The one boundary between medic and the Docker engine. Everything above this interface (checks,
/// supervisor shell, deploy guard) depends on it alone, so tests substitute a recording fake and
/// every other test runs against the real engine through EngineClient.
///
/// Contract for every call: it completes on the caller's executor, it has a deadline (the client's
/// configured timeout unless stated), it never throws, and an error carries the engine's own
/// message. Calls are independent: any number may be in flight at once.

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "core/result.h"
#include "docker/types.h"

namespace medic::docker {

template <class T>
using Task = boost::asio::awaitable<Result<T>>;

struct ListOptions {
  bool all = true;                   ///< include stopped containers
  std::vector<std::string> labels;   ///< label filters: "key" or "key=value"
  std::vector<std::string> names;    ///< name filters
};

struct EventOptions {
  std::optional<int64_t> since;   ///< unix seconds; resume point after a reconnect
  std::optional<int64_t> until;   ///< stream ends at this time (tests)
  std::vector<std::string> types = {"container"};
  std::vector<std::string> labels;
};

/// Called for every event on the stream, in order, on the caller's executor.
using EventHandler = std::function<void(const Event&)>;

class DockerApi {
 public:
  virtual ~DockerApi() = default;

  /// GET /version. Also performs API version negotiation on the first call.
  virtual Task<VersionInfo> version() = 0;
  /// GET /_ping
  virtual Task<Ok> ping() = 0;

  virtual Task<std::vector<ContainerSummary>> listContainers(ListOptions options) = 0;
  /// kNotFound when no such container.
  virtual Task<ContainerInfo> inspectContainer(std::string id_or_name) = 0;
  /// POST /containers/create?name=...; returns the new id. kConflict when the name is taken.
  virtual Task<std::string> createContainer(ContainerSpec spec) = 0;
  virtual Task<Ok> startContainer(std::string id) = 0;
  /// timeout: seconds the engine waits after SIGTERM before SIGKILL.
  virtual Task<Ok> stopContainer(std::string id, std::chrono::seconds timeout) = 0;
  virtual Task<Ok> restartContainer(std::string id, std::chrono::seconds timeout) = 0;
  virtual Task<Ok> killContainer(std::string id, std::string signal) = 0;
  /// Never removes volumes.
  virtual Task<Ok> removeContainer(std::string id, bool force) = 0;
  virtual Task<Ok> renameContainer(std::string id, std::string new_name) = 0;
  virtual Task<Ok> pauseContainer(std::string id) = 0;
  virtual Task<Ok> unpauseContainer(std::string id) = 0;
  /// Runs argv inside the container (no shell). On timeout the result has timed_out = true; the
  /// process is killed (its PID from exec inspect) and reaped.
  virtual Task<ExecResult> exec(std::string id, std::vector<std::string> argv,
                                std::chrono::milliseconds timeout) = 0;
  /// One-shot stats (stream=false).
  virtual Task<Stats> stats(std::string id) = 0;

  virtual Task<ImageInfo> inspectImage(std::string id_or_name) = 0;
  virtual Task<NetworkInfo> inspectNetwork(std::string id_or_name) = 0;
  /// body as for POST /networks/create; returns the id.
  virtual Task<std::string> createNetwork(nlohmann::json body) = 0;

  /// GET /events: streams until the engine closes it, `until` passes, an error occurs, or the
  /// coroutine is cancelled. Returns the error that ended it (Ok when it ended normally). No
  /// deadline applies to the stream itself, only to connecting and to the response headers.
  virtual Task<Ok> streamEvents(EventOptions options, EventHandler on_event) = 0;
};

}  // namespace medic::docker
