// The four-service stack fixture (tests/support/stack, run by ComposeStack) against the real engine
// and Compose v2, with no medic involved: it proves the fixture the medic tests stand on. The web
// UI serves data that came from PostgreSQL and Redis through the API; a killed database really
// takes the API's health down and its return brings it back; the API's broken and slow variants
// replace the container when a test rolls them out.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>

#include "support/docker_env.h"
#include "support/stack.h"
#include "support/wait.h"

namespace medic::test {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using ::testing::StartsWith;

class StackSmokeTest : public ::testing::Test {
 protected:
  void SetUp() override { requireComposeV2OrSkip(); }
};

/// The body of a 200 answer as JSON; null (and a test failure) for anything else.
nlohmann::json jsonOf(const HttpResponse& response) {
  EXPECT_EQ(response.status, 200) << response.error << " " << response.body;
  if (response.status != 200) return nullptr;
  return nlohmann::json::parse(response.body, nullptr, /*allow_exceptions=*/false);
}

std::string label(const std::string& id, const std::string& name) {
  return inspectField(id, "{{index .Config.Labels \"" + name + "\"}}");
}

TEST_F(StackSmokeTest, WebUiServesPostgresAndRedisDataAndADeadDatabaseCascades) {
  ComposeStack stack;
  ASSERT_TRUE(stack.started()) << stack.startError();

  // The web UI: nginx's static page and its own health.
  HttpResponse page = stack.web("/");
  EXPECT_EQ(page.status, 200) << page.error;
  EXPECT_THAT(page.body, HasSubstr("medic test stack"));
  EXPECT_EQ(stack.web("/health").status, 200);

  // nginx -> API -> PostgreSQL (the row seeded at initdb, the server's own version string) and
  // Redis (a counter that moves by one per call, the server's version).
  nlohmann::json first = jsonOf(stack.web("/api/items"));
  ASSERT_TRUE(first.is_object()) << stack.logs();
  EXPECT_EQ(first["item"], (nlohmann::json{{"id", 1}, {"name", "seeded by PostgreSQL at initdb"}}));
  EXPECT_THAT(first["postgres"].get<std::string>(), StartsWith("PostgreSQL 15"));
  EXPECT_THAT(first["redis"].get<std::string>(), StartsWith("7."));
  nlohmann::json second = jsonOf(stack.web("/api/items"));
  ASSERT_TRUE(second.is_object());
  EXPECT_EQ(second["hits"].get<int>(), first["hits"].get<int>() + 1);

  // Protected by labels alone, probes on the stack's own ports.
  const std::string webui = stack.containerId("webui");
  const std::string api = stack.containerId("api");
  const std::string db = stack.containerId("db");
  ASSERT_FALSE(webui.empty() || api.empty() || db.empty()) << stack.run({"ps", "--all"}).out;
  EXPECT_EQ(label(webui, "medic.enable"), "true");
  EXPECT_EQ(label(webui, "medic.critical"), "true");
  EXPECT_EQ(label(webui, "medic.probe.http"), stack.webUrl("/api/health"));
  EXPECT_EQ(label(webui, "medic.depends_on"), "api");
  EXPECT_EQ(label(api, "medic.probe.http"), stack.apiUrl("/health"));
  EXPECT_EQ(label(api, "medic.depends_on"), "db,redis");
  EXPECT_EQ(label(db, "medic.probe.tcp"), "127.0.0.1:" + std::to_string(stack.pgPort()));
  EXPECT_EQ(inspectField(db, "{{.HostConfig.RestartPolicy.Name}}"), "no");

  // The cascade is real: the database dies, the API says so, and so does the page's data.
  ProcessResult kill = dockerCli({"kill", db});
  ASSERT_TRUE(kill.ok()) << kill.describe();
  EXPECT_TRUE(waitFor([&] { return stack.api("/health").status == 503; }, 10s))
      << stack.api("/health").body;
  nlohmann::json down =
      nlohmann::json::parse(stack.api("/health").body, nullptr, /*allow_exceptions=*/false);
  EXPECT_EQ(down["redis"], "ok");
  EXPECT_THAT(down.value("db", ""), HasSubstr("OperationalError"));
  EXPECT_EQ(stack.web("/api/items").status, 503);

  // And so is the recovery: the same container again, its volume's data intact after a crash.
  ProcessResult start = dockerCli({"start", db});
  ASSERT_TRUE(start.ok()) << start.describe();
  EXPECT_TRUE(waitFor([&] { return stack.api("/health").status == 200; }, 60s))
      << stack.api("/health").body << "\n"
      << stack.logs();
  nlohmann::json after = jsonOf(stack.web("/api/items"));
  ASSERT_TRUE(after.is_object());
  EXPECT_EQ(after["item"], first["item"]);
  EXPECT_EQ(after["hits"].get<int>(), second["hits"].get<int>() + 1);
}

TEST_F(StackSmokeTest, BrokenAndSlowApiVariantsReplaceOnlyTheApiContainer) {
  // Five seconds: long enough that "not serving yet" cannot be missed right after `up` returns.
  ComposeStack stack(ComposeStack::Env{{"API_SLOW_SECONDS", "5"}});
  ASSERT_TRUE(stack.started()) << stack.startError();
  const std::string webui = stack.containerId("webui");
  const std::string healthy = stack.containerId("api");

  // broken: a new container that exits with status 3 at start.
  stack.setEnv("API_MODE", "broken");
  ProcessResult broken_up = stack.run({"up", "-d", "--no-deps", "api"});
  ASSERT_TRUE(broken_up.ok()) << broken_up.describe();
  const std::string broken = stack.containerId("api");
  EXPECT_NE(broken, healthy);
  EXPECT_TRUE(waitFor([&] { return inspectField(broken, "{{.State.Status}}") == "exited"; }, 30s));
  EXPECT_EQ(inspectField(broken, "{{.State.ExitCode}}"), "3");
  EXPECT_EQ(label(broken, "com.docker.compose.replace"), healthy);
  EXPECT_EQ(stack.api("/health").status, 0);

  // slow: a new container that runs but serves nothing for API_SLOW_SECONDS, then serves.
  stack.setEnv("API_MODE", "slow");
  ProcessResult slow_up = stack.run({"up", "-d", "--no-deps", "api"});
  ASSERT_TRUE(slow_up.ok()) << slow_up.describe();
  const std::string slow = stack.containerId("api");
  EXPECT_NE(slow, broken);
  EXPECT_EQ(inspectField(slow, "{{.State.Status}}"), "running");
  EXPECT_EQ(stack.api("/health").status, 0);
  EXPECT_TRUE(waitFor([&] { return stack.api("/health").status == 200; }, 60s)) << stack.logs();
  EXPECT_EQ(stack.web("/api/items").status, 200);

  // The web UI was left alone throughout.
  EXPECT_EQ(stack.containerId("webui"), webui);
}

}  // namespace
}  // namespace medic::test
