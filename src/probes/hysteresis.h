#pragma once
/// Thresholds and hysteresis for one probe: a probe flips to failing only after failure_threshold
/// consecutive failures and back to passing only after success_threshold consecutive successes, so a
/// single blip neither raises nor clears an incident. Pure: no clock, no I/O.

#include <optional>

namespace medic::probes {

enum class ProbeState { kUnknown, kPassing, kFailing };

const char* toString(ProbeState s);

class ProbeTracker {
 public:
  /// Thresholds below 1 are clamped to 1.
  ProbeTracker(int failure_threshold, int success_threshold);

  /// Records one result; returns the new state when it changed. From kUnknown the first decisive
  /// streak decides (success_threshold passes or failure_threshold failures).
  std::optional<ProbeState> record(bool ok);
  /// Forget everything, e.g. for a new container (counters start fresh per container).
  void reset();

  ProbeState state() const { return state_; }
  int consecutiveFailures() const { return failures_; }
  int consecutiveSuccesses() const { return successes_; }

 private:
  int failure_threshold_;
  int success_threshold_;
  ProbeState state_ = ProbeState::kUnknown;
  int failures_ = 0;
  int successes_ = 0;
};

}  // namespace medic::probes
