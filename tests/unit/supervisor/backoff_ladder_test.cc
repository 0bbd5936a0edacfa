// The pacing and ladder building blocks on their own: backoff curve, jitter bounds, budget window,
// rung choice.

#include <gtest/gtest.h>

#include "supervisor/backoff.h"
#include "supervisor/ladder.h"

namespace medic::supervisor {
namespace {

using namespace std::chrono_literals;

config::RecoveryConfig defaults() {
  return config::RecoveryConfig{};
}

TEST(Backoff, DoublesFromTheInitialDelayUpToTheCap) {
  const auto cfg = defaults();  // 1 s initial, 60 s cap
  EXPECT_EQ(backoffDelay(cfg, 1, 0.5), 1000ms);
  EXPECT_EQ(backoffDelay(cfg, 2, 0.5), 2000ms);
  EXPECT_EQ(backoffDelay(cfg, 3, 0.5), 4000ms);
  EXPECT_EQ(backoffDelay(cfg, 6, 0.5), 32000ms);
  EXPECT_EQ(backoffDelay(cfg, 7, 0.5), 60000ms);     // 64 s capped
  EXPECT_EQ(backoffDelay(cfg, 1000, 0.5), 60000ms);  // no overflow
}

TEST(Backoff, JitterStaysWithinItsBounds) {
  const auto cfg = defaults();  // +-20 %
  EXPECT_EQ(backoffDelay(cfg, 1, 0.0), 800ms);
  EXPECT_EQ(backoffDelay(cfg, 3, 0.0), 3200ms);
  EXPECT_EQ(backoffDelay(cfg, 7, 0.0), 48000ms);  // jitter applies after the cap
  for (double u = 0.0; u < 1.0; u += 0.05) {
    for (int n = 1; n <= 8; ++n) {
      const Millis base = std::min(Millis{1000 << (n - 1)}, Millis{60000});
      const Millis d = backoffDelay(cfg, n, u);
      EXPECT_GE(d.count(), base.count() * 8 / 10) << "n=" << n << " u=" << u;
      EXPECT_LE(d.count(), base.count() * 12 / 10) << "n=" << n << " u=" << u;
    }
  }
  EXPECT_GT(backoffDelay(cfg, 1, 0.99), 1190ms);
}

TEST(Backoff, ZeroOrNegativeConfigNeverGivesAZeroDelay) {
  auto cfg = defaults();
  cfg.backoff_initial = 0ms;
  cfg.backoff_max = -5ms;
  cfg.backoff_jitter = 1.0;
  EXPECT_GE(backoffDelay(cfg, 1, 0.0), 1ms);
  EXPECT_GE(backoffDelay(cfg, 5, 0.5), 1ms);
}

TEST(AttemptWindow, CountsOnlyAttemptsInsideTheSlidingWindow) {
  AttemptWindow w;
  const SteadyTime t0{};
  w.record(t0);
  w.record(t0 + 4min);
  EXPECT_EQ(w.countAt(t0 + 5min, 10min), 2);
  EXPECT_EQ(w.countAt(t0 + 10min, 10min), 1);  // the first has just left the window
  EXPECT_EQ(w.countAt(t0 + 14min, 10min), 0);
}

TEST(Ladder, ExitedIsStartedFirstThenRestarted) {
  const auto cfg = defaults();
  EXPECT_EQ(chooseRung(FailureKind::kExited, 0, false, cfg).kind, ActionKind::kStart);
  EXPECT_EQ(chooseRung(FailureKind::kExited, 1, false, cfg).kind, ActionKind::kRestart);
}

TEST(Ladder, HungAndPausedGetTheShortStopTimeout) {
  const auto cfg = defaults();
  const Rung hung = chooseRung(FailureKind::kHung, 0, false, cfg);
  EXPECT_EQ(hung.kind, ActionKind::kRestart);
  EXPECT_EQ(hung.stop_timeout, 2000ms);
  EXPECT_EQ(chooseRung(FailureKind::kUnhealthy, 0, false, cfg).stop_timeout, 10000ms);
  EXPECT_EQ(chooseRung(FailureKind::kPaused, 0, false, cfg).kind, ActionKind::kUnpause);
  EXPECT_EQ(chooseRung(FailureKind::kPaused, 1, false, cfg).kind, ActionKind::kRestart);
}

TEST(Ladder, RollbackOnlyAsTheLastAttemptAfterAFailedOne) {
  auto cfg = defaults();
  EXPECT_EQ(chooseRung(FailureKind::kRemoved, 0, true, cfg).kind, ActionKind::kRecreate);
  EXPECT_EQ(chooseRung(FailureKind::kRemoved, 1, false, cfg).kind, ActionKind::kRecreate);
  EXPECT_EQ(chooseRung(FailureKind::kRemoved, 1, true, cfg).kind, ActionKind::kRollback);
  EXPECT_EQ(chooseRung(FailureKind::kUnhealthy, 2, true, cfg).kind, ActionKind::kRollback);
  cfg.rollback = false;
  EXPECT_EQ(chooseRung(FailureKind::kUnhealthy, 2, true, cfg).kind, ActionKind::kRestart);
}

}  // namespace
}  // namespace medic::supervisor
