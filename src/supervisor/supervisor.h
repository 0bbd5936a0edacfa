#pragma once
/// The supervisor core: a pure, deterministic state machine per protected service. No I/O, no
/// clock reads, no threads. The shell feeds it observations with the time they are handled at,
/// executes the actions it returns and publishes its notices; tests do the same with a fake clock.
///
/// Per service: unknown -> healthy | starting | failed | waiting_replacement | recovering |
/// verifying | maintenance | escalated | missing. Policy: DESIGN.md section 4 (Recovery,
/// Reliability rules). Every schedule uses Now::steady; Now::wall only stamps records.
///
/// What the shell owes the core:
/// - a ServiceObserved for every service at start and after every engine reconnect: a service
///   is only acted on once such a fresh snapshot of it has arrived;
/// - an ActionDone for every action but kSnapshot (ok=false when the result was lost), with
///   new_container_id for kRecreate/kRollback, and error containing "no snapshot" when there
///   was nothing to recreate from;
/// - tick() at nextWakeup() (earlier or extra calls are harmless);
/// - persistentState() stored after every decision that holds actions (crash safety: an
///   attempt counts from the moment it is decided), restoreState() before the first observation.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/result.h"
#include "core/time.h"
#include "supervisor/decisions.h"
#include "supervisor/observations.h"

namespace medic::supervisor {

enum class ServiceState {
  kUnknown,             ///< nothing observed yet
  kHealthy,             ///< passing (probes, Docker health, or running without either)
  kStarting,            ///< changing state, inside its start period, or awaiting a first verdict
  kFailed,              ///< failure detected; next action waits for backoff, a slot or a dependency
  kWaitingReplacement,  ///< container removed; waiting replacement_grace for a replacement, or
                        ///< a replacement somebody else deployed has replacement_grace to pass
  kRecovering,          ///< a medic action is in flight
  kVerifying,           ///< action done; waiting for the service to pass (settle_timeout)
  kMaintenance,         ///< maintenance window or deploy guard: observed, never repaired
  kEscalated,           ///< medic stopped acting; a person must look
  kMissing,             ///< removed and nothing to recreate from (escalated)
  /// failing, but a service it depends on is failing or recovering (the root cause): held, no
  /// action and no attempt spent until that one is healthy; then judged afresh
  kWaitingDependency,
};

const char* toString(ServiceState state);

struct Options {
  int max_concurrent = 2;     ///< recovery actions in flight on the host
  Millis panic_delay{5000};   ///< in panic mode: minimum time between two recovery actions
  Millis engine_grace{5000};  ///< after the engine comes back: time before any action
};

/// The last (or current) incident of a service, for the API.
struct IncidentStatus {
  std::string kind;  ///< FailureKind as text
  WallTime detected_at;
  double detection_seconds = 0;  ///< failure (event time) -> detection
  std::optional<WallTime> recovered_at;
  std::optional<double> recovery_seconds;  ///< detection -> passing again
  int attempts = 0;
  std::string outcome;  ///< open|recovered|replaced|escalated|missing|maintenance
  std::vector<std::string> evidence_ids;
};

struct ServiceStatus {
  std::string name;
  std::string state;  ///< toString(ServiceState)
  bool critical = false;
  std::string container_id;
  int attempts_in_window = 0;
  bool escalated = false;
  bool in_maintenance = false;  ///< maintenance window or deploy guard
  std::optional<SteadyTime> maintenance_until;
  bool deploy_guard = false;
  int flap_count = 0;
  std::optional<IncidentStatus> last_incident;
  std::optional<SteadyTime> next_action_at;
  std::string last_healthy_image;
  /// kWaitingDependency: the dependency that holds it (the root cause of its failure).
  std::string waiting_for;
};

/// JSON for the API; steady times become wall times relative to `now`.
nlohmann::json toJson(const ServiceStatus& status, Now now);

class Supervisor {
 public:
  /// `uniform01` returns values in [0, 1) for backoff jitter.
  Supervisor(std::vector<ServiceDef> services, std::function<double()> uniform01,
             Options opts = {});
  ~Supervisor();
  Supervisor(const Supervisor&) = delete;
  Supervisor& operator=(const Supervisor&) = delete;

