#pragma once
/// Evidence retention (issue 5): the store keeps evidence bounded by age and by total size, and
/// never drops what a person may still need — evidence cited by an open incident, or by the latest
/// incident of a service whose alert fires unacknowledged. Pure: the daemon gathers the rows and
/// deletes what this returns, off the hot path.

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "core/time.h"
#include "store/records.h"

namespace medic::evidence {

struct RetentionPolicy {
  Millis max_age{30LL * 24 * 60 * 60 * 1000};  ///< older records go (0 = no age limit)
  int64_t max_bytes = 512LL * 1024 * 1024;     ///< then the oldest go until the rest fit (0 = none)
};

/// Ids of evidence that must be kept whatever its age: cited by an open incident, or by the newest
/// incident of a service that has a firing, unacknowledged alert.
std::set<std::string> protectedEvidence(const std::vector<store::IncidentRecord>& incidents,
                                        const std::vector<store::AlertRecord>& alerts);

/// What to delete, oldest first: every unprotected record older than now - max_age, then the
/// oldest unprotected records until the total (protected ones included) is within max_bytes.
std::vector<std::string> selectForDeletion(std::vector<store::EvidenceFootprint> footprints,
                                           const std::set<std::string>& keep,
                                           const RetentionPolicy& policy, int64_t now_ms);

}  // namespace medic::evidence
