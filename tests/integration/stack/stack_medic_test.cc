// medic protecting the real four-service stack (tests/support/stack: nginx web UI -> Python API ->
// PostgreSQL + Redis under Compose v2), selected by its compose project and configured by the
// stack's labels alone, as an operator who keeps everything in the compose file runs it. Each test
// is one fault as operators meet it (DESIGN §4 "Blame the root cause", "Intentional changes"):
// a database crash that cascades, the incident's removed web UI, a broken and a slow rollout, two
// projects with the same service names, a scaled service losing a replica.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <ctime>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "../daemon/watch_process.h"
#include "support/docker_env.h"
#include "support/stack.h"
#include "support/wait.h"

namespace medic::test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

/// Docker's RFC 3339 time with nanoseconds ("2026-12-03T13:10:01.123456789Z") as seconds since the
/// epoch; 0 when it does not parse. Both sides of a difference come from the same engine's clock.
double dockerTime(const std::string& text) {
  std::tm tm{};
  const char* rest = strptime(text.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
  if (rest == nullptr) return 0;
  double fraction = 0;
  if (*rest == '.') fraction = std::strtod(rest, nullptr);
  return static_cast<double>(timegm(&tm)) + fraction;
}

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) out.push_back(line);
  }
  return out;
}

class StackMedicTest : public ::testing::Test {
 protected:
  void SetUp() override { requireComposeV2OrSkip(); }

  /// Starts a stack (env on top of ComposeStack's defaults); fails the test when it cannot.
  ComposeStack& addStack(ComposeStack::Env env = {}) {
    stacks_.push_back(std::make_unique<ComposeStack>(std::move(env)));
    return *stacks_.back();
  }

  /// `medic watch` protecting every container of the stacks' projects, with probes and
  /// dependencies from the stack's labels alone. Probes and grace are fast so a test runs in
  /// seconds; replacement_trial keeps its default (2 minutes), far longer than the grace.
  WatchProcess& startMedic() {
    std::string projects;
    for (const auto& s : stacks_) projects += (projects.empty() ? "" : ", ") + s->project();
    const std::string config = dir_.write(
        "medic.yaml", "select:\n  labels: false\n  compose_projects: [" + projects +
                          "]\nresync_interval: 2s\n"
                          "defaults:\n  probe:\n    interval: 250ms\n    timeout: 1s\n"
                          "    failure_threshold: 2\n"
                          "  recovery:\n    replacement_grace: 2s\n    backoff_initial: 200ms\n"
                          "    backoff_max: 1s\n    settle_timeout: 60s\n");
    watch_ = std::make_unique<WatchProcess>(dir_, config);
    return *watch_;
  }

  /// Every named service reaches `healthy` in medic's eyes.
  void expectHealthy(const std::vector<std::string>& names,
                     std::chrono::milliseconds timeout = 60s) {
    for (const auto& name : names) {
      EXPECT_TRUE(watch_->waitState(name, "healthy", timeout))
          << name << ": " << watch_->service(name).dump(2) << "\n"
          << watch_->log();
    }
  }

  /// medic's recovery actions (GET /api/v1/actions), oldest first.
  nlohmann::json actions() const {
    auto j = nlohmann::json::parse(httpGet(watch_->port(), "/api/v1/actions", 5s).body, nullptr,
                                   false);
    return j.is_array() ? j : nlohmann::json::array();
  }
  /// The alert with this dedup key, resolved ones included; null when there is none.
  nlohmann::json alert(const std::string& key) const {
    auto j = nlohmann::json::parse(httpGet(watch_->port(), "/api/v1/alerts?all", 5s).body, nullptr,
                                   false);
    if (j.is_array()) {
      for (const auto& a : j) {
        if (a.value("dedup_key", "") == key) return a;
      }
    }
    return nullptr;
  }
  /// "service action" for every action medic took, to compare as a whole.
  std::vector<std::string> actionSummary() const {
    std::vector<std::string> out;
    for (const auto& a : actions()) {
      out.push_back(a.value("service", "") + " " + a.value("action", ""));
    }
    return out;
  }

