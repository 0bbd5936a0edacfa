// Command probes run real (tiny) programs on this host: /bin/sh scripts stand in for the operator's
// checks. What passes, what the evidence keeps, what the command is told, and that a timeout kills
// the whole process group.
#include "probes/command_probe.h"

#include <gtest/gtest.h>
#include <signal.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

namespace medic::probes {
namespace {

ProbeOutcome run(std::vector<std::string> argv, Millis timeout = Millis(5000),
                 CommandTarget target = {"web", "shop-web-1", "abc123"}) {
  config::ProbeConfig p;
  p.kind = config::ProbeKind::kCommand;
  p.argv = std::move(argv);
  p.timeout = timeout;
  boost::asio::io_context io;
  auto f = boost::asio::co_spawn(io, runCommandProbe(p, std::move(target)), boost::asio::use_future);
  io.run();
  return f.get();
}

TEST(CommandProbe, ExitZeroPassesAndTheOutputIsKept) {
  auto out = run({"/bin/sh", "-c", "echo all good"});
  EXPECT_TRUE(out.ok) << out.summary;
  EXPECT_EQ(out.summary.rfind("exit 0 in ", 0), 0u) << out.summary;
  EXPECT_EQ(out.data["output"], "all good\n");
  EXPECT_EQ(out.data["argv"], nlohmann::json({"/bin/sh", "-c", "echo all good"}));
}

TEST(CommandProbe, ANonZeroExitFailsWithTheLastLineOfStderr) {
  auto out = run({"/bin/sh", "-c", "echo checking; echo 'db refused the connection' >&2; exit 4"});
  EXPECT_FALSE(out.ok);
  EXPECT_EQ(out.data["exit_code"], 4);
  EXPECT_NE(out.summary.find("exit 4 in"), std::string::npos) << out.summary;
  EXPECT_NE(out.summary.find(": db refused the connection"), std::string::npos) << out.summary;
}

TEST(CommandProbe, TheServiceArrivesOnlyAsEnvironmentVariables) {
  auto out = run({"/bin/sh", "-c", "echo \"$MEDIC_SERVICE|$MEDIC_CONTAINER|$MEDIC_CONTAINER_ID\""});
  EXPECT_TRUE(out.ok);
  EXPECT_EQ(out.data["output"], "web|shop-web-1|abc123\n");
}

TEST(CommandProbe, AMissingProgramIsAClearFailure) {
  auto out = run({"/nonexistent/check-api"});
  EXPECT_FALSE(out.ok);
  EXPECT_NE(out.summary.find("/nonexistent/check-api"), std::string::npos) << out.summary;
  auto empty = run({});
  EXPECT_FALSE(empty.ok);
  EXPECT_NE(empty.summary.find("empty argv"), std::string::npos) << empty.summary;
}

TEST(CommandProbe, ATimeoutKillsTheWholeGroupAndReapsIt) {
  const auto pidfile =
      std::filesystem::temp_directory_path() / ("medic-cmd-probe-" + std::to_string(::getpid()));
  // The script starts a grandchild that would outlive a kill of the script alone.
  const auto started = std::chrono::steady_clock::now();
  auto out = run({"/bin/sh", "-c", "sleep 30 & echo $! > " + pidfile.string() + "; wait"},
                 Millis(300));
  const auto took = std::chrono::steady_clock::now() - started;
  EXPECT_FALSE(out.ok);
  EXPECT_TRUE(out.timed_out);
  EXPECT_EQ(out.summary, "timed out after 300ms (killed)");
  EXPECT_LT(took, std::chrono::seconds(5));
  std::ifstream in(pidfile);
  pid_t grandchild = 0;
  in >> grandchild;
  std::filesystem::remove(pidfile);
  ASSERT_GT(grandchild, 0);
  // SIGKILL to the group: the sleep is gone too (at most a zombie until init reaps it).
  bool gone = false;
  for (int i = 0; i < 100 && !gone; ++i) {
    std::ifstream stat("/proc/" + std::to_string(grandchild) + "/stat");
    std::string pid, comm, state;
    gone = !(stat >> pid >> comm >> state) || state == "Z";
    if (!gone) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_TRUE(gone) << "pid " << grandchild << " still runs";
}

}  // namespace
}  // namespace medic::probes
