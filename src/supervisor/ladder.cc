#include "supervisor/ladder.h"

#include "supervisor/backoff.h"

namespace medic::supervisor {

const char* toString(FailureKind kind) {
  switch (kind) {
    case FailureKind::kExited:
      return "exited";
    case FailureKind::kUnhealthy:
      return "unhealthy";
    case FailureKind::kHung:
      return "hung";
    case FailureKind::kPaused:
      return "paused";
    case FailureKind::kRemoved:
      return "removed";
    case FailureKind::kReplacementFailed:
      return "replacement_failed";
  }
  return "unknown";
}

const char* toString(ActionKind kind) {
  switch (kind) {
    case ActionKind::kStart:
      return "start";
    case ActionKind::kRestart:
      return "restart";
    case ActionKind::kUnpause:
      return "unpause";
    case ActionKind::kRecreate:
      return "recreate";
    case ActionKind::kRollback:
      return "rollback";
    case ActionKind::kRestoreSnapshot:
      return "restore_snapshot";
    case ActionKind::kSnapshot:
      return "snapshot";
  }
  return "unknown";
}

const char* toString(Severity severity) {
  switch (severity) {
    case Severity::kInfo:
      return "info";
    case Severity::kWarning:
      return "warning";
    case Severity::kCritical:
      return "critical";
  }
  return "unknown";
}

Rung chooseRung(FailureKind kind, int rung, bool last_in_budget,
                const config::RecoveryConfig& recovery) {
  const Millis stop = clampPositive(recovery.stop_timeout);
  const Millis hung_stop = clampPositive(recovery.hung_stop_timeout);
  if (recovery.rollback && rung >= 1 && last_in_budget) return {ActionKind::kRollback, stop};
  switch (kind) {
    case FailureKind::kExited:
      return rung == 0 ? Rung{ActionKind::kStart, stop} : Rung{ActionKind::kRestart, stop};
    case FailureKind::kUnhealthy:
      return {ActionKind::kRestart, stop};
    case FailureKind::kHung:
      return {ActionKind::kRestart, hung_stop};
    case FailureKind::kPaused:
      // A container that stays paused after an unpause is treated like a frozen one.
      return rung == 0 ? Rung{ActionKind::kUnpause, hung_stop}
                       : Rung{ActionKind::kRestart, hung_stop};
    case FailureKind::kRemoved:
      return {ActionKind::kRecreate, stop};
    case FailureKind::kReplacementFailed:
      return {ActionKind::kRestoreSnapshot, stop};
  }
  return {ActionKind::kRestart, stop};
}

}  // namespace medic::supervisor
