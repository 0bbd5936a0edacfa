#pragma once
/// Polling for a condition a real peer (Docker, a server) reaches in its own time.

#include <chrono>
#include <functional>
#include <thread>

namespace medic::test {

/// Calls `predicate` every `poll` until it returns true or `timeout` has passed; true when it did.
/// The predicate is always tried once more at the deadline, so a slow poll cannot cause a miss.
inline bool waitFor(const std::function<bool()>& predicate, std::chrono::milliseconds timeout,
                    std::chrono::milliseconds poll = std::chrono::milliseconds(50)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (predicate()) return true;
    std::this_thread::sleep_for(poll);
  }
  return predicate();
}

}  // namespace medic::test
