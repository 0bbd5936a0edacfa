// SIGTERM while medic recreates a removed container: the recreate either finishes before medic
// exits, or (when it outlasts shutdown_timeout) stays a pending intent that the next start
// reconciles. Either way exactly one container of that name exists and medic restarts cleanly on
// the same state dir. The recreate is made slow by the test hook MEDIC_TEST_RECREATE_DELAY (a
// pause between create and start), so the signal lands inside it.
#include <signal.h>
#include <sys/wait.h>

#include <gtest/gtest.h>

#include <chrono>
#include <sstream>
#include <string>
#include <thread>

#include "support/docker_env.h"
#include "support/wait.h"
#include "watch_process.h"

namespace medic::test {
namespace {

using namespace std::chrono_literals;

class ShutdownTest : public DockerTest {
 protected:
  std::string config(const TestContainer& c, const std::string& shutdown_timeout) {
    return dir_.write(
        "medic.yaml",
        "select:\n  labels: false\nresync_interval: 500ms\nshutdown_timeout: " + shutdown_timeout +
            "\ndefaults:\n  probe:\n    interval: 250ms\n    timeout: 1s\n"
            "    failure_threshold: 2\n  recovery:\n    replacement_grace: 300ms\n"
            "    backoff_initial: 200ms\n    settle_timeout: 20s\nservices:\n  web:\n    match:\n"
            "      container: " +
            c.name() + "\n    probes:\n      - http: http://127.0.0.1:" + std::to_string(c.port()) +
            "/health\n");
  }
  /// Names of every container (any state) whose name is `name` or starts with it.
  static std::vector<std::string> namesLike(const std::string& name) {
    auto ps = dockerCli({"ps", "-a", "--filter", "name=" + name, "--format", "{{.Names}}"});
    std::vector<std::string> out;
    std::stringstream lines(ps.out);
    for (std::string line; std::getline(lines, line);) {
      if (!line.empty()) out.push_back(line);
    }
    return out;
  }
  static bool serving(const TestContainer& c, std::chrono::milliseconds timeout = 30s) {
    return waitFor([&] { return c.get("/health", 500ms).status == 200; }, timeout, 50ms);
  }
  /// Protects `c`, removes it, and returns once medic is inside the recreate's pause.
  void removeAndWaitForRecreate(WatchProcess& watch, const TestContainer& c) {
    ASSERT_TRUE(watch.waitState("web", "healthy")) << watch.log();
    std::this_thread::sleep_for(1s);  // the snapshot is stored once healthy
    ASSERT_TRUE(dockerCli({"rm", "-f", c.name()}).ok());
    ASSERT_TRUE(waitFor([&] { return watch.log().find("test hook: pausing") != std::string::npos; },
                        15s, 20ms))
        << watch.log();
  }
  TempDir dir_;
};

TEST_F(ShutdownTest, SigtermDuringRecreateLetsItFinishThenExitsCleanly) {
  auto c = TestContainer::start("sigterm-recreate");
  ASSERT_TRUE(c.started()) << c.startError();
  ASSERT_TRUE(serving(c));
  const auto cfg = config(c, "30s");
  const WatchProcess::Env env = {{"MEDIC_TEST_RECREATE_DELAY", "2000"}};
  std::string id_after_stop;
  size_t first_log_size = 0;
  {
    WatchProcess watch(dir_, cfg, env);
    removeAndWaitForRecreate(watch, c);
    if (HasFatalFailure()) return;
    const auto t0 = std::chrono::steady_clock::now();
    const int status = watch.stop(SIGTERM);
    const auto took = std::chrono::steady_clock::now() - t0;
    const auto log = watch.log();
    ASSERT_TRUE(WIFEXITED(status)) << "medic did not exit by itself: " << status << "\n" << log;
    EXPECT_EQ(WEXITSTATUS(status), 0) << log;
    // It waited for the recreate (the pause is 2 s) rather than abandoning it.
    EXPECT_GT(took, 1s) << log;
    EXPECT_LT(took, 15s) << log;
    EXPECT_NE(log.find("action(s) in flight to finish"), std::string::npos) << log;
    EXPECT_NE(log.find("medic stopped (0 action(s) left in flight)"), std::string::npos) << log;
    EXPECT_EQ(namesLike(c.name()), std::vector<std::string>{c.name()});
    EXPECT_EQ(c.status(), "running") << "the recreate did not finish before exit";
    id_after_stop = c.inspect("{{.Id}}");
    first_log_size = log.size();
  }
  // Same state dir: nothing pending, nothing recreated twice, the service healthy.
  WatchProcess again(dir_, cfg);
  EXPECT_TRUE(again.waitState("web", "healthy")) << again.log();
  std::this_thread::sleep_for(1500ms);  // a few resync passes
  const auto second = again.log().substr(first_log_size);
  EXPECT_EQ(second.find("interrupted by a restart"), std::string::npos) << second;
  EXPECT_EQ(second.find("recreate (attempt"), std::string::npos) << second;
  EXPECT_EQ(namesLike(c.name()), std::vector<std::string>{c.name()});
  EXPECT_EQ(c.inspect("{{.Id}}"), id_after_stop);
  EXPECT_TRUE(serving(c, 5s));
  auto s = again.service("web");
  EXPECT_EQ(s["last_incident"]["outcome"], "recovered") << s.dump(2);
}

TEST_F(ShutdownTest, RecreateOutlastingShutdownTimeoutIsReconciledAtNextStart) {
  auto c = TestContainer::start("sigterm-intent");
  ASSERT_TRUE(c.started()) << c.startError();
  ASSERT_TRUE(serving(c));
  const auto cfg = config(c, "200ms");
  const WatchProcess::Env env = {{"MEDIC_TEST_RECREATE_DELAY", "5000"}};
  size_t first_log_size = 0;
  {
    WatchProcess watch(dir_, cfg, env);
    removeAndWaitForRecreate(watch, c);
    if (HasFatalFailure()) return;
    const auto t0 = std::chrono::steady_clock::now();
    const int status = watch.stop(SIGTERM);
    const auto took = std::chrono::steady_clock::now() - t0;
    const auto log = watch.log();
    ASSERT_TRUE(WIFEXITED(status)) << status << "\n" << log;
    EXPECT_EQ(WEXITSTATUS(status), 0) << log;
    EXPECT_LT(took, 3s) << "shutdown_timeout 200ms not honoured\n" << log;
    EXPECT_NE(log.find("still in flight after"), std::string::npos) << log;
    // Created, never started: the recreate was cut between its two steps.
    EXPECT_EQ(namesLike(c.name()), std::vector<std::string>{c.name()});
    EXPECT_EQ(c.status(), "created") << log;
    first_log_size = log.size();
  }
  WatchProcess again(dir_, cfg);
  EXPECT_TRUE(serving(c)) << again.log();
  EXPECT_TRUE(again.waitState("web", "healthy")) << again.log();
  const auto second = again.log().substr(first_log_size);
  EXPECT_NE(second.find("was interrupted by a restart"), std::string::npos) << second;
  // Exactly one container of that name (an old copy renamed aside, if any, is removed once the
  // new one validates).
  EXPECT_TRUE(waitFor(
      [&] { return namesLike(c.name()) == std::vector<std::string>{c.name()}; }, 10s, 100ms))
      << ::testing::PrintToString(namesLike(c.name())) << "\n"
      << second;
}

}  // namespace
}  // namespace medic::test
