#pragma once
/// Starting a program medic runs on the host (alert commands, command probes): argv only, never a
/// shell, in a process group of its own so a timeout can kill everything it started.

#include <sys/types.h>

#include <string>
#include <vector>

#include "core/result.h"

namespace medic {

/// Descriptors for the child's stdin, stdout and stderr; -1 means /dev/null.
struct SpawnIo {
  int stdin_fd = -1;
  int stdout_fd = -1;
  int stderr_fd = -1;
};

/// posix_spawnp of argv (argv[0] looked up in PATH when it has no '/') with exactly `env`, in a new
/// process group (its pgid is its pid: kill(-pid, ...) reaches its children), with an empty signal
/// mask and SIGPIPE, SIGTERM, SIGINT and SIGHUP at their defaults. kBadRequest naming argv[0] when
/// it cannot be started.
Result<pid_t> spawnInOwnGroup(const std::vector<std::string>& argv,
                              const std::vector<std::string>& env, SpawnIo io);

}  // namespace medic
