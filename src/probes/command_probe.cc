#include "probes/command_probe.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "core/spawn.h"
#include "probes/exec_probe.h"

namespace medic::probes {
namespace asio = boost::asio;

namespace {

/// What is kept of a command's output before execOutcome cuts it to kExecOutputLimit.
constexpr off_t kReadTail = off_t{64} * 1024;

int exitCodeOf(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

std::string readTail(int fd) {
  const off_t size = ::lseek(fd, 0, SEEK_END);
  if (size <= 0) return "";
  const off_t from = std::max<off_t>(0, size - kReadTail);
  std::string out(static_cast<size_t>(size - from), '\0');
  const ssize_t n = ::pread(fd, out.data(), out.size(), from);
  out.resize(n > 0 ? static_cast<size_t>(n) : 0);
  return out;
}

std::vector<std::string> environmentFor(const CommandTarget& target) {
  std::vector<std::string> env = {"MEDIC_SERVICE=" + target.service,
                                  "MEDIC_CONTAINER=" + target.container_name,
                                  "MEDIC_CONTAINER_ID=" + target.container_id};
  for (const char* name : {"PATH", "HOME", "LANG", "TZ"}) {
    if (const char* value = std::getenv(name)) env.push_back(std::string(name) + "=" + value);
  }
  return env;
}

}  // namespace

asio::awaitable<ProbeOutcome> runCommandProbe(const config::ProbeConfig& probe,
                                              CommandTarget target) {
  ExecRun run;
  if (probe.argv.empty() || probe.argv[0].empty()) {
    run.error = "the command probe has an empty argv";
    co_return execOutcome(probe, run);
  }
  const int out_fd = ::memfd_create("medic-command-probe", MFD_CLOEXEC);
  if (out_fd < 0) {
    run.error = std::string("cannot capture the command's output: ") + std::strerror(errno);
    co_return execOutcome(probe, run);
  }
  const auto started = std::chrono::steady_clock::now();
  const auto deadline = started + probe.timeout;
  auto spawned = spawnInOwnGroup(probe.argv, environmentFor(target), {-1, out_fd, out_fd});
  if (!spawned) {
    ::close(out_fd);
    run.error = spawned.error().message;
    co_return execOutcome(probe, run);
  }
  const pid_t pid = *spawned;
  // Poll the child from the loop: a short timer between checks, so nothing blocks.
  asio::steady_timer timer(co_await asio::this_coro::executor);
  Millis step(2);
  int status = 0;
  bool exited = false;
  while (true) {
    const pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid || (r < 0 && errno != EINTR)) {
      exited = r == pid;
      break;
    }
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) break;
    timer.expires_after(std::min<std::chrono::steady_clock::duration>(step, deadline - now));
    co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    step = std::min(step * 2, Millis(25));
  }
  if (!exited) {
    ::kill(-pid, SIGKILL);  // the whole group: a script's children go too
    ::waitpid(pid, &status, 0);
    run.timed_out = true;
  }
  run.took = std::chrono::duration_cast<Millis>(std::chrono::steady_clock::now() - started);
  run.exit_code = exitCodeOf(status);
  run.output = readTail(out_fd);
  ::close(out_fd);
  co_return execOutcome(probe, run);
}

}  // namespace medic::probes
