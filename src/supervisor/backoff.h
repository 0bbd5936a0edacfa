#pragma once
/// Recovery pacing: exponential backoff with jitter, and the sliding attempt budget.

#include <deque>

#include "config/config.h"
#include "core/time.h"

namespace medic::supervisor {

/// `value` clamped to at least 1 ms: a zero or negative interval from config never makes a
/// schedule fire in a loop.
Millis clampPositive(Millis value);

/// Delay before the next attempt after `failed_attempts` (>= 1) attempts of one incident failed:
/// backoff_initial * 2^(failed_attempts-1), capped at backoff_max, then spread by
/// +-backoff_jitter using `uniform01` in [0, 1) (0.5 = no spread). Always >= 1 ms.
Millis backoffDelay(const config::RecoveryConfig& recovery, int failed_attempts, double uniform01);

/// Times of recovery actions of one service; counts those inside a sliding window.
class AttemptWindow {
 public:
  void record(SteadyTime at) { times_.push_back(at); }
  /// Attempts in (now - window, now]. Forgets older ones.
  int countAt(SteadyTime now, Millis window);
  /// Recorded times, oldest first (including expired ones not yet forgotten).
  const std::deque<SteadyTime>& times() const { return times_; }
  void clear() { times_.clear(); }
  /// Takes back the newest attempt (an action the engine refused because its target vanished).
  void refundLast() {
    if (!times_.empty()) times_.pop_back();
  }

 private:
  std::deque<SteadyTime> times_;
};

}  // namespace medic::supervisor
