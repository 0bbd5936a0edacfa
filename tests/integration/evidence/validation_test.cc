// Claims, gates and baselines against the real engine: a removed service makes `medic claim`
// reject and `medic gate 6` fail, each citing the evidence of its absence; after medic recovers
// it, both pass on new evidence. `medic baseline --diff` reports a changed image.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <set>

#include "../cli/medic_cli.h"
#include "../daemon/watch_process.h"
#include "support/docker_env.h"
#include "support/wait.h"

namespace medic::test {
namespace {

using namespace std::chrono_literals;

nlohmann::json parsed(const ProcessResult& r) {
  return nlohmann::json::parse(r.out, nullptr, false);
}

std::set<std::string> ids(const nlohmann::json& arr) {
  std::set<std::string> out;
  for (const auto& id : arr) out.insert(id.get<std::string>());
  return out;
}

class ValidationTest : public DockerTest {
 protected:
  std::string state() const { return dir_.path() + "/state"; }
  /// `medic <args> --state-dir <state> --config <config>`.
  ProcessResult medic(std::vector<std::string> args, const std::string& config) const {
    args.insert(args.end(), {"--state-dir", state(), "--config", config});
    return runMedic(args, 60s);
  }
  static bool serving(const TestContainer& c) {
    return waitFor([&] { return c.get("/health", 500ms).status == 200; }, 30s, 50ms);
  }
  TempDir dir_;
};

TEST_F(ValidationTest, RemovedServiceRejectsTheClaimAndFailsGate6UntilRecovered) {
  auto c = TestContainer::start("gates-web");
  ASSERT_TRUE(c.started()) << c.startError();
  ASSERT_TRUE(serving(c));
  const std::string url = "http://127.0.0.1:" + std::to_string(c.port()) + "/health";
  const auto config = dir_.write(
      "medic.yaml",
      "select:\n  labels: false\nresync_interval: 2s\n"
      "defaults:\n  probe:\n    interval: 250ms\n    timeout: 1s\n    failure_threshold: 2\n"
      "  recovery:\n    replacement_grace: 15s\n    settle_timeout: 20s\n"
      "services:\n  web:\n    match:\n      container: " +
          c.name() +
          "\n"
          "    probes:\n      - http: " +
          url +
          "\n"
          "endpoints:\n  - name: site\n    url: " +
          url +
          "\n    interval: 250ms\n"
          "    failure_threshold: 1\n    max_latency: 2s\n"
          "phases:\n  6:\n    max_evidence_age: 20s\n");
  WatchProcess watch(dir_, config);
  ASSERT_TRUE(watch.waitState("web", "healthy")) << watch.log();

  // Healthy: the claim is accepted and the gate passes, both citing evidence.
  ASSERT_TRUE(waitFor(
      [&] {
        return medic({"claim", "webui healthy", "--service", "web"}, config).exit_code == 0;
      },
      20s, 250ms))
      << watch.log();
  auto accepted = medic({"claim", "webui healthy", "--service", "web", "--json"}, config);
  ASSERT_EQ(accepted.exit_code, 0) << accepted.describe() << accepted.out;
  const auto first_ids = ids(parsed(accepted)["evidence"]);
  EXPECT_GE(first_ids.size(), 2u) << "Docker state and the HTTP probe\n" << accepted.out;
  ASSERT_TRUE(waitFor(
      [&] {
        return medic({"gate", "6"}, config).exit_code == 0;
      },
      20s, 250ms))
      << medic({"gate", "6"}, config).out << watch.log();

  // The status cites its evidence and its age, for services and endpoints.
  auto status = parsed(runMedic({"status", "--json", "--state-dir", state()}, 10s));
  ASSERT_TRUE(status.is_object());
  const auto& web = status["services"][0];
  EXPECT_FALSE(web["evidence"].empty()) << web.dump(2);
  ASSERT_TRUE(web["evidence_age_seconds"].is_number()) << web.dump(2);
  EXPECT_LT(web["evidence_age_seconds"].get<double>(), 10.0) << web.dump(2);
  ASSERT_EQ(status["endpoints"].size(), 1u) << status.dump(2);
  EXPECT_EQ(status["endpoints"][0]["state"], "healthy") << status.dump(2);
  EXPECT_EQ(status["endpoints"][0]["evidence"].size(), 1u) << status.dump(2);

  // Removed: rejected, citing the record of its absence; gate 6 fails naming web.
  ASSERT_TRUE(dockerCli({"rm", "-f", c.name()}).ok());
  ASSERT_TRUE(waitFor(
      [&] {
        auto s = watch.service("web");
        return s.is_object() && s.value("docker_state", "") == "absent";
      },
      10s, 100ms))
      << watch.log();
  const auto before = nlohmann::json::parse(httpGet(watch.port(), "/api/v1/channels", 5s).body,
                                            nullptr, false)["last_id"].get<int64_t>();
  auto rejected = medic({"claim", "webui healthy", "--service", "web", "--json"}, config);
  EXPECT_EQ(rejected.exit_code, 1) << rejected.describe() << rejected.out;
  auto rj = parsed(rejected);
  ASSERT_TRUE(rj.is_object()) << rejected.out;
  EXPECT_EQ(rj["verdict"], "rejected") << rj.dump(2);
  EXPECT_NE(rj.value("reason", "").find("no container"), std::string::npos) << rj.dump(2);
  ASSERT_EQ(rj["evidence"].size(), 1u) << rj.dump(2);
  const std::string absence = rj["evidence"][0];
  auto shown = medic({"evidence", absence, "--json"}, config);
  ASSERT_EQ(shown.exit_code, 0) << shown.describe();
  auto ev = parsed(shown);
  EXPECT_EQ(ev["kind"], "docker_state") << ev.dump(2);
  EXPECT_TRUE(ev["data"]["container"].is_null()) << "the evidence records the absence\n"
                                                 << ev.dump(2);
  auto text = medic({"claim", "webui healthy", "--service", "web"}, config);
  EXPECT_EQ(text.exit_code, 1);
  EXPECT_NE(text.out.find("REJECTED"), std::string::npos) << text.out;
  // Each claim inspects anew, so it cites a record of its own: of the absence again.
  EXPECT_NE(text.out.find("no container exists"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("evidence ev-"), std::string::npos) << text.out;

  auto gate = medic({"gate", "6"}, config);
  EXPECT_EQ(gate.exit_code, 1) << gate.describe() << gate.out;
  EXPECT_NE(gate.out.find("FAIL"), std::string::npos) << gate.out;
  EXPECT_NE(gate.out.find("web"), std::string::npos) << gate.out;
  auto gate_json = parsed(medic({"gate", "6", "--json"}, config));
  ASSERT_TRUE(gate_json.is_object());
  EXPECT_FALSE(gate_json["pass"].get<bool>());
  std::set<std::string> failed_ids;
  bool web_failed = false;
  for (const auto& check : gate_json["checks"]) {
    if (check["subject"] == "web" && !check["pass"].get<bool>()) {
      web_failed = true;
      EXPECT_EQ(check["evidence"].size(), 1u) << check.dump(2);
      for (const auto& id : check["evidence"]) failed_ids.insert(id.get<std::string>());
    }
  }
  EXPECT_TRUE(web_failed) << gate_json.dump(2);
  // The verdicts went out on validation_results, citing the same evidence.
  auto published = runMedic({"events", "--channel", "validation_results", "--since",
                             std::to_string(before), "--count", "1", "--json", "--state-dir",
                             state()},
                            15s);
  auto message = nlohmann::json::parse(published.out, nullptr, false);
  ASSERT_TRUE(message.is_object()) << published.describe() << published.out;
  EXPECT_EQ(message["type"], "claim") << message.dump(2);
  EXPECT_EQ(message["data"]["verdict"], "rejected") << message.dump(2);
  EXPECT_EQ(message["evidence"], nlohmann::json::array({absence})) << message.dump(2);
  // The failures were published as alerts.
  auto alerts =
      nlohmann::json::parse(httpGet(watch.port(), "/api/v1/alerts", 5s).body, nullptr, false);
  std::set<std::string> keys;
  for (const auto& a : alerts) keys.insert(a.value("dedup_key", ""));
  EXPECT_TRUE(keys.count("claim_rejected:web")) << alerts.dump(2);
  EXPECT_TRUE(keys.count("gate_failed:phase-6")) << alerts.dump(2);

  // medic recreates it after replacement_grace; then both pass on new evidence.
  ASSERT_TRUE(watch.waitState("web", "healthy", 60s)) << watch.log();
  ASSERT_TRUE(waitFor(
      [&] {
        return medic({"claim", "webui healthy", "--service", "web"}, config).exit_code == 0;
      },
      20s, 250ms))
      << watch.log();
  auto again = parsed(medic({"claim", "webui healthy", "--service", "web", "--json"}, config));
  ASSERT_EQ(again["verdict"], "accepted") << again.dump(2);
  for (const auto& id : again["evidence"]) {
    EXPECT_FALSE(first_ids.count(id.get<std::string>())) << "old evidence reused: " << id;
    EXPECT_NE(id.get<std::string>(), absence);
  }
  ProcessResult passed;
  ASSERT_TRUE(waitFor(
      [&] {
        passed = medic({"gate", "6", "--json"}, config);
        return passed.exit_code == 0;
      },
      20s, 250ms))
      << passed.out << watch.log();
  for (const auto& id : parsed(passed)["evidence"]) {
    EXPECT_FALSE(failed_ids.count(id.get<std::string>())) << id;
  }
  // Listing the evidence of a service shows the records.
  auto list = parsed(medic({"evidence", "--service", "web", "--limit", "5", "--json"}, config));
  ASSERT_TRUE(list.is_array());
  EXPECT_EQ(list.size(), 5u);
  for (const auto& e : list) EXPECT_EQ(e["service"], "web");
}

TEST_F(ValidationTest, BaselineDiffReportsAChangedImage) {
  const std::string name = uniqueName("gates-base");
  const int port = freePort();
  const auto config = dir_.write("medic.yaml",
                                 "select:\n  labels: false\nservices:\n  web:\n"
                                 "    match:\n      container: " +
                                     name + "\n");
  {
    TestContainer v1(name, port, {}, "medic-testserver:v1");
    ASSERT_TRUE(v1.started()) << v1.startError();
    auto written = medic({"baseline"}, config);
    ASSERT_EQ(written.exit_code, 0) << written.describe() << written.out;
    EXPECT_TRUE(std::filesystem::exists(state() + "/baseline.json"));
    EXPECT_NE(written.out.find("medic-testserver:v1"), std::string::npos) << written.out;
    auto same = medic({"baseline", "--diff"}, config);
    EXPECT_EQ(same.exit_code, 0) << same.describe() << same.out;
    EXPECT_NE(same.out.find("matches"), std::string::npos) << same.out;
  }
  TestContainer v2(name, port, {}, "medic-testserver:v2");
  ASSERT_TRUE(v2.started()) << v2.startError();
  auto diff = medic({"baseline", "--diff", "--json"}, config);
  EXPECT_EQ(diff.exit_code, 1) << diff.describe() << diff.out;
  auto j = parsed(diff);
  ASSERT_TRUE(j.is_object()) << diff.out;
  EXPECT_FALSE(j["match"].get<bool>());
  bool changed_image = false;
  for (const auto& d : j["differences"]) {
    if (d["service"] == "web" && d["kind"] == "changed_image") {
      changed_image = true;
      EXPECT_NE(d["before"].get<std::string>().find("medic-testserver:v1"), std::string::npos);
      EXPECT_NE(d["after"].get<std::string>().find("medic-testserver:v2"), std::string::npos);
    }
  }
  EXPECT_TRUE(changed_image) << j.dump(2);
  // Phase gate 3 uses the same comparison; with no daemon it gathers the evidence itself.
  auto gate = medic({"gate", "3"}, config);
  EXPECT_EQ(gate.exit_code, 1) << gate.describe() << gate.out;
  EXPECT_NE(gate.out.find("changed_image"), std::string::npos) << gate.out;
  EXPECT_NE(gate.out.find("no daemon"), std::string::npos) << gate.out;
}

}  // namespace
}  // namespace medic::test
