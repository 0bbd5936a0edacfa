#pragma once
/// What the shell tells the supervisor core: service definitions and observations. Plain values,
/// no I/O. Times are values too: WallTime only for records (detection latency), never schedules.

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "config/config.h"
#include "core/time.h"

namespace medic::supervisor {

/// One protected service as the core needs it.
struct ServiceDef {
  std::string name;
  bool critical = false;
  std::vector<std::string> depends_on;  ///< names of services to recover first
  config::RecoveryConfig recovery;
  /// True when the probe layer runs probes for this service: then "passing" means its
  /// ProbesVerdict passes. A ProbesVerdict received for a service also turns this on.
  bool has_probes = false;
  /// Managed by docker-compose (its container carries a compose project label). A stop that was
  /// asked for through the API (a `kill` event with a stop signal before the `die`: `docker
  /// compose up/down/stop`, v1 recreating) gets replacement_grace for a replacement or removal to
  /// follow instead of an immediate start (starting it would fight compose: the old copy takes the
  /// port back). A crash, an OOM kill or a SIGKILL by a person is started at once.
  bool compose_managed = false;
  /// The compose service and replica (com.docker.compose.project/service/container-number) this
  /// service is, when it is one: a replica stopped and removed by compose while a lower replica of
  /// the same service still runs was scaled down (`docker compose up --scale`), not lost.
  std::string compose_project;
  std::string compose_service;
  int compose_number = 0;
  /// The longest probe budget of the service (interval x failure_threshold + timeout): the least
  /// time a replacement on trial needs to prove itself.
  Millis probe_budget{0};
};

/// Docker's container state (.State.Status).
enum class Phase { kRunning, kExited, kPaused, kRestarting, kRemoving, kCreated, kDead };
/// Docker's health status; kNone = the container has no healthcheck.
enum class DockerHealth { kNone, kStarting, kHealthy, kUnhealthy };

const char* toString(Phase phase);
const char* toString(DockerHealth health);

/// The service's current container, as inspected.
struct ContainerView {
  std::string id;
  Phase phase = Phase::kRunning;
  DockerHealth health = DockerHealth::kNone;
  int exit_code = 0;
  std::string image_id;
  bool oom_killed = false;
  /// .State.FinishedAt for a stopped container: lets a resync report detection latency.
  std::optional<WallTime> finished_at;
  /// .Created: a container only created a moment ago is still being started by whoever created it
  /// (`docker run`, compose), so it is changing state, not failed.
  std::optional<WallTime> created_at;
  /// .Config.Healthcheck.StartPeriod (0 without one): a replacement's trial lasts at least this
  /// plus the probe budget.
  Millis start_period{0};
};

/// Full truth from a resync or inspect. nullopt container = no container of the service exists.
struct ServiceObserved {
  std::string service;
  std::optional<ContainerView> container;
};

/// One Docker event about a container of the service.
struct ContainerEvent {
  std::string service;
  std::string container_id;
  /// die|stop|kill|oom|destroy|pause|unpause|start|restart|create|health_status
  std::string action;
  std::optional<DockerHealth> health;  ///< for health_status
  int exit_code = 0;                   ///< for die
  WallTime occurred;                   ///< the engine's event time
  /// For kill: the signal number sent (0 when the engine did not say). SIGKILL (9) is a kill; any
  /// other signal sent before a die is a stop somebody asked for (docker stop, compose).
  int signal = 0;
  /// For create: the container this one replaces (Compose v2 labels the new container of a
  /// recreate `com.docker.compose.replace=<old id>` before it stops the old one).
  std::string replaces;
  /// For destroy: the container's compose service is no longer declared in its project's compose
  /// files (`docker compose up --remove-orphans` removing a service taken out of the file).
  bool compose_orphan = false;
};

/// The probe layer's verdict, already thresholded (failure/success thresholds applied).
struct ProbesVerdict {
  std::string service;
  std::string container_id;  ///< the container the probes ran against
  bool passing = false;
  bool hung = false;  ///< probes time out while the container runs
  std::vector<std::string> evidence_ids;
};

/// The outcome of an Action the core asked for (kSnapshot outcomes are accepted and ignored).
struct ActionDone {
  uint64_t action_id = 0;
  bool ok = false;
  std::string error;             ///< kRecreate without a snapshot: contains "no snapshot"
  std::string new_container_id;  ///< kRecreate/kRollback: the container that now serves
  /// False when the engine could not be reached at all: nothing was done, so no budget is spent.
  bool reached_engine = true;
  /// The container was gone or marked for removal when the action came to it (`docker rm -f`
  /// kills before it removes): nothing was done, no budget is spent, the destroy decides.
  bool target_gone = false;
};

/// Operator: `medic recover S`. Clears escalation and gives a fresh budget.
struct RecoverRequested {
  std::string service;
};

/// Operator maintenance window; until = nullopt ends it now.
struct MaintenanceSet {
  std::string service;
  std::optional<SteadyTime> until;
};

/// Engine lost / back. After a reconnect the shell sends a fresh ServiceObserved per service.
struct EngineStatus {
  bool reachable = true;
};

/// A deploy is replacing the service: observe, do not repair.
struct DeployGuard {
  std::string service;
  bool active = false;
};

/// Time passed; same as calling Supervisor::tick.
struct Tick {};

using Observation = std::variant<ServiceObserved, ContainerEvent, ProbesVerdict, ActionDone,
                                 RecoverRequested, MaintenanceSet, EngineStatus, DeployGuard, Tick>;

}  // namespace medic::supervisor
