// Which probe results become stored rows: a result that changes nothing is held in memory; a change
// of verdict, a citation or the once-a-minute sample writes it.
#include "evidence/ledger.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace medic::evidence {
namespace {

const WallTime kT0 = WallTime(Millis(1'764'000'000'000));

Evidence probeRecord(const std::string& service, bool ok, Millis at) {
  return makeEvidence(kHttp, service, {{"probe", "http x"}, {"ok", ok}, {"latency_ms", at.count() % 7}},
                      kT0 + at);
}

std::vector<std::string> ids(const std::vector<Evidence>& records) {
  std::vector<std::string> out;
  for (const auto& e : records) out.push_back(e.id);
  return out;
}

TEST(EvidenceLedger, TheFirstResultIsWrittenAndRepeatsAreNot) {
  EvidenceLedger ledger(Millis(60'000));
  auto first = probeRecord("web", true, Millis(0));
  EXPECT_EQ(ids(ledger.offer("web/http x", "pass", first)), std::vector<std::string>{first.id});
  for (int s = 1; s < 60; ++s) {
    EXPECT_TRUE(ledger.offer("web/http x", "pass", probeRecord("web", true, Millis(s * 1000))).empty())
        << "second " << s;
  }
  EXPECT_EQ(ledger.size(), 1u);
}

TEST(EvidenceLedger, ASteadyProbeIsSampledOnceAMinute) {
  EvidenceLedger ledger(Millis(60'000));
  int written = 0;
  for (int s = 0; s <= 180; ++s) {
    written += static_cast<int>(
        ledger.offer("web/http x", "pass", probeRecord("web", true, Millis(s * 1000))).size());
  }
  EXPECT_EQ(written, 4);  // at 0, 60, 120 and 180 s
}

TEST(EvidenceLedger, AChangeOfVerdictWritesTheLastOldResultAndTheNewOne) {
  EvidenceLedger ledger;
  ledger.offer("web/http x", "pass", probeRecord("web", true, Millis(0)));
  ledger.offer("web/http x", "pass", probeRecord("web", true, Millis(1000)));
  auto last_pass = probeRecord("web", true, Millis(2000));
  ledger.offer("web/http x", "pass", last_pass);
  auto fail = probeRecord("web", false, Millis(3000));
  EXPECT_EQ(ids(ledger.offer("web/http x", "fail", fail)),
            (std::vector<std::string>{last_pass.id, fail.id}));
  // Back to passing: the failing record was written already, only the new one is.
  auto pass = probeRecord("web", true, Millis(4000));
  EXPECT_EQ(ids(ledger.offer("web/http x", "pass", pass)), std::vector<std::string>{pass.id});
}

TEST(EvidenceLedger, ACitedRecordIsWrittenOnce) {
  EvidenceLedger ledger;
  ledger.offer("web/http x", "pass", probeRecord("web", true, Millis(0)));
  auto held = probeRecord("web", true, Millis(1000));
  EXPECT_TRUE(ledger.offer("web/http x", "pass", held).empty());
  EXPECT_EQ(ids(ledger.cite({held.id, "ev-unknown"})), std::vector<std::string>{held.id});
  EXPECT_TRUE(ledger.cite({held.id}).empty());  // already written
}

TEST(EvidenceLedger, ASupersededIdCanBeLookedUpForAWhileThenItIsGone) {
  // The status showed `shown`; a newer result of the same verdict replaced it before anyone asked.
  EvidenceLedger ledger(Millis(60'000), Millis(15'000));
  ledger.offer("web/http x", "pass", probeRecord("web", true, Millis(0)));
  auto shown = probeRecord("web", true, Millis(1000));
  ledger.offer("web/http x", "pass", shown);
  ledger.offer("web/http x", "pass", probeRecord("web", true, Millis(2000)));
  EXPECT_EQ(ledger.supersededHeld(), 1u);
  EXPECT_EQ(ids(ledger.cite({shown.id})), std::vector<std::string>{shown.id});
  EXPECT_TRUE(ledger.cite({shown.id}).empty());  // written once
  // One not asked for is dropped once it was superseded 15 s ago.
  auto missed = probeRecord("web", true, Millis(3000));
  ledger.offer("web/http x", "pass", missed);
  for (int s = 4; s <= 19; ++s) ledger.offer("web/http x", "pass", probeRecord("web", true, Millis(s * 1000)));
  EXPECT_TRUE(ledger.cite({missed.id}).empty());
  EXPECT_LE(ledger.supersededHeld(), 15u);
}

TEST(EvidenceLedger, AClaimCitesTheNewestRecordOfEverySourceOfItsService) {
  EvidenceLedger ledger;
  ledger.offer("web/http x", "pass", probeRecord("web", true, Millis(0)));
  ledger.offer("web/docker", "running", makeEvidence(kDockerState, "web", {{"running", true}}, kT0));
  ledger.offer("api/http x", "pass", probeRecord("api", true, Millis(0)));
  auto web_probe = probeRecord("web", true, Millis(5000));
  auto web_docker = makeEvidence(kDockerState, "web", {{"running", true}}, kT0 + Millis(5000));
  ledger.offer("web/http x", "pass", web_probe);
  ledger.offer("web/docker", "running", web_docker);
  ledger.offer("api/http x", "pass", probeRecord("api", true, Millis(5000)));
  auto cited = ids(ledger.citeService("web"));
  std::sort(cited.begin(), cited.end());
  std::vector<std::string> want{web_probe.id, web_docker.id};
  std::sort(want.begin(), want.end());
  EXPECT_EQ(cited, want);
  ledger.forget("web");
  EXPECT_EQ(ledger.size(), 1u);
  EXPECT_TRUE(ledger.citeService("web").empty());
}

TEST(EvidenceLedger, AClockThatWentBackStillSamples) {
  EvidenceLedger ledger(Millis(60'000));
  ledger.offer("web/http x", "pass", probeRecord("web", true, Millis(120'000)));
  EXPECT_EQ(ledger.offer("web/http x", "pass", probeRecord("web", true, Millis(1000))).size(), 1u);
}

}  // namespace
}  // namespace medic::evidence
