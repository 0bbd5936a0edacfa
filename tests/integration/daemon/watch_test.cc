// `medic watch` against the real engine: each fault, repaired, with what medic recorded.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include "../cli/medic_cli.h"
#include "watch_process.h"
#include "support/docker_env.h"
#include "support/wait.h"

namespace medic::test {
namespace {

using namespace std::chrono_literals;

class WatchTest : public DockerTest {
 protected:
  std::string config(const TestContainer& c, bool http_probe = true,
                     const std::string& replacement_grace = "1s") {
    std::string y = "select:\n  labels: false\nresync_interval: 2s\n"
                    "defaults:\n  probe:\n    interval: 250ms\n    timeout: 1s\n"
                    "    failure_threshold: 2\n  recovery:\n    replacement_grace: " + replacement_grace +
                    "\n"
                    "    backoff_initial: 200ms\n    backoff_max: 1s\n    settle_timeout: 20s\n" +
                    "services:\n  web:\n    match:\n      container: " + c.name() +
                    "\n";
    if (http_probe) {
      y += "    probes:\n      - http: http://127.0.0.1:" + std::to_string(c.port()) + "/health\n";
    }
    return dir_.write("medic.yaml", y);
  }
  static bool serving(const TestContainer& c, std::chrono::milliseconds timeout = 30s) {
    return waitFor([&] { return c.get("/health", 500ms).status == 200; }, timeout, 50ms);
  }
  TempDir dir_;
};

TEST_F(WatchTest, CrashIsRepairedAndServesAgain) {
  auto c = TestContainer::start("watch-crash");
  ASSERT_TRUE(c.started()) << c.startError();
  ASSERT_TRUE(serving(c));
  WatchProcess watch(dir_, config(c));
  ASSERT_TRUE(watch.waitState("web", "healthy")) << watch.log();
  const auto first_start = c.inspect("{{.State.StartedAt}}");
  ASSERT_TRUE(dockerCli({"kill", "-s", "KILL", c.name()}).ok());
  ASSERT_TRUE(waitFor([&] { return c.inspect("{{.State.StartedAt}}") != first_start; }, 20s, 50ms))
      << watch.log();
  EXPECT_TRUE(serving(c)) << watch.log();
  ASSERT_TRUE(watch.waitState("web", "healthy")) << watch.log();
  auto s = watch.service("web");
  ASSERT_TRUE(s["last_incident"].is_object()) << s.dump(2);
  EXPECT_EQ(s["last_incident"]["outcome"], "recovered") << s.dump(2);
  EXPECT_LT(s["last_incident"]["detection_seconds"].get<double>(), 1.0) << s.dump(2);
  EXPECT_GT(s["last_incident"]["recovery_seconds"].get<double>(), 0.0) << s.dump(2);
}

// What a person or Prometheus sees after a crash: valid metrics (promtool), the recovery counted,
// and the alert raised then resolved in logs/monitoring-alerts.log.
TEST_F(WatchTest, RecoveryShowsInMetricsAndTheAlertLog) {
  auto c = TestContainer::start("watch-metrics");
  ASSERT_TRUE(c.started()) << c.startError();
  ASSERT_TRUE(serving(c));
  WatchProcess watch(dir_, config(c));
  ASSERT_TRUE(watch.waitState("web", "healthy")) << watch.log();
  ASSERT_TRUE(dockerCli({"kill", "-s", "KILL", c.name()}).ok());
  ASSERT_TRUE(waitFor([&] {
    auto s = watch.service("web");
    return s.is_object() && s["last_incident"].is_object() &&
           s["last_incident"].value("outcome", "") == "recovered";
  }, 30s, 100ms)) << watch.log();
  auto metrics = httpGet(watch.port(), "/metrics", 5s);
  ASSERT_EQ(metrics.status, 200);
  EXPECT_NE(metrics.body.find("medic_health_score 100"), std::string::npos) << metrics.body;
  EXPECT_NE(metrics.body.find("medic_recoveries_total{service=\"web\",action=\"start\","
                              "result=\"success\"} 1"),
            std::string::npos)
      << metrics.body;
  EXPECT_NE(metrics.body.find("medic_detection_seconds_count 1"), std::string::npos)
      << metrics.body;
  if (access("/usr/bin/promtool", X_OK) == 0) {
    auto lint = runProcess({"promtool", "check", "metrics"}, 30s, metrics.body);
    EXPECT_EQ(lint.exit_code, 0) << lint.describe() << lint.out;
  } else if (dockerRequired()) {
    ADD_FAILURE() << "promtool missing: apt-get install prometheus";
  }
  // Resources come from Docker stats sampled in the background (every 10 s), never on a scrape.
  EXPECT_TRUE(waitFor([&] {
    auto m = httpGet(watch.port(), "/metrics", 5s);
    return m.body.find("medic_container_memory_bytes{service=\"web\"}") != std::string::npos;
  }, 25s, 500ms)) << watch.log();
  std::ifstream in(dir_.path() + "/state/logs/monitoring-alerts.log");
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string log = ss.str();
  EXPECT_NE(log.find("firing"), std::string::npos) << log;
  EXPECT_NE(log.find("resolved"), std::string::npos) << log;
}

TEST_F(WatchTest, DockerStopIsRepaired) {
  auto c = TestContainer::start("watch-stop");
  ASSERT_TRUE(c.started()) << c.startError();
  ASSERT_TRUE(serving(c));
  WatchProcess watch(dir_, config(c));
  ASSERT_TRUE(watch.waitState("web", "healthy")) << watch.log();
  ASSERT_TRUE(dockerCli({"stop", "-t", "1", c.name()}).ok());
  EXPECT_TRUE(waitFor([&] { return c.status() == "running"; }, 20s, 50ms)) << watch.log();
  EXPECT_TRUE(serving(c)) << watch.log();
  EXPECT_TRUE(watch.waitState("web", "healthy")) << watch.log();
}

TEST_F(WatchTest, RemovedContainerIsRecreatedWithAnIdenticalSpec) {
  auto c = TestContainer::start("watch-rm", {"--label", "tier=web", "-e", "APP_VERSION=v1",
                                              "--restart", "on-failure:2"});
  ASSERT_TRUE(c.started()) << c.startError();
  ASSERT_TRUE(serving(c));
  WatchProcess watch(dir_, config(c));
  ASSERT_TRUE(watch.waitState("web", "healthy")) << watch.log();
  // The snapshot is taken once the service is healthy; give the store a moment.
  std::this_thread::sleep_for(1s);
  const std::vector<std::string> fields = {
      "{{.Image}}", "{{json .Config.Cmd}}", "{{json .Config.Entrypoint}}", "{{json .Config.Env}}",
      "{{index .Config.Labels \"tier\"}}", "{{.HostConfig.NetworkMode}}",
      "{{.HostConfig.RestartPolicy.Name}}:{{.HostConfig.RestartPolicy.MaximumRetryCount}}",
      "{{json .Config.Healthcheck}}"};
  std::vector<std::string> before;
  for (const auto& f : fields) before.push_back(c.inspect(f));
  const std::string old_id = c.id();
  ASSERT_TRUE(dockerCli({"rm", "-f", c.name()}).ok());
  ASSERT_TRUE(waitFor([&] { return containerExists(c.name()) && c.inspect("{{.Id}}") != old_id; },
                      30s, 100ms))
      << watch.log();
  EXPECT_TRUE(serving(c)) << watch.log();
  for (size_t i = 0; i < fields.size(); ++i) EXPECT_EQ(c.inspect(fields[i]), before[i]) << fields[i];
  EXPECT_TRUE(watch.waitState("web", "healthy")) << watch.log();
  auto s = watch.service("web");
  EXPECT_EQ(s["last_incident"]["outcome"], "recovered") << s.dump(2);
  EXPECT_EQ(s["last_incident"]["attempts"], 1) << s.dump(2);
}

TEST_F(WatchTest, ReplacementArrivingWithinGraceIsAdoptedWithoutAction) {
  const std::string name = uniqueName("watch-repl");
  const int port = freePort();
  TestContainer c(name, port);
  ASSERT_TRUE(c.started()) << c.startError();
  ASSERT_TRUE(serving(c));
  // The grace leaves room for a slow `docker rm` + `docker run` on a loaded 2-core machine.
  WatchProcess watch(dir_, config(c, true, "8s"));
  ASSERT_TRUE(watch.waitState("web", "healthy")) << watch.log();
  std::this_thread::sleep_for(1s);  // snapshot stored
  // What `docker-compose up` does after a removal: a new container for the same service.
  const auto removed_at = std::chrono::steady_clock::now();
  ASSERT_TRUE(dockerCli({"rm", "-f", name}).ok());
  TestContainer replacement(name, port, {"-e", "APP_VERSION=v2"});
  ASSERT_TRUE(replacement.started()) << replacement.startError();
  const std::string replacement_id = replacement.id();
  ASSERT_TRUE(serving(replacement));
  EXPECT_TRUE(watch.waitState("web", "healthy")) << watch.log();
  // Past the grace: medic took no action, the replacement is the one serving.
  std::this_thread::sleep_until(removed_at + 9s);
  EXPECT_EQ(replacement.inspect("{{.Id}}"), replacement_id) << watch.log();
  EXPECT_NE(replacement.get("/").body.find("v2"), std::string::npos);
  auto s = watch.service("web");
  EXPECT_EQ(s["container_id"], replacement_id) << s.dump(2);
  EXPECT_EQ(s["last_incident"]["outcome"], "replaced") << s.dump(2);
  EXPECT_EQ(s["last_incident"]["attempts"], 0) << s.dump(2);
  EXPECT_EQ(s["attempts_in_window"], 0) << s.dump(2) << watch.log();
}

TEST_F(WatchTest, BrokenNewImageIsRolledBackToTheLastHealthyOne) {
  const std::string name = uniqueName("watch-rollback");
  const int port = freePort();
  TestContainer good(name, port);
  ASSERT_TRUE(good.started()) << good.startError();
  ASSERT_TRUE(serving(good));
  const std::string good_image = good.inspect("{{.Image}}");
  WatchProcess watch(dir_, config(good));
  ASSERT_TRUE(watch.waitState("web", "healthy")) << watch.log();
  std::this_thread::sleep_for(1s);  // snapshot of the healthy v1 stored
  // A deploy by another tool: the container is replaced by one from an image that exits at start.
  ASSERT_TRUE(dockerCli({"rm", "-f", name}).ok());
  TestContainer bad(name, port, {}, "medic-testserver:bad-exit");
  ASSERT_TRUE(bad.started()) << bad.startError();
  EXPECT_TRUE(waitFor([&] { return good.inspect("{{.Image}}") == good_image &&
                                   good.status() == "running"; },
                      40s, 200ms))
      << watch.log();
  EXPECT_TRUE(serving(good)) << watch.log();
  EXPECT_TRUE(watch.waitState("web", "healthy")) << watch.log();
  auto s = watch.service("web");
  EXPECT_EQ(s["last_healthy_image"], good_image) << s.dump(2);
  // A replacement by another tool that never turns healthy is undone by the dedicated restore,
  // not by restarting it until the ladder's rollback rung.
  EXPECT_NE(watch.log().find("restore_snapshot"), std::string::npos) << watch.log();
  EXPECT_EQ(watch.log().find("restart (attempt"), std::string::npos) << watch.log();
  // The broken container was renamed aside during the rollback and is removed once the rollback
  // validated: nothing is left behind.
  auto leftovers = [&] {
    return dockerCli({"ps", "-a", "--filter", "name=" + name + ".medic-old-", "--format",
                      "{{.Names}}"})
        .out;
  };
  EXPECT_TRUE(waitFor([&] { return leftovers().empty(); }, 10s, 200ms)) << leftovers();
  for (std::string line; std::getline(std::stringstream(leftovers()) >> std::ws, line);) {
    dockerCli({"rm", "-f", line});
  }
}

// All schedules run on the monotonic clock: jumping medic's wall clock (libfaketime, only inside
// the medic process; the machine's clock is untouched) neither fires the replacement grace early
// nor delays it.
TEST_F(WatchTest, WallClockJumpChangesNoSchedule) {
  const char* kFaketime = "/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1";
  if (access(kFaketime, R_OK) != 0) {
    if (dockerRequired()) GTEST_FAIL() << kFaketime << " missing: apt-get install faketime";
    GTEST_SKIP() << kFaketime << " missing: apt-get install faketime";
  }
  auto c = TestContainer::start("watch-clock");
  ASSERT_TRUE(c.started()) << c.startError();
  ASSERT_TRUE(serving(c));
  const std::string offset_file = dir_.write("faketime", "+0\n");
  WatchProcess watch(dir_, config(c, true, "3s"),
                     {{"LD_PRELOAD", kFaketime},
                      {"FAKETIME_TIMESTAMP_FILE", offset_file},
                      {"FAKETIME_NO_CACHE", "1"},
                      {"FAKETIME_DONT_FAKE_MONOTONIC", "1"}});
  ASSERT_TRUE(watch.waitState("web", "healthy")) << watch.log();
  std::this_thread::sleep_for(1s);  // snapshot stored
  for (const char* jump : {"+2h", "-2h"}) {
    SCOPED_TRACE(jump);
    dir_.write("faketime", std::string(jump) + "\n");
    const std::string old_id = c.id();
    const auto t0 = std::chrono::steady_clock::now();
    ASSERT_TRUE(dockerCli({"rm", "-f", c.name()}).ok());
    auto recreated = [&] {
      return containerExists(c.name()) && c.inspect("{{.Id}}") != old_id;
    };
    ASSERT_TRUE(waitFor(recreated, 20s, 50ms)) << watch.log();
    const auto took = std::chrono::steady_clock::now() - t0;
    EXPECT_GE(took, 2900ms) << "recreated before the 3 s grace ended";
    EXPECT_LT(took, 8s) << "recreate delayed by the wall-clock jump";
    EXPECT_TRUE(serving(c)) << watch.log();
    ASSERT_TRUE(watch.waitState("web", "healthy")) << watch.log();
  }
}

TEST_F(WatchTest, PausedContainerIsUnpaused) {
  auto c = TestContainer::start("watch-pause");
  ASSERT_TRUE(c.started()) << c.startError();
  ASSERT_TRUE(serving(c));
  WatchProcess watch(dir_, config(c));
  ASSERT_TRUE(watch.waitState("web", "healthy")) << watch.log();
  ASSERT_TRUE(dockerCli({"pause", c.name()}).ok());
  EXPECT_TRUE(waitFor([&] { return c.status() == "running"; }, 20s, 50ms)) << watch.log();
  EXPECT_TRUE(serving(c)) << watch.log();
}

TEST_F(WatchTest, DockerUnhealthyIsRestarted) {
  auto c = TestContainer::start("watch-unhealthy");
  ASSERT_TRUE(c.started()) << c.startError();
  ASSERT_TRUE(waitFor([&] { return c.health() == "healthy"; }, 20s, 100ms));
  WatchProcess watch(dir_, config(c, /*http_probe=*/false));
  ASSERT_TRUE(watch.waitState("web", "healthy")) << watch.log();
  const auto first_start = c.inspect("{{.State.StartedAt}}");
  c.get("/control/unhealthy");
  ASSERT_TRUE(waitFor([&] { return c.inspect("{{.State.StartedAt}}") != first_start; }, 30s, 100ms))
      << watch.log();
  EXPECT_TRUE(waitFor([&] { return c.health() == "healthy"; }, 20s, 100ms)) << watch.log();
  EXPECT_TRUE(watch.waitState("web", "healthy")) << watch.log();
}

TEST_F(WatchTest, CrashLoopIsEscalatedAfterExactlyThreeAttempts) {
  TestContainer c(uniqueName("watch-loop"), freePort(), {}, "medic-testserver:bad-exit");
  ASSERT_TRUE(c.started()) << c.startError();
  WatchProcess watch(dir_, config(c, false));
  ASSERT_TRUE(watch.waitState("web", "escalated", 40s)) << watch.log();
  auto s = watch.service("web");
  EXPECT_EQ(s["attempts_in_window"], 3) << s.dump(2);
  EXPECT_EQ(s["escalated"], true);
  // No further action: the container stays exited and is not started again.
  const auto started = c.inspect("{{.State.StartedAt}}");
  std::this_thread::sleep_for(3s);
  EXPECT_EQ(c.inspect("{{.State.StartedAt}}"), started) << watch.log();
  EXPECT_EQ(watch.service("web")["attempts_in_window"], 3);
  std::ifstream critical(dir_.path() + "/state/alerts/critical-failures.json");
  std::stringstream ss;
  ss << critical.rdbuf();
  EXPECT_NE(ss.str().find("manual intervention required"), std::string::npos) << ss.str();
}

TEST_F(WatchTest, MedicKilledDuringRecreateLeavesExactlyOneContainer) {
  auto c = TestContainer::start("watch-kill9");
  ASSERT_TRUE(c.started()) << c.startError();
  ASSERT_TRUE(serving(c));
  auto cfg = config(c);
  {
    WatchProcess watch(dir_, cfg);
    ASSERT_TRUE(watch.waitState("web", "healthy")) << watch.log();
    std::this_thread::sleep_for(1s);  // snapshot stored
    ASSERT_TRUE(dockerCli({"rm", "-f", c.name()}).ok());
    // replacement_grace is 1 s: kill medic -9 around the moment it recreates.
    std::this_thread::sleep_for(1050ms);
    watch.stop(SIGKILL);
  }
  WatchProcess again(dir_, cfg);
  EXPECT_TRUE(serving(c)) << again.log();
  EXPECT_TRUE(again.waitState("web", "healthy")) << again.log();
  auto ps = dockerCli({"ps", "-a", "--filter", "name=" + c.name(), "--format", "{{.Names}}"});
  int same_name = 0;
  std::stringstream lines(ps.out);
  for (std::string line; std::getline(lines, line);) {
    if (line == c.name()) ++same_name;
    EXPECT_EQ(line.find(".medic-old-"), std::string::npos) << "old copy left behind: " << line;
  }
  EXPECT_EQ(same_name, 1) << ps.out;
  auto s = again.service("web");
  EXPECT_GE(s.value("attempts_in_window", 0), 1) << "attempt count lost across kill -9: " << s.dump(2);
}

}  // namespace
}  // namespace medic::test
