// The `engine26` fixture itself (run by CTest with DOCKER_HOST set to it): it is a newer engine
// than the host's, not the host's under another name, and `medic check --docker` talks to the
// engine it is given rather than to DOCKER_HOST's.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>

#include "../cli/medic_cli.h"
#include "docker/wire.h"
#include "support/docker_env.h"
#include "support/wait.h"

namespace medic::test {
namespace {

using namespace std::chrono_literals;

constexpr const char* kHostEngine = "unix:///var/run/docker.sock";

std::string firstLine(const std::string& text) {
  return text.substr(0, text.find_first_of("\r\n"));
}

class Engine26Test : public DockerTest {
 protected:
  void SetUp() override {
    const char* host = std::getenv("DOCKER_HOST");
    if (host == nullptr || *host == '\0') {
      GTEST_FAIL() << "runs against the engine26 fixture only: ctest --test-dir build -L engine26";
    }
    DockerTest::SetUp();
  }
  TempDir dir_;
};

TEST_F(Engine26Test, ServesANewerApiThanTheHostEngine) {
  auto inner = dockerCli({"version", "--format", "{{.Server.APIVersion}} {{.Server.Version}}"});
  ASSERT_TRUE(inner.ok()) << inner.describe();
  const std::string api = firstLine(inner.out).substr(0, firstLine(inner.out).find(' '));
  EXPECT_GE(docker::compareApiVersions(api, "1.45"), 0) << inner.out;

  // A different engine from the host's (its own ID), which knows nothing of the other's images.
  auto inner_id = dockerCli({"info", "--format", "{{.ID}}"});
  auto host_id = dockerCli({"-H", kHostEngine, "info", "--format", "{{.ID}}"});
  ASSERT_TRUE(inner_id.ok()) << inner_id.describe();
  ASSERT_TRUE(host_id.ok()) << host_id.describe();
  EXPECT_NE(firstLine(inner_id.out), firstLine(host_id.out));
  EXPECT_FALSE(firstLine(inner_id.out).empty());
}

TEST_F(Engine26Test, TestImagesAreLoaded) {
  for (const char* image : {"medic-testserver:latest", "medic-testserver:v1", "medic-testserver:v2",
                            "medic-testserver:bad-exit", "medic-testserver:never-healthy"}) {
    auto inner = dockerCli({"image", "inspect", "--format", "{{.Id}}", image});
    auto host = dockerCli({"-H", kHostEngine, "image", "inspect", "--format", "{{.Id}}", image});
    ASSERT_TRUE(inner.ok()) << image << ": " << inner.describe();
    EXPECT_EQ(firstLine(inner.out), firstLine(host.out)) << image;
  }
}

TEST_F(Engine26Test, MedicCheckTalksToTheEngineGivenWithDocker) {
  auto c = TestContainer::start("e26-check");
  ASSERT_TRUE(c.started()) << c.startError();
  ASSERT_TRUE(waitFor([&] { return c.health() == "healthy"; }, 20s, 100ms));
  const std::string config = dir_.write(
      "medic.yaml",
      "select:\n  labels: false\nservices:\n  web:\n    match:\n"
      "      container: " +
          c.name() + "\n    probes:\n      - http: http://127.0.0.1:" + std::to_string(c.port()) +
          "/health\n");
  // DOCKER_HOST names a socket nobody serves: only --docker can lead medic to the container.
  const std::string nowhere = "DOCKER_HOST=unix://" + dir_.path() + "/no-engine-here/docker.sock";
  auto check = runProcess({"env", nowhere, medicBinary(), "check", "--docker", engineAddress(),
                           "--config", config, "--json"},
                          60s);
  EXPECT_EQ(check.exit_code, 0) << check.describe() << "\n" << check.out;
  auto report = nlohmann::json::parse(check.out, nullptr, false);
  ASSERT_FALSE(report.is_discarded()) << check.out;
  EXPECT_EQ(report["verdict"], "healthy") << report.dump(2);
  ASSERT_EQ(report["services"].size(), 1u) << report.dump(2);
  EXPECT_EQ(report["services"][0]["container"]["container_id"], c.id()) << report.dump(2);

  // Without --docker the same check follows DOCKER_HOST, and finds no engine there.
  auto without = runProcess({"env", nowhere, medicBinary(), "check", "--config", config}, 60s);
  EXPECT_EQ(without.exit_code, 2) << without.describe();
  EXPECT_THAT(without.err, ::testing::HasSubstr("no-engine-here")) << without.err;
}

}  // namespace
}  // namespace medic::test
