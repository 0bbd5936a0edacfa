#include "probes/hysteresis.h"

#include <gtest/gtest.h>

namespace medic::probes {
namespace {

TEST(ProbeTracker, FlipsToFailingOnlyAfterThreshold) {
  ProbeTracker t(3, 1);
  EXPECT_EQ(t.record(true), ProbeState::kPassing);
  EXPECT_EQ(t.record(false), std::nullopt);
  EXPECT_EQ(t.record(false), std::nullopt);
  EXPECT_EQ(t.state(), ProbeState::kPassing);
  EXPECT_EQ(t.record(false), ProbeState::kFailing);
  EXPECT_EQ(t.record(false), std::nullopt);  // no repeated transition
}

TEST(ProbeTracker, ABlipDoesNotFlipAndSuccessThresholdGuardsRecovery) {
  ProbeTracker t(2, 2);
  t.record(true);
  t.record(true);
  EXPECT_EQ(t.state(), ProbeState::kPassing);
  t.record(false);
  t.record(true);  // blip cleared: streak reset
  t.record(false);
  EXPECT_EQ(t.state(), ProbeState::kPassing);
  EXPECT_EQ(t.record(false), ProbeState::kFailing);
  EXPECT_EQ(t.record(true), std::nullopt);
  EXPECT_EQ(t.record(true), ProbeState::kPassing);
}

TEST(ProbeTracker, ThresholdsAreClampedAndResetForgets) {
  ProbeTracker t(0, -4);
  EXPECT_EQ(t.record(false), ProbeState::kFailing);
  t.reset();
  EXPECT_EQ(t.state(), ProbeState::kUnknown);
  EXPECT_EQ(t.consecutiveFailures(), 0);
}

}  // namespace
}  // namespace medic::probes
