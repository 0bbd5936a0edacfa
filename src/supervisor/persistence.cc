// What survives a medic restart: attempt times, escalation, flap count, snapshot and the open
// incident, as JSON with wall-clock milliseconds (steady time does not survive a process).

#include <fmt/format.h>

#include <algorithm>

#include "supervisor/record.h"

namespace medic::supervisor {

namespace {

std::optional<FailureKind> failureKindFromString(const std::string& text) {
  for (FailureKind k : {FailureKind::kExited, FailureKind::kUnhealthy, FailureKind::kHung,
                        FailureKind::kPaused, FailureKind::kRemoved,
                        FailureKind::kReplacementFailed}) {
    if (text == toString(k)) return k;
  }
  return std::nullopt;
}

}  // namespace

nlohmann::json Supervisor::persistentState(const std::string& service, Now now) const {
  auto it = services_.find(service);
  if (it == services_.end()) return nullptr;
  const Record& r = *it->second;
  const config::RecoveryConfig& cfg = r.cfg();
  nlohmann::json attempts = nlohmann::json::array();
  const SteadyTime horizon = now.steady - clampPositive(cfg.window);
  for (SteadyTime t : r.attempts.times()) {
    if (t > horizon) attempts.push_back(toUnixMillis(toWall(t, now)));
  }
  nlohmann::json j{{"version", 1},
                   {"attempts", attempts},
                   {"escalated", r.escalated},
                   {"missing", r.missing},
                   {"flap_count", r.flap_count},
                   {"last_healthy_image", r.last_healthy_image},
                   {"last_snapshot_container_id", r.last_snapshot_container}};
  j["last_recovered_at"] = r.last_recovered_at
                               ? nlohmann::json(toUnixMillis(toWall(*r.last_recovered_at, now)))
                               : nullptr;
  if (r.incident) {
    const Incident& inc = *r.incident;
    j["incident"] = {{"kind", toString(inc.kind)},
                     {"reason", inc.reason},
                     {"container_id", inc.container_id},
                     {"detected_at", toUnixMillis(inc.detected_wall)},
                     {"detection_seconds", inc.detection_seconds},
                     {"attempts", inc.attempts},
                     {"rung", inc.rung}};
  } else {
    j["incident"] = nullptr;
  }
  if (r.trial) {
    const Trial& t = *r.trial;
    j["trial"] = {{"container_id", t.container_id},
                  {"started_at", toUnixMillis(t.started_wall)},
                  {"until", toUnixMillis(toWall(t.until, now))},
                  {"failed", t.failed},
                  {"previous_image", t.previous_image}};
  } else {
    j["trial"] = nullptr;
  }
  return j;
}

Status Supervisor::restoreState(const std::string& service, const nlohmann::json& state, Now now) {
  Record* r = find(service);
  if (!r) {
    return Error::make(ErrorKind::kNotFound,
                       fmt::format("cannot restore recovery state of '{}': no such protected "
                                   "service (it may have been removed from the config)",
                                   service));
  }
  auto bad = [&](const std::string& what) {
    return Error::make(ErrorKind::kBadRequest,
                       fmt::format("recovery state of '{}' is malformed: {}; delete it from "
                                   "recovery-state.json or fix it by hand",
                                   service, what));
  };
  if (!state.is_object()) return bad("not a JSON object");
  auto get = [&](const nlohmann::json& obj, const char* key) -> const nlohmann::json* {
    auto it = obj.find(key);
    return it == obj.end() || it->is_null() ? nullptr : &*it;
  };
  // Parse everything first, then apply: a malformed document changes nothing.
  AttemptWindow attempts;
  if (const auto* a = get(state, "attempts")) {
    if (!a->is_array()) return bad("'attempts' is not an array");
    std::vector<SteadyTime> times;
    for (const auto& v : *a) {
      if (!v.is_number_integer()) return bad("'attempts' holds a non-integer");
      // A time in the future (the wall clock went back) counts as now, never forever.
      times.push_back(std::min(toSteady(v.get<int64_t>(), now), now.steady));
    }
    std::sort(times.begin(), times.end());
    for (SteadyTime t : times) attempts.record(t);
  }
  auto getBool = [&](const char* key, bool& out) -> bool {
    const auto* v = get(state, key);
    if (!v) return true;
    if (!v->is_boolean()) return false;
    out = v->get<bool>();
    return true;
  };
  bool escalated = false;
  bool missing = false;
  if (!getBool("escalated", escalated)) return bad("'escalated' is not a boolean");
  if (!getBool("missing", missing)) return bad("'missing' is not a boolean");
  int flap_count = 0;
  if (const auto* v = get(state, "flap_count")) {
    if (!v->is_number_integer()) return bad("'flap_count' is not an integer");
    flap_count = std::max(0, v->get<int>());
  }
  std::string image;
  std::string snapshot;
  if (const auto* v = get(state, "last_healthy_image")) {
    if (!v->is_string()) return bad("'last_healthy_image' is not a string");
    image = v->get<std::string>();
  }
  if (const auto* v = get(state, "last_snapshot_container_id")) {
    if (!v->is_string()) return bad("'last_snapshot_container_id' is not a string");
    snapshot = v->get<std::string>();
  }
  std::optional<SteadyTime> last_recovered;
  if (const auto* v = get(state, "last_recovered_at")) {
    if (!v->is_number_integer()) return bad("'last_recovered_at' is not an integer");
    last_recovered = std::min(toSteady(v->get<int64_t>(), now), now.steady);
  }
  std::optional<Incident> incident;
  if (const auto* v = get(state, "incident")) {
    if (!v->is_object()) return bad("'incident' is not an object");
    Incident inc;
    const auto* kind = get(*v, "kind");
    if (!kind || !kind->is_string()) return bad("'incident.kind' is missing");
    auto k = failureKindFromString(kind->get<std::string>());
    if (!k) return bad("'incident.kind' is not a failure kind");
    inc.kind = *k;
    const auto* detected = get(*v, "detected_at");
    if (!detected || !detected->is_number_integer())
      return bad("'incident.detected_at' is missing");
    inc.detected_wall = fromUnixMillis(detected->get<int64_t>());
    inc.detected = std::min(toSteady(detected->get<int64_t>(), now), now.steady);
    if (const auto* x = get(*v, "reason"); x && x->is_string()) inc.reason = x->get<std::string>();
    if (const auto* x = get(*v, "container_id"); x && x->is_string()) {
      inc.container_id = x->get<std::string>();
    }
    if (const auto* x = get(*v, "detection_seconds"); x && x->is_number()) {
      inc.detection_seconds = x->get<double>();
    }
    if (const auto* x = get(*v, "attempts"); x && x->is_number_integer()) {
      inc.attempts = std::max(0, x->get<int>());
    }
    if (const auto* x = get(*v, "rung"); x && x->is_number_integer()) {
      inc.rung = std::max(0, x->get<int>());
    }
    if (inc.kind == FailureKind::kRemoved) {
      inc.grace_until = inc.detected + clampPositive(r->cfg().replacement_grace);
    }
    incident = inc;
  }
  std::optional<Trial> trial;
  if (const auto* v = get(state, "trial")) {
    if (!v->is_object()) return bad("'trial' is not an object");
    const auto* id = get(*v, "container_id");
    const auto* started = get(*v, "started_at");
    const auto* until = get(*v, "until");
    if (!id || !id->is_string() || id->get<std::string>().empty()) {
      return bad("'trial.container_id' is missing");
    }
    if (!started || !started->is_number_integer() || !until || !until->is_number_integer()) {
      return bad("'trial.started_at' or 'trial.until' is missing");
    }
    Trial t;
    t.container_id = id->get<std::string>();
    t.started_wall = fromUnixMillis(started->get<int64_t>());
    t.started = std::min(toSteady(started->get<int64_t>(), now), now.steady);
    // The grace left, never more than a whole grace from now (the wall clock may have moved).
    t.until = std::min(toSteady(until->get<int64_t>(), now),
                       now.steady + clampPositive(r->cfg().replacement_grace));
    if (const auto* x = get(*v, "failed"); x && x->is_boolean()) t.failed = x->get<bool>();
    if (const auto* x = get(*v, "previous_image"); x && x->is_string()) {
      t.previous_image = x->get<std::string>();
    }
    trial = t;
  }
  r->attempts = std::move(attempts);
  r->trial = trial;
  r->escalated = escalated;
  r->missing = missing && escalated;
  r->flap_count = flap_count;
  r->last_healthy_image = image;
  r->last_snapshot_container = snapshot;
  r->last_recovered_at = last_recovered;
  r->incident = incident;
  if (r->escalated) r->state = r->missing ? ServiceState::kMissing : ServiceState::kEscalated;
  refreshStatus(*r, now);
  return okStatus();
}

}  // namespace medic::supervisor
