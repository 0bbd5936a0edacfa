#pragma once
/// A program a test starts in the background (a daemon, a real peer such as Prometheus) and ends by
/// PID when it goes out of scope: SIGTERM, then SIGKILL after a grace, always reaped.

#include <string>
#include <utility>
#include <vector>

#include <sys/types.h>

namespace medic::test {

class ChildProcess {
 public:
  using Env = std::vector<std::pair<std::string, std::string>>;
  /// argv[0] is looked up in PATH. stdout and stderr go to `log_path` (appended).
  ChildProcess(std::vector<std::string> argv, std::string log_path, Env env = {});
  ~ChildProcess() { stop(); }
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  bool started() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }
  /// Sends `signal` and waits up to 10 s, then SIGKILL. Safe to call twice.
  void stop(int signal = 15);
  /// Everything the child wrote so far.
  std::string log() const;

 private:
  pid_t pid_ = -1;
  std::string log_path_;
};

}  // namespace medic::test
