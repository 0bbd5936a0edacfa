// medic in its own container under plain `docker run`: the image scripts/build-medic-image.sh
// builds offline (binary + its shared libraries, FROM scratch), the engine's socket mounted,
// --network host, the state dir on a named volume, the config mounted read-only. It serves
// /healthz, reports the protected test container, and repairs it through the mounted socket.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "medic_cli.h"
#include "support/docker_env.h"
#include "support/http_client.h"
#include "support/wait.h"

namespace medic::test {
namespace {

using namespace std::chrono_literals;

/// Removes what the test made, whatever happened: the medic container, its volume, its image.
struct DockerLeftovers {
  std::string container, volume, image;
  ~DockerLeftovers() {
    if (!container.empty()) (void)dockerCli({"rm", "-f", "-v", container});
    if (!volume.empty()) (void)dockerCli({"volume", "rm", "-f", volume});
    if (!image.empty()) (void)dockerCli({"rmi", "-f", image});
  }
};

TEST(DockerRun, MedicInItsOwnContainerServesAndProtects) {
  MEDIC_REQUIRE_DOCKER_OR_SKIP();
  TempDir dir;
  DockerLeftovers left;
  const std::string name = uniqueName("medic-in-docker");
  left.image = name + ":test";
  auto built = runProcess(
      {std::string(MEDIC_SOURCE_DIR) + "/scripts/build-medic-image.sh", medicBinary(), left.image},
      120s);
  ASSERT_TRUE(built.ok()) << built.describe() << "\n" << built.err;

  auto web = TestContainer::start("medic-in-docker-web");
  ASSERT_TRUE(web.started()) << web.startError();
  ASSERT_TRUE(waitFor([&] { return web.get("/health", 500ms).status == 200; }, 20s, 50ms));
  // Only this test's container: label selection off, so no other test's container is touched.
  const auto config =
      dir.write("medic.yaml",
                "select:\n  labels: false\nresync_interval: 1s\n"
                "defaults:\n  probe:\n    interval: 250ms\n    timeout: 1s\n"
                "    failure_threshold: 2\n  recovery:\n    backoff_initial: 200ms\n"
                "services:\n  web:\n    match:\n      container: " +
                    web.name() + "\n    probes:\n      - http: http://127.0.0.1:" +
                    std::to_string(web.port()) + "/health\n");
  left.volume = name + "-state";
  ASSERT_TRUE(dockerCli({"volume", "create", left.volume}).ok());
  const int port = freePort();
  left.container = name;
  auto run = dockerCli({"run", "-d", "--pull", "never", "--name", name, "--network", "host", "-v",
                        "/var/run/docker.sock:/var/run/docker.sock", "-v",
                        left.volume + ":/var/lib/medic", "-v", config + ":/etc/medic/medic.yaml:ro",
                        left.image, "watch", "--listen", "127.0.0.1:" + std::to_string(port)});
  ASSERT_TRUE(run.ok()) << run.describe() << "\n" << run.err;
  auto logs = [&] { return dockerCli({"logs", name}).err; };

  ASSERT_TRUE(waitFor([&] { return httpGet(port, "/healthz").status == 200; }, 20s, 100ms))
      << logs();
  auto health = nlohmann::json::parse(httpGet(port, "/healthz").body, nullptr, false);
  EXPECT_EQ(health.value("engine_reachable", false), true) << health.dump();
  auto state = [&] {
    auto r = httpGet(port, "/api/v1/services/web");
    auto j = nlohmann::json::parse(r.body, nullptr, false);
    return r.status == 200 && j.is_object() ? j.value("state", "") : "";
  };
  ASSERT_TRUE(waitFor([&] { return state() == "healthy"; }, 30s, 200ms)) << logs();
  // The state dir is the volume: medic's store and token are there, not in the container.
  auto mount = dockerCli({"volume", "inspect", "--format", "{{.Mountpoint}}", left.volume});
  ASSERT_TRUE(mount.ok()) << mount.describe();
  const std::string data = mount.out.substr(0, mount.out.find_last_not_of(" \n") + 1);
  EXPECT_TRUE(std::filesystem::exists(data + "/medic.db")) << data;
  EXPECT_TRUE(std::filesystem::exists(data + "/token")) << data;

  // It repairs through the mounted socket: a crash of the protected container is restarted.
  const auto started = web.inspect("{{.State.StartedAt}}");
  ASSERT_TRUE(dockerCli({"kill", "-s", "KILL", web.name()}).ok());
  EXPECT_TRUE(waitFor(
      [&] { return web.inspect("{{.State.StartedAt}}") != started && web.status() == "running"; },
      20s, 100ms))
      << logs();
  EXPECT_TRUE(waitFor([&] { return state() == "healthy"; }, 30s, 200ms)) << logs();

  // A clean stop: SIGTERM from `docker stop` ends medic with status 0.
  ASSERT_TRUE(dockerCli({"stop", "-t", "20", name}).ok());
  EXPECT_EQ(inspectField(name, "{{.State.ExitCode}}"), "0") << logs();
}

}  // namespace
}  // namespace medic::test
