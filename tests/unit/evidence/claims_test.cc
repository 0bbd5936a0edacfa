#include "evidence/claims.h"

#include <gtest/gtest.h>

namespace medic::evidence {
namespace {

using namespace std::chrono_literals;

const WallTime kNow = WallTime(Millis(1'764'000'000'000));

Evidence running(WallTime t, const char* health = "healthy") {
  return makeEvidence(kDockerState, "webui",
                      {{"status", "running"},
                       {"running", true},
                       {"paused", false},
                       {"exit_code", 0},
                       {"health", {{"status", health}}}},
                      t);
}
Evidence absent(WallTime t) {
  return makeEvidence(kDockerState, "webui", {{"container", nullptr}, {"containers_listed", 3}}, t);
}
Evidence exited(WallTime t) {
  return makeEvidence(kDockerState, "webui",
                      {{"status", "exited"}, {"running", false}, {"exit_code", 3}}, t);
}
Evidence http(WallTime t, bool ok) {
  return makeEvidence(kHttp, "webui",
                      {{"probe", "http http://127.0.0.1:8080/"},
                       {"ok", ok},
                       {"status", ok ? 200 : 500},
                       {"summary", ok ? "HTTP 200 in 2 ms" : "HTTP 500 (expected 200-299)"}},
                      t);
}

Claim claim(ClaimExpect e, Millis max_age = 60s) {
  return Claim{"webui is healthy", "webui", e, max_age, {}};
}

TEST(Claims, FreshSupportingEvidenceIsAccepted) {
  auto d = running(kNow - 5s);
  auto h = http(kNow - 2s, true);
  auto r = judgeClaim(claim(ClaimExpect::kHealthy), {d, h}, kNow);
  EXPECT_EQ(r.verdict, ClaimVerdict::kAccepted) << r.reason;
  EXPECT_EQ(r.evidence_ids, (std::vector<std::string>{d.id, h.id}));
  EXPECT_EQ(judgeClaim(claim(ClaimExpect::kServing), {d, h}, kNow).verdict,
            ClaimVerdict::kAccepted);
}

TEST(Claims, StaleEvidenceGivesUnknownNeverAccepted) {
  auto r = judgeClaim(claim(ClaimExpect::kHealthy, 30s),
                      {running(kNow - 31s), http(kNow - 40s, true)}, kNow);
  EXPECT_EQ(r.verdict, ClaimVerdict::kUnknown);
  EXPECT_TRUE(r.evidence_ids.empty());
  EXPECT_NE(r.reason.find("newer than 30s"), std::string::npos) << r.reason;
  EXPECT_EQ(judgeClaim(claim(ClaimExpect::kHealthy), {}, kNow).verdict, ClaimVerdict::kUnknown);
}

TEST(Claims, RemovedServiceContradictsHealthyAndServing) {
  auto gone = absent(kNow - 1s);
  auto old_ok = running(kNow - 20s);  // older evidence said healthy: the newest wins
  auto r = judgeClaim(claim(ClaimExpect::kHealthy), {old_ok, gone}, kNow);
  EXPECT_EQ(r.verdict, ClaimVerdict::kRejected);
  EXPECT_EQ(r.evidence_ids, std::vector<std::string>{gone.id});
  EXPECT_NE(r.reason.find("no container"), std::string::npos) << r.reason;
  auto s = judgeClaim(claim(ClaimExpect::kServing), {gone}, kNow);
  EXPECT_EQ(s.verdict, ClaimVerdict::kRejected);
  EXPECT_EQ(judgeClaim(claim(ClaimExpect::kAbsent), {gone}, kNow).verdict, ClaimVerdict::kAccepted);
  EXPECT_EQ(judgeClaim(claim(ClaimExpect::kAbsent), {running(kNow)}, kNow).verdict,
            ClaimVerdict::kRejected);
}

TEST(Claims, FailingProbeOrExitOrUnhealthyContradicts) {
  auto bad = http(kNow - 1s, false);
  auto r = judgeClaim(claim(ClaimExpect::kHealthy), {running(kNow - 2s), bad}, kNow);
  EXPECT_EQ(r.verdict, ClaimVerdict::kRejected);
  EXPECT_EQ(r.evidence_ids, std::vector<std::string>{bad.id});
  EXPECT_NE(r.reason.find("500"), std::string::npos);

  auto ex = exited(kNow - 1s);
  r = judgeClaim(claim(ClaimExpect::kHealthy), {ex}, kNow);
  EXPECT_EQ(r.verdict, ClaimVerdict::kRejected);
  EXPECT_NE(r.reason.find("exit code 3"), std::string::npos) << r.reason;

  r = judgeClaim(claim(ClaimExpect::kHealthy), {running(kNow - 1s, "unhealthy")}, kNow);
  EXPECT_EQ(r.verdict, ClaimVerdict::kRejected);
}

TEST(Claims, ANewerPassingProbeSupersedesAnOlderFailure) {
  auto r = judgeClaim(claim(ClaimExpect::kServing),
                      {http(kNow - 10s, false), http(kNow - 1s, true)}, kNow);
  EXPECT_EQ(r.verdict, ClaimVerdict::kAccepted) << r.reason;
}

TEST(Claims, AProbeWithoutFreshEvidenceMakesHealthyUnknown) {
  // The container runs, but the probe stopped reporting 2 minutes ago: no evidence of health.
  Claim c = claim(ClaimExpect::kHealthy);
  c.probes = {"http http://127.0.0.1:8080/"};
  auto r = judgeClaim(c, {running(kNow - 1s), http(kNow - 120s, true)}, kNow);
  EXPECT_EQ(r.verdict, ClaimVerdict::kUnknown) << r.reason;
  EXPECT_NE(r.reason.find("http http://127.0.0.1:8080/"), std::string::npos) << r.reason;
  c.expect = ClaimExpect::kServing;
  EXPECT_EQ(judgeClaim(c, {running(kNow - 1s), http(kNow - 120s, true)}, kNow).verdict,
            ClaimVerdict::kUnknown);
  // With the probe's fresh record it is accepted, citing both.
  c.expect = ClaimExpect::kHealthy;
  auto fresh = http(kNow - 1s, true);
  auto d = running(kNow - 1s);
  r = judgeClaim(c, {d, fresh}, kNow);
  EXPECT_EQ(r.verdict, ClaimVerdict::kAccepted) << r.reason;
  EXPECT_EQ(r.evidence_ids, (std::vector<std::string>{d.id, fresh.id}));
  // A removed service is still rejected on the evidence of its absence, probes or not.
  auto gone = absent(kNow - 1s);
  r = judgeClaim(c, {gone}, kNow);
  EXPECT_EQ(r.verdict, ClaimVerdict::kRejected);
  EXPECT_EQ(r.evidence_ids, std::vector<std::string>{gone.id});
}

TEST(Claims, ExpectationsParse) {
  ClaimExpect e{};
  EXPECT_TRUE(parseClaimExpect("serving", e));
  EXPECT_EQ(e, ClaimExpect::kServing);
  EXPECT_FALSE(parseClaimExpect("fine", e));
}

}  // namespace
}  // namespace medic::evidence
