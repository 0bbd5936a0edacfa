#include "support/process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <thread>

extern char** environ;

namespace medic::test {
namespace {

using Clock = std::chrono::steady_clock;

void closeFd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

void setNonBlocking(int fd) {
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
}

/// Reads what is available on fd into `into`; closes fd on EOF or error.
void drain(int& fd, std::string& into) {
  std::array<char, 4096> buf;
  while (fd >= 0) {
    ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n > 0) {
      into.append(buf.data(), static_cast<size_t>(n));
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      return;
    } else {
      closeFd(fd);
    }
  }
}

int statusToExitCode(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

}  // namespace

std::string ProcessResult::describe() const {
  std::string text = "exit code " + std::to_string(exit_code);
  if (timed_out) text += " (timed out, killed)";
  if (!err.empty()) text += ", stderr: " + err;
  return text;
}

ProcessResult runProcess(const std::vector<std::string>& argv, std::chrono::milliseconds timeout,
                         std::string_view stdin_text) {
  ProcessResult result;
  if (argv.empty()) {
    result.err = "runProcess: empty argv";
    return result;
  }
  const auto deadline = Clock::now() + timeout;

  // stdin is a socket pair rather than a pipe so that writing to a child that quit early gives
  // EPIPE (MSG_NOSIGNAL) instead of a SIGPIPE that would kill the test.
  int in_pair[2], out_pipe[2], err_pipe[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, in_pair) != 0) {
    result.err = std::string("runProcess: socketpair: ") + std::strerror(errno);
    return result;
  }
  if (::pipe2(out_pipe, O_CLOEXEC) != 0 || ::pipe2(err_pipe, O_CLOEXEC) != 0) {
    result.err = std::string("runProcess: pipe: ") + std::strerror(errno);
    return result;
  }

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in_pair[1], STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err_pipe[1], STDERR_FILENO);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  posix_spawnattr_setflags(&attr,
                           POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  posix_spawnattr_setpgroup(&attr, 0);
  sigset_t no_signals, default_signals;
  sigemptyset(&no_signals);
  sigemptyset(&default_signals);
  sigaddset(&default_signals, SIGPIPE);
  posix_spawnattr_setsigmask(&attr, &no_signals);
  posix_spawnattr_setsigdefault(&attr, &default_signals);

  std::vector<char*> args;
  for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  pid_t pid = -1;
  int spawn_error = ::posix_spawnp(&pid, args[0], &actions, &attr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  ::close(in_pair[1]);
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  int in_fd = in_pair[0], out_fd = out_pipe[0], err_fd = err_pipe[0];
  if (spawn_error != 0) {
    closeFd(in_fd);
    closeFd(out_fd);
    closeFd(err_fd);
    result.err = "runProcess: cannot start " + argv[0] + ": " + std::strerror(spawn_error);
    return result;
  }
  setNonBlocking(in_fd);
  setNonBlocking(out_fd);
  setNonBlocking(err_fd);
  size_t written = 0;
  if (stdin_text.empty()) ::shutdown(in_fd, SHUT_WR);

  int status = 0;
  bool reaped = false;
  while (!reaped) {
    // Poll in short slices so a child that exits while a grandchild still holds its output pipes
    // open is noticed without waiting for the deadline.
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) {
      result.timed_out = true;
      ::kill(-pid, SIGKILL);
      ::kill(pid, SIGKILL);
      break;
    }
    std::vector<pollfd> fds;
    if (out_fd >= 0) fds.push_back({out_fd, POLLIN, 0});
    if (err_fd >= 0) fds.push_back({err_fd, POLLIN, 0});
    if (written < stdin_text.size()) fds.push_back({in_fd, POLLOUT, 0});
    int slice = static_cast<int>(std::min<long long>(left.count(), 20));
    if (fds.empty()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(slice));
    } else {
      ::poll(fds.data(), fds.size(), slice);
    }
    drain(out_fd, result.out);
    drain(err_fd, result.err);
    if (written < stdin_text.size()) {
      ssize_t n =
          ::send(in_fd, stdin_text.data() + written, stdin_text.size() - written, MSG_NOSIGNAL);
      if (n > 0) written += static_cast<size_t>(n);
      if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
        written = stdin_text.size();  // the child closed its stdin; the rest is not wanted
      }
      if (written == stdin_text.size()) ::shutdown(in_fd, SHUT_WR);
    }
    pid_t done = ::waitpid(pid, &status, WNOHANG);
    if (done == pid) reaped = true;
  }
  if (!reaped) ::waitpid(pid, &status, 0);  // after SIGKILL: returns promptly
  drain(out_fd, result.out);
  drain(err_fd, result.err);
  closeFd(in_fd);
  closeFd(out_fd);
  closeFd(err_fd);
  result.exit_code = statusToExitCode(status);
  return result;
}

ProcessResult dockerCli(const std::vector<std::string>& args, std::chrono::milliseconds timeout) {
  std::vector<std::string> argv{"docker"};
  argv.insert(argv.end(), args.begin(), args.end());
  return runProcess(argv, timeout);
}

}  // namespace medic::test
