#pragma once
/// The recovery ladder: which action answers which failure, rung by rung.

#include "config/config.h"
#include "core/time.h"
#include "supervisor/decisions.h"

namespace medic::supervisor {

/// What is wrong with a service, as far as recovery is concerned.
enum class FailureKind {
  kExited,     ///< exited, stopped, dead, or created and never started
  kUnhealthy,  ///< Docker health unhealthy, or its probes fail
  kHung,       ///< probes time out while the container runs (a frozen process)
  kPaused,     ///< paused by somebody else (medic never pauses)
  kRemoved,    ///< the service's container no longer exists
  /// A replacement of a service with a healthy snapshot (somebody else's deploy) did not pass
  /// within replacement_grace.
  kReplacementFailed,
};

const char* toString(FailureKind kind);

struct Rung {
  ActionKind kind;
  Millis stop_timeout;
};

/// The action for the next attempt at `kind`.
/// `rung` = attempts already made for this failure on this container (0 for the first);
/// `last_in_budget` = the budget allows this attempt and no further one.
/// exited: start, then restart · unhealthy: restart · hung: restart with hung_stop_timeout ·
/// paused: unpause, then restart with hung_stop_timeout · removed: recreate ·
/// replacement failed: restore the previous snapshot (never a restart of the failed replacement).
/// With recovery.rollback on, an attempt that follows a failed one and is the last the budget
/// allows is a rollback instead.
Rung chooseRung(FailureKind kind, int rung, bool last_in_budget,
                const config::RecoveryConfig& recovery);

}  // namespace medic::supervisor