  /// Every container of a project's compose service, any state.
  std::vector<std::string> containersOf(const ComposeStack& stack, const std::string& service) {
    return lines(dockerCli({"ps", "-aq", "--no-trunc", "--filter",
                            "label=com.docker.compose.project=" + stack.project(), "--filter",
                            "label=com.docker.compose.service=" + service})
                     .out);
  }

  TempDir dir_;
  std::vector<std::unique_ptr<ComposeStack>> stacks_;
  std::unique_ptr<WatchProcess> watch_;  // stopped before the stacks go down
  const std::vector<std::string> all_ = {"webui", "api", "db", "redis"};

  void TearDown() override { watch_.reset(); }
};

TEST_F(StackMedicTest, DatabaseSigkillIsStartedAtOnceAndItsDependentsSpendNoAttempt) {
  ComposeStack& stack = addStack();
  ASSERT_TRUE(stack.started()) << stack.startError();
  WatchProcess& medic = startMedic();
  expectHealthy(all_);
  const std::string db = stack.containerId("db");

  // SIGKILL, as the OOM killer does: exit 137 from a compose container with no compose move
  // around it. Not compose's own stop: started at once, not after replacement_grace.
  const auto killed_at = Clock::now();
  ProcessResult kill = dockerCli({"kill", db});
  ASSERT_TRUE(kill.ok()) << kill.describe();
  ASSERT_TRUE(waitFor([&] { return stack.api("/health", 500ms).status == 200; }, 20s, 20ms))
      << medic.log() << stack.logs();
  const double api_back = secondsSince(killed_at);
  std::cout << "database SIGKILL -> API serving again: " << api_back << " s\n";
  EXPECT_LE(api_back, 2.0) << medic.log();
  EXPECT_EQ(stack.web("/api/items").status, 200);

  expectHealthy(all_);
  EXPECT_EQ(stack.containerId("db"), db);
  EXPECT_EQ(actionSummary(), std::vector<std::string>{"db start"}) << actions().dump(2) << medic.log();

  // Again, with a database that takes 4 s to come back (the stack's hook for a long crash
  // recovery): the API and the web UI fail with it (their probes go through the database) and are
  // held, each alert naming the database as the root cause; the only action is the database's
  // own start, of the same container.
  ProcessResult hook = dockerCli(
      {"exec", db, "sh", "-c", "printf 4 > /var/lib/postgresql/data/medic-start-delay"});
  ASSERT_TRUE(hook.ok()) << hook.describe();
  ASSERT_TRUE(dockerCli({"kill", db}).ok());
  EXPECT_TRUE(medic.waitState("webui", "waiting_dependency", 10s)) << medic.log();
  auto held_webui = medic.service("webui");
  EXPECT_EQ(held_webui.value("waiting_for", ""), "db") << held_webui.dump(2);
  ASSERT_TRUE(waitFor([&] { return stack.web("/api/items", 500ms).status == 200; }, 30s, 50ms))
      << medic.log() << stack.logs();
  expectHealthy(all_);
  EXPECT_EQ(stack.containerId("db"), db);
  EXPECT_EQ(actionSummary(), (std::vector<std::string>{"db start", "db start"}))
      << actions().dump(2) << medic.log();
  for (const std::string name : {"api", "webui"}) {
    auto held = alert("held:" + name);
    ASSERT_TRUE(held.is_object()) << name << "\n" << medic.log();
    EXPECT_THAT(held.value("text", ""), ::testing::HasSubstr("dependency db is failing"))
        << held.dump(2);
    EXPECT_EQ(held.value("state", ""), "resolved") << held.dump(2);
  }
  auto db_state = medic.service("db");
  EXPECT_EQ(db_state["last_incident"].value("outcome", ""), "recovered") << db_state.dump(2);
  EXPECT_EQ(db_state["last_incident"].value("attempts", 0), 1) << db_state.dump(2);
  EXPECT_EQ(db_state.value("attempts_in_window", 0), 2) << db_state.dump(2);
  for (const std::string name : {"api", "webui", "redis"}) {
    auto s = medic.service(name);
    EXPECT_EQ(s.value("attempts_in_window", -1), 0) << s.dump(2);
    EXPECT_FALSE(s.value("escalated", true)) << s.dump(2);
    if (s["last_incident"].is_object()) {
      EXPECT_EQ(s["last_incident"].value("attempts", -1), 0) << s.dump(2);
    }
  }
}

