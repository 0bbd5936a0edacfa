// Redaction canaries on the real engine: secrets planted where medic meets them — a protected
// container's PASSWORD/TOKEN/SECRET/KEY environment, a password in a probe URL, a token-shaped
// string in a probed body — never show up in the store file (db and -wal), the daemon's log, the
// files in the state dir, the API's answers or the channels, through a crash, a removal and a
// recreate.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

#include "../cli/medic_cli.h"
#include "support/docker_env.h"
#include "support/wait.h"
#include "watch_process.h"

namespace medic::test {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

std::string randomAlnum(size_t n) {
  static constexpr char kChars[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  std::mt19937_64 rng(std::random_device{}());
  std::string s;
  for (size_t i = 0; i < n; ++i) s.push_back(kChars[rng() % 62]);
  return s;
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class CanaryTest : public DockerTest {
 protected:
  TempDir dir_;
};

TEST_F(CanaryTest, PlantedSecretsNeverReachTheStoreLogsApiOrChannels) {
  // Distinct canaries, each unlikely anywhere else. The body token is token-shaped (>= 32 chars,
  // letters and digits); the others are short and plain, so only a real leak can show them.
  const std::map<std::string, std::string> canaries = {
      {"env DB_PASSWORD", "pwCanary" + randomAlnum(10)},
      {"env API_TOKEN", "tkCanary" + randomAlnum(10)},
      {"env APP_SECRET", "scCanary" + randomAlnum(10)},
      {"env SIGNING_KEY", "kyCanary" + randomAlnum(10)},
      {"probe URL password", "urlCanary" + randomAlnum(8)},
      {"token in a body", "ghp" + randomAlnum(20) + "7" + randomAlnum(19) + "Q"},
      {"Authorization header", "authCanary" + randomAlnum(8)},
      {"Cookie header", "cookieCanary" + randomAlnum(8)},
  };
  auto c = TestContainer::start("canary", {"-e", "DB_PASSWORD=" + canaries.at("env DB_PASSWORD"),
                                           "-e", "API_TOKEN=" + canaries.at("env API_TOKEN"), "-e",
                                           "APP_SECRET=" + canaries.at("env APP_SECRET"), "-e",
                                           "SIGNING_KEY=" + canaries.at("env SIGNING_KEY"), "-e",
                                           "APP_VERSION=" + canaries.at("token in a body")});
  ASSERT_TRUE(c.started()) << c.startError();
  ASSERT_TRUE(waitFor([&] { return c.get("/health", 500ms).status == 200; }, 30s, 50ms));
  ASSERT_NE(c.get("/", 1s).body.find(canaries.at("token in a body")), std::string::npos);

  const std::string port = std::to_string(c.port());
  const std::string cfg = dir_.write(
      "medic.yaml",
      "select:\n  labels: false\nresync_interval: 2s\n"
      "defaults:\n  probe:\n    interval: 250ms\n    timeout: 1s\n    failure_threshold: 2\n"
      "  recovery:\n    replacement_grace: 1s\n    backoff_initial: 200ms\n    backoff_max: 1s\n"
      "    settle_timeout: 20s\n"
      "services:\n  web:\n    match:\n      container: " +
          c.name() +
          "\n    probes:\n"
          "      - http: http://probe:" +
          canaries.at("probe URL password") + "@127.0.0.1:" + port +
          "/\n"
          "        headers:\n          Authorization: Bearer " +
          canaries.at("Authorization header") +
          "\n          Cookie: session=" + canaries.at("Cookie header") +
          "\n"
          "      - http: http://127.0.0.1:" +
          port + "/health\n");
  WatchProcess watch(dir_, cfg);
  ASSERT_TRUE(watch.waitState("web", "healthy")) << watch.log();
  std::this_thread::sleep_for(1500ms);  // the snapshot (with the env) is stored once healthy

  // A crash, then a removal that medic repairs by recreating the container from its snapshot.
  ASSERT_TRUE(dockerCli({"kill", "-s", "KILL", c.name()}).ok());
  ASSERT_TRUE(waitFor(
      [&] {
        auto s = watch.service("web");
        return s.is_object() && s["last_incident"].is_object() &&
               s["last_incident"].value("outcome", "") == "recovered" &&
               s.value("state", "") == "healthy";
      },
      40s, 100ms))
      << watch.log();
  const std::string old_id = c.id();
  ASSERT_TRUE(dockerCli({"rm", "-f", c.name()}).ok());
  ASSERT_TRUE(waitFor(
      [&] {
        return c.inspect("{{.Id}}") != "" && c.inspect("{{.Id}}") != old_id &&
               c.get("/health", 500ms).status == 200;
      },
      40s, 100ms))
      << watch.log();
  // The sealed secrets opened again: the recreated container has the real values.
  const std::string env = c.inspect("{{json .Config.Env}}");
  EXPECT_NE(env.find("DB_PASSWORD=" + canaries.at("env DB_PASSWORD")), std::string::npos) << env;
  EXPECT_NE(env.find("SIGNING_KEY=" + canaries.at("env SIGNING_KEY")), std::string::npos) << env;
  ASSERT_TRUE(watch.waitState("web", "healthy", 30s)) << watch.log();

  // What the API and the channels say.
  std::string seen;
  auto get = [&](const std::string& path) {
    auto r = httpGet(watch.port(), path, 10s);
    EXPECT_EQ(r.status, 200) << path << ": " << r.body;
    seen += "\n--- " + path + "\n" + r.body;
    return r.body;
  };
  const auto status = nlohmann::json::parse(get("/api/v1/status"), nullptr, false);
  get("/api/v1/services/web");
  get("/api/v1/alerts?all");
  get("/api/v1/report?since=1h");
  get("/metrics");
  ASSERT_TRUE(status.is_object());
  int evidence_read = 0;
  for (const auto& svc : status["services"]) {
    for (const auto& p : svc.value("probes", nlohmann::json::array())) {
      if (p.value("evidence", "").empty()) continue;
      get("/api/v1/evidence/" + p["evidence"].get<std::string>());
      ++evidence_read;
    }
  }
  EXPECT_GE(evidence_read, 2);
  for (const std::string channel : {"service_state", "recovery_coordination"}) {
    auto events = runMedic({"events", "--channel", channel, "--since", "0", "--json", "--url",
                            watch.url(), "--state-dir", dir_.path() + "/state"},
                           4s);
    seen += "\n--- channel " + channel + "\n" + events.out;
  }
  EXPECT_NE(seen.find("recovered"), std::string::npos) << "the channels replayed nothing";
  // The evidence of the body is there, redacted, so the check above is not vacuous.
  EXPECT_NE(seen.find("[REDACTED]"), std::string::npos) << seen.substr(0, 4000);

  watch.stop(SIGTERM);  // flushes evidence; the store may checkpoint its WAL now
  const fs::path state = dir_.path() + "/state";
  std::map<std::string, std::string> places = {{"API answers and channels", seen},
                                               {"watch.log", watch.log()}};
  for (const auto& entry : fs::recursive_directory_iterator(state)) {
    if (entry.is_regular_file() && entry.path().filename() != "secret.key") {
      places[entry.path().string()] = slurp(entry.path());
    }
  }
  ASSERT_TRUE(places.count((state / "medic.db").string()));
  EXPECT_GT(places[(state / "medic.db").string()].size() +
                (places.count((state / "medic.db-wal").string())
                     ? places[(state / "medic.db-wal").string()].size()
                     : 0),
            10'000u);
  for (const auto& [where, text] : places) {
    for (const auto& [what, canary] : canaries) {
      EXPECT_EQ(text.find(canary), std::string::npos) << "the " << what << " leaked into " << where;
    }
  }
}

}  // namespace
}  // namespace medic::test
