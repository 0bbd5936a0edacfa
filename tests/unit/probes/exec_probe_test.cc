// The verdict of an `exec` probe from what `docker exec` returned: what passes, what a person reads
// in the summary, and what the evidence keeps of the output.
#include "probes/exec_probe.h"

#include <gtest/gtest.h>

namespace medic::probes {
namespace {

config::ProbeConfig execProbe() {
  config::ProbeConfig p;
  p.kind = config::ProbeKind::kExec;
  p.argv = {"pg_isready", "-h", "127.0.0.1"};
  p.timeout = Millis(2000);
  return p;
}

TEST(ExecProbe, ExitZeroPassesAndTheEvidenceKeepsArgvCodeAndOutput) {
  ExecRun run{0, "127.0.0.1:5432 - accepting connections\n", false, Millis(12), ""};
  auto out = execOutcome(execProbe(), run);
  EXPECT_TRUE(out.ok);
  EXPECT_FALSE(out.timed_out);
  EXPECT_EQ(out.summary, "exit 0 in 12 ms");
  EXPECT_EQ(out.latency, Millis(12));
  EXPECT_EQ(out.data["argv"], (std::vector<std::string>{"pg_isready", "-h", "127.0.0.1"}));
  EXPECT_EQ(out.data["exit_code"], 0);
  EXPECT_EQ(out.data["output"], "127.0.0.1:5432 - accepting connections\n");
  EXPECT_EQ(out.data["output_truncated"], false);
}

TEST(ExecProbe, ANonZeroExitFailsAndSaysWhyFromTheLastLine) {
  ExecRun run{2, "checking...\n127.0.0.1:5432 - no response\n\n", false, Millis(8), ""};
  auto out = execOutcome(execProbe(), run);
  EXPECT_FALSE(out.ok);
  EXPECT_EQ(out.summary, "exit 2 in 8 ms: 127.0.0.1:5432 - no response");
  ExecRun silent{1, "", false, Millis(3), ""};
  EXPECT_EQ(execOutcome(execProbe(), silent).summary, "exit 1 in 3 ms");
}

TEST(ExecProbe, TheLastLineInTheSummaryIsRedacted) {
  // The summary is served as is in /api/v1/status: a secret the command printed must not be in it.
  ExecRun run{1, "connecting\nauth failed for DB_PASSWORD=hunter2-CANARY-pw\n", false, Millis(5), ""};
  auto out = execOutcome(execProbe(), run);
  EXPECT_FALSE(out.ok);
  EXPECT_EQ(out.summary.find("CANARY"), std::string::npos) << out.summary;
  EXPECT_EQ(out.summary, "exit 1 in 5 ms: auth failed for DB_PASSWORD=[REDACTED]");
}

TEST(ExecProbe, ATimeoutFailsAsKilledAndAnEngineErrorIsNamed) {
  ExecRun slow{-1, "", true, Millis(2003), ""};
  auto out = execOutcome(execProbe(), slow);
  EXPECT_FALSE(out.ok);
  EXPECT_TRUE(out.timed_out);
  EXPECT_EQ(out.summary, "timed out after 2s (killed)");
  ExecRun broken{-1, "", false, Millis(1), "conflict: container abc is not running"};
  auto e = execOutcome(execProbe(), broken);
  EXPECT_FALSE(e.ok);
  EXPECT_EQ(e.summary, "exec failed: conflict: container abc is not running");
  EXPECT_EQ(e.data["error"], "conflict: container abc is not running");
}

TEST(ExecProbe, OnlyTheEndOfALongOutputIsKept) {
  std::string output(10000, 'x');
  output += "\nfatal: the reason\n";
  ExecRun run{1, output, false, Millis(5), ""};
  auto out = execOutcome(execProbe(), run);
  const auto kept = out.data["output"].get<std::string>();
  EXPECT_EQ(kept.size(), kExecOutputLimit);
  EXPECT_NE(kept.find("fatal: the reason"), std::string::npos);
  EXPECT_EQ(out.data["output_bytes"], output.size());
  EXPECT_EQ(out.data["output_truncated"], true);
  EXPECT_EQ(out.summary, "exit 1 in 5 ms: fatal: the reason");
}

TEST(ExecProbe, EveryKindButDockerRunsAsAProbe) {
  EXPECT_TRUE(runsAsProbe(config::ProbeKind::kHttp));
  EXPECT_TRUE(runsAsProbe(config::ProbeKind::kTcp));
  EXPECT_TRUE(runsAsProbe(config::ProbeKind::kExec));
  EXPECT_TRUE(runsAsProbe(config::ProbeKind::kCommand));
  EXPECT_FALSE(runsAsProbe(config::ProbeKind::kDocker));  // judged from the inspect
}

}  // namespace
}  // namespace medic::probes
