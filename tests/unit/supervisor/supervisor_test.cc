// The supervisor core's policy (DESIGN.md section 4), in simulated time: each test feeds what
// Docker and the probes would report and checks what medic decides to do and to say.

#include "supervisor/supervisor.h"

#include <gtest/gtest.h>

#include "sim.h"

namespace medic::supervisor {
namespace {

using namespace std::chrono_literals;
using testing::inPhase;
using testing::running;
using testing::service;
using testing::Sim;

ServiceDef probed(std::string name) {
  ServiceDef def = service(std::move(name));
  def.has_probes = true;
  return def;
}

/// A service that passes its probes on container `id`.
void healthyWithProbes(Sim& sim, const std::string& svc, const std::string& id) {
  sim.seen(svc, running(id));
  sim.probes(svc, id, true);
  ASSERT_EQ(sim.state(svc), "healthy");
}

Action onlyRecovery(const Decision& d) {
  auto acts = Sim::recoveries(d);
  EXPECT_EQ(acts.size(), 1u);
  return acts.empty() ? Action{} : acts.front();
}

// ---- detection and the ladder ---------------------------------------------------------------

TEST(Ladder, ExitedServiceIsStartedAtOnceAndRecoveredWhenRunningAgain) {
  Sim sim({service("web")});
  sim.seen("web", running("c1"));
  EXPECT_EQ(sim.state("web"), "healthy");

  Decision d = sim.event("web", "c1", "die", 120ms, 137);
  Action start = onlyRecovery(d);
  EXPECT_EQ(start.kind, ActionKind::kStart);
  EXPECT_EQ(start.container_id, "c1");
  EXPECT_EQ(start.attempt, 1);
  const Notice* failed = Sim::notice(d, "failed");
  ASSERT_NE(failed, nullptr);
  EXPECT_NEAR(failed->data["detection_seconds"].get<double>(), 0.12, 1e-9);
  EXPECT_EQ(failed->data["exit_code"], 137);
  EXPECT_EQ(sim.state("web"), "recovering");

  sim.clock.advance(300ms);
  Decision after = sim.done(start);
  // No healthcheck and no probes: running again is passing.
  EXPECT_EQ(sim.state("web"), "healthy");
  const Notice* recovered = Sim::notice(after, "recovered");
  ASSERT_NE(recovered, nullptr);
  EXPECT_NEAR(recovered->data["recovery_seconds"].get<double>(), 0.3, 1e-9);
  EXPECT_EQ(recovered->data["attempts"], 1);
  ASSERT_TRUE(sim.status("web").last_incident);
  EXPECT_EQ(sim.status("web").last_incident->outcome, "recovered");
}

TEST(Ladder, SecondAttemptOnAnExitedServiceIsARestartAfterBackoff) {
  Sim sim({probed("web")});
  healthyWithProbes(sim, "web", "c1");
  Action start = onlyRecovery(sim.event("web", "c1", "stop"));
  EXPECT_EQ(start.kind, ActionKind::kStart);
  sim.done(start);
  EXPECT_EQ(sim.state("web"), "verifying");

  // The probes never pass: settle_timeout (60 s) makes the attempt a failure, then 1 s backoff.
  EXPECT_TRUE(Sim::recoveries(sim.advance(60s)).empty());
  EXPECT_EQ(sim.state("web"), "failed");
  EXPECT_TRUE(Sim::recoveries(sim.advance(999ms)).empty());
  Action restart = onlyRecovery(sim.advance(1ms));
  EXPECT_EQ(restart.kind, ActionKind::kRestart);
  EXPECT_EQ(restart.attempt, 2);
  EXPECT_EQ(restart.stop_timeout, 10000ms);
}

TEST(Ladder, UnhealthyServiceIsRestarted) {
  Sim sim({service("web")});
  sim.seen("web", running("c1", DockerHealth::kHealthy));
  Decision d = sim.health("web", "c1", DockerHealth::kUnhealthy);
  Action restart = onlyRecovery(d);
  EXPECT_EQ(restart.kind, ActionKind::kRestart);
  EXPECT_EQ(restart.stop_timeout, 10000ms);
  EXPECT_EQ(Sim::notice(d, "failed")->data["failure"], "unhealthy");

  // After the restart Docker health starts over; healthy again = recovered.
  sim.done(restart);
  EXPECT_EQ(sim.state("web"), "verifying");
  Decision ok = sim.health("web", "c1", DockerHealth::kHealthy);
  EXPECT_NE(Sim::notice(ok, "recovered"), nullptr);
  EXPECT_EQ(sim.state("web"), "healthy");
}

TEST(Ladder, FailingProbesRestartAndPassingProbesCarryTheirEvidence) {
  Sim sim({probed("web")});
  healthyWithProbes(sim, "web", "c1");
  Decision d = sim.probes("web", "c1", false, false, {"ev-fail-1"});
  Action restart = onlyRecovery(d);
  EXPECT_EQ(restart.kind, ActionKind::kRestart);
  EXPECT_EQ(Sim::notice(d, "failed")->data["evidence"], nlohmann::json({"ev-fail-1"}));

  sim.done(restart);
  sim.clock.advance(2s);
  Decision ok = sim.probes("web", "c1", true, false, {"ev-pass-7"});
  const Notice* recovered = Sim::notice(ok, "recovered");
  ASSERT_NE(recovered, nullptr);
  EXPECT_EQ(recovered->data["evidence"], nlohmann::json({"ev-pass-7"}));
  EXPECT_EQ(sim.status("web").last_incident->evidence_ids, std::vector<std::string>{"ev-pass-7"});
}

TEST(Ladder, ProbesFailingWhileARepairedServiceWarmsUpAreGivenTheSettleTimeout) {
  Sim sim({probed("web")});
  healthyWithProbes(sim, "web", "c1");
  Action restart = onlyRecovery(sim.probes("web", "c1", false));
  sim.done(restart);
  sim.advance(5s);
  EXPECT_TRUE(Sim::recoveries(sim.probes("web", "c1", false)).empty());
  EXPECT_EQ(sim.state("web"), "verifying");
  sim.advance(20s);
  EXPECT_NE(Sim::notice(sim.probes("web", "c1", true), "recovered"), nullptr);
  EXPECT_EQ(sim.all_recoveries.size(), 1u);
}

TEST(Ladder, AHardFailureWhileVerifyingFailsTheAttemptAtOnce) {
  Sim sim({probed("web")});
  healthyWithProbes(sim, "web", "c1");
  sim.done(onlyRecovery(sim.event("web", "c1", "die", 0ms, 1)));
  sim.clock.advance(2s);
  EXPECT_TRUE(Sim::recoveries(sim.event("web", "c1", "die", 0ms, 1)).empty());
  EXPECT_EQ(sim.state("web"), "failed");
  EXPECT_EQ(onlyRecovery(sim.advance(1s)).kind, ActionKind::kRestart);  // backoff 1 s, not 60
}

TEST(Ladder, HungServiceIsRestartedWithTheShortStopTimeout) {
  Sim sim({probed("web")});
  healthyWithProbes(sim, "web", "c1");
  Action restart = onlyRecovery(sim.probes("web", "c1", false, /*hung=*/true));
  EXPECT_EQ(restart.kind, ActionKind::kRestart);
  EXPECT_EQ(restart.stop_timeout, 2000ms);
}

TEST(Ladder, PausedServiceIsUnpaused) {
  Sim sim({service("web")});
  sim.seen("web", running("c1"));
  Action unpause = onlyRecovery(sim.event("web", "c1", "pause"));
  EXPECT_EQ(unpause.kind, ActionKind::kUnpause);
  sim.done(unpause);
  EXPECT_EQ(sim.state("web"), "healthy");
}

TEST(Ladder, RemovedServiceWaitsReplacementGraceThenIsRecreated) {
  Sim sim({service("web")});
  sim.seen("web", running("c1"));
  Decision d = sim.event("web", "c1", "destroy", 50ms);
  EXPECT_TRUE(Sim::recoveries(d).empty());
  EXPECT_NE(Sim::notice(d, "failed"), nullptr);
  EXPECT_EQ(sim.state("web"), "waiting_replacement");
  ASSERT_TRUE(sim.status("web").next_action_at);
  EXPECT_EQ(*sim.status("web").next_action_at, sim.clock.now.steady + 10s);

  EXPECT_TRUE(Sim::recoveries(sim.advance(9999ms)).empty());
  Action recreate = onlyRecovery(sim.advance(1ms));
  EXPECT_EQ(recreate.kind, ActionKind::kRecreate);
  EXPECT_EQ(recreate.container_id, "");

  Decision after = sim.done(recreate, true, "", "c2");
  EXPECT_EQ(sim.state("web"), "healthy");
  EXPECT_EQ(sim.status("web").container_id, "c2");
  EXPECT_NE(Sim::notice(after, "recovered"), nullptr);
  ASSERT_EQ(Sim::snapshots(after).size(), 1u);
  EXPECT_EQ(Sim::snapshots(after)[0].container_id, "c2");
}

// `docker rm -f` kills first: medic sees `die`, starts the dying container, the engine refuses
// ("marked for removal"), then `destroy` arrives. The refused start must cost no budget, and the
// removal goes down the recreate path, not the rollback rung.
// dockerd shutting down reports its containers dying before its socket goes away: a start that
// could not reach the engine did nothing and spends no budget.
TEST(Ladder, AnActionThatNeverReachedTheEngineCostsNoAttempt) {
  Sim sim({service("web")});
  sim.seen("web", running("c1"));
  Action start = onlyRecovery(sim.event("web", "c1", "die", 0ms, 0));
  ActionDone lost{start.id, false, "cannot connect to the Docker engine", ""};
  lost.reached_engine = false;
  sim.feed(lost);
  EXPECT_EQ(sim.status("web").attempts_in_window, 0);
}

// `docker run` creates, then starts: a container seen between the two is its creator's business.
TEST(Ladder, AFreshlyCreatedContainerIsLeftToItsCreatorThenStarted) {
  Sim sim({service("web")});
  ContainerView created = inPhase("c1", Phase::kCreated);
  created.created_at = sim.clock.now.wall - 500ms;
  EXPECT_TRUE(Sim::recoveries(sim.seen("web", created)).empty());
  EXPECT_EQ(sim.state("web"), "starting");
  // Still created long after: nobody is going to start it, medic does.
  sim.clock.advance(5s);
  Action start = onlyRecovery(sim.seen("web", created));
  EXPECT_EQ(start.kind, ActionKind::kStart);
}

TEST(Ladder, StartRefusedBecauseTheContainerIsBeingRemovedCostsNoAttempt) {
  Sim sim({service("web")});
  sim.seen("web", running("c1"));
  Action start = onlyRecovery(sim.event("web", "c1", "die", 0ms, 137));
  EXPECT_EQ(start.kind, ActionKind::kStart);
  EXPECT_EQ(sim.status("web").attempts_in_window, 1);
  sim.done(start, false, "HTTP 409: container is marked for removal and cannot be started");
  EXPECT_EQ(sim.status("web").attempts_in_window, 0);
  sim.event("web", "c1", "destroy");
  EXPECT_EQ(sim.state("web"), "waiting_replacement");
  Decision later = sim.advance(10s);
  Action recreate = onlyRecovery(later);
  EXPECT_EQ(recreate.kind, ActionKind::kRecreate);
  EXPECT_EQ(recreate.attempt, 1);
}

TEST(Ladder, AKillEventIsOnlyASignalAndTriggersNothingUntilTheDie) {
  Sim sim({service("web")});
  sim.seen("web", running("c1"));
  // `docker kill -s HUP` for a reload, or the first event of `docker rm -f`.
  Decision d = sim.event("web", "c1", "kill");
  EXPECT_TRUE(Sim::recoveries(d).empty());
  EXPECT_EQ(sim.state("web"), "healthy");
  // `docker rm -f` goes on with destroy: a removal, with no attempt spent on the way.
  sim.event("web", "c1", "destroy");
  EXPECT_EQ(sim.state("web"), "waiting_replacement");
  EXPECT_EQ(sim.status("web").attempts_in_window, 0);
}

TEST(Ladder, ReplacementWithinGraceIsAdoptedWithoutAction) {
  Sim sim({service("web")});
  sim.seen("web", running("c1"));
  sim.event("web", "c1", "destroy");
  sim.advance(3s);
  Decision d = sim.event("web", "c2", "start");
  EXPECT_NE(Sim::notice(d, "replaced"), nullptr);
  EXPECT_EQ(sim.state("web"), "healthy");
  EXPECT_EQ(sim.status("web").container_id, "c2");
  sim.advance(1min);
  EXPECT_TRUE(sim.all_recoveries.empty());
  EXPECT_EQ(sim.status("web").last_incident->outcome, "replaced");
}

TEST(Ladder, ReplacementWithAHealthcheckIsAdoptedOnceHealthy) {
  Sim sim({service("web")});
  sim.seen("web", running("c1", DockerHealth::kHealthy));
  sim.event("web", "c1", "destroy");
  sim.advance(2s);
  Decision starting = sim.seen("web", running("c2", DockerHealth::kStarting));
  EXPECT_EQ(Sim::notice(starting, "replaced"), nullptr);
  EXPECT_EQ(sim.state("web"), "waiting_replacement");
  // Its start period outlasts the grace: still no recreate of a service that has a container.
  sim.advance(15s);
  EXPECT_TRUE(sim.all_recoveries.empty());
  Decision healthy = sim.health("web", "c2", DockerHealth::kHealthy);
  EXPECT_NE(Sim::notice(healthy, "replaced"), nullptr);
  EXPECT_EQ(sim.state("web"), "healthy");
  EXPECT_TRUE(sim.all_recoveries.empty());
}

TEST(Ladder, ReplacementAlreadyPresentAtDestroyIsAdoptedImmediately) {
  Sim sim({service("web")});
  sim.seen("web", running("c1"));
  // docker-compose up: the new container exists before the old one is destroyed.
  sim.event("web", "c2", "create");
  sim.event("web", "c2", "start");
  EXPECT_EQ(sim.status("web").container_id, "c1");
  Decision d = sim.event("web", "c1", "destroy");
  EXPECT_NE(Sim::notice(d, "replaced"), nullptr);
  EXPECT_EQ(Sim::notice(d, "failed"), nullptr);
  EXPECT_EQ(sim.state("web"), "healthy");
  EXPECT_EQ(sim.status("web").container_id, "c2");
  sim.advance(1min);
  EXPECT_TRUE(sim.all_recoveries.empty());
}

TEST(Ladder, ComposeRecreateThatStopsTheOldContainerFirstConvergesOnTheNewOne) {
  Sim sim({service("web")});
  sim.seen("web", running("c1"));
  // docker-compose up --force-recreate: stop old, create and start new, remove old. medic sees
  // the stop first and starts the old container (it cannot know yet); the rest must converge.
  Action start_old = onlyRecovery(sim.event("web", "c1", "stop"));
  sim.event("web", "c2", "create");
  sim.event("web", "c2", "start");
  sim.event("web", "c1", "destroy");
  // Adopted once medic's own start of the old one has answered (one action at a time).
  Decision d = sim.done(start_old, false, "No such container: c1");
  EXPECT_NE(Sim::notice(d, "replaced"), nullptr);
  sim.advance(1min);
  EXPECT_EQ(sim.state("web"), "healthy");
  EXPECT_EQ(sim.status("web").container_id, "c2");
  EXPECT_EQ(sim.all_recoveries.size(), 1u);  // never a recreate next to the new container
}

TEST(Ladder, ComposeV2RecreateThatStartsTheNewContainerAfterTheRemovalIsAdopted) {
  Sim sim({service("web")});
  sim.seen("web", running("c1"));
  sim.event("web", "c2", "create");
  Action start_old = onlyRecovery(sim.event("web", "c1", "stop"));
  sim.event("web", "c1", "destroy");
  sim.done(start_old, false, "No such container: c1");
  Decision d = sim.event("web", "c2", "start");
  EXPECT_NE(Sim::notice(d, "replaced"), nullptr);
  sim.advance(1min);
  EXPECT_EQ(sim.state("web"), "healthy");
  EXPECT_EQ(sim.status("web").container_id, "c2");
  EXPECT_EQ(sim.all_recoveries.size(), 1u);
}

ServiceDef composed(std::string name) {
  ServiceDef def = service(std::move(name));
  def.compose_managed = true;
  def.recovery.replacement_grace = 5s;
  def.recovery.replacement_trial = 8s;
  return def;
}

TEST(Ladder, ComposeStopWaitsForTheReplacementInsteadOfStartingTheOldCopy) {
  Sim sim({composed("web")});
  sim.seen("web", running("c1"));
  // docker-compose up -d with a new image: stop old, rename, create + start new, remove old.
  EXPECT_TRUE(Sim::recoveries(sim.kill("web", "c1", 15)).empty());
  EXPECT_TRUE(Sim::recoveries(sim.event("web", "c1", "die", 0ms, 0)).empty());
  EXPECT_TRUE(Sim::recoveries(sim.event("web", "c1", "stop")).empty());
  EXPECT_EQ(sim.state("web"), "waiting_replacement");
  sim.event("web", "c2", "create");
  sim.event("web", "c2", "start");
  Decision d = sim.event("web", "c1", "destroy");
  EXPECT_NE(Sim::notice(d, "replaced"), nullptr);
  sim.advance(1min);
  EXPECT_EQ(sim.status("web").container_id, "c2");
  EXPECT_TRUE(sim.all_recoveries.empty());
}

TEST(Ladder, ComposeStopWithoutAReplacementIsStartedAfterTheGrace) {
  Sim sim({composed("web")});
  sim.seen("web", running("c1"));
  sim.kill("web", "c1", 15);  // `docker compose stop`: a stop asked for through the API
  EXPECT_TRUE(Sim::recoveries(sim.event("web", "c1", "die", 0ms, 143)).empty());
  EXPECT_TRUE(Sim::recoveries(sim.advance(4s)).empty());
  Action start = onlyRecovery(sim.advance(1s));
  EXPECT_EQ(start.kind, ActionKind::kStart);
  EXPECT_EQ(start.container_id, "c1");
}

TEST(Ladder, ComposeContainerThatCrashesIsStartedAtOnce) {
  Sim sim({composed("web")});
  sim.seen("web", running("c1"));
  Action start = onlyRecovery(sim.event("web", "c1", "die", 0ms, 2));
  EXPECT_EQ(start.kind, ActionKind::kStart);
}

TEST(Ladder, ComposeDownStopThenRemoveIsSaidAgainAsACriticalRemoval) {
  Sim sim({composed("web")});
  sim.seen("web", running("c1"));
  sim.kill("web", "c1", 15);
  Decision stop = sim.event("web", "c1", "die", 0ms, 0);
  // A stop asked for through the API may be compose at work: nothing is said yet.
  EXPECT_EQ(Sim::notice(stop, "failed"), nullptr);
  EXPECT_EQ(sim.state("web"), "waiting_replacement");
  Decision rm = sim.event("web", "c1", "destroy");
  const Notice* removed = Sim::notice(rm, "failed");
  ASSERT_NE(removed, nullptr);
  EXPECT_EQ(removed->severity, Severity::kCritical);
  Action recreate = onlyRecovery(sim.advance(5s));
  EXPECT_EQ(recreate.kind, ActionKind::kRecreate);
}

TEST(Ladder, RemovalIsAlwaysCritical) {
  Sim sim({service("web")});
  sim.seen("web", running("c1"));
  Decision d = sim.event("web", "c1", "destroy");
  const Notice* failed = Sim::notice(d, "failed");
  ASSERT_NE(failed, nullptr);
  EXPECT_EQ(failed->severity, Severity::kCritical);
}

TEST(Ladder, ReplacementThatWasOnlyCreatedIsStartedNotRecreated) {
  Sim sim({service("web")});
  sim.seen("web", running("c1"));
  sim.event("web", "c1", "destroy");
  sim.event("web", "c2", "create");
  Action start = onlyRecovery(sim.advance(10s));
  EXPECT_EQ(start.kind, ActionKind::kStart);
  EXPECT_EQ(start.container_id, "c2");
}

TEST(Ladder, RollbackIsTheLastRungThenEscalation) {
  Sim sim({probed("web")});  // max_attempts 3, rollback on
  healthyWithProbes(sim, "web", "c1");
  Action first = onlyRecovery(sim.event("web", "c1", "die", 0ms, 1));
  EXPECT_EQ(first.kind, ActionKind::kStart);
  sim.done(first, false, "engine said 500");
  Action second = onlyRecovery(sim.advance(1s));
  EXPECT_EQ(second.kind, ActionKind::kRestart);
  sim.done(second, false, "engine said 500");
  Action third = onlyRecovery(sim.advance(2s));
  EXPECT_EQ(third.kind, ActionKind::kRollback);
  EXPECT_EQ(third.attempt, 3);

  // The shell found no older healthy image: the rollback fails, and the budget is spent.
  Decision d = sim.done(third, false, "no older healthy image");
  const Notice* escalated = Sim::notice(d, "escalated");
  ASSERT_NE(escalated, nullptr);
  EXPECT_EQ(escalated->severity, Severity::kCritical);
  EXPECT_NE(escalated->text.find("manual intervention required"), std::string::npos);
  EXPECT_EQ(sim.state("web"), "escalated");
  EXPECT_EQ(sim.all_recoveries.size(), 3u);
}

TEST(Ladder, EscalatesAfterExactlyMaxAttemptsAndDoesNothingMore) {
  ServiceDef def = service("web");
  def.recovery.rollback = false;
  Sim sim({def});
  sim.seen("web", running("c1", DockerHealth::kHealthy));
  sim.health("web", "c1", DockerHealth::kUnhealthy);
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(sim.all_recoveries.size(), static_cast<size_t>(i + 1));
    const Action a = sim.all_recoveries.back();
    EXPECT_EQ(a.kind, ActionKind::kRestart);
    sim.done(a);
    sim.advance(30s);  // inside its start period
    Decision d = sim.health("web", "c1", DockerHealth::kUnhealthy);
    const bool escalated_now = Sim::notice(d, "escalated") != nullptr;
    EXPECT_EQ(escalated_now, i == 2) << "after attempt " << i + 1;
    sim.advance(10s);
  }
  EXPECT_EQ(sim.all_recoveries.size(), 3u);
  EXPECT_EQ(sim.state("web"), "escalated");
  EXPECT_TRUE(sim.status("web").escalated);

