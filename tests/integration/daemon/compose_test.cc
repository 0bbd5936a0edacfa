// Deploys by another tool (DESIGN §4 "Recovery: intentional changes"): docker-compose replacing or
// removing a protected project's container, with medic watching. The compose project runs the
// offline test image with host networking on a free port.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <iostream>
#include <sstream>
#include <thread>

#include "../cli/medic_cli.h"
#include "support/docker_env.h"
#include "support/wait.h"
#include "watch_process.h"

namespace medic::test {
namespace {

using namespace std::chrono_literals;

class ComposeTest : public DockerTest {
 protected:
  void SetUp() override {
    DockerTest::SetUp();
    if (IsSkipped()) return;
    std::vector<std::string> version = compose_cmd_;
    version.push_back("version");
    if (!runProcess(version, 20s).ok()) {
      const std::string what = compose_cmd_.size() == 1 ? "docker-compose (v1)" : "docker compose (v2)";
      if (dockerRequired()) FAIL() << what << " missing: run scripts/install-deps.sh";
      GTEST_SKIP() << what << " missing";
    }
  }
  void TearDown() override {
    if (!file_.empty()) compose({"down", "-t", "1"});
    for (const auto& id : idsOf()) dockerCli({"rm", "-f", "-v", id}, 30s);
  }
  /// Writes the compose file for `image` (project `project_`, service web on port_), and with
  /// `worker` a second service that serves nothing (replicas of it share no port).
  void writeCompose(const std::string& image, bool worker = false) {
    std::string text = "version: \"2.4\"\nservices:\n  web:\n    image: " + image +
                       "\n    network_mode: host\n    stop_grace_period: 1s\n"
                       "    environment:\n      PORT: \"" +
                       std::to_string(port_) + "\"\n";
    if (worker) {
      text += "  worker:\n    image: " + image +
              "\n    network_mode: host\n    stop_grace_period: 1s\n"
              "    entrypoint: [\"/bin/sleep\", \"3600\"]\n"
              "    healthcheck:\n      disable: true\n";  // the image's checks its port
    }
    file_ = dir_.write("docker-compose.yml", text);
  }
  ProcessResult compose(std::vector<std::string> args) {
    std::vector<std::string> argv = compose_cmd_;
    argv.insert(argv.end(), {"-p", project_, "-f", file_});
    args.insert(args.begin(), argv.begin(), argv.end());
    return runProcess(args, 60s);
  }
  /// medic.yaml: web from the config; with `whole_project`, every other container of the
  /// project too (the worker and its replicas), selected by project.
  std::string config(bool whole_project = false) {
    return dir_.write(
        "medic.yaml",
        "select:\n  labels: false\n" +
            (whole_project ? "  compose_projects: [" + project_ + "]\n" : std::string()) +
            "resync_interval: 2s\n"
        "defaults:\n  probe:\n    interval: 250ms\n    timeout: 1s\n    failure_threshold: 2\n"
        "  recovery:\n    replacement_grace: 4s\n    replacement_trial: 6s\n"
        "    backoff_initial: 200ms\n"
        "    backoff_max: 1s\n    settle_timeout: 20s\n"
        "services:\n  web:\n    match:\n      compose_project: " +
            project_ +
            "\n      compose_service: web\n    probes:\n      - http: http://127.0.0.1:" +
            std::to_string(port_) + "/health\n");
  }
  /// Every container of the project (its label), any state.
  std::vector<std::string> idsOf() {
    auto r = dockerCli(
        {"ps", "-aq", "--no-trunc", "--filter", "label=com.docker.compose.project=" + project_});
    std::vector<std::string> ids;
    std::istringstream in(r.out);
    for (std::string line; std::getline(in, line);) {
      if (!line.empty()) ids.push_back(line);
    }
    return ids;
  }
  std::string webId() {
    auto r = compose({"ps", "-a", "-q", "web"});  // v2 lists running ones only without -a
    std::string id = r.out;
    while (!id.empty() && (id.back() == '\n' || id.back() == ' ')) id.pop_back();
    return id;
  }
  std::string body(const std::string& path = "/") {
    auto r = httpGet(port_, path, 1s);
    return r.status == 200 ? r.body : "";
  }
  bool servingVersion(const std::string& v, std::chrono::milliseconds timeout = 30s) {
    return waitFor([&] { return body().find("ok " + v) != std::string::npos; }, timeout, 100ms);
  }
  std::string imageId(const std::string& ref) {
    auto r = dockerCli({"image", "inspect", "-f", "{{.Id}}", ref});
    std::string id = r.out;
    while (!id.empty() && id.back() == '\n') id.pop_back();
    return id;
  }
  static nlohmann::json alertWithKey(const WatchProcess& w, const std::string& key) {
    auto r = httpGet(w.port(), "/api/v1/alerts?all", 5s);  // resolved ones too
    auto j = nlohmann::json::parse(r.body, nullptr, false);
    if (!j.is_array()) return nullptr;
    for (const auto& a : j) {
      if (a.value("dedup_key", "") == key) return a;
    }
    return nullptr;
  }
  /// v1 up under compose, protected and healthy, snapshot stored.
  void upV1(WatchProcess*& w) {
    writeCompose("medic-testserver:v1");
    auto up = compose({"up", "-d"});
    ASSERT_TRUE(up.ok()) << up.describe() << up.err;
    ASSERT_TRUE(servingVersion("v1"));
    watch_ = std::make_unique<WatchProcess>(dir_, config());
    w = watch_.get();
    ASSERT_TRUE(w->waitState("web", "healthy")) << w->log();
    std::this_thread::sleep_for(500ms);
  }

