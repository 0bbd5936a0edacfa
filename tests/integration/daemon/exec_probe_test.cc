// `exec` probes on the real engine: `medic check` runs them inside the container and cites their
// evidence; `medic watch` detects a process that still answers HTTP but fails its exec check, and
// repairs it with a restart. The test image is busybox-based, so `test`, `false` and `touch` exist inside it.
#include <gtest/gtest.h>

#include <chrono>

#include "../cli/medic_cli.h"
#include "support/docker_env.h"
#include "support/wait.h"
#include "watch_process.h"

namespace medic::test {
namespace {

using namespace std::chrono_literals;

class ExecProbeTest : public DockerTest {
 protected:
  std::string config(const TestContainer& c, const std::string& argv) {
    return dir_.write("medic.yaml",
                      "select:\n  labels: false\nresync_interval: 2s\n"
                      "defaults:\n  probe:\n    interval: 250ms\n    timeout: 2s\n"
                      "    failure_threshold: 2\n  recovery:\n    replacement_grace: 1s\n"
                      "    backoff_initial: 200ms\n    backoff_max: 1s\n    settle_timeout: 20s\n"
                      "services:\n  web:\n    match:\n      container: " +
                          c.name() + "\n    probes:\n      - exec: " + argv + "\n");
  }
  ProcessResult check(const std::string& cfg) {
    return runMedic({"check", "--json", "--config", cfg}, 60s);
  }
  static bool serving(const TestContainer& c) {
    return waitFor([&] { return c.get("/health", 500ms).status == 200; }, 30s, 50ms);
  }
  TempDir dir_;
};

TEST_F(ExecProbeTest, CheckRunsTheCommandInsideTheContainerAndCitesItsEvidence) {
  auto c = TestContainer::start("exec-check");
  ASSERT_TRUE(c.started()) << c.startError();
  ASSERT_TRUE(serving(c));
  // `check` also asks Docker's own HEALTHCHECK (the image has one): wait for its verdict.
  ASSERT_TRUE(waitFor([&] { return c.inspect("{{.State.Health.Status}}") == "healthy"; }, 30s,
                      100ms));
  // Passes: the file exists inside the container (not on the host: /bin/busybox is the image's).
  auto pass = check(config(c, "[test, -x, /bin/busybox]"));
  EXPECT_EQ(pass.exit_code, 0) << pass.out << pass.err;
  auto j = nlohmann::json::parse(pass.out, nullptr, false);
  ASSERT_TRUE(j.is_object()) << pass.out;
  const std::string text = j.dump();
  EXPECT_NE(text.find("exit 0 in"), std::string::npos) << j.dump(2);
  bool exec_record = false;
  for (const auto& ev : j.value("evidence", nlohmann::json::array())) {
    if (ev.value("kind", "") == "exec") {
      exec_record = true;
      EXPECT_EQ(ev["data"]["exit_code"], 0) << ev.dump(2);
      EXPECT_EQ(ev["data"]["argv"], nlohmann::json({"test", "-x", "/bin/busybox"}));
    }
  }
  EXPECT_TRUE(exec_record) << j.dump(2);

  // Fails: a non-zero exit is a failed probe, and `check` exits non-zero naming it.
  auto fail = check(config(c, "[sh, -c, \"echo not ready >&2; exit 3\"]"));
  EXPECT_NE(fail.exit_code, 0) << fail.out;
  EXPECT_NE(fail.out.find("exit 3 in"), std::string::npos) << fail.out;
  EXPECT_NE(fail.out.find("not ready"), std::string::npos) << fail.out;
}

// A `command` probe runs on the host; the container reaches it only through the environment.
TEST_F(ExecProbeTest, CheckRunsACommandProbeOnTheHostWithTheContainerInItsEnvironment) {
  auto c = TestContainer::start("command-check");
  ASSERT_TRUE(c.started()) << c.startError();
  ASSERT_TRUE(serving(c));
  ASSERT_TRUE(waitFor([&] { return c.inspect("{{.State.Health.Status}}") == "healthy"; }, 30s,
                      100ms));
  const std::string flag = dir_.path() + "/ready";
  auto cfg = dir_.write(
      "medic.yaml",
      "select:\n  labels: false\nservices:\n  web:\n    match:\n      container: " + c.name() +
          "\n    probes:\n      - command: [/bin/sh, -c, 'echo \"checked $MEDIC_CONTAINER\"; "
          "test -e " + flag + "']\n        timeout: 5s\n");
  auto fail = check(cfg);
  EXPECT_NE(fail.exit_code, 0) << fail.out;
  EXPECT_NE(fail.out.find("exit 1 in"), std::string::npos) << fail.out;
  EXPECT_NE(fail.out.find("checked " + c.name()), std::string::npos) << fail.out;
  dir_.write("ready", "");
  auto pass = check(cfg);
  EXPECT_EQ(pass.exit_code, 0) << pass.out << pass.err;
  auto j = nlohmann::json::parse(pass.out, nullptr, false);
  ASSERT_TRUE(j.is_object()) << pass.out;
  bool record = false;
  for (const auto& ev : j.value("evidence", nlohmann::json::array())) {
    if (ev.value("kind", "") == "command") {
      record = true;
      EXPECT_EQ(ev["data"]["exit_code"], 0) << ev.dump(2);
    }
  }
  EXPECT_TRUE(record) << j.dump(2);
}

TEST_F(ExecProbeTest, WatchRepairsAContainerWhoseExecCheckFailsWhileHttpStillAnswers) {
  // The app keeps its run state on a tmpfs, which a restart empties.
  auto c = TestContainer::start("exec-watch", {"--tmpfs", "/run/app"});
  ASSERT_TRUE(c.started()) << c.startError();
  ASSERT_TRUE(serving(c));
  WatchProcess watch(dir_, config(c, "[test, '!', -e, /run/app/wedged]"));
  ASSERT_TRUE(watch.waitState("web", "healthy")) << watch.log();
  const std::string old_id = c.inspect("{{.Id}}");
  const std::string old_start = c.inspect("{{.State.StartedAt}}");
  // The app "wedges": HTTP still answers, only the exec check sees it.
  ASSERT_TRUE(dockerCli({"exec", c.name(), "touch", "/run/app/wedged"}).ok());
  ASSERT_EQ(c.get("/health", 1s).status, 200);
  ASSERT_TRUE(waitFor(
      [&] {
        auto s = watch.service("web");
        return s.is_object() && s.value("state", "") != "healthy";
      },
      10s, 100ms))
      << watch.log();
  ASSERT_TRUE(waitFor(
      [&] {
        auto s = watch.service("web");
        return s.is_object() && s.value("state", "") == "healthy" &&
               s["last_incident"].is_object() &&
               s["last_incident"].value("outcome", "") == "recovered";
      },
      90s, 200ms))
      << watch.log();
  // Repaired by a restart of the same container (the ladder's first rung for a failing probe).
  EXPECT_EQ(c.inspect("{{.Id}}"), old_id);
  EXPECT_NE(c.inspect("{{.State.StartedAt}}"), old_start);
  EXPECT_FALSE(dockerCli({"exec", c.name(), "test", "-e", "/run/app/wedged"}).ok());
  auto s = watch.service("web");
  ASSERT_TRUE(s["probes"].is_array() && !s["probes"].empty()) << s.dump(2);
  EXPECT_EQ(s["probes"][0]["ok"], true) << s.dump(2);
  auto ev = httpGet(watch.port(), "/api/v1/evidence/" + s["probes"][0]["evidence"].get<std::string>(),
                    5s);
  ASSERT_EQ(ev.status, 200) << ev.body;
  auto rec = nlohmann::json::parse(ev.body);
  EXPECT_EQ(rec["kind"], "exec");
  EXPECT_EQ(rec["data"]["exit_code"], 0) << rec.dump(2);
}

}  // namespace
}  // namespace medic::test
