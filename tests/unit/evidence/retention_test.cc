// Retention bounded by age and size; what an open incident or an unacknowledged alert cites stays.
#include "evidence/retention.h"

#include <gtest/gtest.h>

namespace medic::evidence {
namespace {

constexpr int64_t kDay = 24LL * 60 * 60 * 1000;

store::EvidenceFootprint fp(std::string id, int64_t time_ms, int64_t bytes) {
  return {std::move(id), time_ms, bytes};
}

TEST(Retention, DropsWhatIsTooOldThenTheOldestUntilItFits) {
  const int64_t now = 100 * kDay;
  std::vector<store::EvidenceFootprint> rows = {
      fp("new-3", now - 1000, 100),      fp("old-1", now - 40 * kDay, 100),
      fp("old-2", now - 31 * kDay, 100), fp("mid-1", now - 10 * kDay, 300),
      fp("mid-2", now - 5 * kDay, 300),
  };
  RetentionPolicy policy{Millis(30 * kDay), 450};
  auto doomed = selectForDeletion(rows, {}, policy, now);
  // Age first (old-1, old-2), then oldest-first until 700 bytes fit in 450: mid-1 (-> 400).
  EXPECT_EQ(doomed, (std::vector<std::string>{"old-1", "old-2", "mid-1"}));

  RetentionPolicy unlimited{Millis(0), 0};
  EXPECT_TRUE(selectForDeletion(rows, {}, unlimited, now).empty());
}

TEST(Retention, NeverDropsProtectedEvidenceEvenOverTheLimits) {
  const int64_t now = 100 * kDay;
  std::vector<store::EvidenceFootprint> rows = {fp("cited", now - 90 * kDay, 1000),
                                                fp("a", now - 3 * kDay, 100),
                                                fp("b", now - 2 * kDay, 100)};
  auto doomed = selectForDeletion(rows, {"cited"}, RetentionPolicy{Millis(30 * kDay), 150}, now);
  // The cited record alone is over the size limit: everything else goes, it stays.
  EXPECT_EQ(doomed, (std::vector<std::string>{"a", "b"}));
}

TEST(Retention, ProtectsOpenIncidentsAndTheNewestIncidentOfAnUnackedFiringAlert) {
  store::IncidentRecord open;
  open.id = 1;
  open.service = "web";
  open.state = store::IncidentState::kOpen;
  open.detected_at_ms = 50;
  open.evidence_ids = {"ev-open"};
  store::IncidentRecord older;
  older.id = 2;
  older.service = "db";
  older.state = store::IncidentState::kClosed;
  older.detected_at_ms = 10;
  older.evidence_ids = {"ev-db-old"};
  store::IncidentRecord escalated = older;
  escalated.id = 3;
  escalated.detected_at_ms = 20;
  escalated.outcome = "escalated";
  escalated.evidence_ids = {"ev-db-escalated"};
  store::IncidentRecord closed_quiet = older;
  closed_quiet.id = 4;
  closed_quiet.service = "api";
  closed_quiet.evidence_ids = {"ev-api"};

  store::AlertRecord firing;
  firing.service = "db";
  firing.state = store::AlertState::kFiring;
  store::AlertRecord acked = firing;
  acked.service = "api";
  acked.acked = true;

  auto keep = protectedEvidence({open, older, escalated, closed_quiet}, {firing, acked});
  EXPECT_EQ(keep, (std::set<std::string>{"ev-open", "ev-db-escalated"}));

  store::AlertRecord resolved = firing;
  resolved.state = store::AlertState::kResolved;
  EXPECT_EQ(protectedEvidence({older, escalated}, {resolved}), std::set<std::string>{});
}

}  // namespace
}  // namespace medic::evidence
