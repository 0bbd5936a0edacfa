#include "alerts/sinks/command_sink.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/thread_pool.hpp>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <thread>

#include "core/spawn.h"

namespace medic::alerts {
namespace {

using Clock = std::chrono::steady_clock;

std::string noNul(std::string s) {
  std::erase(s, '\0');
  return s;
}

int statusToExitCode(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

int msLeft(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<Millis>(deadline - Clock::now()).count();
  return left <= 0 ? 0 : static_cast<int>(std::min<int64_t>(left, 1 << 30));
}

/// Writes all of `text` to the non-blocking `fd` before `deadline`. A reader that exits early
/// (EPIPE) is not an error: the command decided it had read enough.
void writeAll(int fd, const std::string& text, Clock::time_point deadline) {
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n > 0) {
      done += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) {
      pollfd p{fd, POLLOUT, 0};
      if (::poll(&p, 1, msLeft(deadline)) <= 0) return;  // deadline: the exit wait handles it
      continue;
    }
    return;  // EPIPE or another error: stop feeding
  }
}

/// Waits for `pid` until `deadline`; true with its status when it exited.
bool waitUntil(pid_t pid, Clock::time_point deadline, int& status) {
  const int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  while (true) {
    const pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) {
      if (pidfd >= 0) ::close(pidfd);
      return true;
    }
    if (r < 0 && errno != EINTR) {  // not our child any more (someone else reaped it)
      if (pidfd >= 0) ::close(pidfd);
      status = 0;
      return true;
    }
    const int left = msLeft(deadline);
    if (left == 0) break;
    if (pidfd >= 0) {
      pollfd p{pidfd, POLLIN, 0};
      ::poll(&p, 1, left);
    } else {
      // Kernels before 5.3 have no pidfd: poll the child every 10 ms.
      std::this_thread::sleep_for(std::min(Millis(10), Millis(left)));
    }
  }
  if (pidfd >= 0) ::close(pidfd);
  return false;
}

}  // namespace

std::vector<std::string> commandEnvironment(const Alert& alert) {
  std::vector<std::string> env = {
      "MEDIC_ALERT_ID=" + std::to_string(alert.id),
      "MEDIC_ALERT_KEY=" + noNul(alert.dedup_key),
      "MEDIC_ALERT_SEVERITY=" + std::string(toString(alert.severity)),
      "MEDIC_ALERT_STATE=" + std::string(toString(alert.state)),
      "MEDIC_ALERT_SERVICE=" + noNul(alert.service),
      "MEDIC_ALERT_TITLE=" + noNul(alert.title),
      "MEDIC_ALERT_TEXT=" + noNul(alert.text),
      "MEDIC_ALERT_CREATED=" + formatWallTime(alert.created),
      "MEDIC_ALERT_UPDATED=" + formatWallTime(alert.updated),
      "MEDIC_ALERT_FIRE_COUNT=" + std::to_string(alert.fire_count),
      "MEDIC_ALERT_ACKED=" + std::string(alert.acked ? "true" : "false"),
  };
  for (const char* name : {"PATH", "HOME", "LANG", "TZ"}) {
    if (const char* value = std::getenv(name)) env.push_back(std::string(name) + "=" + value);
  }
  return env;
}

Result<CommandResult> runAlertCommand(const std::vector<std::string>& argv,
                                      const std::vector<std::string>& env,
                                      const std::string& stdin_text, Millis timeout) {
  if (argv.empty() || argv[0].empty()) {
    return Error::make(ErrorKind::kBadRequest, "alert command has an empty argv");
  }
  const auto deadline = Clock::now() + timeout;
  // This thread never takes SIGPIPE: a command that closes stdin early gives EPIPE instead.
  sigset_t pipe_only;
  sigemptyset(&pipe_only);
  sigaddset(&pipe_only, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe_only, nullptr);

  int in_pipe[2];
  if (::pipe2(in_pipe, O_CLOEXEC) != 0) {
    return Error::make(ErrorKind::kIo, std::string("cannot create a pipe for the alert command: ") +
                                           std::strerror(errno));
  }
  auto spawned = spawnInOwnGroup(argv, env, {in_pipe[0], -1, -1});
  ::close(in_pipe[0]);
  if (!spawned) {
    ::close(in_pipe[1]);
    return Error::make(ErrorKind::kBadRequest,
                       spawned.error().message + " (check the path in alerts.sinks[].argv)");
  }
  const pid_t pid = *spawned;
  ::fcntl(in_pipe[1], F_SETFL, ::fcntl(in_pipe[1], F_GETFL) | O_NONBLOCK);
  writeAll(in_pipe[1], stdin_text, deadline);
  ::close(in_pipe[1]);

  CommandResult out;
  int status = 0;
  if (waitUntil(pid, deadline, status)) {
    out.exit_code = statusToExitCode(status);
  } else {
    ::kill(-pid, SIGKILL);
    ::waitpid(pid, &status, 0);
    out.timed_out = true;
    out.exit_code = statusToExitCode(status);
  }
  // Consume a SIGPIPE left pending on this thread by an early-closing reader.
  const timespec zero{0, 0};
  while (::sigtimedwait(&pipe_only, nullptr, &zero) == SIGPIPE) {
  }
  return out;
}

struct CommandSink::Thread {
  boost::asio::thread_pool pool{1};
};

CommandSink::CommandSink(std::vector<std::string> argv, Millis timeout)
    : argv_(std::move(argv)), timeout_(timeout), thread_(std::make_unique<Thread>()) {}

CommandSink::~CommandSink() {
  thread_->pool.join();
}

boost::asio::awaitable<Status> CommandSink::deliver(const Alert& alert, const SinkContext& ctx) {
  const SinkContext own{ctx.loop, thread_->pool.get_executor()};
  auto run = [argv = argv_, env = commandEnvironment(alert), input = toJson(alert).dump() + "\n",
              timeout = timeout_]() -> Result<CommandResult> {
    return runAlertCommand(argv, env, input, timeout);
  };
  Result<CommandResult> result = co_await runBlocking(own, std::move(run));
  if (!result) co_return result.error();
  if (result->timed_out) {
    co_return Error::make(ErrorKind::kTimeout,
                          "alert command " + argv_[0] + " did not finish within " +
                              std::to_string(timeout_.count()) + " ms and was killed");
  }
  if (result->exit_code != 0) {
    co_return Error::make(ErrorKind::kIo, "alert command " + argv_[0] + " exited with status " +
                                              std::to_string(result->exit_code));
  }
  co_return okStatus();
}

}  // namespace medic::alerts
