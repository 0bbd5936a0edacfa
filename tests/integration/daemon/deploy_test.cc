// Guarded deploys against the real engine (DESIGN §4 "Deploy guard"): `medic deploy` with a good
// image, with images that exit at start or never turn healthy, with validators that reject or stay
// silent, start-first, a small downtime budget, and medic killed mid-deploy. Each test checks what
// a user would: which version serves, the deploy report, the alerts, the containers left behind.
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <sstream>
#include <thread>

#include "../cli/medic_cli.h"
#include "support/docker_env.h"
#include "support/wait.h"
#include "watch_process.h"

namespace medic::test {
namespace {

using namespace std::chrono_literals;

/// Removes every container whose name contains `name` (the new copies and renamed-aside old ones
/// a failed test may leave behind). Names come from uniqueName(), so nothing else matches.
struct Sweep {
  std::string name;
  ~Sweep() {
    for (const auto& id : containersNamed(name)) dockerCli({"rm", "-f", "-v", id}, 30s);
  }
  static std::vector<std::string> containersNamed(const std::string& name) {
    auto r = dockerCli({"ps", "-aq", "--no-trunc", "--filter", "name=" + name});
    std::vector<std::string> ids;
    std::istringstream in(r.out);
    for (std::string line; std::getline(in, line);) {
      if (!line.empty()) ids.push_back(line);
    }
    return ids;
  }
};

class DeployTest : public DockerTest {
 protected:
  /// A service `web` on container `name`; `probe_port` > 0 adds an HTTP probe on it.
  std::string config(const std::string& name, int probe_port,
                     const std::string& deploy_extra = "") {
    std::string y =
        "select:\n  labels: false\nresync_interval: 2s\n"
        "defaults:\n  probe:\n    interval: 250ms\n    timeout: 1s\n    failure_threshold: 2\n"
        "  recovery:\n    replacement_grace: 1s\n    backoff_initial: 200ms\n"
        "    backoff_max: 1s\n    settle_timeout: 20s\n"
        "deploy:\n  timeout: 20s\n  probe_interval: 200ms\n" +
        deploy_extra + "services:\n  web:\n    match:\n      container: " + name + "\n";
    if (probe_port > 0) {
      y +=
          "    probes:\n      - http: http://127.0.0.1:" + std::to_string(probe_port) + "/health\n";
    }
    return dir_.write("medic.yaml", y);
  }
  std::vector<std::string> cli(const WatchProcess& w, std::vector<std::string> args) const {
    args.insert(args.end(), {"--url", w.url(), "--state-dir", dir_.path() + "/state"});
    return args;
  }
  /// `medic deploy web --image IMAGE --json [extra]`: the report and the exit status.
  std::pair<nlohmann::json, int> deploy(const WatchProcess& w, const std::string& image,
                                        std::vector<std::string> extra = {}) {
    std::vector<std::string> args{"deploy", "web", "--image", image, "--json"};
    args.insert(args.end(), extra.begin(), extra.end());
    auto r = runMedic(cli(w, args), 120s);
    auto j = nlohmann::json::parse(r.out, nullptr, false);
    EXPECT_TRUE(j.is_object()) << r.describe() << r.out << r.err;
    return {j.is_object() ? j : nlohmann::json::object(), r.exit_code};
  }
  nlohmann::json show(const WatchProcess& w, const std::string& id) {
    auto r = runMedic(cli(w, {"deploy", "--show", id, "--json"}), 20s);
    auto j = nlohmann::json::parse(r.out, nullptr, false);
    return j.is_object() ? j : nlohmann::json::object();  // {} while medic is not answering
  }
  bool waitPhase(const WatchProcess& w, const std::string& id, const std::string& phase,
                 std::chrono::milliseconds timeout = 40s) {
    return waitFor([&] { return show(w, id).value("phase", "") == phase; }, timeout, 100ms);
  }
  static nlohmann::json alerts(const WatchProcess& w) {
    auto r = httpGet(w.port(), "/api/v1/alerts", 5s);
    auto j = nlohmann::json::parse(r.body, nullptr, false);
    return j.is_discarded() ? nlohmann::json::array() : j;
  }
  static nlohmann::json alertWithKey(const WatchProcess& w, const std::string& key) {
    for (const auto& a : alerts(w)) {
      if (a.value("dedup_key", "") == key) return a;
    }
    return nullptr;
  }
  static bool serving(const TestContainer& c, std::chrono::milliseconds timeout = 30s) {
    return waitFor([&] { return c.get("/health", 500ms).status == 200; }, timeout, 50ms);
  }
  static std::string version(const TestContainer& c) {
    auto r = c.get("/", 1s);
    return r.status == 200 ? r.body : "";
  }
  static const nlohmann::json* step(const nlohmann::json& report, const std::string& name) {
    for (const auto& s : report["steps"]) {
      if (s.value("step", "") == name) return &s;
    }
    return nullptr;
  }
  /// A healthy v1 service `web` under a running medic, snapshot stored.
  void protect(const TestContainer& c, WatchProcess& w) {
    ASSERT_TRUE(c.started()) << c.startError();
    ASSERT_TRUE(serving(c));
    ASSERT_TRUE(w.waitState("web", "healthy")) << w.log();
    std::this_thread::sleep_for(500ms);
  }
  /// After a rollback: v1 serves again from the original container, nothing else is left.
  void expectV1Restored(const TestContainer& c, const std::string& v1_id, const WatchProcess& w,
                        const nlohmann::json& report) {
    EXPECT_EQ(report.value("outcome", ""), "rolled_back") << report.dump(2);
    EXPECT_TRUE(serving(c)) << w.log();
    EXPECT_NE(version(c).find("ok v1"), std::string::npos) << version(c);
    EXPECT_EQ(c.inspect("{{.Id}}"), v1_id);
    EXPECT_EQ(Sweep::containersNamed(c.name()).size(), 1u) << "duplicates or leftovers";
    const auto* rb = step(report, "rollback");
    const auto* vr = step(report, "validate_rollback");
    ASSERT_TRUE(rb && vr) << report.dump(2);
    EXPECT_EQ((*rb)["ok"], true) << report.dump(2);
    EXPECT_EQ((*vr)["ok"], true) << report.dump(2);
    EXPECT_FALSE(report["evidence"].empty()) << report.dump(2);
    auto alert = alertWithKey(w, "deploy_rolled_back:web");
    ASSERT_TRUE(alert.is_object()) << alerts(w).dump(2);
    EXPECT_EQ(alert["severity"], "warning");
    EXPECT_TRUE(w.waitState("web", "healthy")) << w.log();
  }
  TempDir dir_;
};

TEST_F(DeployTest, GoodImageIsDeployedValidatedAndBecomesTheSnapshot) {
  // A secret in the env: the snapshot seals it, and the new container still gets the real value.
  auto c = TestContainer::start("deploy-good", {"-e", "DB_PASSWORD=deploy-canary-pw"});
  Sweep sweep{c.name()};
  WatchProcess w(dir_, config(c.name(), c.port()));
  protect(c, w);
  ASSERT_NE(version(c).find("ok v1"), std::string::npos);
  auto [report, status] = deploy(w, "medic-testserver:v2");
  EXPECT_EQ(status, 0) << report.dump(2) << w.log();
  EXPECT_EQ(report.value("outcome", ""), "succeeded") << report.dump(2);
  EXPECT_NE(version(c).find("ok v2"), std::string::npos) << version(c);
  EXPECT_EQ(c.inspect("{{.Config.Image}}"), "medic-testserver:v2");
  EXPECT_EQ(c.inspect("{{.Id}}"), report.value("new_container_id", ""));
  EXPECT_EQ(Sweep::containersNamed(c.name()).size(), 1u) << "the old copy is removed";
  EXPECT_NE(c.inspect("{{json .Config.Env}}").find("DB_PASSWORD=deploy-canary-pw"),
            std::string::npos)
      << c.inspect("{{json .Config.Env}}");
  // Downtime: measured, and a recreate on one host port is not zero.
  const double down = report.value("downtime_seconds", -1.0);
  EXPECT_GT(down, 0.0) << report.dump(2);
  EXPECT_LT(down, 15.0) << report.dump(2);
  EXPECT_EQ(report["validators"][0]["name"], "medic");
  EXPECT_EQ(report["validators"][0]["answer"], "confirmed");
  for (const char* s : {"preflight", "snapshot", "replace", "validate", "finish"}) {
    const auto* e = step(report, s);
    ASSERT_TRUE(e) << s << report.dump(2);
    EXPECT_EQ((*e)["ok"], true) << s << report.dump(2);
  }
  // Evidence ids in the report resolve.
  ASSERT_FALSE(report["evidence"].empty());
  auto ev = httpGet(w.port(), "/api/v1/evidence/" + report["evidence"].back().get<std::string>());
  EXPECT_EQ(ev.status, 200) << ev.body;
  // `medic deploy --show` and GET /api/v1/deploys/{id} give the stored report.
  auto shown = show(w, report["id"]);
  EXPECT_EQ(shown.value("outcome", ""), "succeeded") << shown.dump(2);
  EXPECT_TRUE(w.waitState("web", "healthy")) << w.log();
  // The snapshot is v2 now: a removal brings v2 back, not v1.
  ASSERT_TRUE(dockerCli({"rm", "-f", c.name()}).ok());
  ASSERT_TRUE(waitFor([&] { return version(c).find("ok v2") != std::string::npos; }, 30s, 100ms))
      << w.log();
}

TEST_F(DeployTest, ImageThatExitsAtStartIsRolledBack) {
  auto c = TestContainer::start("deploy-exit");
  Sweep sweep{c.name()};
  WatchProcess w(dir_, config(c.name(), c.port()));
  protect(c, w);
  const std::string v1_id = c.id();
  auto [report, status] = deploy(w, "medic-testserver:bad-exit");
  EXPECT_EQ(status, 1) << report.dump(2);
  EXPECT_NE(report.value("reason", "").find("exited"), std::string::npos) << report.dump(2);
  expectV1Restored(c, v1_id, w, report);
  EXPECT_GT(report.value("downtime_seconds", 0.0), 0.0);
}

TEST_F(DeployTest, ImageThatNeverTurnsHealthyIsRolledBackAfterTheTimeout) {
  auto c = TestContainer::start("deploy-unhealthy");
  Sweep sweep{c.name()};
  WatchProcess w(dir_, config(c.name(), c.port()));
  protect(c, w);
  const std::string v1_id = c.id();
  const auto t0 = std::chrono::steady_clock::now();
  auto [report, status] = deploy(w, "medic-testserver:never-healthy", {"--timeout", "3s"});
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 3s);
  EXPECT_EQ(status, 1) << report.dump(2);
  EXPECT_NE(report.value("reason", "").find("did not pass its probes"), std::string::npos)
      << report.dump(2);
  expectV1Restored(c, v1_id, w, report);
}

TEST_F(DeployTest, ValidatorRejectionRollsBack) {
  auto c = TestContainer::start("deploy-reject");
  Sweep sweep{c.name()};
  WatchProcess w(dir_, config(c.name(), c.port(), "  validators: [ci]\n  confirm_timeout: 30s\n"));
  protect(c, w);
  const std::string v1_id = c.id();
  auto [started, st] = deploy(w, "medic-testserver:v2", {"--no-wait"});
  ASSERT_EQ(st, 0) << started.dump(2);
  const std::string id = started.value("id", "");
  ASSERT_TRUE(waitPhase(w, id, "confirm")) << show(w, id).dump(2) << w.log();
  EXPECT_NE(version(c).find("ok v2"), std::string::npos);  // v2 runs while ci looks at it
  // An unknown validator is refused; ci's rejection is taken.
  auto wrong = runMedic(cli(w, {"reject", id, "--validator", "nobody", "--reason", "x"}), 20s);
  EXPECT_EQ(wrong.exit_code, 2) << wrong.out;
  auto rej = runMedic(cli(w, {"reject", id, "--reason", "checkout fails"}), 20s);
  EXPECT_EQ(rej.exit_code, 0) << rej.describe() << rej.err;
  ASSERT_TRUE(waitFor([&] { return show(w, id).value("finished", false); }, 40s, 200ms)) << w.log();
  auto report = show(w, id);
  EXPECT_NE(report.value("reason", "").find("checkout fails"), std::string::npos) << report.dump(2);
  EXPECT_EQ(report["validators"][1]["name"], "ci");
  EXPECT_EQ(report["validators"][1]["answer"], "rejected");
  EXPECT_EQ(report["validators"][1]["reason"], "checkout fails");
  expectV1Restored(c, v1_id, w, report);
}

TEST_F(DeployTest, ValidatorConfirmationCompletesTheDeploy) {
  auto c = TestContainer::start("deploy-confirm");
  Sweep sweep{c.name()};
  WatchProcess w(dir_, config(c.name(), c.port(), "  validators: [ci]\n  confirm_timeout: 30s\n"));
  protect(c, w);
  auto [started, st] = deploy(w, "medic-testserver:v2", {"--no-wait"});
  const std::string id = started.value("id", "");
  ASSERT_TRUE(waitPhase(w, id, "confirm")) << show(w, id).dump(2) << w.log();
  auto ok = httpRequest("POST", w.port(), "/api/v1/deploys/" + id + "/confirm", 5s,
                        R"({"validator":"ci"})", {{"Content-Type", "application/json"}});
  EXPECT_EQ(ok.status, 401) << "a mutation needs the token: " << ok.body;
  auto conf = runMedic(cli(w, {"confirm", id}), 20s);
  EXPECT_EQ(conf.exit_code, 0) << conf.err;
  ASSERT_TRUE(waitFor([&] { return show(w, id).value("finished", false); }, 40s, 200ms));
  auto report = show(w, id);
  EXPECT_EQ(report.value("outcome", ""), "succeeded") << report.dump(2);
  EXPECT_EQ(report["validators"][1]["answer"], "confirmed");
  EXPECT_NE(version(c).find("ok v2"), std::string::npos);
}

TEST_F(DeployTest, SilentValidatorIsARejectionAfterConfirmTimeout) {
  auto c = TestContainer::start("deploy-silent");
  Sweep sweep{c.name()};
  WatchProcess w(dir_, config(c.name(), c.port(), "  validators: [ci]\n  confirm_timeout: 2s\n"));
  protect(c, w);
  const std::string v1_id = c.id();
  auto [report, status] = deploy(w, "medic-testserver:v2");
  EXPECT_EQ(status, 1) << report.dump(2);
  EXPECT_EQ(report["validators"][1]["answer"], "silent") << report.dump(2);
  EXPECT_NE(report.value("reason", "").find("did not confirm"), std::string::npos);
  expectV1Restored(c, v1_id, w, report);
}

TEST_F(DeployTest, DowntimeOverBudgetRaisesACriticalAlert) {
  auto c = TestContainer::start("deploy-budget");
  Sweep sweep{c.name()};
  WatchProcess w(dir_, config(c.name(), c.port(), "  downtime_budget: 50ms\n"));
  protect(c, w);
  auto [report, status] = deploy(w, "medic-testserver:v2");
  EXPECT_EQ(status, 0) << report.dump(2);
  EXPECT_TRUE(report.value("over_budget", false)) << report.dump(2);
  EXPECT_GT(report.value("downtime_seconds", 0.0), 0.05);
  auto alert = alertWithKey(w, "deploy_downtime_over_budget:web");
  ASSERT_TRUE(alert.is_object()) << alerts(w).dump(2);
  EXPECT_EQ(alert["severity"], "critical");
}

TEST_F(DeployTest, StartFirstSwitchesWithZeroDowntime) {
  // No fixed host port: published on 127.0.0.1 with a port the engine picks, no HTTP probe
  // (Docker's health check is the probe suite).
  const std::string name = uniqueName("deploy-startfirst");
  Sweep sweep{name};
  auto run = dockerCli({"run", "-d", "--pull", "never", "--name", name, "--label",
                        "medic.test=true", "-p", "127.0.0.1::8080", kTestImage});
  ASSERT_TRUE(run.ok()) << run.describe();
  auto hostPort = [&] {
    auto p = dockerCli({"port", name, "8080/tcp"});
    auto colon = p.out.rfind(':');
    return colon == std::string::npos ? 0 : std::atoi(p.out.c_str() + colon + 1);
  };
  const int old_port = hostPort();
  ASSERT_GT(old_port, 0);
  ASSERT_TRUE(
      waitFor([&] { return httpGet(old_port, "/health", 500ms).status == 200; }, 30s, 100ms));
  WatchProcess w(dir_, config(name, 0));
  ASSERT_TRUE(w.waitState("web", "healthy")) << w.log();
  // The old copy serves all along until the switch.
  std::atomic<bool> done{false};
  std::atomic<int> served{0};
  std::thread watcher([&] {
    while (!done) {
      if (httpGet(old_port, "/", 500ms).status == 200) ++served;
      std::this_thread::sleep_for(50ms);
    }
  });
  auto [report, status] = deploy(w, "medic-testserver:v2", {"--strategy", "start-first"});
  done = true;
  watcher.join();
  EXPECT_EQ(status, 0) << report.dump(2) << w.log();
  EXPECT_EQ(report.value("outcome", ""), "succeeded") << report.dump(2);
  EXPECT_EQ(report.value("downtime_seconds", -1.0), 0.0) << report.dump(2);
  EXPECT_GT(served.load(), 0);
  EXPECT_EQ(inspectField(name, "{{.Config.Image}}"), "medic-testserver:v2");
  EXPECT_EQ(inspectField(name, "{{.Id}}"), report.value("new_container_id", ""));
  const int new_port = hostPort();
  ASSERT_GT(new_port, 0);
  EXPECT_NE(httpGet(new_port, "/", 1s).body.find("ok v2"), std::string::npos);
  EXPECT_EQ(Sweep::containersNamed(name).size(), 1u);
  EXPECT_TRUE(w.waitState("web", "healthy")) << w.log();
}

TEST_F(DeployTest, StartFirstIsRefusedForAFixedHostPort) {
  auto c = TestContainer::start("deploy-sf-refused");
  Sweep sweep{c.name()};
  WatchProcess w(dir_, config(c.name(), c.port()));
  protect(c, w);
  const std::string v1_id = c.id();
  auto [report, status] = deploy(w, "medic-testserver:v2", {"--strategy", "start-first"});
  EXPECT_EQ(status, 1);
  EXPECT_EQ(report.value("outcome", ""), "refused") << report.dump(2);
  EXPECT_NE(report.value("reason", "").find("host"), std::string::npos) << report.dump(2);
  EXPECT_EQ(c.inspect("{{.Id}}"), v1_id);
  EXPECT_NE(version(c).find("ok v1"), std::string::npos);
}

TEST_F(DeployTest, MedicKilledDuringADeployRollsBackOnRestart) {
  auto c = TestContainer::start("deploy-kill");
  Sweep sweep{c.name()};
  WatchProcess w(dir_, config(c.name(), c.port()));
  protect(c, w);
  const std::string v1_id = c.id();
  auto [started, st] =
      deploy(w, "medic-testserver:never-healthy", {"--no-wait", "--timeout", "60s"});
  ASSERT_EQ(st, 0) << started.dump(2);
  const std::string id = started.value("id", "");
  ASSERT_TRUE(waitPhase(w, id, "validate")) << w.log();
  w.stop(SIGKILL);
  // Killed mid-validation: the never-healthy copy holds the name, v1 waits renamed aside.
  EXPECT_EQ(Sweep::containersNamed(c.name()).size(), 2u);
  w.start();
  ASSERT_TRUE(waitFor([&] { return show(w, id).value("finished", false); }, 60s, 200ms)) << w.log();
  auto report = show(w, id);
  EXPECT_NE(report.value("reason", "").find("restart"), std::string::npos) << report.dump(2);
  expectV1Restored(c, v1_id, w, report);
}

}  // namespace
}  // namespace medic::test