  /// Config reload / discovery: kept services keep their state, new ones start unknown,
  /// absent ones are forgotten (an in-flight action of theirs is then ignored).
  void setServices(std::vector<ServiceDef> services);

  /// Handles one observation at `now`. Observations about unknown services are ignored.
  Decision observe(const Observation& observation, Now now);
  /// Timers: replacement grace, backoff, settle timeout, maintenance end, engine grace.
  Decision tick(Now now);
  /// When tick() should next be called; nullopt = nothing scheduled.
  std::optional<SteadyTime> nextWakeup() const;

  /// nullptr for a service the supervisor does not know.
  const ServiceStatus* status(const std::string& service) const;
  std::vector<ServiceStatus> statuses() const;

  /// What must survive a medic restart: attempt times (as wall ms), escalation, flap count,
  /// last healthy image and snapshot, the open incident. Null for an unknown service.
  nlohmann::json persistentState(const std::string& service, Now now) const;
  /// Restores persistentState() after a restart (wall -> steady relative to `now`).
  /// Fails with kNotFound for an unknown service, kBadRequest for a malformed document.
  Status restoreState(const std::string& service, const nlohmann::json& state, Now now);

  bool panicMode() const { return panic_; }
  bool engineReachable() const { return engine_reachable_; }

  struct Record;  // per-service state, internal (supervisor/record.h)

 private:
  void onServiceObserved(const ServiceObserved& o, Now now, Decision& d);
  void onEvent(const ContainerEvent& e, Now now, Decision& d);
  void onProbes(const ProbesVerdict& v, Now now, Decision& d);
  void onActionDone(const ActionDone& a, Now now, Decision& d);
  void onRecover(const RecoverRequested& r, Now now, Decision& d);
  void onMaintenance(const MaintenanceSet& m, Now now, Decision& d);
  void onEngine(const EngineStatus& e, Now now, Decision& d);
  void onDeployGuard(const DeployGuard& g, Now now, Decision& d);

  void evaluate(Record& r, Now now, Decision& d);
  void schedule(Now now, Decision& d);
  void updatePanic(Decision& d);
  void escalate(Record& r, Now now, Decision& d, const std::string& why);
  /// The replacement on trial did not pass in time: open (or turn) the incident into
  /// replacement_failed, whose first rung restores the snapshot, and say so.
  void failTrial(Record& r, const std::string& failure, Now now, Decision& d);
  void refreshStatus(Record& r, Now now);
  void finish(Now now, Decision& d);
  int dependencyDepth(const Record& r) const;
  /// The deepest dependency of `r` (through depends_on) that is not healthy while its own
  /// dependencies are: what `r` waits for. nullopt when every known dependency is healthy.
  std::optional<std::string> rootCause(const Record& r) const;
  /// Why compose's stop-and-remove of this service's container was on purpose — "" when it was
  /// not (then it is a removal to restore): the service was taken out of the compose file, or a
  /// lower replica of the same compose service still runs (a scale-down).
  std::string deliberateRemoval(const Record& r) const;
  /// Dependency holds follow their dependencies: re-judge every held service (and every service
  /// whose dependency changed) after an observation.
  void reevaluateDependents(Now now, Decision& d);
  /// restart_dependents: `recovered` just recovered; give each running service that depends on it
  /// a restart (no budget spent).
  void restartDependents(const Record& recovered, Now now, Decision& d);
  Record* find(const std::string& service);

  std::map<std::string, std::unique_ptr<Record>> services_;
  std::function<double()> uniform01_;
  Options opts_;
  uint64_t next_action_id_ = 1;
  /// action id -> service, for recovery actions in flight
  std::map<uint64_t, std::string> in_flight_;
  /// services with an open incident or escalated (and not in maintenance): panic and scheduling
  std::set<std::string> troubled_;
  bool panic_ = false;
  std::optional<SteadyTime> last_recovery_at_;
  bool engine_reachable_ = true;
  std::optional<SteadyTime> engine_grace_until_;
  std::optional<SteadyTime> last_now_;
};

}  // namespace medic::supervisor
