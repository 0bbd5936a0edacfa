#include "probes/exec_probe.h"

#include <fmt/format.h>

#include "core/duration.h"
#include "evidence/redact.h"

namespace medic::probes {
namespace {

/// The last non-empty line, trimmed, at most 200 bytes.
std::string lastLine(const std::string& text) {
  size_t end = text.size();
  while (end > 0 && (text[end - 1] == '\n' || text[end - 1] == '\r' || text[end - 1] == ' ')) {
    --end;
  }
  const size_t begin = text.rfind('\n', end == 0 ? 0 : end - 1);
  std::string line = text.substr(begin == std::string::npos ? 0 : begin + 1,
                                 end - (begin == std::string::npos ? 0 : begin + 1));
  if (line.size() > 200) line = line.substr(0, 200) + "...";
  return line;
}

}  // namespace

bool runsAsProbe(config::ProbeKind kind) {
  return kind == config::ProbeKind::kHttp || kind == config::ProbeKind::kTcp ||
         kind == config::ProbeKind::kExec || kind == config::ProbeKind::kCommand;
}

ProbeOutcome execOutcome(const config::ProbeConfig& probe, const ExecRun& run) {
  ProbeOutcome out;
  out.latency = run.took;
  out.timed_out = run.timed_out;
  const bool cut = run.output.size() > kExecOutputLimit;
  out.data = {{"argv", probe.argv},
              {"exit_code", run.exit_code},
              {"timed_out", run.timed_out},
              {"latency_ms", run.took.count()},
              {"output", cut ? run.output.substr(run.output.size() - kExecOutputLimit) : run.output},
              {"output_bytes", run.output.size()},
              {"output_truncated", cut}};
  if (!run.error.empty()) {
    out.ok = false;
    out.summary = "exec failed: " + run.error;
    out.data["error"] = run.error;
    return out;
  }
  if (run.timed_out) {
    out.ok = false;
    out.summary = "timed out after " + formatDuration(probe.timeout) + " (killed)";
    return out;
  }
  out.ok = run.exit_code == 0;
  out.summary = fmt::format("exit {} in {} ms", run.exit_code, run.took.count());
  if (!out.ok) {
    // The summary is served as it is (/api/v1/status, top): what the command printed is redacted.
    if (auto line = lastLine(run.output); !line.empty()) {
      out.summary += ": " + evidence::redactText(line);
    }
  }
  return out;
}

}  // namespace medic::probes
