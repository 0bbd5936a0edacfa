#include "evidence/claims.h"

#include <map>

#include <fmt/format.h>

namespace medic::evidence {

const char* toString(ClaimExpect e) {
  switch (e) {
    case ClaimExpect::kHealthy: return "healthy";
    case ClaimExpect::kServing: return "serving";
    case ClaimExpect::kAbsent: return "absent";
  }
  return "healthy";
}

const char* toString(ClaimVerdict v) {
  switch (v) {
    case ClaimVerdict::kAccepted: return "accepted";
    case ClaimVerdict::kRejected: return "rejected";
    case ClaimVerdict::kUnknown: return "unknown";
  }
  return "unknown";
}

bool parseClaimExpect(const std::string& text, ClaimExpect& out) {
  for (auto e : {ClaimExpect::kHealthy, ClaimExpect::kServing, ClaimExpect::kAbsent}) {
    if (text == toString(e)) {
      out = e;
      return true;
    }
  }
  return false;
}

namespace {

bool isProbe(const Evidence& e) {
  return e.kind == kHttp || e.kind == kTcp || e.kind == kExec || e.kind == kCommand;
}

/// Newest docker_state, and newest record per probe, among fresh records.
struct Fresh {
  const Evidence* docker = nullptr;
  std::map<std::string, const Evidence*> probes;  ///< probe name → newest
};

Fresh newest(const std::vector<Evidence>& all, WallTime oldest_allowed) {
  Fresh f;
  for (const auto& e : all) {
    if (e.time < oldest_allowed) continue;
    if (e.kind == kDockerState) {
      if (f.docker == nullptr || e.time > f.docker->time) f.docker = &e;
    } else if (isProbe(e)) {
      const std::string name = e.data.value("probe", e.data.value("url", e.kind));
      auto& slot = f.probes[name];
      if (slot == nullptr || e.time > slot->time) slot = &e;
    }
  }
  return f;
}

/// Why a docker_state record says the service is not healthy; "" when it says it is.
std::string dockerProblem(const Evidence& e) {
  const auto& d = e.data;
  if (!d.contains("container") || d["container"].is_null()) {
    if (!d.contains("status")) return "no container exists";
  }
  if (d.value("paused", false)) return "container is paused";
  if (!d.value("running", false)) {
    return fmt::format("container is {} (exit code {})", d.value("status", "not running"),
                       d.value("exit_code", 0));
  }
  if (d.contains("health") && d["health"].is_object()) {
    const auto status = d["health"].value("status", "");
    if (status == "unhealthy") return "Docker health check reports unhealthy";
    if (status == "starting") return "Docker health check has not decided yet";
  }
  return "";
}

bool absentRecord(const Evidence& e) {
  return e.data.contains("container") && e.data["container"].is_null() && !e.data.contains("status");
}

/// The first of the claim's probes (of `kind`, or any when null) without a fresh record; "" when
/// every one has one.
std::string missingProbe(const Claim& claim, const Fresh& f, const char* kind) {
  for (const auto& name : claim.probes) {
    const bool is_kind = kind == nullptr || name.rfind(std::string(kind) + " ", 0) == 0;
    if (is_kind && f.probes.count(name) == 0) return name;
  }
  return "";
}

}  // namespace

ClaimResult judgeClaim(const Claim& claim, const std::vector<Evidence>& evidence, WallTime now) {
  ClaimResult r;
  const Fresh f = newest(evidence, now - claim.max_age);
  const std::string age = formatDuration(claim.max_age);
  switch (claim.expect) {
    case ClaimExpect::kAbsent: {
      if (f.docker == nullptr) {
        r.reason = "no Docker state evidence of " + claim.service + " newer than " + age;
        return r;
      }
      r.evidence_ids = {f.docker->id};
      if (absentRecord(*f.docker)) {
        r.verdict = ClaimVerdict::kAccepted;
        r.reason = "no container of " + claim.service + " exists";
      } else {
        r.verdict = ClaimVerdict::kRejected;
        r.reason = "a container of " + claim.service + " exists (" +
                   f.docker->data.value("status", "?") + ")";
      }
      return r;
    }
    case ClaimExpect::kServing: {
      std::vector<const Evidence*> http;
      for (const auto& [name, e] : f.probes) {
        if (e->kind == kHttp) http.push_back(e);
      }
      const bool gone = f.docker != nullptr && absentRecord(*f.docker);
      if (auto missing = missingProbe(claim, f, kHttp); !missing.empty() && !gone) {
        r.reason = "no evidence of probe '" + missing + "' newer than " + age;
        return r;
      }
      if (http.empty()) {
        // Absence is evidence too: a service with no container cannot be serving.
        if (f.docker != nullptr && absentRecord(*f.docker)) {
          r.verdict = ClaimVerdict::kRejected;
          r.reason = "no container of " + claim.service + " exists";
          r.evidence_ids = {f.docker->id};
          return r;
        }
        r.reason = "no HTTP evidence of " + claim.service + " newer than " + age;
        return r;
      }
      for (const auto* e : http) {
        if (!e->data.value("ok", false)) {
          r.verdict = ClaimVerdict::kRejected;
          r.evidence_ids.push_back(e->id);
          r.reason = e->data.value("probe", "http probe") + ": " + e->data.value("summary", "failed");
        }
      }
      if (r.verdict == ClaimVerdict::kRejected) return r;
      r.verdict = ClaimVerdict::kAccepted;
      for (const auto* e : http) r.evidence_ids.push_back(e->id);
      r.reason = fmt::format("{} HTTP probe(s) of {} answer", http.size(), claim.service);
      return r;
    }
    case ClaimExpect::kHealthy: {
      if (f.docker == nullptr) {
        r.reason = "no Docker state evidence of " + claim.service + " newer than " + age;
        return r;
      }
      if (auto problem = dockerProblem(*f.docker); !problem.empty()) {
        r.verdict = ClaimVerdict::kRejected;
        r.reason = claim.service + ": " + problem;
        r.evidence_ids = {f.docker->id};
        return r;
      }
      for (const auto& [name, e] : f.probes) {
        if (!e->data.value("ok", false)) {
          r.verdict = ClaimVerdict::kRejected;
          r.evidence_ids.push_back(e->id);
          r.reason = claim.service + ": " + name + ": " + e->data.value("summary", "failed");
        }
      }
      if (r.verdict == ClaimVerdict::kRejected) return r;
      if (auto missing = missingProbe(claim, f, nullptr); !missing.empty()) {
        r.reason = claim.service + " runs, but there is no evidence of probe '" + missing +
                   "' newer than " + age;
        return r;
      }
      r.verdict = ClaimVerdict::kAccepted;
      r.evidence_ids.push_back(f.docker->id);
      for (const auto& [name, e] : f.probes) r.evidence_ids.push_back(e->id);
      r.reason = fmt::format("{} runs{} and {} probe(s) pass", claim.service,
                             f.docker->data.contains("health") && f.docker->data["health"].is_object()
                                 ? ", Docker health healthy,"
                                 : "",
                             f.probes.size());
      return r;
    }
  }
  return r;
}

}  // namespace medic::evidence