  // Nothing any observation of that container says makes medic act again (a removal would:
  // Escalation.ARemovedEscalatedServiceIsRestoredAndSaysItWasEscalated)...
  sim.advance(1h);
  sim.seen("web", inPhase("c1", Phase::kExited, 1));
  sim.advance(1h);
  EXPECT_EQ(sim.all_recoveries.size(), 3u);

  // ...until an operator asks: escalation cleared, fresh budget, immediate action.
  Decision recover = sim.feed(RecoverRequested{"web"});
  EXPECT_EQ(onlyRecovery(recover).kind, ActionKind::kStart);
  EXPECT_FALSE(sim.status("web").escalated);
  EXPECT_EQ(sim.status("web").attempts_in_window, 1);
}

TEST(Ladder, RecreateWithoutSnapshotLeavesTheServiceMissing) {
  Sim sim({service("web")});
  sim.seen("web", std::nullopt);  // configured, but no container exists
  Action recreate = onlyRecovery(sim.advance(10s));
  EXPECT_EQ(recreate.kind, ActionKind::kRecreate);
  Decision d = sim.done(recreate, false, "no snapshot of web: it was never seen healthy");
  const Notice* missing = Sim::notice(d, "missing");
  ASSERT_NE(missing, nullptr);
  EXPECT_EQ(missing->severity, Severity::kCritical);
  EXPECT_NE(missing->text.find("manual intervention required"), std::string::npos);
  EXPECT_EQ(sim.state("web"), "missing");
  sim.advance(1h);
  EXPECT_EQ(sim.all_recoveries.size(), 1u);
  // A container that shows up is tracked again once it proved itself for flap_window.
  sim.seen("web", running("c9"));
  sim.advance(5min);
  EXPECT_EQ(sim.state("web"), "healthy");
}

// ---- budget and backoff -----------------------------------------------------------------------

ServiceDef budgetOfTwo() {
  ServiceDef def = service("web");
  def.recovery.max_attempts = 2;
  def.recovery.flap_threshold = 100;  // this test is about the budget, not flapping
  return def;
}

TEST(Budget, AThirdFailureInsideTheWindowEscalates) {
  Sim sim({budgetOfTwo()});
  sim.seen("web", running("c1"));
  sim.done(onlyRecovery(sim.event("web", "c1", "die")));
  sim.advance(6min);
  sim.done(onlyRecovery(sim.event("web", "c1", "die")));
  EXPECT_EQ(sim.status("web").attempts_in_window, 2);
  sim.advance(3min);  // 9 min after the first attempt
  Decision d = sim.event("web", "c1", "die");
  EXPECT_TRUE(Sim::recoveries(d).empty());
  EXPECT_NE(Sim::notice(d, "escalated"), nullptr);
}

TEST(Budget, AttemptsOlderThanTheWindowNoLongerCount) {
  Sim sim({budgetOfTwo()});
  sim.seen("web", running("c1"));
  sim.done(onlyRecovery(sim.event("web", "c1", "die")));
  sim.advance(6min);
  sim.done(onlyRecovery(sim.event("web", "c1", "die")));
  sim.advance(4min + 1ms);  // the first attempt has slid out of the 10 min window
  Decision d = sim.event("web", "c1", "die");
  EXPECT_EQ(onlyRecovery(d).kind, ActionKind::kStart);
  EXPECT_EQ(Sim::notice(d, "escalated"), nullptr);
  EXPECT_EQ(sim.status("web").attempts_in_window, 2);
}

TEST(Budget, BackoffBetweenAttemptsDoublesWithJitter) {
  ServiceDef def = probed("web");
  def.recovery.max_attempts = 5;
  def.recovery.rollback = false;
  Sim sim({def});
  sim.jitter = 0.0;  // the shortest spread: 0.8 x
  healthyWithProbes(sim, "web", "c1");
  sim.done(onlyRecovery(sim.event("web", "c1", "die")), false, "boom");
  // 1 s x 0.8
  EXPECT_EQ(*sim.sup.nextWakeup(), sim.clock.now.steady + 800ms);
  sim.done(onlyRecovery(sim.advance(800ms)), false, "boom");
  sim.jitter = 0.999;  // the longest: ~1.2 x
  // (the jitter is drawn when the attempt fails)
  sim.done(onlyRecovery(sim.advance(1600ms)), false, "boom");
  const SteadyTime expected = sim.clock.now.steady + 4800ms;  // 4 s x ~1.2
  EXPECT_NEAR(toSeconds(*sim.sup.nextWakeup() - expected), 0.0, 0.01);
  EXPECT_TRUE(Sim::recoveries(sim.advance(4700ms)).empty());
  EXPECT_EQ(Sim::recoveries(sim.advance(200ms)).size(), 1u);
}

// ---- flapping ---------------------------------------------------------------------------------

ServiceDef flappy() {
  ServiceDef def = service("web");
  def.recovery.max_attempts = 10;  // about flapping, not the budget
  def.recovery.flap_threshold = 3;
  def.recovery.flap_window = 5min;
  return def;
}

TEST(Flapping, RepeatedFailuresSoonAfterRecoveryEscalateInsteadOfLooping) {
  Sim sim({flappy()});
  sim.seen("web", running("c1"));
  for (int i = 0; i < 3; ++i) {
    sim.done(onlyRecovery(sim.event("web", "c1", "die")));
    EXPECT_EQ(sim.state("web"), "healthy");
    EXPECT_EQ(sim.status("web").flap_count, i);
    sim.advance(1min);
  }
  Decision d = sim.event("web", "c1", "die");
  EXPECT_TRUE(Sim::recoveries(d).empty());
  EXPECT_EQ(Sim::noticeKinds(d), (std::vector<std::string>{"failed", "flapping", "escalated"}));
  EXPECT_EQ(sim.state("web"), "escalated");
  EXPECT_EQ(sim.status("web").flap_count, 3);
}

TEST(Flapping, ALongHealthyPeriodResetsTheCounter) {
  Sim sim({flappy()});
  sim.seen("web", running("c1"));
  sim.done(onlyRecovery(sim.event("web", "c1", "die")));
  sim.advance(1min);
  sim.done(onlyRecovery(sim.event("web", "c1", "die")));
  sim.advance(1min);
  sim.done(onlyRecovery(sim.event("web", "c1", "die")));
  EXPECT_EQ(sim.status("web").flap_count, 2);
  sim.advance(5min);  // healthy for the whole flap window
  EXPECT_EQ(sim.status("web").flap_count, 0);
  Decision d = sim.event("web", "c1", "die");
  EXPECT_EQ(onlyRecovery(d).kind, ActionKind::kStart);
  EXPECT_EQ(Sim::notice(d, "flapping"), nullptr);
}

TEST(Flapping, EscalatedServiceHealthyByItselfForTheFlapWindowIsTrustedAgain) {
  Sim sim({flappy()});
  sim.seen("web", running("c1"));
  for (int i = 0; i < 3; ++i) {
    sim.done(onlyRecovery(sim.event("web", "c1", "die")));
    sim.advance(1min);
  }
  sim.event("web", "c1", "die");
  ASSERT_EQ(sim.state("web"), "escalated");
  sim.event("web", "c1", "start");  // somebody started it by hand
  sim.advance(4min);
  EXPECT_EQ(sim.state("web"), "escalated");
  Decision cleared = sim.advance(1min);
  EXPECT_NE(Sim::notice(cleared, "recovered"), nullptr);
  EXPECT_EQ(sim.state("web"), "healthy");
  EXPECT_EQ(onlyRecovery(sim.event("web", "c1", "die")).kind, ActionKind::kStart);
}

// ---- guards -----------------------------------------------------------------------------------

TEST(Guards, ContainerChangingStateIsNotTouched) {
  Sim sim({service("web")});
  sim.seen("web", inPhase("c1", Phase::kRestarting));
  EXPECT_EQ(sim.state("web"), "starting");
  sim.seen("web", inPhase("c1", Phase::kRemoving));
  sim.seen("web", running("c1", DockerHealth::kStarting));  // inside its start period
  EXPECT_EQ(sim.state("web"), "starting");
  sim.advance(10min);
  EXPECT_TRUE(sim.all_recoveries.empty());
  // Once it settles on a failure, medic acts.
  EXPECT_EQ(onlyRecovery(sim.seen("web", inPhase("c1", Phase::kExited, 2))).kind,
            ActionKind::kStart);
}

TEST(Guards, OneActionAtATimePerService) {
  Sim sim({service("web")});
  sim.seen("web", running("c1", DockerHealth::kHealthy));
  Action restart = onlyRecovery(sim.health("web", "c1", DockerHealth::kUnhealthy));
  EXPECT_TRUE(Sim::recoveries(sim.event("web", "c1", "die")).empty());
  EXPECT_TRUE(Sim::recoveries(sim.seen("web", inPhase("c1", Phase::kExited, 1))).empty());
  EXPECT_TRUE(Sim::recoveries(sim.advance(5min)).empty());
  EXPECT_EQ(sim.state("web"), "recovering");
  sim.done(restart, false, "timeout");
  EXPECT_EQ(sim.all_recoveries.size(), 1u);
  EXPECT_EQ(Sim::recoveries(sim.advance(1s)).size(), 1u);
}

TEST(Guards, AtMostTwoRecoveriesInFlightOnTheHost) {
  Sim sim({service("a"), service("b"), service("c"), service("d"), service("e"), service("f")});
  for (const char* s : {"a", "b", "c", "d", "e", "f"}) sim.seen(s, running(std::string(s) + "1"));
  Action a = onlyRecovery(sim.event("a", "a1", "die"));
  onlyRecovery(sim.event("b", "b1", "die"));
  EXPECT_TRUE(Sim::recoveries(sim.event("c", "c1", "die")).empty());  // 3 of 6: no panic
  EXPECT_FALSE(sim.sup.panicMode());
  EXPECT_EQ(sim.state("c"), "failed");
  sim.advance(1min);
  EXPECT_EQ(sim.all_recoveries.size(), 2u);
  Action c = onlyRecovery(sim.done(a));
  EXPECT_EQ(c.service, "c");
}

TEST(Guards, DependenciesAreRecoveredFirst) {
  ServiceDef api = service("api");
  api.depends_on = {"db"};
  Sim sim({api, probed("db"), service("x"), service("y")});  // 2 of 4 failing: no panic mode
  sim.seen("api", running("a1"));
  healthyWithProbes(sim, "db", "d1");
  Action db_start = onlyRecovery(sim.event("db", "d1", "die"));
  EXPECT_EQ(db_start.service, "db");
  EXPECT_TRUE(Sim::recoveries(sim.event("api", "a1", "die")).empty());
  EXPECT_EQ(sim.state("api"), "waiting_dependency");
  EXPECT_EQ(sim.status("api").waiting_for, "db");
  sim.done(db_start);
  EXPECT_TRUE(Sim::recoveries(sim.advance(10s)).empty());  // db still verifying
  Decision d = sim.probes("db", "d1", true);
  Action api_start = onlyRecovery(d);
  EXPECT_EQ(api_start.service, "api");
}

TEST(Guards, AnEscalatedDependencyStillHoldsItsDependentsAndIsNamedAsTheCause) {
  ServiceDef api = service("api");
  api.depends_on = {"db"};
  ServiceDef db = service("db");
  db.recovery.max_attempts = 1;
  Sim sim({api, db, service("x"), service("y")});  // 2 of 4 failing: no panic mode
  sim.seen("api", running("a1"));
  sim.seen("db", running("d1"));
  Action db_start = onlyRecovery(sim.event("db", "d1", "die"));
  sim.event("api", "a1", "die");
  Decision d = sim.done(db_start, false, "boom");
  EXPECT_NE(Sim::notice(d, "escalated"), nullptr);
  // Restarting api cannot help while db is down: a person fixes db, then api is judged afresh.
  EXPECT_TRUE(Sim::recoveries(d).empty());
  EXPECT_TRUE(Sim::recoveries(sim.advance(5min)).empty());
  EXPECT_EQ(sim.state("api"), "waiting_dependency");
  EXPECT_EQ(sim.status("api").waiting_for, "db");
  EXPECT_EQ(sim.status("api").attempts_in_window, 0);
  // db repaired by a person: api, still exited, is started at once.
  Action again = onlyRecovery(sim.feed(RecoverRequested{"db"}));
  EXPECT_EQ(again.service, "db");
  Action api_start = onlyRecovery(sim.done(again));
  EXPECT_EQ(api_start.service, "api");
  EXPECT_EQ(api_start.kind, ActionKind::kStart);
}

TEST(Guards, FailureCountersAndBudgetStartFreshForANewContainerSomebodyElsePutInPlace) {
  Sim sim({probed("web")});
  // Never healthy, so no snapshot: a replacement of it is not on trial (see Replacement tests).
  sim.seen("web", running("c1"));
  sim.done(onlyRecovery(sim.event("web", "c1", "die")), false, "boom");
  // Somebody replaced the container meanwhile; its first failure starts the ladder over.
  Decision d = sim.seen("web", inPhase("c2", Phase::kExited, 3));
  Action start = onlyRecovery(d);
  EXPECT_EQ(start.kind, ActionKind::kStart);
  EXPECT_EQ(start.container_id, "c2");
  EXPECT_EQ(sim.status("web").attempts_in_window, 1);  // the new container's first attempt
  // A verdict about the old container says nothing about the new one.
  sim.done(start);
  EXPECT_TRUE(sim.probes("web", "c1", true).empty());
  EXPECT_EQ(sim.state("web"), "verifying");
  EXPECT_NE(Sim::notice(sim.probes("web", "c2", true), "replaced"), nullptr);
}

TEST(Guards, ResyncOfTheSameStateChangesNothing) {
  Sim sim({probed("web")});
  healthyWithProbes(sim, "web", "c1");
  EXPECT_TRUE(sim.seen("web", running("c1")).empty());
  EXPECT_TRUE(sim.probes("web", "c1", true).empty());
  sim.done(onlyRecovery(sim.seen("web", inPhase("c1", Phase::kExited, 1))), false, "boom");
  EXPECT_TRUE(sim.seen("web", inPhase("c1", Phase::kExited, 1)).empty());
  EXPECT_TRUE(sim.seen("web", inPhase("c1", Phase::kExited, 1)).empty());
  EXPECT_EQ(sim.all_recoveries.size(), 1u);
}

TEST(Guards, LateEventsCausedByMedicsOwnRestartAreNotNewFailures) {
  Sim sim({service("web")});
  sim.seen("web", running("c1", DockerHealth::kHealthy));
  Action restart = onlyRecovery(sim.health("web", "c1", DockerHealth::kUnhealthy));
  const WallTime during = sim.clock.now.wall + 500ms;
  sim.clock.advance(1s);
  sim.done(restart);
  // The die of the old process arrives after the engine answered.
  Decision late = sim.feed(testing::makeEvent("web", "c1", "die", std::nullopt, 143, during));
  EXPECT_TRUE(late.empty());
  EXPECT_EQ(sim.state("web"), "verifying");
  // A die that happens after the restart is a new failure.
  sim.clock.advance(5s);
  EXPECT_EQ(Sim::notice(sim.event("web", "c1", "die"), "failed"), nullptr);  // same incident
  EXPECT_EQ(sim.state("web"), "failed");
}

TEST(Maintenance, ObservedButNotRepairedThenEvaluatedAfresh) {
  Sim sim({service("web")});
  sim.seen("web", running("c1"));
  Decision m = sim.feed(MaintenanceSet{"web", sim.clock.now.steady + 10min});
  EXPECT_NE(Sim::notice(m, "maintenance"), nullptr);
  Decision d = sim.event("web", "c1", "stop");
  EXPECT_TRUE(d.actions.empty());
  EXPECT_EQ(Sim::notice(d, "failed"), nullptr);
  EXPECT_EQ(sim.state("web"), "maintenance");
  EXPECT_TRUE(sim.status("web").in_maintenance);
  EXPECT_TRUE(Sim::recoveries(sim.advance(10min - 1ms)).empty());
  Decision end = sim.advance(1ms);
  EXPECT_NE(Sim::notice(end, "maintenance"), nullptr);
  EXPECT_EQ(onlyRecovery(end).kind, ActionKind::kStart);
}

TEST(Maintenance, EndingItEarlyEvaluatesTheCurrentState) {
  Sim sim({service("web")});
  sim.seen("web", running("c1"));
  sim.feed(MaintenanceSet{"web", sim.clock.now.steady + 1h});
  sim.event("web", "c1", "stop");
  sim.event("web", "c1", "start");
  Decision end = sim.feed(MaintenanceSet{"web", std::nullopt});
  EXPECT_TRUE(Sim::recoveries(end).empty());
  EXPECT_EQ(sim.state("web"), "healthy");
}

TEST(DeployGuard, ADeployIsNotRepairedAndItsResultIsAdopted) {
  Sim sim({service("web")});
  sim.seen("web", running("c1", DockerHealth::kNone, "sha256:old"));
  sim.feed(DeployGuard{"web", true});
  EXPECT_TRUE(sim.event("web", "c1", "stop").actions.empty());
  EXPECT_TRUE(sim.event("web", "c1", "destroy").actions.empty());
  EXPECT_EQ(sim.state("web"), "maintenance");
  sim.advance(30s);
  sim.seen("web", running("c2", DockerHealth::kNone, "sha256:new"));
  sim.feed(DeployGuard{"web", false});
  EXPECT_EQ(sim.state("web"), "healthy");
  EXPECT_TRUE(sim.all_recoveries.empty());
  EXPECT_EQ(sim.status("web").last_healthy_image, "sha256:new");
}

TEST(DeployGuard, AFailedDeployIsRepairedWhenTheGuardLifts) {
  Sim sim({service("web")});
  sim.seen("web", running("c1"));
  sim.feed(DeployGuard{"web", true});
  sim.event("web", "c1", "destroy");
  sim.advance(1min);
  Decision d = sim.feed(DeployGuard{"web", false});
  EXPECT_EQ(sim.state("web"), "waiting_replacement");
  EXPECT_EQ(onlyRecovery(sim.advance(10s)).kind, ActionKind::kRecreate);
  (void)d;
}

// ---- replacements by other tools (compose up with a new image) ---------------------------------

/// A compose service with probes, healthy on c1 (snapshot taken), replaced the way
/// `docker-compose up -d` (v1) does it: stop old, create + start c2, remove old.
ServiceDef composedWithProbes(std::string name) {
  ServiceDef def = composed(std::move(name));
  def.has_probes = true;
  return def;
}

void composeReplaces(Sim& sim, const std::string& svc, const std::string& old_id,
                     const std::string& new_id) {
  sim.kill(svc, old_id, 15);
  sim.event(svc, old_id, "die", 0ms, 0);
  sim.event(svc, old_id, "stop");
  sim.event(svc, new_id, "create");
  sim.event(svc, new_id, "start");
  sim.event(svc, old_id, "destroy");
  ASSERT_EQ(sim.status(svc).container_id, new_id);
}

TEST(Replacement, AGoodReplacementPassesItsTrialAndBecomesTheSnapshot) {
  Sim sim({composedWithProbes("web")});
  healthyWithProbes(sim, "web", "c1");
  composeReplaces(sim, "web", "c1", "c2");
  EXPECT_EQ(sim.state("web"), "waiting_replacement");
  ASSERT_TRUE(sim.status("web").next_action_at);
  EXPECT_EQ(*sim.status("web").next_action_at, sim.clock.now.steady + 8s);  // replacement_trial
  sim.advance(2s);
  Decision pass = sim.probes("web", "c2", true);
  EXPECT_EQ(sim.state("web"), "healthy");
  ASSERT_EQ(Sim::snapshots(pass).size(), 1u);
  EXPECT_EQ(Sim::snapshots(pass)[0].container_id, "c2");
  sim.advance(1min);
  EXPECT_TRUE(sim.all_recoveries.empty());
  EXPECT_EQ(sim.state("web"), "healthy");
}

TEST(Replacement, ABrokenReplacementThatExitsIsRestoredAtOnceWithoutARestart) {
  Sim sim({composedWithProbes("web")});
  healthyWithProbes(sim, "web", "c1");
  composeReplaces(sim, "web", "c1", "c2");
  EXPECT_EQ(sim.state("web"), "waiting_replacement");
  sim.advance(5s);
  // The new image exits: a definitive failure ends its trial at once (no start, no restart of
  // it, no wait for the rest of replacement_trial).
  Decision end = sim.event("web", "c2", "die", 0ms, 1);
  Action restore = onlyRecovery(end);
  EXPECT_EQ(restore.kind, ActionKind::kRestoreSnapshot);
  EXPECT_EQ(restore.container_id, "c2");
  EXPECT_STREQ(toString(restore.kind), "restore_snapshot");
  const Notice* failed = Sim::notice(end, "replacement_failed");
  ASSERT_NE(failed, nullptr);
  EXPECT_EQ(failed->severity, Severity::kWarning);
  EXPECT_EQ(failed->data["container_id"], "c2");
  EXPECT_DOUBLE_EQ(failed->data["detection_seconds"].get<double>(), 5.0);
  EXPECT_EQ(Sim::notice(end, "failed"), nullptr);  // replacement_failed says it all
  EXPECT_EQ(sim.state("web"), "recovering");
  ASSERT_TRUE(sim.status("web").last_incident);
  EXPECT_EQ(sim.status("web").last_incident->kind, "replacement_failed");

  sim.advance(500ms);
  Decision restored = sim.done(restore, true, "", "c3");
  EXPECT_EQ(sim.status("web").container_id, "c3");
  EXPECT_EQ(sim.state("web"), "verifying");
  sim.advance(1s);
  Decision pass = sim.probes("web", "c3", true, false, {"ev-3"});
  EXPECT_NE(Sim::notice(pass, "recovered"), nullptr);
  EXPECT_EQ(sim.state("web"), "healthy");
  const auto& inc = *sim.status("web").last_incident;
  EXPECT_EQ(inc.kind, "replacement_failed");
  EXPECT_EQ(inc.outcome, "recovered");
  EXPECT_EQ(inc.attempts, 1);
  ASSERT_TRUE(inc.recovery_seconds);
  EXPECT_DOUBLE_EQ(*inc.recovery_seconds, 1.5);
  EXPECT_EQ(inc.evidence_ids, std::vector<std::string>{"ev-3"});
  ASSERT_EQ(Sim::snapshots(pass).size(), 1u);
  EXPECT_EQ(Sim::snapshots(pass)[0].container_id, "c3");
  sim.advance(1min);
  EXPECT_EQ(sim.all_recoveries.size(), 1u);
  (void)restored;
}

TEST(Replacement, AReplacementThatNeverPassesItsProbesIsRestoredWithTheirEvidence) {
  Sim sim({composedWithProbes("web")});
  healthyWithProbes(sim, "web", "c1");
  composeReplaces(sim, "web", "c1", "c2");
  // It runs, but its probes fail: the ordinary ladder would restart it; a trial does not, and
  // replacement_grace (5 s) does not time it: replacement_trial (8 s) does.
  EXPECT_TRUE(Sim::recoveries(sim.probes("web", "c2", false, false, {"ev-1", "ev-2"})).empty());
  EXPECT_EQ(sim.state("web"), "waiting_replacement");
  EXPECT_TRUE(Sim::recoveries(sim.advance(8s - 1ms)).empty());
  EXPECT_EQ(sim.state("web"), "waiting_replacement");
  Decision end = sim.advance(1ms);
  EXPECT_EQ(onlyRecovery(end).kind, ActionKind::kRestoreSnapshot);
  const Notice* failed = Sim::notice(end, "replacement_failed");
  ASSERT_NE(failed, nullptr);
  EXPECT_EQ(failed->data["evidence"], nlohmann::json({"ev-1", "ev-2"}));
  EXPECT_NE(failed->text.find("probes fail"), std::string::npos) << failed->text;
}

TEST(Replacement, AReplacementThatNeverGetsAVerdictIsRestoredToo) {
  Sim sim({composedWithProbes("web")});
  healthyWithProbes(sim, "web", "c1");
  composeReplaces(sim, "web", "c1", "c2");
  Decision end = sim.advance(8s);
  EXPECT_EQ(onlyRecovery(end).kind, ActionKind::kRestoreSnapshot);
  ASSERT_NE(Sim::notice(end, "replacement_failed"), nullptr);
}

TEST(Replacement, AReplacementInsideItsStartPeriodIsJudgedWhenItsHealthIs) {
  Sim sim({composed("web")});
  sim.seen("web", running("c1", DockerHealth::kHealthy));
  sim.event("web", "c2", "create");
  sim.seen("web", running("c2", DockerHealth::kStarting));
  EXPECT_EQ(sim.state("web"), "waiting_replacement");
  // Never act on a container inside its start period, even past the grace.
  EXPECT_TRUE(Sim::recoveries(sim.advance(30s)).empty());
  EXPECT_EQ(sim.state("web"), "waiting_replacement");
  Decision bad = sim.health("web", "c2", DockerHealth::kUnhealthy);
  EXPECT_EQ(onlyRecovery(bad).kind, ActionKind::kRestoreSnapshot);
}

TEST(Replacement, AReplacementWhoseDependencyIsDownIsNotJudgedUntilItIsBack) {
  ServiceDef web = composedWithProbes("web");
  web.depends_on = {"db"};
  Sim sim({web, service("db")});
  sim.seen("db", running("d1"));
  healthyWithProbes(sim, "web", "c1");
  Action db_start = onlyRecovery(sim.event("db", "d1", "die", 0ms, 1));
  composeReplaces(sim, "web", "c1", "c2");
  sim.probes("web", "c2", false);  // it cannot pass while db is down
  EXPECT_EQ(sim.state("web"), "waiting_dependency");
  Decision held = sim.advance(20s);  // far past its trial
  EXPECT_EQ(Sim::notice(held, "replacement_failed"), nullptr);
  for (const Action& a : sim.all_recoveries) EXPECT_NE(a.service, "web");
  sim.done(db_start);
  EXPECT_EQ(sim.state("web"), "waiting_replacement");  // db is back: its trial starts over
  ASSERT_TRUE(sim.status("web").next_action_at);
  EXPECT_EQ(*sim.status("web").next_action_at, sim.clock.now.steady + 8s);
  Decision pass = sim.probes("web", "c2", true);
  EXPECT_EQ(sim.state("web"), "healthy");
  EXPECT_EQ(Sim::snapshots(pass).size(), 1u);
  for (const Action& a : sim.all_recoveries) EXPECT_NE(a.service, "web");
}

TEST(Replacement, AFailedRestoreIsCriticalAndTriedAgain) {
  Sim sim({composedWithProbes("web")});
  healthyWithProbes(sim, "web", "c1");
  composeReplaces(sim, "web", "c1", "c2");
  Action restore = onlyRecovery(sim.event("web", "c2", "die", 0ms, 1));
  Decision failed = sim.done(restore, false, "HTTP 500: create failed");
  const Notice* n = Sim::notice(failed, "replacement_failed");
  ASSERT_NE(n, nullptr);
  EXPECT_EQ(n->severity, Severity::kCritical);
  Action again = onlyRecovery(sim.advance(2s));
  EXPECT_EQ(again.kind, ActionKind::kRestoreSnapshot);
  EXPECT_EQ(again.container_id, "c2");
}

TEST(Replacement, NothingToRestoreFromEscalates) {
  Sim sim({composedWithProbes("web")});
  healthyWithProbes(sim, "web", "c1");
  composeReplaces(sim, "web", "c1", "c2");
  Action restore = onlyRecovery(sim.advance(8s));
  Decision d = sim.done(restore, false, "no snapshot of web from before its replacement");
  EXPECT_NE(Sim::notice(d, "escalated"), nullptr);
  EXPECT_EQ(sim.state("web"), "escalated");
}

TEST(Replacement, AReplacementWhileMedicRepairsIsOnTrialAndStartsAFreshBudget) {
  Sim sim({probed("web")});
  healthyWithProbes(sim, "web", "c1");
  sim.done(onlyRecovery(sim.event("web", "c1", "die")), false, "boom");
  // Somebody replaced the failing container with one that has exited too: never a start of
  // it; the snapshot comes back at once, as the next attempt of the same incident, on the new
  // container's own budget.
  Action restore = onlyRecovery(sim.seen("web", inPhase("c2", Phase::kExited, 3)));
  EXPECT_EQ(restore.kind, ActionKind::kRestoreSnapshot);
  EXPECT_EQ(restore.container_id, "c2");
  EXPECT_EQ(restore.attempt, 2);
  EXPECT_EQ(sim.status("web").attempts_in_window, 1);
}

TEST(Replacement, WithoutAHealthySnapshotTheOrdinaryLadderRuns) {
  Sim sim({composedWithProbes("web")});
  sim.seen("web", running("c1"));  // never passed: nothing to restore
  composeReplaces(sim, "web", "c1", "c2");
  Action start = onlyRecovery(sim.event("web", "c2", "die", 0ms, 1));
  EXPECT_EQ(start.kind, ActionKind::kStart);
}

TEST(Replacement, AReplacementInsideMaintenanceIsLeftAlone) {
  Sim sim({composedWithProbes("web")});
  healthyWithProbes(sim, "web", "c1");
  sim.feed(MaintenanceSet{"web", sim.clock.now.steady + 1min});
  composeReplaces(sim, "web", "c1", "c2");
  sim.event("web", "c2", "die", 0ms, 1);
  sim.advance(30s);
  EXPECT_TRUE(sim.all_recoveries.empty());
  EXPECT_EQ(sim.state("web"), "maintenance");
}

TEST(Replacement, AMedicDeployIsNotPutOnTrial) {
  Sim sim({composedWithProbes("web")});
  healthyWithProbes(sim, "web", "c1");
  sim.feed(DeployGuard{"web", true});
  sim.event("web", "c1", "destroy");
  sim.advance(20s);
  sim.seen("web", running("c2", DockerHealth::kNone, "sha256:new"));
  sim.feed(DeployGuard{"web", false});
  // The deploy validated c2 itself; after the guard it is judged like any container.
  Action restart = onlyRecovery(sim.probes("web", "c2", false));
  EXPECT_EQ(restart.kind, ActionKind::kRestart);
}

TEST(Replacement, AReplacementAfterARemovalThatFailsIsRestoredInTheSameIncident) {
  Sim sim({composedWithProbes("web")});
  healthyWithProbes(sim, "web", "c1");
  Decision removed = sim.event("web", "c1", "destroy", 100ms);
  ASSERT_NE(Sim::notice(removed, "failed"), nullptr);
  sim.advance(2s);
  sim.event("web", "c2", "start");  // `docker-compose up` after a `down`, with a bad image
  EXPECT_EQ(sim.state("web"), "waiting_replacement");
  Decision end = sim.event("web", "c2", "die", 0ms, 1);
  EXPECT_EQ(onlyRecovery(end).kind, ActionKind::kRestoreSnapshot);
  const auto& inc = *sim.status("web").last_incident;
  EXPECT_EQ(inc.kind, "replacement_failed");
  EXPECT_DOUBLE_EQ(inc.detection_seconds, 0.1);  // the removal's detection stays
}

TEST(Replacement, TheRemovedReplacementIsRecreatedFromTheSnapshot) {
  Sim sim({composedWithProbes("web")});
  healthyWithProbes(sim, "web", "c1");
  composeReplaces(sim, "web", "c1", "c2");
  sim.event("web", "c2", "destroy");  // `docker-compose down` while on trial
  EXPECT_EQ(sim.state("web"), "waiting_replacement");
  Action recreate = onlyRecovery(sim.advance(5s));
  EXPECT_EQ(recreate.kind, ActionKind::kRecreate);
}

// ---- compose's own moves (issue 12) ----------------------------------------------------------

TEST(ComposeMoves, V2RecreateAnnouncedByTheReplaceLabelIsNeverRepaired) {
  Sim sim({composedWithProbes("web")});
  healthyWithProbes(sim, "web", "c1");
  // `docker compose up -d` (v2): create the new container labelled replace=<old id>, stop the
  // old one, remove it, rename and start the new one.
  Decision d = sim.created("web", "c2", "c1");
  d = sim.kill("web", "c1", 15);
  d = sim.event("web", "c1", "die", 0ms, 0);
  EXPECT_EQ(Sim::notice(d, "failed"), nullptr);
  EXPECT_EQ(sim.state("web"), "waiting_replacement");
  sim.event("web", "c1", "stop");
  d = sim.event("web", "c1", "destroy");
  EXPECT_EQ(Sim::notice(d, "failed"), nullptr);  // compose's move, not a removal incident
  sim.advance(3s);
  sim.event("web", "c2", "start");
  EXPECT_EQ(sim.status("web").container_id, "c2");
  Decision pass = sim.probes("web", "c2", true);
  EXPECT_NE(Sim::notice(pass, "replaced"), nullptr);
  EXPECT_EQ(sim.state("web"), "healthy");
  sim.advance(1min);
  EXPECT_TRUE(sim.all_recoveries.empty());
}

TEST(ComposeMoves, AV2ReplacementCreatedBeforeASlowStopIsNotJudgedNeverStarted) {
  Sim sim({composedWithProbes("web")});
  healthyWithProbes(sim, "web", "c1");
  // Compose v2 creates c2 first, then stops c1, which takes its whole stop timeout (an app that
  // ignores SIGTERM), then removes c1 and renames and starts c2. A resync between the removal and
  // the start finds c2 created long ago: its creator is still at work, it is no failure.
  sim.created("web", "c2", "c1");
  ContainerView c2 = inPhase("c2", Phase::kCreated);
  c2.created_at = sim.clock.now.wall;
  sim.kill("web", "c1", 15);
  sim.advance(10s);
  sim.event("web", "c1", "die", 0ms, 137);
  sim.event("web", "c1", "stop");
  sim.event("web", "c1", "destroy");
  Decision resync = sim.seen("web", c2);
  EXPECT_TRUE(Sim::recoveries(resync).empty());
  EXPECT_EQ(Sim::notice(resync, "replacement_failed"), nullptr);
  EXPECT_EQ(sim.state("web"), "waiting_replacement");
  sim.event("web", "c2", "start");
  EXPECT_EQ(sim.status("web").container_id, "c2");
  // The broken new version exits: now, and only now, the snapshot comes back.
  Action restore = onlyRecovery(sim.event("web", "c2", "die", 0ms, 3));
  EXPECT_EQ(restore.kind, ActionKind::kRestoreSnapshot);
}

TEST(ComposeMoves, ACrashWithExit137AndNoStopAskedForIsStartedAtOnce) {
  // The OOM killer or a crash: a die with nothing before it, whatever the exit code.
  for (int code : {0, 137, 143}) {
    Sim sim({composed("db")});
    sim.seen("db", running("d1"));
    Action start = onlyRecovery(sim.event("db", "d1", "die", 0ms, code));
    EXPECT_EQ(start.kind, ActionKind::kStart) << code;
    EXPECT_EQ(sim.state("db"), "recovering") << code;
  }
}

TEST(ComposeMoves, APersonsDockerKillIsACrashNotAComposeMove) {
  Sim sim({composed("db")});
  sim.seen("db", running("d1"));
  EXPECT_TRUE(Sim::recoveries(sim.kill("db", "d1", 9)).empty());
  Action start = onlyRecovery(sim.event("db", "d1", "die", 0ms, 137));
  EXPECT_EQ(start.kind, ActionKind::kStart);
}

TEST(ComposeMoves, AReloadSignalBeforeACrashDoesNotHoldTheStart) {
  Sim sim({composed("web")});
  sim.seen("web", running("c1"));
  sim.kill("web", "c1", 1);  // `docker kill -s HUP`: a reload, not a stop
  Action start = onlyRecovery(sim.event("web", "c1", "die", 0ms, 1));
  EXPECT_EQ(start.kind, ActionKind::kStart);
}

TEST(ComposeMoves, AStopOfAContainerOutsideComposeIsStartedAtOnce) {
  Sim sim({service("web")});
  sim.seen("web", running("c1"));
  sim.kill("web", "c1", 15);  // `docker stop web`
  Action start = onlyRecovery(sim.event("web", "c1", "die", 0ms, 143));
  EXPECT_EQ(start.kind, ActionKind::kStart);
}

TEST(ComposeMoves, AComposeStopWithNothingAfterItIsAFailureOnceTheGraceEnds) {
  Sim sim({composed("web")});
  sim.seen("web", running("c1"));
  sim.kill("web", "c1", 15);
  Decision d = sim.event("web", "c1", "die", 0ms, 0);
  EXPECT_EQ(Sim::notice(d, "failed"), nullptr);
  Decision end = sim.advance(5s);
  const Notice* failed = Sim::notice(end, "failed");
  ASSERT_NE(failed, nullptr);
  EXPECT_NE(failed->text.find("nothing replaced it"), std::string::npos) << failed->text;
  EXPECT_EQ(onlyRecovery(end).kind, ActionKind::kStart);
}

// ---- replacement trial vs replacement grace (issue 12) ----------------------------------------

TEST(Trial, ASlowReplacementFailingItsProbesIsKeptThroughItsTrial) {
  ServiceDef web = composedWithProbes("web");
  web.recovery.replacement_grace = 0ms;  // the grace no longer times the trial
  web.recovery.replacement_trial = 2min;
  Sim sim({web});
  healthyWithProbes(sim, "web", "c1");
  composeReplaces(sim, "web", "c1", "c2");
  // A JVM that needs 15 s: its probes fail meanwhile.
  sim.probes("web", "c2", false);
  EXPECT_TRUE(Sim::recoveries(sim.advance(15s)).empty());
  EXPECT_EQ(sim.state("web"), "waiting_replacement");
  Decision pass = sim.probes("web", "c2", true);
  EXPECT_EQ(sim.state("web"), "healthy");
  EXPECT_EQ(Sim::snapshots(pass).size(), 1u);
  sim.advance(5min);
  EXPECT_TRUE(sim.all_recoveries.empty());
}

TEST(Trial, LastsAtLeastTheStartPeriodPlusTheProbeBudget) {
  ServiceDef web = composedWithProbes("web");
  web.recovery.replacement_trial = 10s;
  web.probe_budget = 20s;
  Sim sim({web});
  healthyWithProbes(sim, "web", "c1");
  sim.kill("web", "c1", 15);
  sim.event("web", "c1", "die", 0ms, 0);
  sim.event("web", "c1", "destroy");
  ContainerView c2 = running("c2", DockerHealth::kNone, "sha256:new");
  c2.start_period = 30s;
  sim.seen("web", c2);
  ASSERT_TRUE(sim.status("web").next_action_at);
  EXPECT_EQ(*sim.status("web").next_action_at, sim.clock.now.steady + 50s);
}

TEST(Trial, DockerUnhealthyEndsTheTrialAtOnce) {
  Sim sim({composed("web")});
  sim.seen("web", running("c1", DockerHealth::kHealthy));
  sim.created("web", "c2", "c1");
  sim.kill("web", "c1", 15);
  sim.event("web", "c1", "die", 0ms, 0);
  sim.event("web", "c1", "destroy");
  sim.seen("web", running("c2", DockerHealth::kStarting));
  EXPECT_EQ(sim.state("web"), "waiting_replacement");
  Action restore = onlyRecovery(sim.health("web", "c2", DockerHealth::kUnhealthy));
  EXPECT_EQ(restore.kind, ActionKind::kRestoreSnapshot);
  EXPECT_EQ(restore.container_id, "c2");
}

// ---- compose removing on purpose: scale-down, orphans (issue 11) ------------------------------

/// Replica `number` of compose service `service` in project shop, under its medic name.
ServiceDef replica(const std::string& service, int number) {
  ServiceDef def = composed(number > 1 ? service + "#" + std::to_string(number) : service);
  def.compose_project = "shop";
  def.compose_service = service;
  def.compose_number = number;
  return def;
}

/// Compose's stop-then-remove of one container (scale-down, --remove-orphans, down).
Decision composeRemoves(Sim& sim, const std::string& svc, const std::string& id,
                        bool orphan = false) {
  sim.kill(svc, id, 15);
  sim.event(svc, id, "die", 0ms, 0);
  sim.event(svc, id, "stop");
  return sim.destroyed(svc, id, orphan);
}

TEST(ComposeRemovals, AScaleDownIsRetiredQuietlyNotRestored) {
  Sim sim({replica("web", 1), replica("web", 2), replica("web", 3)});
  sim.seen("web", running("c1"));
  sim.seen("web#2", running("c2"));
  sim.seen("web#3", running("c3"));
  Decision rm3 = composeRemoves(sim, "web#3", "c3");
  Decision rm2 = composeRemoves(sim, "web#2", "c2");
  EXPECT_EQ(Sim::notice(rm3, "failed"), nullptr);
  EXPECT_EQ(Sim::notice(rm2, "failed"), nullptr);
  Decision end = sim.advance(5s);  // replacement_grace
  EXPECT_TRUE(Sim::recoveries(end).empty());
  EXPECT_EQ(Sim::notice(end, "failed"), nullptr);
  const Notice* retired = Sim::notice(end, "retired");
  ASSERT_NE(retired, nullptr);
  EXPECT_NE(retired->text.find("scaled down"), std::string::npos) << retired->text;
  std::vector<std::string> gone = end.retired;
  std::sort(gone.begin(), gone.end());
  EXPECT_EQ(gone, (std::vector<std::string>{"web#2", "web#3"}));
  EXPECT_TRUE(Sim::recoveries(sim.advance(10min)).empty());
}

TEST(ComposeRemovals, DownOfAScaledServiceRestoresEveryReplica) {
  Sim sim({replica("web", 1), replica("web", 2)});
  sim.seen("web", running("c1"));
  sim.seen("web#2", running("c2"));
  // `docker compose down`: replica 2 may go first, while replica 1 still runs.
  composeRemoves(sim, "web#2", "c2");
  Decision rm1 = composeRemoves(sim, "web", "c1");
  ASSERT_NE(Sim::notice(rm1, "failed"), nullptr);
  Decision end = sim.advance(5s);
  EXPECT_TRUE(end.retired.empty());
  ASSERT_NE(Sim::notice(end, "failed"), nullptr);  // nothing replaced replica 2 either
  // One recovery at a time: replica 1, then replica 2 once replica 1 validates.
  Action first = onlyRecovery(end);
  sim.done(first, true, "", "n1");
  sim.seen(first.service, running("n1"));
  sim.advance(5s);
  std::vector<std::string> restored;
  for (const Action& a : sim.all_recoveries) {
    EXPECT_EQ(a.kind, ActionKind::kRecreate);
    restored.push_back(a.service);
  }
  std::sort(restored.begin(), restored.end());
  EXPECT_EQ(restored, (std::vector<std::string>{"web", "web#2"}));
  EXPECT_TRUE(sim.all_retired().empty());
}

TEST(ComposeRemovals, AReplicaRemovedByAPersonIsRestoredWhileTheOthersRun) {
  Sim sim({replica("web", 1), replica("web", 2)});
  sim.seen("web", running("c1"));
  sim.seen("web#2", running("c2"));
  // `docker rm -f`: a SIGKILL, no stop asked for.
  sim.kill("web#2", "c2", 9);
  Action start = onlyRecovery(sim.event("web#2", "c2", "die", 0ms, 137));
  sim.gone(start);  // the shell found it marked for removal
  Decision rm = sim.destroyed("web#2", "c2", false);
  const Notice* failed = Sim::notice(rm, "failed");
  ASSERT_NE(failed, nullptr);
  EXPECT_EQ(failed->severity, Severity::kCritical);
  Action recreate = onlyRecovery(sim.advance(5s));
  EXPECT_EQ(recreate.service, "web#2");
  EXPECT_EQ(recreate.kind, ActionKind::kRecreate);
}

TEST(ComposeRemovals, AServiceTakenOutOfTheComposeFileIsRetired) {
  Sim sim({replica("web", 1), replica("worker", 1)});
  sim.seen("web", running("c1"));
  sim.seen("worker", running("w1"));
  // `docker compose up -d --remove-orphans` after the worker left the file.
  Decision rm = composeRemoves(sim, "worker", "w1", /*orphan=*/true);
  EXPECT_EQ(Sim::notice(rm, "failed"), nullptr);
  Decision end = sim.advance(5s);
  EXPECT_TRUE(Sim::recoveries(end).empty());
  EXPECT_EQ(end.retired, std::vector<std::string>{"worker"});
  const Notice* retired = Sim::notice(end, "retired");
  ASSERT_NE(retired, nullptr);
  EXPECT_NE(retired->text.find("orphan"), std::string::npos) << retired->text;
}

TEST(ComposeRemovals, AnOrphanRemovedByAPersonIsStillRestored) {
  // The file no longer lists it, but nobody asked compose to stop it: `docker rm -f`.
  Sim sim({replica("worker", 1)});
  sim.seen("worker", running("w1"));
  sim.kill("worker", "w1", 9);
  sim.gone(onlyRecovery(sim.event("worker", "w1", "die", 0ms, 137)));
  sim.destroyed("worker", "w1", /*orphan=*/true);
  Action recreate = onlyRecovery(sim.advance(5s));
  EXPECT_EQ(recreate.kind, ActionKind::kRecreate);
}

// ---- dependencies (issue 12) ------------------------------------------------------------------

struct Stack {
  Sim sim;
  Stack()
      : sim({[] {
               ServiceDef d = probed("webui");
               d.depends_on = {"api"};
               d.critical = true;
               return d;
             }(),
             [] {
               ServiceDef d = probed("api");
               d.depends_on = {"db", "redis"};
               return d;
             }(),
             probed("db"), probed("redis")}) {
    healthyWithProbes(sim, "db", "d1");
    healthyWithProbes(sim, "redis", "r1");
    healthyWithProbes(sim, "api", "a1");
    healthyWithProbes(sim, "webui", "w1");
  }
};

TEST(Dependencies, ADatabaseCrashHoldsEveryDependentAndOnlyTheDatabaseIsRepaired) {
  Stack st;
  Sim& sim = st.sim;
  Action db_start = onlyRecovery(sim.event("db", "d1", "die", 0ms, 137));
  EXPECT_EQ(db_start.service, "db");
  Decision api_fails = sim.probes("api", "a1", false);
  EXPECT_TRUE(Sim::recoveries(api_fails).empty());
  const Notice* held = Sim::notice(api_fails, "held");
  ASSERT_NE(held, nullptr);
  EXPECT_EQ(held->data["root_cause"], "db");
  EXPECT_NE(held->text.find("db"), std::string::npos);
  EXPECT_EQ(Sim::notice(api_fails, "failed"), nullptr);
  Decision webui_fails = sim.probes("webui", "w1", false);
  EXPECT_TRUE(Sim::recoveries(webui_fails).empty());
  EXPECT_EQ(sim.state("api"), "waiting_dependency");
  EXPECT_EQ(sim.state("webui"), "waiting_dependency");
  EXPECT_EQ(sim.status("webui").waiting_for, "db");  // the root cause, not api
  sim.advance(30s);  // a slow database start
  sim.done(db_start);
  sim.advance(1s);
  Decision db_ok = sim.probes("db", "d1", true);
  EXPECT_NE(Sim::notice(db_ok, "released"), nullptr);
  EXPECT_TRUE(Sim::recoveries(db_ok).empty());
  // The dependents reconnect by themselves within settle_timeout: judged afresh, never touched.
  sim.advance(2s);
  sim.probes("api", "a1", true);
  sim.probes("webui", "w1", true);
  EXPECT_EQ(sim.state("api"), "healthy");
  EXPECT_EQ(sim.state("webui"), "healthy");
  sim.advance(10min);
  ASSERT_EQ(sim.all_recoveries.size(), 1u);
  EXPECT_EQ(sim.status("api").attempts_in_window, 0);
  EXPECT_EQ(sim.status("webui").attempts_in_window, 0);
  EXPECT_FALSE(sim.status("webui").escalated);
}

TEST(Dependencies, ADependentsProbesNoticingTheDeadDatabaseBeforeItsEventStillBlameIt) {
  // The API's probe fails the moment the database stops answering; the engine's die event for
  // the database arrives 400 ms later. The API is held, never restarted.
  Stack st;
  Sim& sim = st.sim;
  Decision api_fails = sim.probes("api", "a1", false);
  EXPECT_TRUE(Sim::recoveries(api_fails).empty());
  sim.advance(400ms);
  Action db_start = onlyRecovery(sim.event("db", "d1", "die", 0ms, 137));
  EXPECT_EQ(db_start.service, "db");
  EXPECT_EQ(sim.state("api"), "waiting_dependency");
  sim.advance(5s);
  sim.done(db_start);
  sim.probes("db", "d1", true);
  sim.probes("api", "a1", true);
  EXPECT_EQ(sim.state("api"), "healthy");
  ASSERT_EQ(sim.all_recoveries.size(), 1u);
}

TEST(Dependencies, ADependentFailingOnItsOwnIsRepairedAfterTheBlameWindow) {
  Stack st;
  Sim& sim = st.sim;
  EXPECT_TRUE(Sim::recoveries(sim.probes("api", "a1", false)).empty());
  Action restart = onlyRecovery(sim.advance(1s));
  EXPECT_EQ(restart.service, "api");
  EXPECT_EQ(restart.kind, ActionKind::kRestart);
}

TEST(Dependencies, ADependentStillFailingAfterItsDependencyIsBackIsRepaired) {
  Stack st;
  Sim& sim = st.sim;
  Action db_start = onlyRecovery(sim.event("db", "d1", "die", 0ms, 137));
  sim.probes("api", "a1", false);
  sim.done(db_start);
  sim.probes("db", "d1", true);
  // settle_timeout (60 s) for the api to pass again; it does not: now it is api's own failure,
  // acted on once the blame window (1 s) has shown no dependency failing.
  EXPECT_TRUE(Sim::recoveries(sim.advance(59s)).empty());
  Action restart = onlyRecovery(sim.advance(3s));
  EXPECT_EQ(restart.service, "api");
  EXPECT_EQ(restart.kind, ActionKind::kRestart);
}

TEST(Dependencies, AnExitedDependentIsStartedAsSoonAsItsDependencyIsBack) {
  Stack st;
  Sim& sim = st.sim;
  Action db_start = onlyRecovery(sim.event("db", "d1", "die", 0ms, 137));
  EXPECT_TRUE(Sim::recoveries(sim.event("api", "a1", "die", 0ms, 1)).empty());
  EXPECT_EQ(sim.state("api"), "waiting_dependency");
  sim.done(db_start);
  Action api_start = onlyRecovery(sim.probes("db", "d1", true));
  EXPECT_EQ(api_start.service, "api");
  EXPECT_EQ(api_start.kind, ActionKind::kStart);
}

TEST(Dependencies, ARemovedDependentIsRestoredEvenWhileHeld) {
  Stack st;
  Sim& sim = st.sim;
  Action db_start = onlyRecovery(sim.event("db", "d1", "die", 0ms, 137));
  sim.probes("webui", "w1", false);
  EXPECT_EQ(sim.state("webui"), "waiting_dependency");
  Decision rm = sim.event("webui", "w1", "destroy");
  ASSERT_NE(Sim::notice(rm, "failed"), nullptr);
  EXPECT_EQ(Sim::notice(rm, "failed")->severity, Severity::kCritical);
  Action recreate = onlyRecovery(sim.advance(10s));
  EXPECT_EQ(recreate.service, "webui");
  EXPECT_EQ(recreate.kind, ActionKind::kRecreate);
  (void)db_start;
}

TEST(Dependencies, DockersStaleUnhealthyVerdictOnAReleasedDependentIsGivenTimeToClear) {
  // The API's own Docker health check failed while the database was down; it says "unhealthy"
  // until its next run, an interval after the database is back. That is no reason to restart
  // the API, nor to release the web UI in front of it before it passes.
  Stack st;
  Sim& sim = st.sim;
  Action db_start = onlyRecovery(sim.event("db", "d1", "die", 0ms, 137));
  sim.probes("api", "a1", false);
  sim.health("api", "a1", DockerHealth::kUnhealthy);
  sim.probes("webui", "w1", false);
  EXPECT_EQ(sim.state("api"), "waiting_dependency");
  sim.done(db_start);
  Decision db_ok = sim.probes("db", "d1", true);
  EXPECT_TRUE(Sim::recoveries(db_ok).empty());
  sim.probes("api", "a1", true);  // medic's probe passes at once; Docker's verdict lags
  EXPECT_EQ(sim.state("api"), "starting");
  EXPECT_EQ(sim.state("webui"), "waiting_dependency");
  EXPECT_EQ(sim.status("webui").waiting_for, "db");  // still the root cause
  EXPECT_TRUE(Sim::recoveries(sim.advance(20s)).empty());
  sim.health("api", "a1", DockerHealth::kHealthy);
  sim.probes("webui", "w1", true);
  EXPECT_EQ(sim.state("api"), "healthy");
  EXPECT_EQ(sim.state("webui"), "healthy");
  sim.advance(10min);
  ASSERT_EQ(sim.all_recoveries.size(), 1u);
}

TEST(Dependencies, AReleasedDependentWhoseDockerHealthStaysUnhealthyIsRepairedAfterSettling) {
  Stack st;
  Sim& sim = st.sim;
  Action db_start = onlyRecovery(sim.event("db", "d1", "die", 0ms, 137));
  sim.health("api", "a1", DockerHealth::kUnhealthy);
  EXPECT_EQ(sim.state("api"), "waiting_dependency");
  sim.done(db_start);
  EXPECT_TRUE(Sim::recoveries(sim.probes("db", "d1", true)).empty());
  // settle_timeout (60 s) for Docker's check to pass; it does not: now it is the API's failure.
  EXPECT_TRUE(Sim::recoveries(sim.advance(59s)).empty());
  Action restart = onlyRecovery(sim.advance(2s));
  EXPECT_EQ(restart.service, "api");
  EXPECT_EQ(restart.kind, ActionKind::kRestart);
}

TEST(Dependencies, ADependentIsHeldWhileItsDependencysSlowReplacementIsOnTrial) {
  // An operator deploys an API that needs a while to serve: the web UI in front of it fails
  // meanwhile, because of the deploy. Neither is touched; both pass once the new API serves.
  ServiceDef api = composedWithProbes("api");
  api.recovery.replacement_trial = 2min;
  ServiceDef webui = probed("webui");
  webui.depends_on = {"api"};
  Sim sim({webui, api});
  healthyWithProbes(sim, "api", "a1");
  healthyWithProbes(sim, "webui", "w1");
  // Compose v2's sequence: the new container announced by its replace label, the old one
  // stopped and removed, the new one started with its health check still starting.
  sim.created("api", "a2", "a1");
  sim.kill("api", "a1", 15);
  sim.event("api", "a1", "die", 0ms, 0);
  sim.event("api", "a1", "destroy");
  sim.seen("api", running("a2", DockerHealth::kStarting));
  Decision webui_fails = sim.probes("webui", "w1", false);
  EXPECT_TRUE(Sim::recoveries(webui_fails).empty());
  EXPECT_EQ(sim.state("webui"), "waiting_dependency");
  EXPECT_EQ(sim.status("webui").waiting_for, "api");
  EXPECT_TRUE(Sim::recoveries(sim.advance(20s)).empty());
  sim.health("api", "a2", DockerHealth::kHealthy);
  sim.probes("api", "a2", true);
  sim.probes("webui", "w1", true);
  EXPECT_EQ(sim.state("api"), "healthy");
  EXPECT_EQ(sim.state("webui"), "healthy");
  sim.advance(10min);
  EXPECT_TRUE(sim.all_recoveries.empty());
}

TEST(Dependencies, RestartDependentsRestartsThemInOrderWithoutSpendingTheirBudget) {
  ServiceDef db = probed("db");
  db.recovery.restart_dependents = true;
  ServiceDef api = probed("api");
  api.depends_on = {"db"};
  Sim sim({db, api, service("x"), service("y")});
  healthyWithProbes(sim, "db", "d1");
  healthyWithProbes(sim, "api", "a1");
  Action db_start = onlyRecovery(sim.event("db", "d1", "die", 0ms, 137));
  sim.done(db_start);
  Decision back = sim.probes("db", "d1", true);
  EXPECT_NE(Sim::notice(back, "recovered"), nullptr);
  Action restart = onlyRecovery(back);
  EXPECT_EQ(restart.service, "api");
  EXPECT_EQ(restart.kind, ActionKind::kRestart);
  EXPECT_EQ(sim.status("api").attempts_in_window, 0);
  sim.done(restart);
  sim.probes("api", "a1", true);
  EXPECT_EQ(sim.state("api"), "healthy");
}

// ---- escalation belongs to a container; a removal is always restored (issue 12) --------------

TEST(Escalation, ARemovedEscalatedServiceIsRestoredAndSaysItWasEscalated) {
  ServiceDef web = probed("web");
  web.recovery.max_attempts = 1;
  Sim sim({web, service("x"), service("y")});
  healthyWithProbes(sim, "web", "c1");
  sim.done(onlyRecovery(sim.event("web", "c1", "die", 0ms, 1)), false, "boom");
  sim.advance(5s);
  ASSERT_EQ(sim.state("web"), "escalated");
  Decision rm = sim.event("web", "c1", "destroy");
  const Notice* failed = Sim::notice(rm, "failed");
  ASSERT_NE(failed, nullptr);
  EXPECT_NE(failed->text.find("escalated"), std::string::npos) << failed->text;
  Action recreate = onlyRecovery(sim.advance(10s));
  EXPECT_EQ(recreate.kind, ActionKind::kRecreate);
  sim.done(recreate, true, "", "c9");
  EXPECT_FALSE(sim.status("web").escalated);
  sim.probes("web", "c9", true);
  EXPECT_EQ(sim.state("web"), "healthy");
}

TEST(Escalation, AFreshContainerSomebodyDeployedIsNotEscalated) {
  ServiceDef web = probed("web");
  web.recovery.max_attempts = 1;
  Sim sim({web, service("x"), service("y")});
  sim.seen("web", running("c1"));  // never healthy: no snapshot, no trial
  sim.done(onlyRecovery(sim.event("web", "c1", "die", 0ms, 1)), false, "boom");
  sim.advance(5s);
  ASSERT_EQ(sim.state("web"), "escalated");
  sim.seen("web", running("c2"));  // a person ran a new one
  sim.probes("web", "c2", true);
  EXPECT_EQ(sim.state("web"), "healthy");
  EXPECT_FALSE(sim.status("web").escalated);
  EXPECT_EQ(sim.status("web").attempts_in_window, 0);
}

// ---- panic mode -------------------------------------------------------------------------------

TEST(Panic, MoreThanHalfFailingRecoversOneAtATimeAndSlowly) {
  Sim sim({probed("a"), probed("b"), probed("c"), probed("d")});
  for (const char* s : {"a", "b", "c", "d"}) healthyWithProbes(sim, s, std::string(s) + "1");
  Action a = onlyRecovery(sim.event("a", "a1", "die"));
  Action b = onlyRecovery(sim.event("b", "b1", "die"));
  Decision d = sim.event("c", "c1", "die");  // 3 of 4
  EXPECT_TRUE(Sim::recoveries(d).empty());
  const Notice* panic = Sim::notice(d, "panic");
  ASSERT_NE(panic, nullptr);
  EXPECT_EQ(panic->severity, Severity::kCritical);
  EXPECT_TRUE(sim.sup.panicMode());

  sim.done(a);
  EXPECT_TRUE(Sim::recoveries(sim.advance(10s)).empty());  // b still in flight: one at a time
  // 10 s have passed since the last start: c may go as soon as b is done.
  Action c = onlyRecovery(sim.done(b));
  EXPECT_EQ(c.service, "c");
  sim.done(c);
  sim.event("d", "d1", "die");  // the next start waits panic_delay (5 s) after c's
  EXPECT_EQ(sim.state("d"), "failed");
  EXPECT_TRUE(Sim::recoveries(sim.advance(4999ms)).empty());
  EXPECT_EQ(onlyRecovery(sim.advance(1ms)).service, "d");

  sim.probes("a", "a1", true);  // b, c, d still failing
  EXPECT_TRUE(sim.sup.panicMode());
  Decision over = sim.probes("b", "b1", true);  // 2 of 4: at most half
  EXPECT_NE(Sim::notice(over, "panic_over"), nullptr);
  EXPECT_FALSE(sim.sup.panicMode());
}

TEST(Panic, NeedsAtLeastTwoFailingServices) {
  Sim sim({service("only")});
  sim.seen("only", running("o1"));
  Decision d = sim.event("only", "o1", "die");
  EXPECT_EQ(Sim::notice(d, "panic"), nullptr);
  EXPECT_EQ(Sim::recoveries(d).size(), 1u);
}

// ---- engine -----------------------------------------------------------------------------------

TEST(Engine, NoActionWhileUnreachableAndOnlyOnFreshStateAfterGrace) {
  Sim sim({service("web")});
  sim.seen("web", running("c1"));
  Decision lost = sim.feed(EngineStatus{false});
  EXPECT_NE(Sim::notice(lost, "engine_unreachable"), nullptr);
  EXPECT_TRUE(Sim::recoveries(sim.event("web", "c1", "die")).empty());
  sim.advance(1min);
  Decision back = sim.feed(EngineStatus{true});
  EXPECT_NE(Sim::notice(back, "engine_back"), nullptr);
  // The stale view says exited; nothing happens before a fresh snapshot and the grace.
  EXPECT_TRUE(Sim::recoveries(sim.advance(10s)).empty());
  sim.feed(EngineStatus{false});
  sim.feed(EngineStatus{true});
  sim.seen("web", inPhase("c1", Phase::kExited, 255));
  EXPECT_TRUE(Sim::recoveries(sim.advance(4999ms)).empty());
  Action start = onlyRecovery(sim.advance(1ms));
  EXPECT_EQ(start.kind, ActionKind::kStart);
  sim.advance(1min);
  EXPECT_EQ(sim.all_recoveries.size(), 1u);
}

TEST(Engine, NothingIsRecreatedBeforeTheEngineGraceEnds) {
  Sim sim({service("web")});
  sim.seen("web", running("c1"));
  sim.event("web", "c1", "destroy");
  sim.feed(EngineStatus{false});
  sim.advance(30s);  // the replacement grace runs out while the engine is away
  EXPECT_TRUE(sim.all_recoveries.empty());
  sim.feed(EngineStatus{true});
  sim.seen("web", std::nullopt);  // fresh truth: still no container
  EXPECT_TRUE(Sim::recoveries(sim.advance(4999ms)).empty());
  EXPECT_EQ(onlyRecovery(sim.advance(1ms)).kind, ActionKind::kRecreate);
}

TEST(Engine, EveryHealthCountsAsStartingDuringTheGrace) {
  Sim sim({service("web")});
  sim.seen("web", running("c1", DockerHealth::kHealthy));
  sim.feed(EngineStatus{false});
  sim.feed(EngineStatus{true});
  sim.seen("web", running("c1", DockerHealth::kUnhealthy));
  EXPECT_EQ(sim.state("web"), "starting");
  sim.advance(2s);
  // Docker settles it during the grace: nothing to do.
  sim.seen("web", running("c1", DockerHealth::kHealthy));
  sim.advance(1min);
  EXPECT_TRUE(sim.all_recoveries.empty());
  EXPECT_EQ(sim.state("web"), "healthy");
}

TEST(Engine, AnActionLostOnDisconnectIsNeverRepeatedBlindly) {
  Sim sim({service("web")});
  sim.seen("web", running("c1"));
  Action start = onlyRecovery(sim.event("web", "c1", "die"));
  sim.feed(EngineStatus{false});
  sim.done(start, false, "engine connection lost");
  sim.feed(EngineStatus{true});
  // The start did happen before the connection dropped: the fresh state shows it running.
  sim.seen("web", running("c1"));
  sim.advance(1min);
  EXPECT_EQ(sim.all_recoveries.size(), 1u);
  EXPECT_EQ(sim.state("web"), "healthy");
}

// ---- time -------------------------------------------------------------------------------------

TEST(Time, AWallClockJumpChangesNoSchedule) {
  Sim sim({probed("web")});
  healthyWithProbes(sim, "web", "c1");
  sim.done(onlyRecovery(sim.event("web", "c1", "die")), false, "boom");  // backoff 1 s
  sim.clock.jumpWall(5h);
  EXPECT_TRUE(Sim::recoveries(sim.advance(500ms)).empty());
  sim.clock.jumpWall(-10h);
  EXPECT_TRUE(Sim::recoveries(sim.advance(499ms)).empty());
  EXPECT_EQ(Sim::recoveries(sim.advance(1ms)).size(), 1u);
}

TEST(Time, AWallClockJumpDoesNotShortenTheReplacementGrace) {
  Sim sim({service("web")});
  sim.seen("web", running("c1"));
  sim.event("web", "c1", "destroy");
  sim.clock.jumpWall(3h);
  EXPECT_TRUE(Sim::recoveries(sim.advance(9s)).empty());
  EXPECT_EQ(Sim::recoveries(sim.advance(1s)).size(), 1u);
}

// ---- snapshots --------------------------------------------------------------------------------

TEST(Snapshots, OnePerHealthyContainer) {
  Sim sim({service("web")});
  Decision first = sim.seen("web", running("c1", DockerHealth::kHealthy, "sha256:one"));
  ASSERT_EQ(Sim::snapshots(first).size(), 1u);
  EXPECT_EQ(Sim::snapshots(first)[0].container_id, "c1");
  EXPECT_TRUE(Sim::snapshots(sim.seen("web", running("c1", DockerHealth::kHealthy))).empty());
  EXPECT_EQ(sim.status("web").last_healthy_image, "sha256:one");
  // Not while it is still starting; once it is healthy.
  EXPECT_TRUE(Sim::snapshots(sim.seen("web", running("c2", DockerHealth::kStarting))).empty());
  Decision second = sim.health("web", "c2", DockerHealth::kHealthy);
  ASSERT_EQ(Sim::snapshots(second).size(), 1u);
  EXPECT_EQ(Sim::snapshots(second)[0].container_id, "c2");
}

// ---- crash safety -----------------------------------------------------------------------------

TEST(Persistence, AttemptsSurviveARestart) {
  Sim before({probed("web")});
  healthyWithProbes(before, "web", "c1");
  before.done(onlyRecovery(before.event("web", "c1", "die")), false, "boom");
  before.done(onlyRecovery(before.advance(1s)), false, "boom");
  const std::string saved = before.sup.persistentState("web", before.clock.now).dump();

  // medic is killed and restarted 30 s later: a new process, a different steady clock origin.
  Sim after({probed("web")});
  after.clock.now.steady = SteadyTime{} + 77h;
  after.clock.now.wall = before.clock.now.wall + 30s;
  ASSERT_TRUE(after.sup.restoreState("web", nlohmann::json::parse(saved), after.clock.now).ok());
  EXPECT_EQ(after.status("web").attempts_in_window, 2);

  // Still down: the third and last attempt of the budget is the rollback, then escalation.
  Action third = onlyRecovery(after.seen("web", inPhase("c1", Phase::kExited, 1)));
  EXPECT_EQ(third.kind, ActionKind::kRollback);
  EXPECT_NE(Sim::notice(after.done(third, false, "no older image"), "escalated"), nullptr);

  // The escalation survives a restart too.
  Sim again({probed("web")});
  again.clock.now.wall = after.clock.now.wall + 1min;
  ASSERT_TRUE(
      again.sup
          .restoreState("web", after.sup.persistentState("web", after.clock.now), again.clock.now)
          .ok());
  EXPECT_TRUE(Sim::recoveries(again.seen("web", inPhase("c1", Phase::kExited, 1))).empty());
  EXPECT_EQ(again.state("web"), "escalated");
}

TEST(Persistence, AReplacementOnTrialStaysOnTrialAcrossARestart) {
  Sim before({composedWithProbes("web")});
  healthyWithProbes(before, "web", "c1");
  composeReplaces(before, "web", "c1", "c2");
  before.advance(2s);
  const std::string saved = before.sup.persistentState("web", before.clock.now).dump();

  // Killed and restarted 1 s later: the 5 s of trial left still hold, and no restart of c2.
  Sim after({composedWithProbes("web")});
  after.clock.now.steady = SteadyTime{} + 77h;
  after.clock.now.wall = before.clock.now.wall + 1s;
  ASSERT_TRUE(after.sup.restoreState("web", nlohmann::json::parse(saved), after.clock.now).ok());
  EXPECT_TRUE(Sim::recoveries(after.seen("web", running("c2"))).empty());
  EXPECT_EQ(after.state("web"), "waiting_replacement");
  EXPECT_TRUE(Sim::recoveries(after.advance(5s - 1ms)).empty());
  Action restore = onlyRecovery(after.advance(1ms));
  EXPECT_EQ(restore.kind, ActionKind::kRestoreSnapshot);
  EXPECT_EQ(restore.container_id, "c2");
}

TEST(Persistence, AttemptsOlderThanTheWindowAreNotRestored) {
  Sim before({service("web")});
  before.seen("web", running("c1"));
  before.done(onlyRecovery(before.event("web", "c1", "die")));
  const nlohmann::json saved = before.sup.persistentState("web", before.clock.now);
  Sim after({service("web")});
  after.clock.now.wall = before.clock.now.wall + 11min;
  ASSERT_TRUE(after.sup.restoreState("web", saved, after.clock.now).ok());
  EXPECT_EQ(after.status("web").attempts_in_window, 0);
}

TEST(Persistence, MalformedStateIsRefusedAndChangesNothing) {
  Sim sim({service("web")});
  Status st = sim.sup.restoreState("web", nlohmann::json{{"attempts", "three"}}, sim.clock.now);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().kind, ErrorKind::kBadRequest);
  EXPECT_NE(st.error().message.find("attempts"), std::string::npos);
  EXPECT_EQ(sim.sup.restoreState("nope", nlohmann::json::object(), sim.clock.now).error().kind,
            ErrorKind::kNotFound);
  EXPECT_EQ(sim.status("web").attempts_in_window, 0);
}

