#include "deploy/machine.h"

#include <fmt/format.h>

#include <algorithm>

#include "core/duration.h"

namespace medic::deploy {

namespace {

int64_t wallMs(Now now) {
  return toUnixMillis(now.wall);
}

int64_t steadyToWallMs(SteadyTime t, Now now) {
  return wallMs(now) + std::chrono::duration_cast<Millis>(t - now.steady).count();
}

SteadyTime wallMsToSteady(int64_t ms, Now now) {
  return now.steady + Millis{ms - wallMs(now)};
}

std::string isoMs(int64_t ms) {
  return formatWallTime(WallTime{std::chrono::duration_cast<WallTime::duration>(Millis{ms})});
}

nlohmann::json optMs(const std::optional<int64_t>& ms) {
  return ms ? nlohmann::json(*ms) : nlohmann::json(nullptr);
}

}  // namespace

const char* toString(Strategy s) {
  return s == Strategy::kStartFirst ? "start-first" : "recreate";
}

std::optional<Strategy> strategyFrom(std::string_view text) {
  if (text == "recreate") return Strategy::kRecreate;
  if (text == "start-first") return Strategy::kStartFirst;
  return std::nullopt;
}

const char* toString(Phase p) {
  switch (p) {
    case Phase::kPreflight:
      return "preflight";
    case Phase::kSnapshot:
      return "snapshot";
    case Phase::kReplace:
      return "replace";
    case Phase::kValidate:
      return "validate";
    case Phase::kConfirm:
      return "confirm";
    case Phase::kFinish:
      return "finish";
    case Phase::kRollback:
      return "rollback";
    case Phase::kValidateRollback:
      return "validate_rollback";
    case Phase::kDone:
      return "done";
  }
  return "done";
}

const char* toString(Outcome o) {
  switch (o) {
    case Outcome::kRunning:
      return "running";
    case Outcome::kSucceeded:
      return "succeeded";
    case Outcome::kRolledBack:
      return "rolled_back";
    case Outcome::kRollbackFailed:
      return "rollback_failed";
    case Outcome::kRefused:
      return "refused";
  }
  return "running";
}

const char* toString(StepKind k) {
  switch (k) {
    case StepKind::kPreflight:
      return "preflight";
    case StepKind::kSnapshot:
      return "snapshot";
    case StepKind::kReplace:
      return "replace";
    case StepKind::kRequestConfirmation:
      return "request_confirmation";
    case StepKind::kFinish:
      return "finish";
    case StepKind::kRollback:
      return "rollback";
  }
  return "preflight";
}

namespace {

std::optional<Phase> phaseFrom(const std::string& s) {
  for (Phase p :
       {Phase::kPreflight, Phase::kSnapshot, Phase::kReplace, Phase::kValidate, Phase::kConfirm,
        Phase::kFinish, Phase::kRollback, Phase::kValidateRollback, Phase::kDone}) {
    if (s == toString(p)) return p;
  }
  return std::nullopt;
}

std::optional<Outcome> outcomeFrom(const std::string& s) {
  for (Outcome o : {Outcome::kRunning, Outcome::kSucceeded, Outcome::kRolledBack,
                    Outcome::kRollbackFailed, Outcome::kRefused}) {
    if (s == toString(o)) return o;
  }
  return std::nullopt;
}

std::optional<StepKind> stepFrom(const std::string& s) {
  for (StepKind k : {StepKind::kPreflight, StepKind::kSnapshot, StepKind::kReplace,
                     StepKind::kRequestConfirmation, StepKind::kFinish, StepKind::kRollback}) {
    if (s == toString(k)) return k;
  }
  return std::nullopt;
}

}  // namespace

Machine::Machine(Plan plan, Now now) : plan_(std::move(plan)), started_ms_(wallMs(now)) {
  plan_.success_threshold = std::max(1, plan_.success_threshold);
  plan_.validate_timeout = std::max(plan_.validate_timeout, Millis{1});
  plan_.confirm_timeout = std::max(plan_.confirm_timeout, Millis{1});
  // The built-in validator is medic's own probe suite; it is never asked over the channel.
  plan_.validators.erase(
      std::remove(plan_.validators.begin(), plan_.validators.end(), kBuiltinValidator),
      plan_.validators.end());
  std::sort(plan_.validators.begin(), plan_.validators.end());
  plan_.validators.erase(std::unique(plan_.validators.begin(), plan_.validators.end()),
                         plan_.validators.end());
}

Output Machine::start(Now now) {
  Output out;
  out.notices.push_back({"deploy_started", "info",
                         fmt::format("{}: deploy {} of {} ({}) started", plan_.service, plan_.id,
                                     plan_.image, toString(plan_.strategy))});
  enter(Phase::kPreflight, now, out);
  return out;
}

void Machine::issue(StepKind k, Output& out) {
  in_flight_ = k;
  Step s{k, new_container_};
  out.steps.push_back(std::move(s));
}

void Machine::closeEntry(bool ok, const std::string& error, Now now, const nlohmann::json& detail) {
  if (entries_.empty() || entries_.back().finished_ms) return;
  Entry& e = entries_.back();
  e.finished_ms = wallMs(now);
  e.ok = ok;
  e.error = error;
  if (detail.is_object()) {
    for (auto it = detail.begin(); it != detail.end(); ++it) e.detail[it.key()] = it.value();
  }
}

void Machine::enter(Phase p, Now now, Output& out) {
  phase_ = p;
  deadline_.reset();
  if (p == Phase::kDone) return;
  entries_.push_back(Entry{toString(p), wallMs(now), std::nullopt, std::nullopt, "", {}});
  switch (p) {
    case Phase::kPreflight:
      issue(StepKind::kPreflight, out);
      break;
    case Phase::kSnapshot:
      issue(StepKind::kSnapshot, out);
      break;
    case Phase::kReplace:
      // recreate stops the old container inside this step: from here nothing healthy serves.
      if (plan_.strategy == Strategy::kRecreate && !down_since_) {
        down_since_ = now.steady;
        ever_down_ = true;
      }
      issue(StepKind::kReplace, out);
      break;
    case Phase::kValidate:
    case Phase::kValidateRollback:
      passes_ = 0;
      deadline_ = now.steady + plan_.validate_timeout;
      break;
    case Phase::kConfirm:
      deadline_ = now.steady + plan_.confirm_timeout;
      issue(StepKind::kRequestConfirmation, out);
      break;
    case Phase::kFinish:
      issue(StepKind::kFinish, out);
      break;
    case Phase::kRollback:
      // A new container that was serving is removed by the rollback: down again until the
      // restored one passes (start-first never stopped the old one).
      if (plan_.strategy == Strategy::kRecreate && !down_since_) {
        down_since_ = now.steady;
        ever_down_ = true;
      }
      issue(StepKind::kRollback, out);
      break;
    case Phase::kDone:
      break;
  }
}

void Machine::stopDowntime(Now now) {
  if (!down_since_) return;
  downtime_ += std::chrono::duration_cast<Millis>(now.steady - *down_since_);
  down_since_.reset();
}

Millis Machine::downtime(Now now) const {
  Millis d = downtime_;
  if (down_since_) d += std::chrono::duration_cast<Millis>(now.steady - *down_since_);
  return d;
}

bool Machine::wantsProbes() const {
  return !in_flight_ && !target_.empty() &&
         (phase_ == Phase::kValidate || phase_ == Phase::kConfirm ||
          phase_ == Phase::kValidateRollback);
}

std::vector<std::string> Machine::pendingValidators() const {
  std::vector<std::string> out;
  for (const auto& v : plan_.validators) {
    if (!replies_.count(v)) out.push_back(v);
  }
  return out;
}

Status Machine::acceptsAnswer(const std::string& validator) const {
  if (finished() || phase_ == Phase::kRollback || phase_ == Phase::kValidateRollback ||
      phase_ == Phase::kFinish) {
    return Error::make(ErrorKind::kConflict,
                       fmt::format("deploy {} is {} ({}): answers are no longer taken", plan_.id,
                                   toString(phase_), toString(outcome_)));
  }
  if (std::find(plan_.validators.begin(), plan_.validators.end(), validator) ==
      plan_.validators.end()) {
    std::string names;
    for (const auto& v : plan_.validators) names += (names.empty() ? "" : ", ") + v;
    return Error::make(ErrorKind::kNotFound,
                       fmt::format("'{}' is not a validator of deploy {} (deploy.validators: {})",
                                   validator, plan_.id, names.empty() ? "none" : names));
  }
  if (replies_.count(validator)) {
    return Error::make(
        ErrorKind::kConflict,
        fmt::format("validator '{}' already answered deploy {}", validator, plan_.id));
  }
  return Ok{};
}

Output Machine::observe(const Input& input, Now now) {
  Output out;
  if (finished()) return out;
  std::visit(
      [&](const auto& in) {
        using T = std::decay_t<decltype(in)>;
        if constexpr (std::is_same_v<T, StepDone>) {
          onStep(in, now, out);
        } else if constexpr (std::is_same_v<T, ProbeRound>) {
          onProbe(in, now, out);
        } else if constexpr (std::is_same_v<T, Answer>) {
          onAnswer(in, now, out);
        } else if constexpr (std::is_same_v<T, Resumed>) {
          onResumed(now, out);
        }
      },
      input);
  if (!finished()) checkDeadlines(now, out);
  checkBudget(now, out);
  return out;
}

void Machine::fail(const std::string& why, Now now, Output& out) {
  reason_ = why;
  closeEntry(false, why, now);
  in_flight_.reset();
  enter(Phase::kRollback, now, out);
}

void Machine::conclude(Outcome o, const std::string& why, Now now, Output& out) {
  outcome_ = o;
  if (!why.empty()) reason_ = why;
  in_flight_.reset();
  finished_ms_ = wallMs(now);
  enter(Phase::kDone, now, out);
  // The report freezes when the deploy ends; after a failed rollback recovery takes over.
  stopDowntime(now);
  const double down = toSeconds(downtime(now));
  switch (o) {
    case Outcome::kSucceeded:
      out.notices.push_back(
          {"deploy_succeeded", "info",
           fmt::format("{}: deploy {} succeeded: {} serves, validated; downtime {:.2f} s",
                       plan_.service, plan_.id, plan_.image, down)});
      break;
    case Outcome::kRolledBack:
      out.notices.push_back(
          {"deploy_rolled_back", "warning",
           fmt::format("{}: deploy {} of {} failed ({}) and was rolled back; the previous "
                       "version serves again, validated; downtime {:.2f} s. See `medic deploy "
                       "--show {}`",
                       plan_.service, plan_.id, plan_.image, reason_, down, plan_.id)});
      break;
    case Outcome::kRollbackFailed:
      out.notices.push_back(
          {"deploy_rollback_failed", "critical",
           fmt::format("{}: deploy {} of {} failed ({}) and its rollback failed too; medic's "
                       "recovery takes over the service: manual intervention may be required",
                       plan_.service, plan_.id, plan_.image, reason_)});
      break;
    case Outcome::kRefused:
      out.notices.push_back({"deploy_refused", "warning",
                             fmt::format("{}: deploy {} of {} refused: {}; nothing was changed",
                                         plan_.service, plan_.id, plan_.image, reason_)});
      break;
    case Outcome::kRunning:
      break;
  }
}

void Machine::onStep(const StepDone& s, Now now, Output& out) {
  if (!in_flight_ || *in_flight_ != s.kind) return;  // stale or duplicate
  in_flight_.reset();
  switch (s.kind) {
    case StepKind::kPreflight:
    case StepKind::kSnapshot:
      if (!s.ok) {
        closeEntry(false, s.error, now, s.detail);
        conclude(Outcome::kRefused, s.error, now, out);
        return;
      }
      closeEntry(true, "", now, s.detail);
      if (s.kind == StepKind::kSnapshot) {
        snapshot_id_ = s.detail.value("snapshot_id", int64_t{0});
        old_container_ = s.detail.value("container_id", std::string());
        enter(Phase::kReplace, now, out);
      } else {
        enter(Phase::kSnapshot, now, out);
      }
      return;
    case StepKind::kReplace:
      if (!s.container_id.empty()) new_container_ = s.container_id;
      if (!s.ok) {
        fail("replace failed: " + s.error, now, out);
        return;
      }
      closeEntry(true, "", now, s.detail);
      target_ = new_container_;
      enter(Phase::kValidate, now, out);
      return;
    case StepKind::kRequestConfirmation:
      // Asking is fire-and-forget; silence until confirm_timeout is a rejection.
      maybeConfirmed(now, out);
      return;
    case StepKind::kFinish:
      if (!s.ok && plan_.strategy == Strategy::kStartFirst) {
        fail("switch to the new container failed: " + s.error, now, out);
        return;
      }
      closeEntry(s.ok, s.error, now, s.detail);
      conclude(Outcome::kSucceeded, "", now, out);
      return;
    case StepKind::kRollback:
      if (!s.ok) {
        closeEntry(false, s.error, now, s.detail);
        conclude(Outcome::kRollbackFailed, reason_ + "; rollback: " + s.error, now, out);
        return;
      }
      closeEntry(true, "", now, s.detail);
      target_ = s.container_id;
      enter(Phase::kValidateRollback, now, out);
      return;
  }
}

void Machine::onProbe(const ProbeRound& p, Now now, Output& out) {
  if (!wantsProbes() || p.container_id != target_) return;
  for (const auto& id : p.evidence_ids) {
    if (std::find(evidence_.begin(), evidence_.end(), id) == evidence_.end()) {
      evidence_.push_back(id);
    }
  }
  last_probe_summary_ = p.summary;
  const bool rollback = phase_ == Phase::kValidateRollback;
  if (p.exited) {
    const std::string why =
        fmt::format("{} container {} stopped{}", rollback ? "the restored" : "the new",
                    target_.substr(0, 12), p.summary.empty() ? "" : ": " + p.summary);
    if (rollback) {
      closeEntry(false, why, now);
      conclude(Outcome::kRollbackFailed, reason_ + "; " + why, now, out);
    } else {
      fail(why, now, out);
    }
    return;
  }
  if (!p.passing) {
    passes_ = 0;
    return;
  }
  stopDowntime(now);  // something healthy serves again
  if (phase_ == Phase::kConfirm) return;
  if (++passes_ < plan_.success_threshold) return;
  if (rollback) {
    closeEntry(true, "", now, {{"passes", passes_}});
    conclude(Outcome::kRolledBack, "", now, out);
    return;
  }
  closeEntry(true, "", now, {{"passes", passes_}});
  replies_[kBuiltinValidator] =
      Reply{"confirmed", fmt::format("probes passed {} time(s)", passes_), wallMs(now)};
  if (plan_.validators.empty()) {
    enter(Phase::kFinish, now, out);
  } else {
    enter(Phase::kConfirm, now, out);
  }
}

void Machine::onAnswer(const Answer& a, Now now, Output& out) {
  if (!acceptsAnswer(a.validator)) return;
  replies_[a.validator] = Reply{a.confirmed ? "confirmed" : "rejected", a.reason, wallMs(now)};
  if (!a.confirmed) {
    fail(fmt::format("validator '{}' rejected it{}", a.validator,
                     a.reason.empty() ? "" : ": " + a.reason),
         now, out);
    return;
  }
  maybeConfirmed(now, out);
}

void Machine::maybeConfirmed(Now now, Output& out) {
  if (phase_ != Phase::kConfirm || in_flight_) return;
  if (!pendingValidators().empty()) return;
  closeEntry(true, "", now);
  enter(Phase::kFinish, now, out);
}

void Machine::onResumed(Now now, Output& out) {
  // What was in flight when medic died is unknown: steps are idempotent, so redo or undo.
  in_flight_.reset();
  switch (phase_) {
    case Phase::kPreflight:
    case Phase::kSnapshot:
      closeEntry(false, "interrupted by a medic restart", now);
      conclude(Outcome::kRefused, "interrupted by a medic restart before anything was changed", now,
               out);
      return;
    case Phase::kReplace:
    case Phase::kValidate:
    case Phase::kConfirm:
      fail(fmt::format("interrupted by a medic restart during {}", toString(phase_)), now, out);
      return;
    case Phase::kFinish:
      issue(StepKind::kFinish, out);
      return;
    case Phase::kRollback:
      issue(StepKind::kRollback, out);
      return;
    case Phase::kValidateRollback:
      passes_ = 0;
      deadline_ = now.steady + plan_.validate_timeout;
      return;
    case Phase::kDone:
      return;
  }
}

void Machine::checkDeadlines(Now now, Output& out) {
  if (!deadline_ || now.steady < *deadline_ || in_flight_) return;
  switch (phase_) {
    case Phase::kValidate:
      fail(fmt::format("the new container did not pass its probes {} time(s) within {}{}",
                       plan_.success_threshold, formatDuration(plan_.validate_timeout),
                       last_probe_summary_.empty() ? "" : " (last: " + last_probe_summary_ + ")"),
           now, out);
      return;
    case Phase::kConfirm: {
      std::string names;
      for (const auto& v : pendingValidators()) {
        names += (names.empty() ? "" : ", ") + v;
        replies_[v] = Reply{"silent", "no answer within confirm_timeout", wallMs(now)};
      }
      fail(fmt::format("validator(s) {} did not confirm within {} (silence counts as rejection)",
                       names, formatDuration(plan_.confirm_timeout)),
           now, out);
      return;
    }
    case Phase::kValidateRollback: {
      const std::string why =
          fmt::format("the restored container did not pass its probes within {}",
                      formatDuration(plan_.validate_timeout));
      closeEntry(false, why, now);
      conclude(Outcome::kRollbackFailed, reason_ + "; " + why, now, out);
      return;
    }
    default:
      return;
  }
}

void Machine::checkBudget(Now now, Output& out) {
  if (over_budget_ || downtime(now) <= plan_.downtime_budget) return;
  over_budget_ = true;
  out.notices.push_back(
      {"deploy_downtime_over_budget", "critical",
       fmt::format("{}: deploy {} has kept the service down for {:.2f} s, over its downtime "
                   "budget of {}",
                   plan_.service, plan_.id, toSeconds(downtime(now)),
                   formatDuration(plan_.downtime_budget))});
}

std::optional<SteadyTime> Machine::nextWakeup() const {
  std::optional<SteadyTime> best;
  if (finished()) return best;
  if (deadline_ && !in_flight_) best = deadline_;
  if (down_since_ && !over_budget_) {
    const SteadyTime t = *down_since_ + (plan_.downtime_budget - downtime_) + Millis{1};
    if (!best || t < *best) best = t;
  }
  return best;
}

nlohmann::json Machine::report(Now now) const {
  nlohmann::json steps = nlohmann::json::array();
  for (const auto& e : entries_) {
    nlohmann::json j{{"step", e.name}, {"started_at", isoMs(e.started_ms)}};
    j["finished_at"] = e.finished_ms ? nlohmann::json(isoMs(*e.finished_ms)) : nullptr;
    j["seconds"] = e.finished_ms
                       ? nlohmann::json(static_cast<double>(*e.finished_ms - e.started_ms) / 1000.0)
                       : nlohmann::json(nullptr);
    j["ok"] = e.ok ? nlohmann::json(*e.ok) : nlohmann::json(nullptr);
    if (!e.error.empty()) j["error"] = e.error;
    if (!e.detail.empty()) j["detail"] = e.detail;
    steps.push_back(std::move(j));
  }
  nlohmann::json validators = nlohmann::json::array();
  std::vector<std::string> names{kBuiltinValidator};
  names.insert(names.end(), plan_.validators.begin(), plan_.validators.end());
  for (const auto& n : names) {
    auto it = replies_.find(n);
    nlohmann::json v{{"name", n}, {"builtin", n == kBuiltinValidator}};
    if (it == replies_.end()) {
      v["answer"] = "pending";
    } else {
      v["answer"] = it->second.answer;
      v["reason"] = it->second.reason;
      v["at"] = isoMs(it->second.at_ms);
    }
    validators.push_back(std::move(v));
  }
  const Millis down = downtime(now);
  return {{"id", plan_.id},
          {"service", plan_.service},
          {"image", plan_.image},
          {"strategy", toString(plan_.strategy)},
          {"phase", toString(phase_)},
          {"outcome", toString(outcome_)},
          {"finished", finished()},
          {"reason", reason_},
          {"started_at", isoMs(started_ms_)},
          {"finished_at", finished_ms_ ? nlohmann::json(isoMs(*finished_ms_)) : nullptr},
          {"old_container_id", old_container_},
          {"new_container_id", new_container_},
          {"snapshot_id", snapshot_id_},
          {"steps", steps},
          {"validators", validators},
          {"downtime_seconds", toSeconds(down)},
          {"downtime_measured", ever_down_ || plan_.strategy == Strategy::kStartFirst},
          {"downtime_budget_seconds", toSeconds(plan_.downtime_budget)},
          {"over_budget", over_budget_},
          {"evidence", evidence_}};
}

nlohmann::json Machine::toJson(Now now) const {
  nlohmann::json entries = nlohmann::json::array();
  for (const auto& e : entries_) {
    entries.push_back({{"name", e.name},
                       {"started_ms", e.started_ms},
                       {"finished_ms", optMs(e.finished_ms)},
                       {"ok", e.ok ? nlohmann::json(*e.ok) : nlohmann::json(nullptr)},
                       {"error", e.error},
                       {"detail", e.detail}});
  }
  nlohmann::json replies = nlohmann::json::object();
  for (const auto& [k, r] : replies_) {
    replies[k] = {{"answer", r.answer}, {"reason", r.reason}, {"at_ms", r.at_ms}};
  }
  return {
      {"plan",
       {{"id", plan_.id},
        {"service", plan_.service},
        {"image", plan_.image},
        {"strategy", toString(plan_.strategy)},
        {"validate_timeout_ms", plan_.validate_timeout.count()},
        {"confirm_timeout_ms", plan_.confirm_timeout.count()},
        {"downtime_budget_ms", plan_.downtime_budget.count()},
        {"success_threshold", plan_.success_threshold},
        {"validators", plan_.validators}}},
      {"phase", toString(phase_)},
      {"outcome", toString(outcome_)},
      {"reason", reason_},
      {"in_flight", in_flight_ ? nlohmann::json(toString(*in_flight_)) : nullptr},
      {"old_container", old_container_},
      {"new_container", new_container_},
      {"target", target_},
      {"snapshot_id", snapshot_id_},
      {"passes", passes_},
      {"deadline_ms", deadline_ ? nlohmann::json(steadyToWallMs(*deadline_, now)) : nullptr},
      {"down_since_ms", down_since_ ? nlohmann::json(steadyToWallMs(*down_since_, now)) : nullptr},
      {"downtime_ms", downtime_.count()},
      {"over_budget", over_budget_},
      {"ever_down", ever_down_},
      {"started_ms", started_ms_},
      {"finished_ms", optMs(finished_ms_)},
      {"entries", entries},
      {"replies", replies},
      {"evidence", evidence_},
      {"last_probe_summary", last_probe_summary_}};
}

Result<Machine> Machine::fromJson(const nlohmann::json& doc, Now now) {
  try {
    const auto& p = doc.at("plan");
    Plan plan;
    plan.id = p.at("id").get<std::string>();
    plan.service = p.at("service").get<std::string>();
    plan.image = p.at("image").get<std::string>();
    auto strategy = strategyFrom(p.at("strategy").get<std::string>());
    if (!strategy) throw std::runtime_error("unknown strategy");
    plan.strategy = *strategy;
    plan.validate_timeout = Millis{p.at("validate_timeout_ms").get<int64_t>()};
    plan.confirm_timeout = Millis{p.at("confirm_timeout_ms").get<int64_t>()};
    plan.downtime_budget = Millis{p.at("downtime_budget_ms").get<int64_t>()};
    plan.success_threshold = p.at("success_threshold").get<int>();
    plan.validators = p.at("validators").get<std::vector<std::string>>();
    Machine m(std::move(plan), now);
    auto phase = phaseFrom(doc.at("phase").get<std::string>());
    auto outcome = outcomeFrom(doc.at("outcome").get<std::string>());
    if (!phase || !outcome) throw std::runtime_error("unknown phase or outcome");
    m.phase_ = *phase;
    m.outcome_ = *outcome;
    m.reason_ = doc.value("reason", "");
    if (doc.contains("in_flight") && doc["in_flight"].is_string()) {
      m.in_flight_ = stepFrom(doc["in_flight"].get<std::string>());
    }
    m.old_container_ = doc.value("old_container", "");
    m.new_container_ = doc.value("new_container", "");
    m.target_ = doc.value("target", "");
    m.snapshot_id_ = doc.value("snapshot_id", int64_t{0});
    m.passes_ = doc.value("passes", 0);
    if (doc.contains("deadline_ms") && doc["deadline_ms"].is_number()) {
      m.deadline_ = wallMsToSteady(doc["deadline_ms"].get<int64_t>(), now);
    }
    if (doc.contains("down_since_ms") && doc["down_since_ms"].is_number()) {
      m.down_since_ = wallMsToSteady(doc["down_since_ms"].get<int64_t>(), now);
    }
    m.downtime_ = Millis{doc.value("downtime_ms", int64_t{0})};
    m.over_budget_ = doc.value("over_budget", false);
    m.ever_down_ = doc.value("ever_down", false);
    m.started_ms_ = doc.value("started_ms", wallMs(now));
    if (doc.contains("finished_ms") && doc["finished_ms"].is_number()) {
      m.finished_ms_ = doc["finished_ms"].get<int64_t>();
    }
    for (const auto& e : doc.value("entries", nlohmann::json::array())) {
      Entry x;
      x.name = e.at("name").get<std::string>();
      x.started_ms = e.at("started_ms").get<int64_t>();
      if (e["finished_ms"].is_number()) x.finished_ms = e["finished_ms"].get<int64_t>();
      if (e["ok"].is_boolean()) x.ok = e["ok"].get<bool>();
      x.error = e.value("error", "");
      x.detail = e.value("detail", nlohmann::json::object());
      m.entries_.push_back(std::move(x));
    }
    for (auto it = doc.at("replies").begin(); it != doc.at("replies").end(); ++it) {
      m.replies_[it.key()] = Reply{it.value().value("answer", ""), it.value().value("reason", ""),
                                   it.value().value("at_ms", int64_t{0})};
    }
    m.evidence_ = doc.value("evidence", std::vector<std::string>{});
    m.last_probe_summary_ = doc.value("last_probe_summary", "");
    return m;
  } catch (const std::exception& e) {
    return Error::make(ErrorKind::kBadRequest,
                       std::string("stored deploy is malformed: ") + e.what());
  }
}

}  // namespace medic::deploy
