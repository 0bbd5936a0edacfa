#pragma once
/// Time as values. Policy code never reads a clock: it is handed a Now. The shell builds Now from
/// the real clocks; tests build it from a simulated one.

#include <chrono>
#include <cstdint>
#include <string>

namespace medic {

using Millis = std::chrono::milliseconds;
using SteadyTime = std::chrono::steady_clock::time_point;  ///< schedules and intervals
using WallTime = std::chrono::system_clock::time_point;    ///< only for display and records

struct Now {
  SteadyTime steady;
  WallTime wall;
};

/// Source of time for the shell; a fake implementation lives in tests/support.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual Now now() const = 0;
};

class SystemClock final : public Clock {
 public:
  Now now() const override {
    return Now{std::chrono::steady_clock::now(), std::chrono::system_clock::now()};
  }
};

/// RFC 3339 UTC with milliseconds: 2026-11-25T19:34:28.123Z
std::string formatWallTime(WallTime t);
/// Milliseconds since the Unix epoch.
int64_t toUnixMillis(WallTime t);
/// Seconds as a double, for reports and metrics.
inline double toSeconds(std::chrono::nanoseconds d) {
  return std::chrono::duration<double>(d).count();
}

}  // namespace medic
