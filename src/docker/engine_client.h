#pragma once
/// EngineClient: the real DockerApi, HTTP/1.1 to the Docker engine over its unix socket or plain
/// TCP. Beast stays inside engine_client.cc; this header pulls in only Asio's executor.
///
/// Per call: a new connection (simple and robust: no stale keep-alive state after an engine
/// restart), one deadline covering connect, request and response (the constructor's timeout),
/// response headers bounded to 64 KiB and bodies to 32 MiB. Errors are classified values:
/// 400 kBadRequest, 404 kNotFound, 409 kConflict, other >= 400 kEngine (all carrying the engine's
/// own message), connect failure kUnreachable naming the socket, deadline kTimeout naming the
/// request, unreadable JSON kEngine.
///
/// API version, negotiated like the docker CLI: the first call asks GET /_ping (unversioned) for
/// the engine's API-Version header (GET /version's ApiVersion and MinAPIVersion when it has
/// none) and speaks min(engine, kMaxApiVersion = 1.52); every later path is prefixed /v1.NN. An
/// engine whose range does not overlap 1.41..1.52 is refused with kEngine naming both ranges.
/// A request the engine refuses with its "client version X is too old/new" 400 re-negotiates to
/// the limit the engine names (when within ours) and is retried once. Each ping() re-reads the
/// header, so an engine upgraded behind a reconnect is followed. A fixed version (the caller
/// passes DOCKER_API_VERSION) is spoken as is, never negotiated.

#include <boost/asio/any_io_executor.hpp>
#include <memory>
#include <string>
#include <string_view>

#include "core/time.h"
#include "docker/docker_api.h"
#include "docker/wire.h"

namespace medic::docker {

class EngineClient final : public DockerApi {
 public:
  /// address: "unix:///var/run/docker.sock" or "tcp://127.0.0.1:2375". fixed_api_version: the
  /// value of DOCKER_API_VERSION ("" = negotiate). A malformed address or version does not
  /// throw: every call then fails with the kConfig error from parseEngineAddress or
  /// parseFixedApiVersion (or check addressError() first).
  EngineClient(boost::asio::any_io_executor executor, std::string_view address, Millis timeout,
               std::string_view fixed_api_version = {});
  ~EngineClient() override;
  EngineClient(const EngineClient&) = delete;
  EngineClient& operator=(const EngineClient&) = delete;

  /// The error that makes every call fail when the address (or the fixed API version) was
  /// malformed; nullptr otherwise.
  const Error* addressError() const;
  /// The API version spoken ("1.41"): the fixed one, else empty before the first successful
  /// call.
  std::string apiVersion() const;

  Task<VersionInfo> version() override;
  Task<Ok> ping() override;
  Task<std::vector<ContainerSummary>> listContainers(ListOptions options) override;
  Task<ContainerInfo> inspectContainer(std::string id_or_name) override;
  /// The body (a snapshot from specFromInspect) is fitted to the version spoken by
  /// createRequestFor (docker/spec.h); what that version cannot carry is logged. Engines before
  /// API 1.44 take one endpoint at create, so the others are connected right after. If a
  /// connect fails, the half-made container is removed and the error returned, so a retry does
  /// not hit a name conflict.
  Task<std::string> createContainer(ContainerSpec spec) override;
  Task<Ok> startContainer(std::string id) override;
  Task<Ok> stopContainer(std::string id, std::chrono::seconds timeout) override;
  Task<Ok> restartContainer(std::string id, std::chrono::seconds timeout) override;
  Task<Ok> killContainer(std::string id, std::string signal) override;
  Task<Ok> removeContainer(std::string id, bool force) override;
  Task<Ok> renameContainer(std::string id, std::string new_name) override;
  Task<Ok> pauseContainer(std::string id) override;
  Task<Ok> unpauseContainer(std::string id) override;
  /// The exec's output stream is read until EOF or `timeout` (not the client timeout); exec
  /// create/inspect use the client timeout. On timeout the process (host PID from exec inspect)
  /// gets SIGKILL from this process (medic runs as root on the host) and the result is
  /// timed_out with exit_code -1. Output is bounded to 64 KiB.
  Task<ExecResult> exec(std::string id, std::vector<std::string> argv,
                        std::chrono::milliseconds timeout) override;
  /// GET /stats?stream=false (one-shot=false): the engine samples twice about a second apart, so
  /// precpu_stats is filled and cpu_percent is meaningful; the call takes ~1-2 s.
  Task<Stats> stats(std::string id) override;
  Task<ImageInfo> inspectImage(std::string id_or_name) override;
  Task<NetworkInfo> inspectNetwork(std::string id_or_name) override;
  Task<std::string> createNetwork(nlohmann::json body) override;
  /// Each event is handed over as soon as its line arrives. Cancelling the awaiting coroutine
  /// (e.g. `stream || timer`) closes the connection and returns Ok.
  Task<Ok> streamEvents(EventOptions options, EventHandler on_event) override;

  /// Removes a network (tests clean up with it; medic itself never deletes networks).
  Task<Ok> removeNetworkForTest(std::string id_or_name);

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

/// Whether a /proc/<pid>/cgroup text names the container `container_id` (its full 64-hex id, as
/// cgroupfs ".../docker/<id>" and systemd ".../docker-<id>.scope" paths do). How medic makes sure
/// the PID an engine reports for a timed-out exec is that exec here before it kills it.
bool cgroupNamesContainer(std::string_view cgroup, std::string_view container_id);
/// The same for the live process `pid` on this host; false when it does not exist.
bool processInContainer(int pid, const std::string& container_id);

}  // namespace medic::docker
