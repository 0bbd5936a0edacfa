// SIGHUP reloads medic.yaml in a running `medic watch`: a valid new config is applied (a service
// added, one removed, restart-only keys kept), a bad one is rejected with its file and line and
// the old config keeps running. Real daemon process, real signal, the file rewritten between.
#include <signal.h>

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>

#include "support/docker_env.h"
#include "support/wait.h"
#include "watch_process.h"

namespace medic::test {
namespace {

using namespace std::chrono_literals;

class ReloadTest : public DockerTest {
 protected:
  static std::string service(const std::string& name, const TestContainer& c) {
    return "  " + name + ":\n    match:\n      container: " + c.name() +
           "\n    probes:\n      - http: http://127.0.0.1:" + std::to_string(c.port()) +
           "/health\n";
  }
  static std::string head(const std::string& extra = "") {
    return "select:\n  labels: false\nresync_interval: 500ms\n" + extra +
           "defaults:\n  probe:\n    interval: 250ms\n    timeout: 1s\n    failure_threshold: 2\n"
           "  recovery:\n    backoff_initial: 200ms\n    settle_timeout: 20s\nservices:\n";
  }
  static bool restartedSince(const TestContainer& c, const std::string& started_at) {
    return waitFor(
        [&] { return c.inspect("{{.State.StartedAt}}") != started_at && c.status() == "running"; },
        20s, 100ms);
  }
  TempDir dir_;
};

TEST_F(ReloadTest, ValidConfigIsAppliedAndBadOneIsRejectedWithFileAndLine) {
  auto a = TestContainer::start("reload-a");
  auto b = TestContainer::start("reload-b");
  ASSERT_TRUE(a.started()) << a.startError();
  ASSERT_TRUE(b.started()) << b.startError();
  const auto path = dir_.write("medic.yaml", head() + service("alpha", a));
  WatchProcess watch(dir_, path);
  ASSERT_TRUE(watch.waitState("alpha", "healthy")) << watch.log();
  EXPECT_TRUE(watch.service("beta").is_null());

  // New config: beta replaces alpha, and listen moves (which needs a restart, so it must not).
  dir_.write("medic.yaml", head("listen: 127.0.0.1:1\n") + service("beta", b));
  watch.signal(SIGHUP);
  ASSERT_TRUE(watch.waitState("beta", "healthy", 20s)) << watch.log();
  ASSERT_TRUE(waitFor([&] { return watch.service("alpha").is_null(); }, 10s, 100ms)) << watch.log();
  const auto log = watch.log();
  EXPECT_NE(log.find("config reloaded from " + path), std::string::npos) << log;
  EXPECT_NE(log.find("alpha is no longer protected"), std::string::npos) << log;
  EXPECT_NE(log.find("listen changed"), std::string::npos) << log;
  // The API still answers where it was (it answered waitState above, through the old port).

  // alpha is no longer protected: a crash of it stays a crash.
  ASSERT_TRUE(dockerCli({"kill", "-s", "KILL", a.name()}).ok());
  std::this_thread::sleep_for(3s);
  EXPECT_EQ(a.status(), "exited") << watch.log();
  // beta is protected: a crash is repaired.
  auto b_started = b.inspect("{{.State.StartedAt}}");
  ASSERT_TRUE(dockerCli({"kill", "-s", "KILL", b.name()}).ok());
  EXPECT_TRUE(restartedSince(b, b_started)) << watch.log();
  ASSERT_TRUE(watch.waitState("beta", "healthy", 20s)) << watch.log();

  // A bad config (line 3 holds a value that is not a duration) is rejected; the old one runs on.
  dir_.write("medic.yaml", "select:\n  labels: false\nresync_interval: 10 sec\nservices:\n" +
                               service("alpha", a));
  watch.signal(SIGHUP);
  ASSERT_TRUE(waitFor(
      [&] { return watch.log().find("config reload rejected") != std::string::npos; }, 10s, 50ms))
      << watch.log();
  const auto after = watch.log();
  const auto at = after.find("config reload rejected");
  const auto line_end = after.find('\n', at);
  const auto rejected = after.substr(at, line_end - at);
  EXPECT_NE(rejected.find(path + ":3"), std::string::npos) << rejected;
  EXPECT_NE(rejected.find("resync_interval"), std::string::npos) << rejected;
  EXPECT_TRUE(watch.running()) << watch.log();
  EXPECT_TRUE(watch.service("alpha").is_null()) << "the rejected config was partly applied";
  b_started = b.inspect("{{.State.StartedAt}}");
  ASSERT_TRUE(dockerCli({"kill", "-s", "KILL", b.name()}).ok());
  EXPECT_TRUE(restartedSince(b, b_started)) << "old config no longer running: " << watch.log();
}

}  // namespace
}  // namespace medic::test
