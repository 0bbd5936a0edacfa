#pragma once
/// Internal to the supervisor core (not part of its API): the per-service record shared by the
/// state machine (supervisor.cc), its status view (status.cc) and its persistence
/// (persistence.cc).

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "supervisor/backoff.h"
#include "supervisor/ladder.h"
#include "supervisor/supervisor.h"

namespace medic::supervisor {

inline std::string shortId(const std::string& id) {
  return id.substr(0, 12);
}

inline double secondsBetween(SteadyTime from, SteadyTime to) {
  return std::max(0.0, toSeconds(to - from));
}

/// Detection latency from the engine's (wall) event time; a clock difference never makes it
/// negative.
inline double wallLatency(WallTime happened, WallTime now) {
  return std::max(0.0, toSeconds(now - happened));
}

inline WallTime toWall(SteadyTime t, Now now) {
  return now.wall + std::chrono::duration_cast<WallTime::duration>(t - now.steady);
}

inline SteadyTime toSteady(int64_t wall_ms, Now now) {
  return now.steady + Millis{wall_ms - toUnixMillis(now.wall)};
}

inline WallTime fromUnixMillis(int64_t ms) {
  return WallTime{std::chrono::duration_cast<WallTime::duration>(Millis{ms})};
}

struct ProbeState {
  std::string container_id;
  bool passing = false;
  bool hung = false;
  std::vector<std::string> evidence_ids;
};

struct Incident {
  FailureKind kind = FailureKind::kExited;
  std::string reason;
  std::string container_id;  ///< the container the ladder is working on ("" = none)
  SteadyTime detected{};
  WallTime detected_wall{};
  double detection_seconds = 0;
  int attempts = 0;  ///< recovery actions issued for this incident
  int rung = 0;      ///< actions issued for the current container: the ladder position
  std::optional<SteadyTime> grace_until;     ///< removed: wait for a replacement until then
  std::optional<SteadyTime> next_action_at;  ///< backoff after a failed attempt
  bool verifying = false;
  SteadyTime settle_until{};
  bool replacement = false;  ///< a container medic did not create took over
  /// restart_dependents: a restart because a dependency recovered, not a failure; spends no budget.
  bool courtesy = false;
  /// Opened by a compose move (a stop asked for, or a replacement announced): no failure is
  /// said unless replacement_grace ends with nothing in its place.
  bool quiet = false;
  std::vector<std::string> evidence_ids;
};

/// A replacement on trial (DESIGN §4 "Intentional changes"; issue 6): a container somebody else
/// put in place of a service medic had a healthy snapshot of. It gets replacement_grace to pass;
/// meanwhile medic runs no ladder on it. Passing adopts it (its snapshot is taken); failing past
/// the grace restores the previous snapshot.
struct Trial {
  std::string container_id;
  SteadyTime started{};  ///< when it was adopted
  WallTime started_wall{};
  SteadyTime until{};   ///< started + replacement_grace
  bool failed = false;  ///< the grace ran out: the next action restores the snapshot
  std::string previous_image;  ///< the image of the last healthy snapshot (for the notice)
};

struct Supervisor::Record {
  ServiceDef def;
  bool known = false;  ///< anything observed at all
  bool fresh = false;  ///< a ServiceObserved since start or since the engine came back
  std::optional<ContainerView> view;       ///< the service's current container
  std::optional<ContainerView> candidate;  ///< another container of the service (a replacement)
  std::optional<Trial> trial;              ///< the current container is a replacement on trial
  bool has_healthcheck = false;
  bool probes_seen = false;
  std::optional<ProbeState> probes;
  std::optional<Incident> incident;
  std::optional<IncidentStatus> last_closed;
  AttemptWindow attempts;
  std::optional<Action> in_flight;
  WallTime in_flight_wall{};
  /// Events about own_container that happened while medic's action ran are its effects.
  bool own_window = false;
  std::string own_container;
  WallTime own_from{}, own_to{};
  bool escalated = false;
  bool missing = false;
  std::optional<SteadyTime> maintenance_until;
  bool deploy_guard = false;
  int flap_count = 0;
  std::optional<SteadyTime> last_recovered_at;
  std::optional<SteadyTime> healthy_since;
  std::string last_snapshot_container;
  std::string last_healthy_image;
  bool skip_grace = false;              ///< operator asked: recreate without waiting
  /// A stop was asked for through the API (a kill event with a stop signal) for this container:
  /// its die is somebody's deliberate stop (docker stop, compose), not a crash.
  std::string stop_requested_for;
  /// Compose v2 announced a replacement (`com.docker.compose.replace`) of the current container:
  /// the id of the new one. Compose stops and removes the old one next; nothing is repaired.
  std::string replaced_by;
  /// Its last container was destroyed as an orphan of its compose project (ContainerEvent).
  bool orphaned = false;
  /// Compose removed it on purpose; the shell forgets it. Nothing is judged any more.
  bool retired = false;
  /// The dependency whose failure holds this service (kWaitingDependency), "" when not held.
  std::string held_by;
  /// After a hold ends: failures seen only by probes, or Docker's stale unhealthy verdict, are
  /// not acted on before this (the dependent reconnects to its dependency); an exit is acted on
  /// at once.
  std::optional<SteadyTime> released_until;
  /// The root cause of the hold that released_until follows: while this service settles, its
  /// own dependents stay held on that root cause, not on this service.
  std::string released_from;
  std::optional<double> event_latency;  ///< of the event being handled
  ServiceState state = ServiceState::kUnknown;
  ServiceStatus status;

  bool usesProbes() const { return def.has_probes || probes_seen; }
  bool guarded() const { return deploy_guard || maintenance_until.has_value(); }
  const config::RecoveryConfig& cfg() const { return def.recovery; }
};

}  // namespace medic::supervisor
