#include "supervisor/backoff.h"

#include <algorithm>
#include <cmath>

namespace medic::supervisor {

Millis clampPositive(Millis value) {
  return std::max(value, Millis{1});
}

Millis backoffDelay(const config::RecoveryConfig& recovery, int failed_attempts, double uniform01) {
  const double initial = static_cast<double>(clampPositive(recovery.backoff_initial).count());
  const double cap = static_cast<double>(clampPositive(recovery.backoff_max).count());
  // 2^62 overflows nothing in double and is far beyond any cap; avoids pow on huge exponents.
  const int exponent = std::clamp(failed_attempts - 1, 0, 62);
  const double base = std::min(initial * std::ldexp(1.0, exponent), cap);
  const double jitter = std::clamp(recovery.backoff_jitter, 0.0, 1.0);
  const double u = std::clamp(uniform01, 0.0, 1.0);
  const double spread = base * (1.0 + jitter * (2.0 * u - 1.0));
  return clampPositive(Millis{static_cast<int64_t>(std::llround(spread))});
}

int AttemptWindow::countAt(SteadyTime now, Millis window) {
  const SteadyTime horizon = now - clampPositive(window);
  while (!times_.empty() && times_.front() <= horizon) times_.pop_front();
  return static_cast<int>(times_.size());
}

}  // namespace medic::supervisor
