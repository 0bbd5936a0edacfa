#include "probes/hysteresis.h"

#include <algorithm>

namespace medic::probes {

const char* toString(ProbeState s) {
  switch (s) {
    case ProbeState::kUnknown: return "unknown";
    case ProbeState::kPassing: return "passing";
    case ProbeState::kFailing: return "failing";
  }
  return "unknown";
}

ProbeTracker::ProbeTracker(int failure_threshold, int success_threshold)
    : failure_threshold_(std::max(1, failure_threshold)),
      success_threshold_(std::max(1, success_threshold)) {}

std::optional<ProbeState> ProbeTracker::record(bool ok) {
  if (ok) {
    ++successes_;
    failures_ = 0;
    if (state_ != ProbeState::kPassing && successes_ >= success_threshold_) {
      state_ = ProbeState::kPassing;
      return state_;
    }
  } else {
    ++failures_;
    successes_ = 0;
    if (state_ != ProbeState::kFailing && failures_ >= failure_threshold_) {
      state_ = ProbeState::kFailing;
      return state_;
    }
  }
  return std::nullopt;
}

void ProbeTracker::reset() {
  state_ = ProbeState::kUnknown;
  failures_ = 0;
  successes_ = 0;
}

}  // namespace medic::probes