TEST_F(StackMedicTest, WebUiRemovedAfterADependencyIncidentIsRestored) {
  ComposeStack& stack = addStack();
  ASSERT_TRUE(stack.started()) << stack.startError();
  WatchProcess& medic = startMedic();
  expectHealthy(all_);

  // Three dependency incidents in a row: before, each one cost the web UI an attempt until it
  // was escalated, and an escalated service that was then removed was never restored.
  for (int round = 0; round < 3; ++round) {
    ProcessResult kill = dockerCli({"kill", stack.containerId("db")});
    ASSERT_TRUE(kill.ok()) << kill.describe();
    ASSERT_TRUE(waitFor([&] { return stack.web("/api/items").status != 200; }, 10s, 20ms));
    expectHealthy(all_);
  }
  EXPECT_FALSE(medic.service("webui").value("escalated", true)) << medic.service("webui").dump(2);

  // The incident: a deployment removes the web UI and nothing brings it back.
  const std::string removed = stack.containerId("webui");
  const auto removed_at = Clock::now();
  ProcessResult rm = dockerCli({"rm", "-f", removed});
  ASSERT_TRUE(rm.ok()) << rm.describe();
  ASSERT_TRUE(waitFor([&] { return stack.web("/api/items", 1s).status == 200; }, 30s, 50ms))
      << medic.log();
  std::cout << "web UI removed -> serving again: " << secondsSince(removed_at)
            << " s (replacement_grace 2 s)\n";
  expectHealthy({"webui"});
  const std::vector<std::string> webuis = containersOf(stack, "webui");
  ASSERT_EQ(webuis.size(), 1u);
  EXPECT_NE(webuis[0], removed);
  // Still a compose service: compose sees it as its own.
  EXPECT_EQ(inspectField(webuis[0], "{{index .Config.Labels \"com.docker.compose.service\"}}"),
            "webui");
  EXPECT_EQ(inspectField(webuis[0], "{{.Config.Image}}"), kStackImage);
  auto s = medic.service("webui");
  EXPECT_EQ(s["last_incident"].value("kind", ""), "removed") << s.dump(2);
  EXPECT_EQ(s["last_incident"].value("outcome", ""), "recovered") << s.dump(2);
}