  void brokenUpIsRestored(const std::string& image);

  /// web and worker up under compose, every container of the project protected and healthy.
  void upWithWorker(WatchProcess*& w) {
    writeCompose("medic-testserver:v1", /*worker=*/true);
    ASSERT_TRUE(compose({"up", "-d"}).ok());
    ASSERT_TRUE(servingVersion("v1"));
    watch_ = std::make_unique<WatchProcess>(dir_, config(/*whole_project=*/true));
    w = watch_.get();
    ASSERT_TRUE(w->waitState("worker", "healthy")) << w->log();
    ASSERT_TRUE(w->waitState("web", "healthy")) << w->log();
  }

  /// Containers of one compose service of the project, any state.
  std::vector<std::string> idsOf(const std::string& service) {
    auto r = dockerCli({"ps", "-aq", "--no-trunc", "--filter",
                        "label=com.docker.compose.project=" + project_, "--filter",
                        "label=com.docker.compose.service=" + service});
    std::vector<std::string> ids;
    std::istringstream in(r.out);
    for (std::string line; std::getline(in, line);) {
      if (!line.empty()) ids.push_back(line);
    }
    return ids;
  }
  /// "service action" for every action medic took.
  static std::vector<std::string> actionsOf(const WatchProcess& w) {
    auto j = nlohmann::json::parse(httpGet(w.port(), "/api/v1/actions", 5s).body, nullptr, false);
    std::vector<std::string> out;
    if (!j.is_array()) return out;
    for (const auto& a : j) out.push_back(a.value("service", "") + " " + a.value("action", ""));
    return out;
  }
  /// medic has nothing pending on `name`: healthy, its last incident (if any) closed, no action
  /// scheduled. What "nothing more happens" means, without waiting out a timer.
  static bool settled(const WatchProcess& w, const std::string& name) {
    auto s = w.service(name);
    if (!s.is_object() || s.value("state", "") != "healthy") return false;
    if (s.contains("next_action_at") && !s["next_action_at"].is_null()) return false;
    const auto& inc = s["last_incident"];
    return inc.is_null() || inc.value("outcome", "open") != "open";
  }
  /// The names medic protects now (GET /api/v1/status).
  static std::vector<std::string> protectedNames(const WatchProcess& w) {
    auto j = nlohmann::json::parse(httpGet(w.port(), "/api/v1/status", 5s).body, nullptr, false);
    std::vector<std::string> out;
    if (!j.is_object() || !j["services"].is_array()) return out;
    for (const auto& s : j["services"]) out.push_back(s.value("name", ""));
    std::sort(out.begin(), out.end());
    return out;
  }

