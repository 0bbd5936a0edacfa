#pragma once
/// The deploy guard's state machine (DESIGN §4 "Deploy guard"): PURE — observations in, steps and
/// notices out, time handed in as a value. The daemon executes the steps against Docker, feeds
/// their results and the validation probe rounds back, and stores toJson() before every step so a
/// medic restart resumes the deploy (it finishes it or rolls it back, see Resumed).
///
/// Phases, in order: preflight -> snapshot -> replace -> validate -> confirm -> finish -> done.
/// Any failure after the service was touched goes to rollback -> validate_rollback -> done.
///
/// Downtime is "no healthy container serving the service": it starts when the old container is
/// stopped (recreate: the replace step; start-first: never, the old one serves until the switch)
/// and ends at the first passing probe round of whatever serves next (the new container, or the
/// restored one after a rollback). Over `downtime_budget` raises a critical notice at once.

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/result.h"
#include "core/time.h"

namespace medic::deploy {

enum class Strategy {
  kRecreate,    ///< stop the old container, start the new one under its name
  kStartFirst,  ///< run the new one beside the old, switch only after it validated
};
const char* toString(Strategy s);
std::optional<Strategy> strategyFrom(std::string_view text);

/// The name of medic's own probe suite among the validators.
inline constexpr const char* kBuiltinValidator = "medic";

struct Plan {
  std::string id;
  std::string service;
  std::string image;  ///< the new image reference
  Strategy strategy = Strategy::kRecreate;
  Millis validate_timeout{120'000};  ///< for the new (or restored) container to pass its probes
  Millis confirm_timeout{300'000};   ///< for every external validator to answer
  Millis downtime_budget{300'000};
  int success_threshold = 1;            ///< consecutive passing probe rounds
  std::vector<std::string> validators;  ///< external validators (deploy.validators)
};

enum class Phase {
  kPreflight,
  kSnapshot,
  kReplace,
  kValidate,
  kConfirm,
  kFinish,
  kRollback,
  kValidateRollback,
  kDone
};
const char* toString(Phase p);

enum class Outcome {
  kRunning,
  kSucceeded,       ///< the new image serves, validated
  kRolledBack,      ///< the deploy failed; the snapshot serves again, validated
  kRollbackFailed,  ///< the deploy failed and so did the rollback: the supervisor takes over
  kRefused,         ///< preflight or snapshot failed: nothing was changed
};
const char* toString(Outcome o);

/// What the shell is asked to do. Every step is answered with StepDone of the same kind.
enum class StepKind {
  kPreflight,            ///< check the service is healthy and the strategy possible
  kSnapshot,             ///< store the current spec + image (the backup)
  kReplace,              ///< create and start the new container (recreate: stop old first)
  kRequestConfirmation,  ///< ask the external validators on deployment_coordination
  kFinish,               ///< remove the old copy (start-first: switch names), snapshot the new
  kRollback,             ///< remove the new container, restore the snapshot, start it
};
const char* toString(StepKind k);

struct Step {
  StepKind kind = StepKind::kPreflight;
  std::string container_id;  ///< the new container (kFinish, kRollback), when known
};

struct Notice {
  /// deploy_started|deploy_succeeded|deploy_rolled_back|deploy_rollback_failed|deploy_refused|
  /// deploy_downtime_over_budget
  std::string kind;
  std::string severity;  ///< info|warning|critical
  std::string text;
};

struct Output {
  std::vector<Step> steps;
  std::vector<Notice> notices;
};

// ---- observations ----

struct StepDone {
  StepKind kind = StepKind::kPreflight;
  bool ok = false;
  std::string error;
  std::string container_id;  ///< kReplace: the new container; kRollback: the restored one
  nlohmann::json detail = nlohmann::json::object();  ///< recorded in the report as is
};

/// One validation probe round against `container_id` (the shell runs them while wantsProbes()).
struct ProbeRound {
  std::string container_id;
  bool passing = false;
  bool exited = false;  ///< the container stopped or vanished: fails validation at once
  std::string summary;
  std::vector<std::string> evidence_ids;
};

/// An external validator's answer (medic confirm / medic reject / the API).
struct Answer {
  std::string validator;
  bool confirmed = false;
  std::string reason;
};

/// medic restarted and found this deploy unfinished.
struct Resumed {};

struct Tick {};

using Input = std::variant<StepDone, ProbeRound, Answer, Resumed, Tick>;

class Machine {
 public:
  Machine(Plan plan, Now now);

  /// The first step (preflight). Call once.
  Output start(Now now);
  Output observe(const Input& input, Now now);
  /// When the next deadline falls (validation, confirmation, downtime budget).
  std::optional<SteadyTime> nextWakeup() const;

  const Plan& plan() const { return plan_; }
  Phase phase() const { return phase_; }
  Outcome outcome() const { return outcome_; }
  bool finished() const { return phase_ == Phase::kDone; }
  /// True while validation probe rounds are wanted, against probeTarget().
  bool wantsProbes() const;
  const std::string& probeTarget() const { return target_; }
  /// External validators that have not answered yet.
  std::vector<std::string> pendingValidators() const;
  /// Rejects an answer for a validator that is not configured (kNotFound) or a finished deploy
  /// (kConflict), before it is fed.
  Status acceptsAnswer(const std::string& validator) const;
  /// Measured so far (includes a running interval).
  Millis downtime(Now now) const;

  /// The report (steps, times, downtime, validators' answers, evidence ids).
  nlohmann::json report(Now now) const;
  /// Everything needed to resume after a restart (steady times stored as wall ms).
  nlohmann::json toJson(Now now) const;
  static Result<Machine> fromJson(const nlohmann::json& doc, Now now);

 private:
  struct Entry {
    std::string name;
    int64_t started_ms = 0;
    std::optional<int64_t> finished_ms;
    std::optional<bool> ok;
    std::string error;
    nlohmann::json detail = nlohmann::json::object();
  };
  struct Reply {
    std::string answer;  ///< confirmed|rejected|silent
    std::string reason;
    int64_t at_ms = 0;
  };

  void enter(Phase p, Now now, Output& out);
  void closeEntry(bool ok, const std::string& error, Now now,
                  const nlohmann::json& detail = nlohmann::json::object());
  void issue(StepKind k, Output& out);
  void fail(const std::string& why, Now now, Output& out);
  void conclude(Outcome o, const std::string& why, Now now, Output& out);
  void onStep(const StepDone& s, Now now, Output& out);
  void onProbe(const ProbeRound& p, Now now, Output& out);
  void onAnswer(const Answer& a, Now now, Output& out);
  void onResumed(Now now, Output& out);
  void checkDeadlines(Now now, Output& out);
  void checkBudget(Now now, Output& out);
  void maybeConfirmed(Now now, Output& out);
  void stopDowntime(Now now);

  Plan plan_;
  Phase phase_ = Phase::kPreflight;
  Outcome outcome_ = Outcome::kRunning;
  std::string reason_;  ///< why it failed / was refused
  std::optional<StepKind> in_flight_;
  std::string old_container_;
  std::string new_container_;
  std::string target_;  ///< the container validation probes run against
  int64_t snapshot_id_ = 0;
  int passes_ = 0;
  std::optional<SteadyTime> deadline_;
  std::optional<SteadyTime> down_since_;
  Millis downtime_{0};
  bool over_budget_ = false;
  bool ever_down_ = false;
  int64_t started_ms_ = 0;
  std::optional<int64_t> finished_ms_;
  std::vector<Entry> entries_;
  std::map<std::string, Reply> replies_;
  std::vector<std::string> evidence_;
  std::string last_probe_summary_;
};

}  // namespace medic::deploy