TEST_F(StackMedicTest, BrokenRolloutIsRestoredWithinASecondOfTheNewContainersExit) {
  ComposeStack& stack = addStack();
  ASSERT_TRUE(stack.started()) << stack.startError();
  WatchProcess& medic = startMedic();
  expectHealthy(all_);
  const std::string healthy = stack.containerId("api");

  stack.setEnv("API_MODE", "broken");
  const std::string since = std::to_string(std::time(nullptr) - 1);
  ProcessResult up = stack.run({"up", "-d", "--no-deps", "api"});
  ASSERT_TRUE(up.ok()) << up.describe();
  // The broken container (compose's replacement of `healthy`) exits 3 at start. Found from the
  // engine's events, not a listing: medic may already have restored the API and removed it.
  std::string broken;
  ASSERT_TRUE(waitFor(
      [&] {
        auto created = dockerCli({"events", "--since", since, "--until", "0s", "--format",
                                  "{{.ID}}", "--filter", "event=create", "--filter",
                                  "label=com.docker.compose.replace=" + healthy});
        auto ids = lines(created.out);
        if (!ids.empty()) broken = ids.front();
        return !broken.empty();
      },
      10s, 100ms))
      << stack.run({"ps", "-a"}).out << medic.log();
  ASSERT_TRUE(waitFor([&] { return stack.api("/health", 500ms).status == 200; }, 30s, 20ms))
      << medic.log();
  ASSERT_TRUE(waitFor([&] { return containersOf(stack, "api").size() == 1u; }, 30s, 100ms))
      << stack.run({"ps", "-a"}).out << medic.log();
  expectHealthy(all_);
  const std::string restored = containersOf(stack, "api").front();
  EXPECT_NE(restored, broken);
  EXPECT_NE(restored, healthy);
  EXPECT_EQ(inspectField(restored, "{{.State.Status}}"), "running");

  // Judged at the exit, not at the end of a grace or a trial: the broken container's exit and the
  // restored one's start, both on the engine's clock. Its removal came after: it is gone.
  auto events = dockerCli({"events", "--since", "5m", "--until", "0s", "--format",
                           "{{.Status}} {{.ID}} {{.TimeNano}}", "--filter", "container=" + broken});
  double broken_exit = 0;
  int exits = 0;
  for (const auto& line : lines(events.out)) {
    if (line.rfind("die " + broken + " ", 0) == 0) {
      ++exits;
      broken_exit = std::stod(line.substr(line.rfind(' '))) / 1e9;
    }
  }
  ASSERT_EQ(exits, 1) << events.out;  // it exited once, and nobody started it again
  ASSERT_GT(broken_exit, 0) << events.out;
  const double restored_start = dockerTime(inspectField(restored, "{{.State.StartedAt}}"));
  std::cout << "broken rollout: exit -> restored container started " << restored_start - broken_exit
            << " s\n";
  EXPECT_GE(restored_start, broken_exit) << events.out << medic.log();
  EXPECT_LE(restored_start - broken_exit, 1.0) << events.out << medic.log();

  // Only the API was acted on, once, by restoring its snapshot; the web UI was held meanwhile.
  EXPECT_EQ(actionSummary(), std::vector<std::string>{"api restore_snapshot"})
      << actions().dump(2) << medic.log();
  auto s = medic.service("api");
  EXPECT_EQ(s["last_incident"].value("kind", ""), "replacement_failed") << s.dump(2);
  EXPECT_EQ(s["last_incident"].value("outcome", ""), "recovered") << s.dump(2);
  EXPECT_EQ(medic.service("webui").value("attempts_in_window", -1), 0);
}

TEST_F(StackMedicTest, SlowStartingGoodRolloutIsKept) {
  // Eight seconds before it serves: four times replacement_grace, within replacement_trial.
  ComposeStack& stack = addStack({{"API_SLOW_SECONDS", "8"}});
  ASSERT_TRUE(stack.started()) << stack.startError();
  WatchProcess& medic = startMedic();
  expectHealthy(all_);
  const std::string before = stack.containerId("api");

  stack.setEnv("API_MODE", "slow");
  const auto deployed_at = Clock::now();
  ProcessResult up = stack.run({"up", "-d", "--no-deps", "api"});
  ASSERT_TRUE(up.ok()) << up.describe();
  const std::string slow = stack.containerId("api");
  ASSERT_NE(slow, before);
  EXPECT_NE(stack.api("/health", 500ms).status, 200);  // not serving yet
  ASSERT_TRUE(waitFor([&] { return stack.api("/health", 500ms).status == 200; }, 60s, 100ms))
      << medic.log();
  std::cout << "slow rollout serving after " << secondsSince(deployed_at) << " s\n";
  expectHealthy(all_);
  // The operator's container is the one serving: adopted, never undone, nothing restarted.
  EXPECT_EQ(containersOf(stack, "api"), std::vector<std::string>{slow});
  auto s = medic.service("api");
  EXPECT_EQ(s.value("container_id", ""), slow) << s.dump(2);
  EXPECT_EQ(actionSummary(), std::vector<std::string>{}) << actions().dump(2) << medic.log();
  EXPECT_EQ(stack.web("/api/items").status, 200);
}

