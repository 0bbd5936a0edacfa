#pragma once
/// What the supervisor core returns: actions for the shell to execute and notices to publish.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/time.h"

namespace medic::supervisor {

enum class ActionKind {
  kStart,
  kRestart,
  kUnpause,
  kRecreate,  ///< create the service again from its spec snapshot
  kRollback,  ///< recreate from the last snapshot whose image differs from the current one
  /// A replacement somebody else deployed (container_id) failed its trial: recreate the service
  /// from its latest snapshot (the last healthy container before the replacement), the failed
  /// replacement renamed aside and removed once the restored one validates.
  kRestoreSnapshot,
  kSnapshot,  ///< container_id is healthy: store its spec (not a recovery, uses no budget)
};

const char* toString(ActionKind kind);

/// One thing for the shell to do. The shell answers every action but kSnapshot with ActionDone
/// carrying the same id, including when the result was lost (engine disconnect => ok=false).
struct Action {
  uint64_t id = 0;
  std::string service;
  ActionKind kind = ActionKind::kStart;
  std::string container_id;  ///< the container to act on ("" for kRecreate of a removed one)
  Millis stop_timeout{0};    ///< kRestart/kRollback: grace before SIGKILL
  std::string reason;        ///< human text: what failed and which rung this is
  int attempt = 0;           ///< 1-based attempt number within the incident (0 for kSnapshot)
};

enum class Severity { kInfo, kWarning, kCritical };

const char* toString(Severity severity);

/// A message for alerts and channels.
struct Notice {
  /// failed|recovering|recovered|escalated|missing|replaced|replacement_failed|panic|panic_over|
  /// flapping|engine_unreachable|engine_back|maintenance|action_failed
  std::string kind;
  Severity severity = Severity::kInfo;
  std::string service;  ///< "" for host-wide notices (panic, engine)
  std::string text;
  nlohmann::json data = nlohmann::json::object();
};

struct Decision {
  std::vector<Action> actions;
  std::vector<Notice> notices;
  /// Services compose removed on purpose (scaled down, or taken out of the compose file): the
  /// shell stops protecting them (a "retired" notice says why); a new container brings one back.
  std::vector<std::string> retired;

  bool empty() const { return actions.empty() && notices.empty() && retired.empty(); }
};

}  // namespace medic::supervisor
