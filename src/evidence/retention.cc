#include "evidence/retention.h"

#include <algorithm>
#include <map>

namespace medic::evidence {

std::set<std::string> protectedEvidence(const std::vector<store::IncidentRecord>& incidents,
                                        const std::vector<store::AlertRecord>& alerts) {
  std::set<std::string> keep;
  std::map<std::string, const store::IncidentRecord*> newest;  // service -> newest incident
  for (const auto& inc : incidents) {
    if (inc.state == store::IncidentState::kOpen)
      keep.insert(inc.evidence_ids.begin(), inc.evidence_ids.end());
    auto& slot = newest[inc.service];
    if (slot == nullptr || inc.detected_at_ms > slot->detected_at_ms ||
        (inc.detected_at_ms == slot->detected_at_ms && inc.id > slot->id)) {
      slot = &inc;
    }
  }
  for (const auto& alert : alerts) {
    if (alert.state != store::AlertState::kFiring || alert.acked || alert.service.empty()) continue;
    auto it = newest.find(alert.service);
    if (it != newest.end())
      keep.insert(it->second->evidence_ids.begin(), it->second->evidence_ids.end());
  }
  return keep;
}

std::vector<std::string> selectForDeletion(std::vector<store::EvidenceFootprint> footprints,
                                           const std::set<std::string>& keep,
                                           const RetentionPolicy& policy, int64_t now_ms) {
  std::sort(footprints.begin(), footprints.end(), [](const auto& a, const auto& b) {
    return a.time_ms != b.time_ms ? a.time_ms < b.time_ms : a.id < b.id;
  });
  std::vector<std::string> doomed;
  std::vector<bool> gone(footprints.size(), false);
  int64_t total = 0;
  for (const auto& f : footprints) total += f.bytes;
  if (policy.max_age.count() > 0) {
    const int64_t cutoff = now_ms - policy.max_age.count();
    for (size_t i = 0; i < footprints.size(); ++i) {
      if (footprints[i].time_ms < cutoff && !keep.count(footprints[i].id)) {
        gone[i] = true;
        total -= footprints[i].bytes;
        doomed.push_back(footprints[i].id);
      }
    }
  }
  if (policy.max_bytes > 0) {
    for (size_t i = 0; i < footprints.size() && total > policy.max_bytes; ++i) {
      if (gone[i] || keep.count(footprints[i].id)) continue;
      gone[i] = true;
      total -= footprints[i].bytes;
      doomed.push_back(footprints[i].id);
    }
  }
  return doomed;
}

}  // namespace medic::evidence
