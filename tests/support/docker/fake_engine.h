#pragma once
/// A recording fake Docker engine for unit tests of the daemon's shell (issue 13): containers in
/// memory, an event stream the test feeds, and a log of every endpoint medic called, which is also
/// the allowlist DESIGN asks for (medic calls only the endpoints it needs).
///
/// It behaves like the engine where medic depends on it: create/start/stop/kill/remove/rename
/// change the container and emit the events the engine emits, in the engine's order. Hooks let a
/// test hold a call at a point (the coroutine waits until release()) or make it throw, so an
/// interleaving (a reload during an inspect) or a failure is triggered at a point, never by a timer.

#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>

#include "docker/docker_api.h"

namespace medic::testing {

class FakeEngine final : public docker::DockerApi {
 public:
  explicit FakeEngine(boost::asio::any_io_executor ex);
  ~FakeEngine() override;

  // ---- the test's side ----

  /// A running container (a `docker run -d`): returns its id. Emits create and start.
  std::string run(const std::string& name, docker::Labels labels,
                  const std::string& image = "sha256:image-1");
  /// The container's main process exits with `code` (a crash): die.
  void crash(const std::string& id, int code);
  /// `docker rm -f`: kill (when running), die, destroy.
  void removeForce(const std::string& id);
  /// The engine's own state of a container, or nullptr when gone.
  const docker::ContainerInfo* find(const std::string& id_or_name) const;
  /// Ids of every container whose name is `name` or starts with `name` + ".medic-old-".
  std::vector<std::string> idsNamed(const std::string& name) const;

  /// Every call medic made, in order, as "METHOD /path" with ids and names as they were given;
  /// `endpoints()` gives the set with each id or name replaced by {id}
  /// (e.g. "POST /containers/{id}/start").
  const std::vector<std::string>& calls() const { return calls_; }
  std::set<std::string> endpoints() const;
  size_t count(const std::string& call_prefix) const;

  /// The next `calls` calls whose "METHOD /path" starts with `call_prefix` wait until release():
  /// the test then does what must happen meanwhile. held() counts the calls waiting now.
  void hold(const std::string& call_prefix, int calls = 1);
  int held() const { return held_; }
  void release();
  /// Calls starting with `call_prefix` throw (a broken contract: what if an exception escapes).
  void throwOn(const std::string& call_prefix) { throw_on_.insert(call_prefix); }
  void stopThrowing() { throw_on_.clear(); }

  // ---- docker::DockerApi ----
  docker::Task<docker::VersionInfo> version() override;
  docker::Task<Ok> ping() override;
  docker::Task<std::vector<docker::ContainerSummary>> listContainers(
      docker::ListOptions options) override;
  docker::Task<docker::ContainerInfo> inspectContainer(std::string id_or_name) override;
  docker::Task<std::string> createContainer(docker::ContainerSpec spec) override;
  docker::Task<Ok> startContainer(std::string id) override;
  docker::Task<Ok> stopContainer(std::string id, std::chrono::seconds timeout) override;
  docker::Task<Ok> restartContainer(std::string id, std::chrono::seconds timeout) override;
  docker::Task<Ok> killContainer(std::string id, std::string signal) override;
  docker::Task<Ok> removeContainer(std::string id, bool force) override;
  docker::Task<Ok> renameContainer(std::string id, std::string new_name) override;
  docker::Task<Ok> pauseContainer(std::string id) override;
  docker::Task<Ok> unpauseContainer(std::string id) override;
  docker::Task<docker::ExecResult> exec(std::string id, std::vector<std::string> argv,
                                        std::chrono::milliseconds timeout) override;
  docker::Task<docker::Stats> stats(std::string id) override;
  docker::Task<docker::ImageInfo> inspectImage(std::string id_or_name) override;
  docker::Task<docker::NetworkInfo> inspectNetwork(std::string id_or_name) override;
  docker::Task<std::string> createNetwork(nlohmann::json body) override;
  docker::Task<Ok> streamEvents(docker::EventOptions options, docker::EventHandler on_event) override;

 private:
  /// Records the call, throws when asked to, and waits when it is held.
  boost::asio::awaitable<void> enter(std::string call);
  docker::ContainerInfo* lookup(const std::string& id_or_name);
  void emit(const docker::ContainerInfo& c, const std::string& action, docker::Labels extra = {});
  void setState(docker::ContainerInfo& c, const std::string& status, int exit_code = 0);
  /// `docker stop`'s events on a running container (SIGTERM, exit 0); nothing when not running.
  void stopRunning(docker::ContainerInfo& c);
  std::string newId();

  boost::asio::any_io_executor ex_;
  std::map<std::string, docker::ContainerInfo> containers_;  ///< by id
  std::vector<std::string> calls_;
  std::deque<docker::Event> events_;
  std::unique_ptr<boost::asio::steady_timer> events_ready_;  ///< cancelled when one is queued
  std::optional<std::string> hold_prefix_;
  int hold_remaining_ = 0;
  int held_ = 0;
  std::shared_ptr<boost::asio::steady_timer> holding_;  ///< the held calls wait on it
  std::set<std::string> throw_on_;
  int64_t clock_ns_ = 1'700'000'000'000'000'000;  ///< event times, one microsecond apart
  int next_id_ = 1;
};

}  // namespace medic::testing
