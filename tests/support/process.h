#pragma once
/// Running a program from a test: argv only (never a shell), a deadline, captured output.

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

namespace medic::test {

struct ProcessResult {
  /// The exit status; 128 + N when killed by signal N (as a shell reports it); -1 when the program
  /// could not be started (then `err` says why).
  int exit_code = -1;
  std::string out;
  std::string err;
  /// True when the deadline passed and the child (and its process group) was killed.
  bool timed_out = false;

  bool ok() const { return exit_code == 0 && !timed_out; }
  /// One line for assertion messages: exit code, timeout, stderr.
  std::string describe() const;
};

/// Runs argv[0] (looked up in PATH) with argv, feeding `stdin_text` to its stdin and collecting its
/// stdout and stderr. The child gets its own process group; when `timeout` passes, the whole group
/// is killed with SIGKILL and reaped before this returns. Output written by grandchildren that
/// outlive the child is not waited for.
ProcessResult runProcess(const std::vector<std::string>& argv, std::chrono::milliseconds timeout,
                         std::string_view stdin_text = "");

/// `docker <args...>` via runProcess, 60 s deadline unless told otherwise.
ProcessResult dockerCli(const std::vector<std::string>& args,
                        std::chrono::milliseconds timeout = std::chrono::seconds(60));

}  // namespace medic::test
