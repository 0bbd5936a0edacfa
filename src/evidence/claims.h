#pragma once
/// Claims are accepted only on fresh evidence (DESIGN §4 "Evidence, claims, gates"). A claim that
/// evidence contradicts is rejected, citing that evidence; a claim with no evidence newer than its
/// max age is "unknown" — never accepted. Pure: the caller gathers the evidence and the time.

#include <string>
#include <vector>

#include "core/duration.h"
#include "core/time.h"
#include "evidence/evidence.h"

namespace medic::evidence {

enum class ClaimExpect {
  kHealthy,  ///< container running, Docker health not failing, every probe passing
  kServing,  ///< its HTTP probes answer with an accepted status
  kAbsent,   ///< no container exists for the service
};
enum class ClaimVerdict { kAccepted, kRejected, kUnknown };

const char* toString(ClaimExpect e);
const char* toString(ClaimVerdict v);
/// "healthy", "serving", "absent"; false for anything else.
bool parseClaimExpect(const std::string& text, ClaimExpect& out);

struct Claim {
  std::string text;     ///< what someone asserts, kept verbatim in the verdict
  std::string service;
  ClaimExpect expect = ClaimExpect::kHealthy;
  Millis max_age{60'000};
  /// The probes the service has (describeProbe() names, as in the records' "probe" field). Each
  /// needs a record newer than max_age, else a healthy/serving claim is "unknown": a probe that
  /// stopped reporting is no evidence of health.
  std::vector<std::string> probes;
};

struct ClaimResult {
  ClaimVerdict verdict = ClaimVerdict::kUnknown;
  std::string reason;                     ///< why, in words
  std::vector<std::string> evidence_ids;  ///< what decided it (the contradicting ones on reject)
};

/// `evidence`: records about the claim's service, any order, any age. Only the newest record of each
/// kind (and, for probes, of each probe) within max_age counts.
ClaimResult judgeClaim(const Claim& claim, const std::vector<Evidence>& evidence, WallTime now);

}  // namespace medic::evidence
