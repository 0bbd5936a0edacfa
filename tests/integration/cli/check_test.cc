// `medic check` against the real engine: every verdict with the evidence a user would look at.
#include <gtest/gtest.h>

#include <chrono>

#include "medic_cli.h"
#include "support/docker_env.h"
#include "support/wait.h"

namespace medic::test {
namespace {

using namespace std::chrono_literals;

class CheckTest : public DockerTest {
 protected:
  /// A config protecting one container by name with an HTTP probe on `path`.
  std::string configFor(const TestContainer& c, const std::string& path = "/health",
                        const std::string& timeout = "1s") {
    // Label selection off: other tests' labelled containers must not join this check.
    return dir_.write("medic.yaml", "select:\n  labels: false\nservices:\n  web:\n    match:\n      container: " + c.name() +
                                        "\n    probes:\n      - http: http://127.0.0.1:" +
                                        std::to_string(c.port()) + path + "\n        timeout: " +
                                        timeout + "\n");
  }
  nlohmann::json check(const std::string& config, int expected_exit) {
    auto r = runMedic({"check", "--config", config, "--json"});
    EXPECT_EQ(r.exit_code, expected_exit) << r.describe() << "\n" << r.out;
    auto j = nlohmann::json::parse(r.out, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << r.out;
    return j;
  }
  static const nlohmann::json* evidenceOfKind(const nlohmann::json& report, const std::string& kind) {
    for (const auto& e : report["evidence"]) {
      if (e["kind"] == kind) return &e;
    }
    return nullptr;
  }
  static bool waitHealth(const TestContainer& c, const std::string& want) {
    return waitFor([&] { return c.health() == want; }, 20s, 100ms);
  }
  TempDir dir_;
};

TEST_F(CheckTest, HealthyServiceWithEvidence) {
  auto c = TestContainer::start("check-ok");
  ASSERT_TRUE(c.started()) << c.startError();
  ASSERT_TRUE(waitHealth(c, "healthy"));
  auto j = check(configFor(c), 0);
  ASSERT_EQ(j["services"].size(), 1u);
  const auto& s = j["services"][0];
  EXPECT_EQ(s["name"], "web");
  EXPECT_EQ(s["health"], "healthy");
  EXPECT_EQ(s["container"]["status"], "running");
  EXPECT_EQ(s["container"]["health"]["status"], "healthy");
  EXPECT_EQ(s["probes"][0]["ok"], true);
  ASSERT_EQ(s["evidence"].size(), 2u);  // docker state + http
  const auto* http = evidenceOfKind(j, "http");
  ASSERT_NE(http, nullptr);
  EXPECT_EQ(http->at("data")["status"], 200);
  EXPECT_TRUE(http->at("data")["latency_ms"].is_number());
  EXPECT_EQ(http->at("hash").get<std::string>().size(), 64u);
  EXPECT_FALSE(http->at("time").get<std::string>().empty());
  EXPECT_EQ(j["verdict"], "healthy");
}

TEST_F(CheckTest, ExitedWithCodeThree) {
  auto c = TestContainer::start("check-exit");
  ASSERT_TRUE(c.started()) << c.startError();
  ASSERT_TRUE(waitFor([&] { return c.get("/health").status == 200; }, 10s, 50ms));
  c.get("/control/exit?code=3");
  ASSERT_TRUE(waitFor([&] { return c.status() == "exited"; }, 10s, 50ms));
  auto j = check(configFor(c), 1);
  const auto& s = j["services"][0];
  EXPECT_EQ(s["health"], "unhealthy");
  EXPECT_EQ(s["container"]["status"], "exited");
  EXPECT_EQ(s["container"]["exit_code"], 3);
  EXPECT_NE(s["reason"].get<std::string>().find("code 3"), std::string::npos) << s["reason"];
  const auto* ds = evidenceOfKind(j, "docker_state");
  ASSERT_NE(ds, nullptr);
  EXPECT_EQ(ds->at("data")["exit_code"], 3);
}

TEST_F(CheckTest, DockerUnhealthyQuotesHealthLog) {
  auto c = TestContainer::start("check-unhealthy");
  ASSERT_TRUE(c.started()) << c.startError();
  ASSERT_TRUE(waitHealth(c, "healthy"));
  c.get("/control/unhealthy");
  ASSERT_TRUE(waitHealth(c, "unhealthy"));
  // Probe "/" (still 200) so the verdict rests on Docker's own health status.
  auto j = check(configFor(c, "/"), 1);
  const auto& s = j["services"][0];
  EXPECT_EQ(s["health"], "unhealthy");
  EXPECT_EQ(s["container"]["health"]["status"], "unhealthy");
  EXPECT_FALSE(s["container"]["health"]["log_tail"].empty());
  EXPECT_NE(s["reason"].get<std::string>().find("Docker health"), std::string::npos) << s["reason"];
}

TEST_F(CheckTest, ConfiguredServiceWithoutContainerIsMissing) {
  auto config = dir_.write("medic.yaml",
                           "select:\n  labels: false\nservices:\n  ghost:\n    match:\n      container: " +
                               uniqueName("never-created") + "\n");
  auto j = check(config, 1);
  ASSERT_EQ(j["services"].size(), 1u);
  const auto& s = j["services"][0];
  EXPECT_EQ(s["name"], "ghost");
  EXPECT_EQ(s["health"], "missing");
  EXPECT_TRUE(s["container"].is_null());
  ASSERT_EQ(s["evidence"].size(), 1u);
  const auto* ds = evidenceOfKind(j, "docker_state");
  ASSERT_NE(ds, nullptr);
  EXPECT_TRUE(ds->at("data")["container"].is_null());
}

TEST_F(CheckTest, EndpointAnswering500) {
  auto c = TestContainer::start("check-500");
  ASSERT_TRUE(c.started()) << c.startError();
  ASSERT_TRUE(waitFor([&] { return c.get("/").status == 200; }, 10s, 50ms));
  c.get("/control/status500");
  auto j = check(configFor(c, "/"), 1);
  const auto& s = j["services"][0];
  EXPECT_EQ(s["health"], "unhealthy");
  EXPECT_EQ(s["probes"][0]["ok"], false);
  EXPECT_NE(s["probes"][0]["summary"].get<std::string>().find("500"), std::string::npos);
  const auto* http = evidenceOfKind(j, "http");
  ASSERT_NE(http, nullptr);
  EXPECT_EQ(http->at("data")["status"], 500);
}

TEST_F(CheckTest, EndpointHangingPastTheProbeTimeout) {
  auto c = TestContainer::start("check-hang");
  ASSERT_TRUE(c.started()) << c.startError();
  ASSERT_TRUE(waitFor([&] { return c.get("/").status == 200; }, 10s, 50ms));
  c.get("/control/hang", 500ms);
  const auto t0 = std::chrono::steady_clock::now();
  auto j = check(configFor(c, "/", "700ms"), 1);
  const auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_LT(took, 10s) << "a hung endpoint must not hang the check";
  const auto& p = j["services"][0]["probes"][0];
  EXPECT_EQ(p["ok"], false);
  EXPECT_EQ(p["timed_out"], true);
  const auto* http = evidenceOfKind(j, "http");
  ASSERT_NE(http, nullptr);
  EXPECT_GE(http->at("data")["latency_ms"].get<int>(), 650);
  EXPECT_EQ(http->at("data")["error"], "timeout");
}

TEST(CheckWithoutEngine, AbsentSocketExitsTwoWithHelp) {
  TempDir dir;
  const std::string sock = dir.path() + "/no-such-docker.sock";
  auto r = runMedic({"check", "--docker", "unix://" + sock}, 30s);
  EXPECT_EQ(r.exit_code, 2) << r.describe();
  EXPECT_NE(r.err.find(sock), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("dockerd"), std::string::npos) << r.err;
}

TEST(CheckWithoutEngine, BadConfigExitsTwoNamingFileAndLine) {
  TempDir dir;
  auto config = dir.write("medic.yaml", "services:\n  web:\n    critcal: true\n");
  auto r = runMedic({"check", "--config", config}, 30s);
  EXPECT_EQ(r.exit_code, 2) << r.describe();
  EXPECT_NE(r.err.find("medic.yaml:3"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("critcal"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace medic::test