// ---- configuration ----------------------------------------------------------------------------

TEST(Services, AReloadKeepsTheStateOfKeptServices) {
  Sim sim({budgetOfTwo()});
  sim.seen("web", running("c1"));
  sim.done(onlyRecovery(sim.event("web", "c1", "die")));
  sim.sup.setServices({budgetOfTwo(), service("new")});
  EXPECT_EQ(sim.status("web").attempts_in_window, 1);
  EXPECT_EQ(sim.status("new").state, "unknown");
  sim.sup.setServices({service("new")});
  EXPECT_EQ(sim.sup.status("web"), nullptr);
}

TEST(Status, JsonCarriesTheIncidentAndSchedule) {
  Sim sim({service("web")});
  sim.seen("web", running("c1"));
  sim.event("web", "c1", "destroy", 200ms);
  nlohmann::json j = toJson(sim.status("web"), sim.clock.now);
  EXPECT_EQ(j["state"], "waiting_replacement");
  EXPECT_EQ(j["last_incident"]["kind"], "removed");
  EXPECT_EQ(j["last_incident"]["outcome"], "open");
  EXPECT_NEAR(j["last_incident"]["detection_seconds"].get<double>(), 0.2, 1e-9);
  EXPECT_EQ(j["next_action_at"], formatWallTime(sim.clock.now.wall + 10s));
}

}  // namespace
}  // namespace medic::supervisor
