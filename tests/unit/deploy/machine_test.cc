// The deploy guard's state machine in simulated time: each test plays what the daemon would report
// (step results, probe rounds, validators' answers) and checks the steps asked for, the outcome and
// the report a person reads.
#include "deploy/machine.h"

#include <gtest/gtest.h>

#include "deploy/new_spec.h"

namespace medic::deploy {
namespace {

using namespace std::chrono_literals;

/// A fake clock: steady and wall advance together.
struct FakeTime {
  Now now{SteadyTime{} + 1000s, WallTime{} + std::chrono::seconds(1'800'000'000)};
  Now advance(Millis d) {
    now.steady += d;
    now.wall += d;
    return now;
  }
};

Plan plan(Strategy s = Strategy::kRecreate, std::vector<std::string> validators = {}) {
  Plan p;
  p.id = "d1";
  p.service = "web";
  p.image = "app:v2";
  p.strategy = s;
  p.validate_timeout = 10s;
  p.confirm_timeout = 5s;
  p.downtime_budget = 60s;
  p.success_threshold = 2;
  p.validators = std::move(validators);
  return p;
}

StepKind only(const Output& o) {
  EXPECT_EQ(o.steps.size(), 1u);
  return o.steps.empty() ? StepKind::kPreflight : o.steps.front().kind;
}

bool hasNotice(const Output& o, const std::string& kind) {
  for (const auto& n : o.notices) {
    if (n.kind == kind) return true;
  }
  return false;
}

StepDone sd(StepKind k, bool ok, std::string error = {}, std::string id = {}) {
  StepDone d;
  d.kind = k;
  d.ok = ok;
  d.error = std::move(error);
  d.container_id = std::move(id);
  return d;
}

/// Drives a machine through preflight, snapshot and replace (new container "new1").
struct Drive {
  FakeTime t;
  Machine m;
  explicit Drive(Plan p) : m(std::move(p), t.now) {
    EXPECT_EQ(only(m.start(t.now)), StepKind::kPreflight);
    EXPECT_EQ(only(m.observe(sd(StepKind::kPreflight, true), t.advance(10ms))),
              StepKind::kSnapshot);
    StepDone snap = sd(StepKind::kSnapshot, true);
    snap.detail = {{"snapshot_id", 7}, {"container_id", "old1"}};
    EXPECT_EQ(only(m.observe(snap, t.advance(10ms))), StepKind::kReplace);
  }
  Output replaced(Millis took = 500ms) {
    StepDone done = sd(StepKind::kReplace, true, "", "new1");
    return m.observe(done, t.advance(took));
  }
  Output probe(bool passing, Millis after = 250ms, bool exited = false) {
    return m.observe(ProbeRound{m.probeTarget(), passing, exited, passing ? "200" : "500", {"ev1"}},
                     t.advance(after));
  }
};

TEST(DeployMachine, GoodDeployValidatesThenFinishesAndMeasuresDowntime) {
  Drive r(plan());
  auto o = r.replaced(500ms);
  EXPECT_TRUE(o.steps.empty());
  EXPECT_EQ(r.m.phase(), Phase::kValidate);
  EXPECT_TRUE(r.m.wantsProbes());
  EXPECT_EQ(r.m.probeTarget(), "new1");
  EXPECT_TRUE(r.probe(false).steps.empty());  // still starting
  EXPECT_TRUE(r.probe(true).steps.empty());   // 1 of 2
  EXPECT_EQ(only(r.probe(true)), StepKind::kFinish);
  auto done = r.m.observe(sd(StepKind::kFinish, true), r.t.advance(100ms));
  EXPECT_TRUE(hasNotice(done, "deploy_succeeded"));
  EXPECT_EQ(r.m.outcome(), Outcome::kSucceeded);
  auto rep = r.m.report(r.t.now);
  // Down from the replace step (old stopped) to the first passing round: 500 + 250 + 250 ms.
  EXPECT_NEAR(rep["downtime_seconds"].get<double>(), 1.0, 1e-9);
  EXPECT_EQ(rep["outcome"], "succeeded");
  EXPECT_EQ(rep["validators"][0]["name"], "medic");
  EXPECT_EQ(rep["validators"][0]["answer"], "confirmed");
  EXPECT_EQ(rep["steps"].size(), 5u);  // preflight snapshot replace validate finish
  EXPECT_EQ(rep["evidence"], nlohmann::json::array({"ev1"}));
  EXPECT_EQ(rep["old_container_id"], "old1");
  EXPECT_EQ(rep["new_container_id"], "new1");
}

TEST(DeployMachine, NewContainerThatExitsIsRolledBackAndTheRollbackValidated) {
  Drive r(plan());
  r.replaced();
  auto o = r.probe(false, 250ms, /*exited=*/true);
  ASSERT_EQ(only(o), StepKind::kRollback);
  EXPECT_EQ(o.steps[0].container_id, "new1");
  EXPECT_EQ(r.m.phase(), Phase::kRollback);
  EXPECT_FALSE(r.m.wantsProbes());
  StepDone back = sd(StepKind::kRollback, true, "", "old1");
  EXPECT_TRUE(r.m.observe(back, r.t.advance(300ms)).steps.empty());
  EXPECT_EQ(r.m.probeTarget(), "old1");
  r.probe(true);
  auto end = r.probe(true);
  EXPECT_TRUE(hasNotice(end, "deploy_rolled_back"));
  EXPECT_EQ(r.m.outcome(), Outcome::kRolledBack);
  auto rep = r.m.report(r.t.now);
  EXPECT_NE(rep["reason"].get<std::string>().find("stopped"), std::string::npos) << rep.dump(2);
  EXPECT_NEAR(rep["downtime_seconds"].get<double>(), 0.5 + 0.25 + 0.3 + 0.25, 1e-9);
}

TEST(DeployMachine, NeverHealthyTimesOutIntoRollback) {
  Drive r(plan());
  r.replaced();
  for (int i = 0; i < 39; ++i) EXPECT_TRUE(r.probe(false).steps.empty());
  EXPECT_EQ(r.m.nextWakeup(), r.t.now.steady + 250ms);
  auto o = r.m.observe(Tick{}, r.t.advance(250ms));
  EXPECT_EQ(only(o), StepKind::kRollback);
  EXPECT_NE(r.m.report(r.t.now)["reason"].get<std::string>().find("did not pass its probes"),
            std::string::npos);
}

TEST(DeployMachine, ValidatorRejectionRollsBackAndIsReported) {
  Drive r(plan(Strategy::kRecreate, {"ci", "medic"}));
  r.replaced();
  r.probe(true);
  auto o = r.probe(true);
  EXPECT_EQ(only(o), StepKind::kRequestConfirmation);
  EXPECT_EQ(r.m.phase(), Phase::kConfirm);
  EXPECT_EQ(r.m.pendingValidators(), std::vector<std::string>{"ci"});
  EXPECT_FALSE(r.m.acceptsAnswer("nobody"));
  EXPECT_TRUE(r.m.observe(sd(StepKind::kRequestConfirmation, true), r.t.now).steps.empty());
  auto rej = r.m.observe(Answer{"ci", false, "smoke test failed"}, r.t.advance(1s));
  EXPECT_EQ(only(rej), StepKind::kRollback);
  auto rep = r.m.report(r.t.now);
  EXPECT_EQ(rep["validators"][1]["name"], "ci");
  EXPECT_EQ(rep["validators"][1]["answer"], "rejected");
  EXPECT_EQ(rep["validators"][1]["reason"], "smoke test failed");
  EXPECT_NE(rep["reason"].get<std::string>().find("smoke test failed"), std::string::npos);
}

TEST(DeployMachine, SilentValidatorCountsAsRejectionAfterConfirmTimeout) {
  Drive r(plan(Strategy::kRecreate, {"ci"}));
  r.replaced();
  r.probe(true);
  r.probe(true);
  r.m.observe(sd(StepKind::kRequestConfirmation, true), r.t.now);
  EXPECT_TRUE(r.m.observe(Tick{}, r.t.advance(4900ms)).steps.empty());
  auto o = r.m.observe(Tick{}, r.t.advance(100ms));
  EXPECT_EQ(only(o), StepKind::kRollback);
  EXPECT_EQ(r.m.report(r.t.now)["validators"][1]["answer"], "silent");
}

TEST(DeployMachine, ConfirmationFinishesTheDeploy) {
  Drive r(plan(Strategy::kRecreate, {"ci"}));
  r.replaced();
  r.probe(true);
  r.probe(true);
  r.m.observe(sd(StepKind::kRequestConfirmation, true), r.t.now);
  EXPECT_EQ(only(r.m.observe(Answer{"ci", true, ""}, r.t.advance(1s))), StepKind::kFinish);
}

TEST(DeployMachine, FailedPreflightRefusesWithoutTouchingAnything) {
  FakeTime t;
  Machine m(plan(), t.now);
  m.start(t.now);
  auto o = m.observe(sd(StepKind::kPreflight, false, "web is not healthy"), t.now);
  EXPECT_TRUE(o.steps.empty());
  EXPECT_TRUE(hasNotice(o, "deploy_refused"));
  EXPECT_EQ(m.outcome(), Outcome::kRefused);
  EXPECT_EQ(m.report(t.now)["downtime_seconds"], 0.0);
}

TEST(DeployMachine, StartFirstHasNoDowntime) {
  Drive r(plan(Strategy::kStartFirst));
  r.replaced(2s);
  r.probe(false, 1s);
  r.probe(true);
  EXPECT_EQ(only(r.probe(true)), StepKind::kFinish);
  r.m.observe(sd(StepKind::kFinish, true), r.t.advance(200ms));
  EXPECT_EQ(r.m.outcome(), Outcome::kSucceeded);
  EXPECT_EQ(r.m.report(r.t.now)["downtime_seconds"], 0.0);
}

TEST(DeployMachine, DowntimeOverBudgetRaisesACriticalNoticeOnce) {
  Plan p = plan();
  p.downtime_budget = 1s;
  Drive r(p);
  r.replaced(500ms);
  EXPECT_EQ(r.m.nextWakeup(), r.t.now.steady + 501ms);
  auto o = r.m.observe(Tick{}, r.t.advance(501ms));
  ASSERT_TRUE(hasNotice(o, "deploy_downtime_over_budget"));
  EXPECT_EQ(o.notices[0].severity, "critical");
  EXPECT_FALSE(hasNotice(r.m.observe(Tick{}, r.t.advance(1s)), "deploy_downtime_over_budget"));
  EXPECT_TRUE(r.m.report(r.t.now)["over_budget"].get<bool>());
}

TEST(DeployMachine, RestartDuringValidationRollsBackFromStoredState) {
  Drive r(plan());
  r.replaced();
  r.probe(true);
  auto stored = r.m.toJson(r.t.now);
  r.t.advance(3s);  // medic was down
  auto back = Machine::fromJson(stored, r.t.now);
  ASSERT_TRUE(back) << back.error().message;
  auto o = back->observe(Resumed{}, r.t.now);
  ASSERT_EQ(only(o), StepKind::kRollback);
  EXPECT_EQ(o.steps[0].container_id, "new1");
  EXPECT_NE(back->report(r.t.now)["reason"].get<std::string>().find("restart"), std::string::npos);
}

TEST(DeployMachine, RestartDuringFinishFinishes) {
  Drive r(plan());
  r.replaced();
  r.probe(true);
  EXPECT_EQ(only(r.probe(true)), StepKind::kFinish);
  auto back = Machine::fromJson(r.m.toJson(r.t.now), r.t.now);
  ASSERT_TRUE(back);
  EXPECT_EQ(only(back->observe(Resumed{}, r.t.now)), StepKind::kFinish);
  back->observe(sd(StepKind::kFinish, true), r.t.now);
  EXPECT_EQ(back->outcome(), Outcome::kSucceeded);
}

TEST(DeployMachine, RollbackThatDoesNotValidateIsReportedAsFailed) {
  Drive r(plan());
  r.replaced();
  r.probe(false, 250ms, true);
  r.m.observe(sd(StepKind::kRollback, true, "", "old2"), r.t.now);
  auto o = r.m.observe(Tick{}, r.t.advance(10s));
  EXPECT_TRUE(hasNotice(o, "deploy_rollback_failed"));
  EXPECT_EQ(r.m.outcome(), Outcome::kRollbackFailed);
}

TEST(DeployMachine, MalformedStoredStateIsAnError) {
  FakeTime t;
  EXPECT_FALSE(Machine::fromJson({{"plan", 3}}, t.now));
}

TEST(NewSpec, ImageDefaultsOfTheOldImageGiveWayToTheNewOnes) {
  nlohmann::json body = {{"Image", "sha256:old"},
                         {"Env", {"PATH=/bin", "APP_VERSION=v1", "PORT=9000"}},
                         {"Cmd", {"serve"}},
                         {"Labels", {{"tier", "web"}}}};
  nlohmann::json old_image = {{"Env", {"PATH=/bin", "APP_VERSION=v1"}}, {"Cmd", {"serve"}}};
  auto out = specForImage(body, old_image, "app:v2");
  EXPECT_EQ(out["Image"], "app:v2");
  EXPECT_EQ(out["Env"], nlohmann::json::array({"PORT=9000"}));
  EXPECT_FALSE(out.contains("Cmd"));
  EXPECT_EQ(out["Labels"]["tier"], "web");
  EXPECT_EQ(out["Labels"]["medic.snapshot.image"], "app:v2");
}

TEST(NewSpec, FixedHostPortsAndHostNetworkForbidStartFirst) {
  std::string why;
  EXPECT_TRUE(bindsFixedHostPort({{"HostConfig", {{"NetworkMode", "host"}}}}, why));
  EXPECT_TRUE(bindsFixedHostPort(
      {{"HostConfig", {{"PortBindings", {{"80/tcp", {{{"HostIp", ""}, {"HostPort", "8080"}}}}}}}}},
      why));
  EXPECT_NE(why.find("8080"), std::string::npos);
  EXPECT_FALSE(bindsFixedHostPort(
      {{"HostConfig",
        {{"NetworkMode", "bridge"},
         {"PortBindings", {{"80/tcp", {{{"HostIp", "127.0.0.1"}, {"HostPort", ""}}}}}}}}},
      why));
}

}  // namespace
}  // namespace medic::deploy
