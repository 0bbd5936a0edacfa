#include "evidence/gates.h"

#include <fmt/format.h>

#include <algorithm>

#include "core/duration.h"
#include "evidence/claims.h"

namespace medic::evidence {

std::string endpointSubject(const std::string& endpoint_name) {
  return "endpoint:" + endpoint_name;
}

nlohmann::json GateCheck::toJson() const {
  return {{"requirement", requirement},
          {"subject", subject},
          {"pass", pass},
          {"reason", reason},
          {"evidence", evidence_ids}};
}

nlohmann::json GateVerdict::toJson() const {
  nlohmann::json arr = nlohmann::json::array();
  for (const auto& c : checks) arr.push_back(c.toJson());
  return {{"phase", phase},
          {"name", name},
          {"verdict", pass ? "pass" : "fail"},
          {"pass", pass},
          {"reason", reason},
          {"max_evidence_age_seconds", toSeconds(max_evidence_age)},
          {"time", formatWallTime(time)},
          {"checks", arr},
          {"evidence", evidenceIds()}};
}

std::vector<std::string> GateVerdict::evidenceIds() const {
  std::vector<std::string> out;
  for (const auto& c : checks) {
    for (const auto& id : c.evidence_ids) {
      if (std::find(out.begin(), out.end(), id) == out.end()) out.push_back(id);
    }
  }
  return out;
}

namespace {

std::vector<Evidence> about(const std::vector<Evidence>& all, const std::string& subject) {
  std::vector<Evidence> out;
  for (const auto& e : all) {
    if (e.service == subject) out.push_back(e);
  }
  return out;
}

/// The newest record of `kind` about `subject` no older than `oldest`.
const Evidence* newestOf(const std::vector<Evidence>& all, const std::string& subject,
                         const char* kind, WallTime oldest) {
  const Evidence* best = nullptr;
  for (const auto& e : all) {
    if (e.service != subject || e.kind != kind || e.time < oldest) continue;
    if (best == nullptr || e.time > best->time) best = &e;
  }
  return best;
}

bool isAbsent(const Evidence& e) {
  return e.data.contains("container") && e.data["container"].is_null() &&
         !e.data.contains("status");
}

GateCheck healthyCheck(const GateService& s, const GateInputs& in, Millis max_age) {
  Claim claim{s.name + " is healthy", s.name, ClaimExpect::kHealthy, max_age, s.probes};
  auto r = judgeClaim(claim, about(in.evidence, s.name), in.now);
  GateCheck c{"healthy", s.name, r.verdict == ClaimVerdict::kAccepted, r.reason, r.evidence_ids};
  if (r.verdict == ClaimVerdict::kUnknown) c.reason = "unknown: " + r.reason;
  return c;
}

GateCheck presentCheck(const std::string& service, const GateInputs& in, Millis max_age) {
  GateCheck c{"present", service, false, "", {}};
  const auto* e = newestOf(in.evidence, service, kDockerState, in.now - max_age);
  if (e == nullptr) {
    c.reason = "unknown: no Docker state evidence newer than " + formatDuration(max_age);
    return c;
  }
  c.evidence_ids = {e->id};
  if (isAbsent(*e)) {
    c.reason = "no container of " + service + " exists";
    return c;
  }
  c.pass = true;
  c.reason = fmt::format("container exists ({})", e->data.value("status", "?"));
  return c;
}

GateCheck noRecoveryCheck(const GateService& s, const GateInputs& in, Millis max_age) {
  GateCheck c{"no_recovery", s.name, false, "", {}};
  if (const auto* e = newestOf(in.evidence, s.name, kDockerState, in.now - max_age)) {
    c.evidence_ids = {e->id};
  }
  if (!in.recovery_state_known) {
    c.reason =
        "unknown: no daemon is running, so nobody knows whether a recovery is in progress "
        "(start `medic watch`)";
    return c;
  }
  static constexpr std::string_view kBusy[] = {"recovering", "verifying", "waiting_replacement"};
  if (std::find(std::begin(kBusy), std::end(kBusy), s.state) != std::end(kBusy)) {
    c.reason = "recovery in progress (" + s.state + ")";
    return c;
  }
  c.pass = true;
  c.reason =
      "no recovery in progress (" + (s.state.empty() ? std::string("unknown") : s.state) + ")";
  return c;
}

GateCheck endpointCheck(const std::string& endpoint, const GateInputs& in, Millis max_age) {
  GateCheck c{"endpoints_answer", endpoint, false, "", {}};
  const std::string subject = endpointSubject(endpoint);
  const auto* e = newestOf(in.evidence, subject, kHttp, in.now - max_age);
  if (e == nullptr) {
    c.reason = "unknown: no evidence of " + endpoint + " newer than " + formatDuration(max_age);
    return c;
  }
  c.evidence_ids = {e->id};
  // A picture of the page (`screenshot: true`), when one is as fresh as the verdict needs.
  if (const auto* shot = newestOf(in.evidence, subject, kScreenshot, in.now - max_age)) {
    c.evidence_ids.push_back(shot->id);
  }
  c.pass = e->data.value("ok", false);
  c.reason = e->data.value("summary", c.pass ? "answers" : "failed");
  return c;
}

GateCheck baselineCheck(const GateInputs& in) {
  GateCheck c{"baseline", "baseline", false, "", {}};
  for (const auto& s : in.current.services) {
    if (!s.evidence_id.empty()) c.evidence_ids.push_back(s.evidence_id);
  }
  if (!in.baseline) {
    c.reason = in.baseline_error.empty() ? "no baseline exists: write one with `medic baseline`"
                                         : "baseline unreadable: " + in.baseline_error;
    return c;
  }
  auto diffs = diffBaseline(*in.baseline, in.current);
  if (diffs.empty()) {
    c.pass = true;
    c.reason = fmt::format("host matches the baseline of {} ({} service(s))",
                           formatWallTime(in.baseline->taken), in.current.services.size());
    return c;
  }
  c.reason = fmt::format("{} difference(s) from the baseline of {}:", diffs.size(),
                         formatWallTime(in.baseline->taken));
  for (const auto& d : diffs) c.reason += " " + d.describe() + ";";
  c.reason.pop_back();
  return c;
}

}  // namespace

GateVerdict evaluateGate(const config::PhaseConfig& phase, const GateInputs& in) {
  GateVerdict v;
  v.phase = phase.number;
  v.name = phase.name;
  v.max_evidence_age = phase.max_evidence_age;
  v.time = in.now;
  const Millis age = phase.max_evidence_age;

  // Which services and endpoints this phase covers; a named one that does not exist fails.
  std::vector<const GateService*> services;
  std::vector<std::string> unknown_services;
  if (phase.all_services) {
    for (const auto& s : in.services) services.push_back(&s);
  } else {
    for (const auto& name : phase.services) {
      auto it = std::find_if(in.services.begin(), in.services.end(),
                             [&](const GateService& s) { return s.name == name; });
      if (it == in.services.end()) {
        unknown_services.push_back(name);
      } else {
        services.push_back(&*it);
      }
    }
  }
  std::vector<std::string> endpoints = phase.all_endpoints ? in.endpoints : phase.endpoints;

  for (const auto req : phase.require) {
    switch (req) {
      case config::GateRequirement::kHealthy:
      case config::GateRequirement::kPresent:
      case config::GateRequirement::kNoRecovery:
        for (const auto& name : unknown_services) {
          v.checks.push_back({config::toString(req),
                              name,
                              false,
                              name + " is not a protected service (nothing watches it)",
                              {}});
        }
        for (const auto* s : services) {
          if (req == config::GateRequirement::kHealthy)
            v.checks.push_back(healthyCheck(*s, in, age));
          if (req == config::GateRequirement::kPresent)
            v.checks.push_back(presentCheck(s->name, in, age));
          if (req == config::GateRequirement::kNoRecovery)
            v.checks.push_back(noRecoveryCheck(*s, in, age));
        }
        break;
      case config::GateRequirement::kEndpointsAnswer:
        for (const auto& e : endpoints) v.checks.push_back(endpointCheck(e, in, age));
        break;
      case config::GateRequirement::kBaseline:
        v.checks.push_back(baselineCheck(in));
        break;
    }
  }

  if (v.checks.empty()) {
    v.reason =
        "nothing to check: no protected service or configured endpoint is covered by this "
        "phase, and nothing to vouch for is not a pass";
    return v;
  }
  const auto failed =
      std::count_if(v.checks.begin(), v.checks.end(), [](const GateCheck& c) { return !c.pass; });
  v.pass = failed == 0;
  if (v.pass) {
    v.reason = fmt::format("all {} check(s) pass on evidence newer than {}", v.checks.size(),
                           formatDuration(age));
  } else {
    const auto& first =
        *std::find_if(v.checks.begin(), v.checks.end(), [](const GateCheck& c) { return !c.pass; });
    v.reason = fmt::format("{} of {} check(s) fail; first: {} {}: {}", failed, v.checks.size(),
                           first.requirement, first.subject, first.reason);
  }
  return v;
}

}  // namespace medic::evidence
