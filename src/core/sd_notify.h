#pragma once
/// systemd's notify protocol without libsystemd: one datagram to $NOTIFY_SOCKET. A no-op when the
/// variable is unset (not under systemd), so callers need no special case.

#include <chrono>
#include <optional>
#include <string>

namespace medic {

/// Sends `state` ("READY=1", "WATCHDOG=1", "STOPPING=1", "STATUS=...") when $NOTIFY_SOCKET is set.
/// Returns false only when the variable is set and sending failed.
bool sdNotify(const std::string& state);

/// Half of $WATCHDOG_USEC (the interval systemd recommends for pings), or nullopt when no watchdog
/// is configured for this process ($WATCHDOG_PID, when set, must be ours).
std::optional<std::chrono::milliseconds> sdWatchdogInterval();

}  // namespace medic
