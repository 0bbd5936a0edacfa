#include "core/spawn.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <unistd.h>

#include <cstring>

namespace medic {

Result<pid_t> spawnInOwnGroup(const std::vector<std::string>& argv,
                              const std::vector<std::string>& env, SpawnIo io) {
  if (argv.empty() || argv[0].empty()) {
    return Error::make(ErrorKind::kBadRequest, "empty argv: nothing to run");
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  auto wire = [&](int fd, int target, int flags) {
    if (fd >= 0) {
      posix_spawn_file_actions_adddup2(&actions, fd, target);
    } else {
      posix_spawn_file_actions_addopen(&actions, target, "/dev/null", flags, 0);
    }
  };
  wire(io.stdin_fd, STDIN_FILENO, O_RDONLY);
  wire(io.stdout_fd, STDOUT_FILENO, O_WRONLY);
  wire(io.stderr_fd, STDERR_FILENO, O_WRONLY);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  posix_spawnattr_setflags(&attr,
                           POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  posix_spawnattr_setpgroup(&attr, 0);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attr, &none);
  sigset_t defaults;
  sigemptyset(&defaults);
  for (int sig : {SIGPIPE, SIGTERM, SIGINT, SIGHUP}) sigaddset(&defaults, sig);
  posix_spawnattr_setsigdefault(&attr, &defaults);

  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::vector<char*> envp;
  envp.reserve(env.size() + 1);
  for (const auto& e : env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  pid_t pid = -1;
  const int rc = ::posix_spawnp(&pid, argv[0].c_str(), &actions, &attr, args.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) {
    return Error::make(ErrorKind::kBadRequest, "cannot run " + argv[0] + ": " + std::strerror(rc));
  }
  return pid;
}

}  // namespace medic
