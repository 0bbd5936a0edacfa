#include "services/verdict.h"

#include <gtest/gtest.h>

namespace medic::services {
namespace {

ProtectedService svc() {
  ProtectedService s;
  s.name = "webui";
  return s;
}

docker::ContainerInfo running(std::optional<std::string> health = std::nullopt) {
  docker::ContainerInfo c;
  c.id = "abc";
  c.name = "webui";
  c.state.status = "running";
  c.state.running = true;
  c.state.health = std::move(health);
  return c;
}

TEST(Verdict, MissingContainerIsMissing) {
  auto v = judge(svc(), std::nullopt, "ev-1", {});
  EXPECT_EQ(v.health, Health::kMissing);
  EXPECT_EQ(v.evidence_ids, std::vector<std::string>{"ev-1"});
}

TEST(Verdict, ExitedReportsItsExitCode) {
  auto c = running();
  c.state.running = false;
  c.state.status = "exited";
  c.state.exit_code = 3;
  auto v = judge(svc(), c, "ev-1", {});
  EXPECT_EQ(v.health, Health::kUnhealthy);
  EXPECT_NE(v.reason.find("code 3"), std::string::npos) << v.reason;
}

TEST(Verdict, DockerUnhealthyQuotesTheHealthLog) {
  auto c = running("unhealthy");
  c.state.failing_streak = 4;
  c.state.health_log.push_back({"t0", "t1", 1, "probe failed: 500\n"});
  auto v = judge(svc(), c, "ev-1", {});
  EXPECT_EQ(v.health, Health::kUnhealthy);
  EXPECT_NE(v.reason.find("probe failed: 500"), std::string::npos) << v.reason;
}

TEST(Verdict, PausedIsUnhealthy) {
  auto c = running();
  c.state.paused = true;
  c.state.status = "paused";
  EXPECT_EQ(judge(svc(), c, "ev", {}).health, Health::kUnhealthy);
}

TEST(Verdict, FailingProbeMakesARunningServiceUnhealthy) {
  ProbeResult p{"http http://127.0.0.1:1/", "http", false, true, "timed out after 2000 ms", "ev-2"};
  auto v = judge(svc(), running("healthy"), "ev-1", {p});
  EXPECT_EQ(v.health, Health::kUnhealthy);
  EXPECT_NE(v.reason.find("timed out"), std::string::npos);
  EXPECT_EQ(v.evidence_ids, (std::vector<std::string>{"ev-1", "ev-2"}));
}

TEST(Verdict, HealthyNeedsRunningAndPassingChecks) {
  ProbeResult p{"http x", "http", true, false, "HTTP 200 in 1 ms", "ev-2"};
  EXPECT_EQ(judge(svc(), running("healthy"), "ev-1", {p}).health, Health::kHealthy);
  EXPECT_EQ(judge(svc(), running(), "ev-1", {}).health, Health::kHealthy);
  EXPECT_EQ(judge(svc(), running("starting"), "ev-1", {p}).health, Health::kUnknown);
}

TEST(Verdict, ExitStatusIsZeroOnlyWhenEverythingIsHealthy) {
  ServiceVerdict ok{"a", Health::kHealthy, "", {}};
  ServiceVerdict bad{"b", Health::kMissing, "", {}};
  EXPECT_EQ(checkExitStatus({ok}), 0);
  EXPECT_EQ(checkExitStatus({ok, bad}), 1);
  EXPECT_EQ(checkExitStatus({}), 1);
}

TEST(Verdict, ExcerptCarriesStateExitCodeAndHealthLogTail) {
  auto c = running("unhealthy");
  for (int i = 0; i < 5; ++i) c.state.health_log.push_back({"s", "e", 1, "out" + std::to_string(i)});
  auto j = dockerStateExcerpt(c);
  EXPECT_EQ(j["status"], "running");
  EXPECT_EQ(j["health"]["status"], "unhealthy");
  ASSERT_EQ(j["health"]["log_tail"].size(), 3u);
  EXPECT_EQ(j["health"]["log_tail"][2]["output"], "out4");
}

}  // namespace
}  // namespace medic::services
