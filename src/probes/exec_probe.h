#pragma once
/// An `exec` (or `command`) probe's verdict from what the run returned: pure, so its wording and
/// limits are unit-tested without an engine (the check pass runs an exec through
/// docker::DockerApi, a command through probes::runCommandProbe).

#include <string>
#include <vector>

#include "config/config.h"
#include "core/time.h"
#include "probes/probe.h"

namespace medic::probes {

/// What a `docker exec` of the probe's argv gave back.
struct ExecRun {
  int exit_code = -1;
  std::string output;  ///< stdout and stderr
  bool timed_out = false;
  Millis took{0};
  std::string error;  ///< the exec could not be run at all (engine error); empty otherwise
};

/// The output kept in evidence: its last kExecOutputLimit bytes (the end of a failing command's
/// output says why). Secrets in it are redacted when the evidence record is made.
inline constexpr size_t kExecOutputLimit = 2048;

/// ok when the command exited 0 within the timeout. Summary: "exit 0 in 12 ms", "exit 3 in 8 ms:
/// <last output line>", "timed out after 2s (killed)", "exec failed: <engine message>".
ProbeOutcome execOutcome(const config::ProbeConfig& probe, const ExecRun& run);

/// http, tcp, exec and command probes run as probes; `docker` is judged from the inspect.
bool runsAsProbe(config::ProbeKind kind);

}  // namespace medic::probes