TEST_F(StackMedicTest, TwoProjectsWithTheSameServiceNamesAreEachRepaired) {
  ComposeStack& shop = addStack();
  ASSERT_TRUE(shop.started()) << shop.startError();
  ComposeStack& billing = addStack();
  ASSERT_TRUE(billing.started()) << billing.startError();
  WatchProcess& medic = startMedic();
  std::vector<std::string> names;
  for (const ComposeStack* s : {&shop, &billing}) {
    for (const auto& service : all_) names.push_back(s->project() + "/" + service);
  }
  expectHealthy(names);

  // A database crash in each project, and the web UI of one removed: each is repaired under its
  // own identity.
  ASSERT_TRUE(dockerCli({"kill", shop.containerId("db")}).ok());
  ASSERT_TRUE(dockerCli({"kill", billing.containerId("db")}).ok());
  const std::string removed = billing.containerId("webui");
  ASSERT_TRUE(dockerCli({"rm", "-f", removed}).ok());
  for (const ComposeStack* s : {&shop, &billing}) {
    EXPECT_TRUE(waitFor([&] { return s->web("/api/items", 1s).status == 200; }, 30s, 50ms))
        << s->project() << "\n"
        << medic.log();
  }
  expectHealthy(names);
  EXPECT_EQ(containersOf(billing, "webui").size(), 1u);
  std::vector<std::string> summary = actionSummary();
  std::sort(summary.begin(), summary.end());
  std::vector<std::string> want = {shop.project() + "/db start", billing.project() + "/db start",
                                   billing.project() + "/webui recreate"};
  std::sort(want.begin(), want.end());
  EXPECT_EQ(summary, want) << actions().dump(2) << medic.log();
}

TEST_F(StackMedicTest, ScaledServiceGetsItsRemovedReplicaBack) {
  ComposeStack& stack = addStack();
  ASSERT_TRUE(stack.started()) << stack.startError();
  ProcessResult scale = stack.run({"up", "-d", "--no-deps", "--scale", "api=2", "api"});
  ASSERT_TRUE(scale.ok()) << scale.describe();
  WatchProcess& medic = startMedic();
  expectHealthy({"webui", "api", "api#2", "db", "redis"});

  std::string second;
  for (const auto& id : containersOf(stack, "api")) {
    if (inspectField(id, "{{index .Config.Labels \"com.docker.compose.container-number\"}}") ==
        "2") {
      second = id;
    }
  }
  ASSERT_FALSE(second.empty()) << stack.run({"ps", "-a"}).out;
  ASSERT_TRUE(dockerCli({"rm", "-f", second}).ok());
  std::string back;
  ASSERT_TRUE(waitFor(
      [&] {
        for (const auto& id : containersOf(stack, "api")) {
          if (id != second &&
              inspectField(id, "{{index .Config.Labels \"com.docker.compose.container-number\"}}") ==
                  "2" &&
              inspectField(id, "{{.State.Status}}") == "running") {
            back = id;
          }
        }
        return !back.empty();
      },
      30s, 100ms))
      << medic.log();
  expectHealthy({"api", "api#2"});
  EXPECT_EQ(containersOf(stack, "api").size(), 2u);
  EXPECT_EQ(medic.service("api#2").value("container_id", ""), back);
  EXPECT_EQ(actionSummary(), std::vector<std::string>{"api#2 recreate"}) << actions().dump(2) << medic.log();
}

}  // namespace
}  // namespace medic::test
