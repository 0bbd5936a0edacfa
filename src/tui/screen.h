#pragma once
/// The interactive `medic top`: ncurses drawing and keys around the pure Model. Live from the
/// daemon's channels (SSE); the status is refetched when a message arrives, never polled (except
/// for the resource samples, which change without a message: every `refresh`, 0 = never).

#include "core/time.h"
#include "tui/daemon_api.h"

namespace medic::tui {

struct ScreenOptions {
  Millis refresh{10'000};     ///< refetch for CPU/memory samples; 0 disables
  Millis max_backoff{5'000};  ///< reconnect backoff cap while the daemon is away
  bool color = true;          ///< false: NO_COLOR or --no-color (the terminal may lack colours too)
};

/// Runs until `q`. Returns 0 on a clean quit, 2 when the terminal cannot be used.
int runScreen(const DaemonApi& api, const ScreenOptions& options);

}  // namespace medic::tui
