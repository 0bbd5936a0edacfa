#pragma once
// A `medic watch` child process for the daemon's integration tests (watch_test, channels_test).
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "../cli/medic_cli.h"
#include "support/docker_env.h"
#include "support/wait.h"

namespace medic::test {

using namespace std::chrono_literals;

/// A `medic watch` child process protecting exactly the containers named in its config (label
/// selection off, so parallel tests never touch each other's containers).
class WatchProcess {
 public:
  using Env = std::vector<std::pair<std::string, std::string>>;
  WatchProcess(const TempDir& dir, const std::string& config_path, Env env = {})
      : dir_(dir), config_(config_path), port_(freePort()), env_(std::move(env)) {
    start();
  }
  ~WatchProcess() { stop(SIGTERM); }

  void start() {
    const std::string log = dir_.path() + "/watch.log";
    pid_ = fork();
    if (pid_ == 0) {
      int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      dup2(fd, 1);
      dup2(fd, 2);
      setpgid(0, 0);
      setenv("LIBC_FATAL_STDERR_", "1", 1);  // glibc's abort messages to the log, not the tty
      for (const auto& [k, v] : env_) setenv(k.c_str(), v.c_str(), 1);
      const std::string listen = "127.0.0.1:" + std::to_string(port_);
      const std::string state = dir_.path() + "/state";
      const std::string bin = medicBinary();
      execl(bin.c_str(), bin.c_str(), "watch", "--config", config_.c_str(), "--state-dir",
            state.c_str(), "--listen", listen.c_str(), "--log-level", "debug",
            static_cast<char*>(nullptr));
      _exit(127);
    }
  }
  /// Sends `sig` and reaps the process; returns its wait status (-1 when it was not running).
  int stop(int sig) {
    if (pid_ <= 0) return -1;
    kill(pid_, sig);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
    return status;
  }
  /// Sends `sig` (e.g. SIGHUP) without waiting.
  void signal(int sig) const {
    if (pid_ > 0) kill(pid_, sig);
  }
  /// True while the process has not exited (reaps it when it has).
  bool running() {
    if (pid_ <= 0) return false;
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      exit_status_ = status;
      return false;
    }
    return true;
  }
  /// Wait status of a process running() saw exit; -1 otherwise.
  int exitStatus() const { return exit_status_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  int port() const { return port_; }
  /// Why the process is gone ("killed by signal 6", "exited with status 1"), or "" while it runs.
  /// Does not reap it.
  std::string gone() const {
    if (pid_ <= 0) return exit_status_ == -1 ? "" : describeStatus(exit_status_);
    siginfo_t info{};
    if (waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOHANG | WNOWAIT) != 0 ||
        info.si_pid != pid_) {
      return "";
    }
    return info.si_code == CLD_EXITED ? "exited with status " + std::to_string(info.si_status)
                                      : "killed by signal " + std::to_string(info.si_status);
  }
  /// The daemon's output, and a last line saying so when it died on its own.
  std::string log() const {
    std::ifstream in(dir_.path() + "/watch.log");
    std::stringstream ss;
    ss << in.rdbuf();
    if (pid_ > 0) {
      if (auto why = gone(); !why.empty()) ss << "\n[medic watch " << why << "]\n";
    }
    return ss.str();
  }
  /// GET /api/v1/services/{name} through the CLI's own client path (`medic status --json`).
  nlohmann::json service(const std::string& name) const {
    auto r =
        runMedic({"status", "--json", "--url", url(), "--state-dir", dir_.path() + "/state"}, 10s);
    auto j = nlohmann::json::parse(r.out, nullptr, false);
    if (j.is_discarded()) return nullptr;
    for (const auto& s : j["services"]) {
      if (s.value("name", "") == name) return s;
    }
    return nullptr;
  }
  bool waitState(const std::string& name, const std::string& state,
                 std::chrono::milliseconds timeout = 30s) const {
    bool reached = false;
    (void)waitFor(
        [&] {
          if (!gone().empty()) return true;  // no use waiting for a daemon that died
          auto s = service(name);
          reached = s.is_object() && s.value("state", "") == state;
          return reached;
        },
        timeout, 100ms);
    return reached;
  }

 private:
  static std::string describeStatus(int status) {
    if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
    if (WIFSIGNALED(status)) return "killed by signal " + std::to_string(WTERMSIG(status));
    return "ended";
  }
  const TempDir& dir_;
  std::string config_;
  int port_;
  Env env_;
  pid_t pid_ = -1;
  int exit_status_ = -1;
};

}  // namespace medic::test