  /// Compose v2 (the CLI plugin) unless a fixture says otherwise.
  std::vector<std::string> compose_cmd_ = {"docker", "compose"};
  TempDir dir_;
  std::string project_ = uniqueName("compose");
  int port_ = freePort();
  std::string file_;
  std::unique_ptr<WatchProcess> watch_;
};

TEST_F(ComposeTest, UpWithAGoodNewImageIsAdoptedAsTheNewSnapshot) {
  WatchProcess* w = nullptr;
  upV1(w);
  ASSERT_TRUE(w);
  writeCompose("medic-testserver:v2");
  auto up = compose({"up", "-d"});
  EXPECT_TRUE(up.ok()) << up.describe() << up.err << w->log();
  ASSERT_TRUE(servingVersion("v2")) << w->log();
  const std::string v2_id = webId();
  // Adopted, not fought: after the grace v2 still serves from the same container, validated.
  std::this_thread::sleep_for(5s);
  EXPECT_EQ(webId(), v2_id);
  EXPECT_NE(body().find("ok v2"), std::string::npos);
  EXPECT_TRUE(w->waitState("web", "healthy")) << w->log();
  auto s = w->service("web");
  EXPECT_EQ(s.value("container_id", ""), v2_id) << s.dump(2);
  EXPECT_EQ(s.value("last_healthy_image", ""), imageId("medic-testserver:v2")) << s.dump(2);
  EXPECT_EQ(idsOf().size(), 1u);
}

/// `docker-compose up -d` with `image`, which never turns healthy: medic restores v1 from its
/// snapshot at the end of replacement_grace (4 s), with no restart of the failed replacement.
void ComposeTest::brokenUpIsRestored(const std::string& image) {
  WatchProcess* w = nullptr;
  upV1(w);
  ASSERT_TRUE(w);
  const std::string v1_id = webId();
  writeCompose(image);
  const auto up_at = std::chrono::steady_clock::now();
  auto up = compose({"up", "-d"});
  EXPECT_TRUE(up.ok()) << up.describe() << up.err;
  // The container of the new image (medic may already have restored v1 beside it: ~0.6 s).
  std::string bad_id = dockerCli({"ps", "-aq", "--no-trunc", "--filter",
                                  "label=com.docker.compose.project=" + project_, "--filter",
                                  "ancestor=" + image})
                           .out;
  bad_id = bad_id.substr(0, bad_id.find('\n'));
  ASSERT_FALSE(bad_id.empty());
  ASSERT_NE(bad_id, v1_id);
  // medic restores v1 from its snapshot and says so.
  ASSERT_TRUE(waitFor([&] { return alertWithKey(*w, "replacement_failed:web").is_object(); }, 30s,
                      100ms))
      << w->log();
  ASSERT_TRUE(servingVersion("v1", 30s)) << w->log();
  const double restored_after =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - up_at).count();
  EXPECT_TRUE(w->waitState("web", "healthy", 30s)) << w->log();
  // Exactly one container: the failed replacement is removed once the restore validated.
  EXPECT_TRUE(waitFor([&] { return idsOf().size() == 1u; }, 20s, 200ms)) << w->log();
  const std::string restored_id = webId();
  EXPECT_NE(restored_id, bad_id);
  EXPECT_EQ(dockerCli({"inspect", "-f", "{{.Image}}", restored_id}).out,
            imageId("medic-testserver:v1") + "\n");
  auto s = w->service("web");
  EXPECT_EQ(s.value("container_id", ""), restored_id) << s.dump(2);
  EXPECT_EQ(s.value("last_healthy_image", ""), imageId("medic-testserver:v1")) << s.dump(2);
  auto alert = alertWithKey(*w, "replacement_failed:web");
  EXPECT_EQ(alert.value("severity", ""), "warning") << alert.dump(2);
  EXPECT_NE(alert.value("text", "").find("Evidence: "), std::string::npos) << alert.dump(2);
  // The incident is the failed replacement, closed by the restore; the only action medic took
  // is the restore of the bad container (never a start or restart of it).
  const auto& inc = s["last_incident"];
  EXPECT_EQ(inc.value("kind", ""), "replacement_failed") << s.dump(2);
  EXPECT_EQ(inc.value("outcome", ""), "recovered") << s.dump(2);
  EXPECT_EQ(inc.value("attempts", 0), 1) << s.dump(2);
  ASSERT_TRUE(inc["recovery_seconds"].is_number()) << s.dump(2);
  auto actions = nlohmann::json::parse(httpGet(w->port(), "/api/v1/actions", 5s).body, nullptr,
                                       false);
  ASSERT_TRUE(actions.is_array());
  std::vector<std::string> taken;
  for (const auto& a : actions) {
    if (a.value("service", "") != "web") continue;
    taken.push_back(a.value("action", ""));
    if (a.value("action", "") == "restore_snapshot") {
      EXPECT_EQ(a.value("container_id", ""), bad_id);
      EXPECT_EQ(a.value("outcome", ""), "ok");
    }
  }
  EXPECT_EQ(taken, std::vector<std::string>{"restore_snapshot"}) << actions.dump(2);
  // The history (what the dashboards draw) says the same, with its measured times.
  auto incidents = nlohmann::json::parse(httpGet(w->port(), "/api/v1/incidents", 5s).body,
                                         nullptr, false);
  ASSERT_TRUE(incidents.is_array() && !incidents.empty()) << incidents.dump(2);
  const auto& last = incidents.back();
  EXPECT_EQ(last.value("service", ""), "web") << incidents.dump(2);
  EXPECT_EQ(last.value("kind", ""), "replacement_failed") << incidents.dump(2);
  EXPECT_EQ(last.value("outcome", ""), "recovered") << incidents.dump(2);
  EXPECT_TRUE(last["detection_seconds"].is_number()) << incidents.dump(2);
  EXPECT_TRUE(last["recovery_seconds"].is_number()) << incidents.dump(2);
  std::cout << image << ": v1 serving again " << restored_after << " s after compose up; "
            << "detection " << inc.value("detection_seconds", 0.0) << " s, restore (recovery) "
            << inc["recovery_seconds"].get<double>() << " s\n";
}

TEST_F(ComposeTest, UpWithABrokenNewImageIsRestoredFromTheSnapshot) {
  brokenUpIsRestored("medic-testserver:bad-exit");
}

TEST_F(ComposeTest, UpWithAnImageThatNeverTurnsHealthyIsRestoredFromTheSnapshot) {
  brokenUpIsRestored("medic-testserver:never-healthy");
}

/// Compose v1 (docker-compose 1.29) stops the old container before it creates the new one, with
/// no replace label: one test keeps that sequence covered.
class ComposeV1Test : public ComposeTest {
 public:
  ComposeV1Test() { compose_cmd_ = {"docker-compose"}; }
};

TEST_F(ComposeV1Test, UpWithABrokenNewImageIsRestoredFromTheSnapshot) {
  brokenUpIsRestored("medic-testserver:bad-exit");
}

TEST_F(ComposeTest, DownOutsideMaintenanceIsRepairedAndAlertedAsCritical) {
  WatchProcess* w = nullptr;
  upV1(w);
  ASSERT_TRUE(w);
  auto down = compose({"down", "-t", "1"});
  ASSERT_TRUE(down.ok()) << down.describe();
  ASSERT_TRUE(servingVersion("v1", 30s)) << w->log();
  EXPECT_TRUE(w->waitState("web", "healthy")) << w->log();
  auto alert = alertWithKey(*w, "failed:web");
  ASSERT_TRUE(alert.is_object()) << w->log();
  EXPECT_EQ(alert["severity"], "critical");
}

TEST_F(ComposeTest, DownInsideAProjectMaintenanceWindowIsLeftAlone) {
  WatchProcess* w = nullptr;
  upV1(w);
  ASSERT_TRUE(w);
  auto m = runMedic({"maintenance", "--project", project_, "--for", "1m", "--url", w->url(),
                     "--state-dir", dir_.path() + "/state"},
                    20s);
  ASSERT_EQ(m.exit_code, 0) << m.out << m.err;
  EXPECT_TRUE(w->waitState("web", "maintenance", 10s)) << w->log();
  auto down = compose({"down", "-t", "1"});
  ASSERT_TRUE(down.ok()) << down.describe();
  // Past the replacement grace (4 s) and then some: nothing brought it back.
  std::this_thread::sleep_for(7s);
  EXPECT_TRUE(idsOf().empty()) << w->log();
  EXPECT_EQ(body(), "");
  EXPECT_EQ(w->service("web").value("state", ""), "maintenance");
}

// ---- what operators run under Compose v2 (issue 11) -------------------------------------------

TEST_F(ComposeTest, DownThenUpIsAdoptedAndNeverDoubled) {
  // The incident's own "manual recovery": `down && up -d` within the grace. compose's container
  // is the one kept; medic restores nothing beside it.
  WatchProcess* w = nullptr;
  upV1(w);
  ASSERT_TRUE(w);
  ASSERT_TRUE(compose({"down", "-t", "1"}).ok());
  auto up = compose({"up", "-d"});
  ASSERT_TRUE(up.ok()) << up.describe() << up.err;
  const std::string fresh = webId();
  ASSERT_TRUE(servingVersion("v1")) << w->log();
  EXPECT_TRUE(w->waitState("web", "healthy")) << w->log();
  // Past replacement_grace (4 s): still compose's container, alone.
  EXPECT_TRUE(waitFor([&] { return w->service("web").value("container_id", "") == fresh; }, 10s))
      << w->service("web").dump(2) << w->log();
  EXPECT_TRUE(waitFor([&] { return settled(*w, "web"); }, 20s, 100ms))
      << w->service("web").dump(2) << w->log();
  EXPECT_EQ(idsOf(), std::vector<std::string>{fresh}) << w->log();
  EXPECT_EQ(actionsOf(*w), std::vector<std::string>{}) << w->log();
}

TEST_F(ComposeTest, UpAfterMedicRestoredADownedServiceKeepsOneContainer) {
  // `down`, medic restores the service at the end of the grace, then the operator runs `up -d`:
  // compose recognises the restored container as its own and nothing is doubled.
  WatchProcess* w = nullptr;
  upV1(w);
  ASSERT_TRUE(w);
  ASSERT_TRUE(compose({"down", "-t", "1"}).ok());
  ASSERT_TRUE(waitFor([&] { return actionsOf(*w) == std::vector<std::string>{"web recreate"}; },
                      30s, 200ms))
      << w->log();
  ASSERT_TRUE(servingVersion("v1")) << w->log();
  EXPECT_TRUE(w->waitState("web", "healthy")) << w->log();
  const std::string restored = webId();
  ASSERT_FALSE(restored.empty()) << compose({"ps", "-a"}).out;
  auto up = compose({"up", "-d"});
  ASSERT_TRUE(up.ok()) << up.describe() << up.err;
  EXPECT_TRUE(servingVersion("v1")) << w->log();
  EXPECT_TRUE(w->waitState("web", "healthy")) << w->log();
  EXPECT_TRUE(waitFor([&] { return settled(*w, "web"); }, 20s, 100ms))
      << w->service("web").dump(2) << w->log();
  EXPECT_EQ(idsOf().size(), 1u) << compose({"ps", "-a"}).out << w->log();
  EXPECT_EQ(actionsOf(*w), std::vector<std::string>{"web recreate"}) << w->log();
}

TEST_F(ComposeTest, ComposeRestartIsNotFought) {
  WatchProcess* w = nullptr;
  upV1(w);
  ASSERT_TRUE(w);
  const std::string id = webId();
  auto restart = compose({"restart", "-t", "1", "web"});
  ASSERT_TRUE(restart.ok()) << restart.describe() << restart.err;
  ASSERT_TRUE(servingVersion("v1")) << w->log();
  EXPECT_TRUE(w->waitState("web", "healthy")) << w->log();
  EXPECT_TRUE(waitFor([&] { return settled(*w, "web"); }, 20s, 100ms))
      << w->service("web").dump(2) << w->log();
  EXPECT_EQ(webId(), id);
  EXPECT_EQ(idsOf(), std::vector<std::string>{id});
  EXPECT_EQ(actionsOf(*w), std::vector<std::string>{}) << w->log();
  EXPECT_EQ(alertWithKey(*w, "failed:web"), nullptr) << w->log();
}

TEST_F(ComposeTest, ScaleUpIsProtectedAndScaleDownIsNotUndone) {
  WatchProcess* watch = nullptr;
  upWithWorker(watch);
  ASSERT_TRUE(watch);
  WatchProcess& w = *watch;

  auto up3 = compose({"up", "-d", "--scale", "worker=3"});
  ASSERT_TRUE(up3.ok()) << up3.describe() << up3.err;
  EXPECT_TRUE(w.waitState("worker#2", "healthy")) << w.log();
  EXPECT_TRUE(w.waitState("worker#3", "healthy")) << w.log();
  EXPECT_EQ(idsOf("worker").size(), 3u);

  // Back to one: compose stops and removes replicas 3 and 2. medic says why it lets them go and
  // stops protecting them; nothing is restored, nothing alerts.
  auto up1 = compose({"up", "-d", "--scale", "worker=1"});
  ASSERT_TRUE(up1.ok()) << up1.describe() << up1.err;
  EXPECT_TRUE(waitFor(
      [&] {
        return protectedNames(w) == std::vector<std::string>{"web", "worker"};
      },
      20s, 200ms))
      << nlohmann::json(protectedNames(w)).dump() << w.log();
  // Retired at the end of the grace: medic forgot them, so nothing of theirs is pending.
  EXPECT_EQ(idsOf("worker").size(), 1u) << w.log();
  EXPECT_EQ(actionsOf(w), std::vector<std::string>{}) << w.log();
  EXPECT_EQ(alertWithKey(w, "failed:worker#2"), nullptr);
  EXPECT_NE(w.log().find("worker#2 is no longer protected"), std::string::npos) << w.log();
  EXPECT_TRUE(w.waitState("worker", "healthy")) << w.log();
}

TEST_F(ComposeTest, RemoveOrphansOfAServiceTakenOutOfTheFileIsNotUndone) {
  WatchProcess* watch = nullptr;
  upWithWorker(watch);
  ASSERT_TRUE(watch);
  WatchProcess& w = *watch;

  writeCompose("medic-testserver:v1", /*worker=*/false);  // the operator drops the worker
  auto up = compose({"up", "-d", "--remove-orphans"});
  ASSERT_TRUE(up.ok()) << up.describe() << up.err;
  EXPECT_TRUE(waitFor([&] { return protectedNames(w) == std::vector<std::string>{"web"}; }, 20s,
                      200ms))
      << nlohmann::json(protectedNames(w)).dump() << w.log();
  EXPECT_TRUE(idsOf("worker").empty()) << w.log();
  EXPECT_EQ(actionsOf(w), std::vector<std::string>{}) << w.log();
  EXPECT_NE(w.log().find("orphan"), std::string::npos) << w.log();
  EXPECT_EQ(body().find("ok v1"), 0u);
}

}  // namespace
}  // namespace medic::test
