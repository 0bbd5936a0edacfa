// Issue 5 on the real engine: `medic report` figures match the incidents the test caused; a
// screenshot of a local page is stored as a valid PNG and served by the API; retention deletes old
// evidence but keeps what an escalation cites.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <algorithm>
#include <fstream>
#include <sstream>
#include <thread>

#include "../cli/medic_cli.h"
#include "support/docker_env.h"
#include "support/wait.h"
#include "watch_process.h"

namespace medic::test {
namespace {

using namespace std::chrono_literals;

uint32_t bigEndian32(const std::string& b, size_t at) {
  return (static_cast<uint32_t>(static_cast<unsigned char>(b[at])) << 24) |
         (static_cast<uint32_t>(static_cast<unsigned char>(b[at + 1])) << 16) |
         (static_cast<uint32_t>(static_cast<unsigned char>(b[at + 2])) << 8) |
         static_cast<uint32_t>(static_cast<unsigned char>(b[at + 3]));
}

class EvidenceReportTest : public DockerTest {
 protected:
  std::string config(const TestContainer& c, const std::string& probe_extra = "",
                     const std::string& tail = "", const std::string& path = "/health") {
    std::string y =
        "select:\n  labels: false\nresync_interval: 2s\n"
        "defaults:\n  probe:\n    interval: 250ms\n    timeout: 1s\n"
        "    failure_threshold: 2\n  recovery:\n    backoff_initial: 200ms\n"
        "    backoff_max: 1s\n    settle_timeout: 20s\n"
        "services:\n  web:\n    match:\n      container: " +
        c.name() + "\n" +
        "    probes:\n      - http: http://127.0.0.1:" + std::to_string(c.port()) + path + "\n" +
        probe_extra + tail;
    return dir_.write("medic.yaml", y);
  }
  static bool serving(const TestContainer& c, std::chrono::milliseconds timeout = 30s) {
    return waitFor([&] { return c.get("/health", 500ms).status == 200; }, timeout, 50ms);
  }
  nlohmann::json report(const std::string& cfg) {
    auto r = runMedic({"report", "--json", "--since", "1h", "--config", cfg, "--state-dir",
                       dir_.path() + "/state"},
                      30s);
    EXPECT_EQ(r.exit_code, 0) << r.describe() << r.out << r.err;
    return nlohmann::json::parse(r.out, nullptr, false);
  }
  TempDir dir_;
};

TEST_F(EvidenceReportTest, ReportCountsTheTwoCrashesTheTestCaused) {
  auto c = TestContainer::start("report-kill");
  ASSERT_TRUE(c.started()) << c.startError();
  ASSERT_TRUE(serving(c));
  const auto cfg = config(c);
  WatchProcess watch(dir_, cfg);
  ASSERT_TRUE(watch.waitState("web", "healthy")) << watch.log();

  std::string last_detected;
  for (int round = 1; round <= 2; ++round) {
    const auto started_at = c.inspect("{{.State.StartedAt}}");
    ASSERT_TRUE(dockerCli({"kill", "-s", "KILL", c.name()}).ok());
    ASSERT_TRUE(waitFor(
        [&] {
          auto s = watch.service("web");
          return s.is_object() && s.value("state", "") == "healthy" &&
                 s["last_incident"].is_object() &&
                 s["last_incident"].value("outcome", "") == "recovered" &&
                 s["last_incident"].value("detected_at", "") != last_detected;
        },
        40s, 100ms))
        << "round " << round << "\n"
        << watch.log();
    last_detected = watch.service("web")["last_incident"].value("detected_at", "");
    EXPECT_NE(c.inspect("{{.State.StartedAt}}"), started_at);
  }

  // While the daemon runs: the CLI reads the store beside it.
  auto j = report(cfg);
  ASSERT_TRUE(j.is_object());
  EXPECT_EQ(j["incidents"]["total"], 2) << j.dump(2);
  EXPECT_EQ(j["incidents"]["recovered"], 2) << j.dump(2);
  EXPECT_EQ(j["incidents"]["open"], 0) << j.dump(2);
  EXPECT_EQ(j["incidents"]["by_cause"].value("exited", 0), 2) << j.dump(2);
  EXPECT_EQ(j["detection_seconds"]["count"], 2) << j.dump(2);
  EXPECT_GE(j["detection_seconds"]["median"].get<double>(), 0.0);
  EXPECT_LT(j["detection_seconds"]["p95"].get<double>(), 1.0) << j.dump(2);
  EXPECT_EQ(j["recovery_seconds"]["count"], 2) << j.dump(2);
  EXPECT_GT(j["recovery_seconds"]["median"].get<double>(), 0.0) << j.dump(2);
  EXPECT_LT(j["recovery_seconds"]["p95"].get<double>(), 30.0) << j.dump(2);
  ASSERT_EQ(j["services"].size(), 1u) << j.dump(2);
  EXPECT_EQ(j["services"][0]["service"], "web");
  EXPECT_EQ(j["services"][0]["incidents"], 2);
  // The second crash came right after the first recovery: a flap, and no false alarm.
  EXPECT_EQ(j["services"][0]["flaps"], 1) << j.dump(2);
  ASSERT_EQ(j["flapping"].size(), 1u) << j.dump(2);
  EXPECT_EQ(j["incidents"]["false_alarms"], 0);
  EXPECT_EQ(j["incidents"]["escalations"], 0);
  EXPECT_GE(j["alerts"]["by_severity"]["warning"].get<int>(), 2) << j.dump(2);

  // The API serves the same figures.
  auto api = httpGet(watch.port(), "/api/v1/report?since=1h", 10s);
  ASSERT_EQ(api.status, 200) << api.body;
  auto aj = nlohmann::json::parse(api.body);
  EXPECT_EQ(aj["incidents"], j["incidents"]);
  EXPECT_EQ(httpGet(watch.port(), "/api/v1/report?since=soon", 5s).status, 400);

  // Without a daemon: the same report from the store alone, and the text form.
  watch.stop(SIGTERM);
  auto after = report(cfg);
  EXPECT_EQ(after["incidents"]["total"], 2) << after.dump(2);
  auto text = runMedic(
      {"report", "--since", "1h", "--config", cfg, "--state-dir", dir_.path() + "/state"}, 30s);
  EXPECT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("incidents        2 (2 recovered, 0 open"), std::string::npos)
      << text.out;
  EXPECT_NE(text.out.find("web"), std::string::npos) << text.out;

  auto missing = runMedic({"report", "--state-dir", dir_.path() + "/nowhere"}, 10s);
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("no store at"), std::string::npos) << missing.err;
}

// Issue 15: a probe result that changes nothing is not a new row; a claim still judges the newest
// result, with its measured age; a change of verdict is written at once.
TEST_F(EvidenceReportTest, ASteadyProbeIsNotARowPerResultButAClaimJudgesItsNewestResult) {
  auto c = TestContainer::start("evidence-steady");
  ASSERT_TRUE(c.started()) << c.startError();
  ASSERT_TRUE(serving(c));
  WatchProcess watch(dir_, config(c));  // one HTTP probe every 250 ms
  ASSERT_TRUE(watch.waitState("web", "healthy")) << watch.log();
  auto probesRun = [&] {
    auto r = httpGet(watch.port(), "/metrics", 5s);
    std::istringstream in(r.body);
    long n = 0;
    for (std::string line; std::getline(in, line);) {
      // By kind only; "web" is the only service this daemon probes.
      if (line.rfind("medic_probe_duration_seconds_count", 0) == 0) {
        n += std::stol(line.substr(line.rfind(' ') + 1));
      }
    }
    return n;
  };
  auto httpRows = [&](bool want_ok) {
    auto r = httpGet(watch.port(), "/api/v1/evidence?service=web&limit=1000", 5s);
    auto list = nlohmann::json::parse(r.body, nullptr, false);
    int n = 0;
    if (!list.is_array()) return -1;
    for (const auto& e : list) {
      if (e.value("kind", "") == "http" && e["data"].value("ok", !want_ok) == want_ok) ++n;
    }
    return n;
  };
  const long runs_before = probesRun();
  const int rows_before = httpRows(true);
  ASSERT_GE(rows_before, 1) << "the first result of a probe is always a row";
  ASSERT_TRUE(waitFor([&] { return probesRun() >= runs_before + 20; }, 30s, 100ms)) << watch.log();
  const int rows_after = httpRows(true);
  // 20 passing results and not more than one new row (a minute's sample may fall in the window).
  EXPECT_LE(rows_after - rows_before, 1) << rows_before << " -> " << rows_after << " rows";

  // A claim cites the newest result, held in memory until then, and it resolves by id.
  auto claim = runMedic({"claim", "web serves", "--service", "web", "--expect", "serving",
                         "--max-age", "2s", "--json", "--url", watch.url(), "--state-dir",
                         dir_.path() + "/state"},
                        30s);
  auto verdict = nlohmann::json::parse(claim.out, nullptr, false);
  ASSERT_TRUE(verdict.is_object()) << claim.out << claim.err;
  EXPECT_EQ(verdict.value("verdict", ""), "accepted") << verdict.dump(2);
  bool cited_http = false;
  for (const auto& rec : verdict.value("evidence_records", nlohmann::json::array())) {
    if (rec.value("kind", "") != "http") continue;
    cited_http = true;
    EXPECT_EQ(httpGet(watch.port(), "/api/v1/evidence/" + rec.value("id", ""), 5s).status, 200);
  }
  EXPECT_TRUE(cited_http) << verdict.dump(2);

  // A change of verdict is a row at once.
  ASSERT_EQ(c.get("/control/unhealthy", 1s).status, 200);
  EXPECT_TRUE(waitFor([&] { return httpRows(false) >= 1; }, 10s, 100ms)) << watch.log();
}

TEST_F(EvidenceReportTest, ScreenshotOfALocalPageIsAValidPngServedByTheApi) {
  if (access("/usr/bin/chromium", X_OK) != 0) {
    GTEST_FAIL() << "chromium missing: apt-get install chromium (scripts/install-deps.sh)";
  }
  auto c = TestContainer::start("report-shot");
  ASSERT_TRUE(c.started()) << c.startError();
  ASSERT_TRUE(serving(c));
  WatchProcess watch(
      dir_, config(c, "        screenshot: true\n", "evidence:\n  screenshot_timeout: 60s\n", "/"));
  std::string shot_id;
  ASSERT_TRUE(waitFor(
      [&] {
        auto s = watch.service("web");
        if (!s.is_object() || !s["probes"].is_array() || s["probes"].empty()) return false;
        const auto& p = s["probes"][0];
        if (!p.contains("screenshot") || !p["screenshot"].is_string()) return false;
        shot_id = p["screenshot"].get<std::string>();
        return true;
      },
      90s, 250ms))
      << watch.log();

  auto rec = httpGet(watch.port(), "/api/v1/evidence/" + shot_id, 5s);
  ASSERT_EQ(rec.status, 200) << rec.body;
  auto ev = nlohmann::json::parse(rec.body);
  EXPECT_EQ(ev["kind"], "screenshot");
  ASSERT_TRUE(ev["data"]["ok"].get<bool>()) << ev.dump(2) << watch.log();
  EXPECT_EQ(ev["data"]["url"], "http://127.0.0.1:" + std::to_string(c.port()) + "/");

  auto png = httpGet(watch.port(), "/api/v1/evidence/" + shot_id + "/screenshot", 10s);
  ASSERT_EQ(png.status, 200) << png.body;
  EXPECT_EQ(png.header("content-type"), "image/png");
  ASSERT_GE(png.body.size(), 33u);
  EXPECT_EQ(png.body.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
  EXPECT_EQ(bigEndian32(png.body, 8), 13u);  // IHDR is 13 bytes long
  EXPECT_EQ(png.body.substr(12, 4), "IHDR");
  EXPECT_EQ(bigEndian32(png.body, 16), 1280u);  // --window-size=1280,800
  EXPECT_EQ(bigEndian32(png.body, 20), 800u);
  EXPECT_EQ(ev["data"]["png_bytes"].get<size_t>(), png.body.size());
  auto sum = runProcess({"sha256sum"}, 10s, png.body);
  EXPECT_EQ(sum.out.substr(0, 64), ev["data"]["png_sha256"].get<std::string>());

  // A non-screenshot record has no picture.
  auto probe_id = watch.service("web")["probes"][0]["evidence"].get<std::string>();
  EXPECT_EQ(httpGet(watch.port(), "/api/v1/evidence/" + probe_id + "/screenshot", 5s).status, 404);
  // The probe record the screenshot was taken for is cited by it.
  EXPECT_TRUE(ev["data"]["probe_evidence"].is_string());
}

// An endpoint may ask for screenshots too, and phase 9's verdict cites the picture. A SIGHUP with
// a changed `endpoints:` list takes effect without a restart: a new endpoint is probed, a removed
// one disappears, an unchanged one keeps its screenshot.
TEST_F(EvidenceReportTest, EndpointScreenshotsAreCitedAndTheEndpointListFollowsAReload) {
  if (access("/usr/bin/chromium", X_OK) != 0) {
    GTEST_FAIL() << "chromium missing: apt-get install chromium (scripts/install-deps.sh)";
  }
  auto c = TestContainer::start("report-endpoint");
  ASSERT_TRUE(c.started()) << c.startError();
  ASSERT_TRUE(serving(c));
  const std::string base = "http://127.0.0.1:" + std::to_string(c.port());
  auto endpoints = [&](bool with_site, bool with_api) {
    std::string y = "evidence:\n  screenshot_timeout: 60s\nendpoints:\n";
    if (with_site) {
      y += "  - name: site\n    url: " + base + "/\n    interval: 250ms\n    screenshot: true\n";
    }
    if (with_api) y += "  - name: api\n    url: " + base + "/health\n    interval: 250ms\n";
    return y;
  };
  const auto cfg = config(c, "", endpoints(true, false));
  WatchProcess watch(dir_, cfg);
  auto endpointsNow = [&] {
    auto r = httpGet(watch.port(), "/api/v1/status", 5s);
    auto j = nlohmann::json::parse(r.body, nullptr, false);
    return j.is_object() && j["endpoints"].is_array() ? j["endpoints"] : nlohmann::json::array();
  };
  auto named = [&](const std::string& name) -> nlohmann::json {
    for (const auto& e : endpointsNow()) {
      if (e.value("name", "") == name) return e;
    }
    return nullptr;
  };
  std::string shot_id;
  ASSERT_TRUE(waitFor(
      [&] {
        auto e = named("site");
        if (!e.is_object() || !e["screenshot"].is_string()) return false;
        shot_id = e["screenshot"].get<std::string>();
        return true;
      },
      90s, 250ms))
      << endpointsNow().dump(2) << watch.log();
  auto rec = nlohmann::json::parse(httpGet(watch.port(), "/api/v1/evidence/" + shot_id, 5s).body);
  EXPECT_EQ(rec["kind"], "screenshot");
  EXPECT_EQ(rec["service"], "endpoint:site");
  EXPECT_TRUE(rec["data"]["ok"].get<bool>()) << rec.dump(2);
  EXPECT_EQ(rec["data"]["url"], base + "/");
  auto png = httpGet(watch.port(), "/api/v1/evidence/" + shot_id + "/screenshot", 10s);
  ASSERT_EQ(png.status, 200) << png.body;
  EXPECT_EQ(png.body.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
  // The endpoint's status and phase 9's verdict cite the picture next to the probe record.
  const auto cited = named("site")["evidence"];
  EXPECT_NE(std::find(cited.begin(), cited.end(), shot_id), cited.end()) << cited.dump();
  auto gate = runMedic(
      {"gate", "9", "--json", "--url", watch.url(), "--state-dir", dir_.path() + "/state"}, 30s);
  EXPECT_EQ(gate.exit_code, 0) << gate.out << gate.err;
  EXPECT_NE(gate.out.find(shot_id), std::string::npos) << gate.out;

  // Reload: api added. site unchanged keeps its screenshot; api is probed and answers.
  (void)config(c, "", endpoints(true, true));  // rewrites medic.yaml
  watch.signal(SIGHUP);
  ASSERT_TRUE(waitFor(
      [&] {
        auto e = named("api");
        return e.is_object() && e.value("state", "") == "healthy";
      },
      20s, 200ms))
      << endpointsNow().dump(2) << watch.log();
  EXPECT_TRUE(named("site")["screenshot"].is_string()) << endpointsNow().dump(2);
  // Reload: site removed. It leaves the status; api goes on.
  (void)config(c, "", endpoints(false, true));
  watch.signal(SIGHUP);
  ASSERT_TRUE(waitFor([&] { return endpointsNow().size() == 1u; }, 20s, 200ms))
      << endpointsNow().dump(2) << watch.log();
  EXPECT_EQ(endpointsNow()[0]["name"], "api");
  EXPECT_TRUE(watch.waitState("web", "healthy", 5s)) << watch.log();
}

TEST_F(EvidenceReportTest, MissingChromiumIsNotedAndNothingElseChanges) {
  auto c = TestContainer::start("report-nochrome");
  ASSERT_TRUE(c.started()) << c.startError();
  ASSERT_TRUE(serving(c));
  WatchProcess watch(dir_, config(c, "        screenshot: true\n",
                                  "evidence:\n  chromium: /nonexistent/chromium\n"));
  ASSERT_TRUE(watch.waitState("web", "healthy")) << watch.log();
  std::string shot_id;
  ASSERT_TRUE(waitFor(
      [&] {
        auto s = watch.service("web");
        if (!s.is_object() || s["probes"].empty() || !s["probes"][0]["screenshot"].is_string()) {
          return false;
        }
        shot_id = s["probes"][0]["screenshot"].get<std::string>();
        return true;
      },
      20s, 200ms))
      << watch.log();
  auto rec = nlohmann::json::parse(httpGet(watch.port(), "/api/v1/evidence/" + shot_id, 5s).body);
  EXPECT_FALSE(rec["data"]["ok"].get<bool>());
  EXPECT_EQ(rec["data"]["chromium_available"], false);
  EXPECT_NE(rec["data"].value("error", "").find("Chromium is not installed"), std::string::npos)
      << rec.dump(2);
  auto png = httpGet(watch.port(), "/api/v1/evidence/" + shot_id + "/screenshot", 5s);
  EXPECT_EQ(png.status, 404);
  EXPECT_NE(png.body.find("Chromium is not installed"), std::string::npos) << png.body;
  EXPECT_NE(watch.log().find("Chromium is not installed"), std::string::npos);
  EXPECT_TRUE(watch.waitState("web", "healthy", 5s));
}

// Retention on a running daemon: evidence older than max_age goes within a prune interval, but what
// an escalation's firing, unacknowledged alert cites stays until the alert is acknowledged.
TEST_F(EvidenceReportTest, RetentionDropsOldEvidenceButKeepsWhatAnUnackedAlertCites) {
  auto c = TestContainer::start("report-retain");
  ASSERT_TRUE(c.started()) << c.startError();
  ASSERT_TRUE(serving(c));
  // The probe asks a port where nothing listens: every restart fails, medic escalates.
  const int dead = freePort();
  const std::string cfg = dir_.write(
      "medic.yaml",
      "select:\n  labels: false\nresync_interval: 2s\n"
      "defaults:\n  probe:\n    interval: 250ms\n    timeout: 500ms\n    failure_threshold: 2\n"
      "  recovery:\n    max_attempts: 1\n    backoff_initial: 200ms\n    backoff_max: 500ms\n"
      "    settle_timeout: 1s\n    stop_timeout: 1s\n    rollback: false\n"
      "evidence:\n  max_age: 3s\n  prune_interval: 500ms\n"
      "services:\n  web:\n    match:\n      container: " +
          c.name() +
          "\n    probes:\n"
          "      - http: http://127.0.0.1:" +
          std::to_string(dead) + "/health\n");
  WatchProcess watch(dir_, cfg);
  ASSERT_TRUE(watch.waitState("web", "escalated", 60s)) << watch.log();
  const std::string db = dir_.path() + "/state/medic.db";
  auto sql = [&](const std::string& query) {
    auto r = runProcess({"sqlite3", "-readonly", db, query}, 10s);
    EXPECT_EQ(r.exit_code, 0) << r.describe();
    return r.out;
  };
  auto cited = nlohmann::json::parse(
      sql("SELECT evidence_ids_json FROM incidents WHERE outcome = 'escalated' LIMIT 1"), nullptr,
      false);
  ASSERT_TRUE(cited.is_array() && !cited.empty()) << sql("SELECT * FROM incidents") << watch.log();
  const std::string kept = cited[0].get<std::string>();
  // Some evidence from the same time that no incident cites, to watch it go.
  const std::string other =
      sql("SELECT id FROM evidence WHERE id NOT IN (SELECT value FROM incidents, "
          "json_each(incidents.evidence_ids_json)) ORDER BY time_ms LIMIT 1");
  ASSERT_FALSE(other.empty());
  const std::string other_id = other.substr(0, other.find('\n'));

  auto status = [&](const std::string& id) {
    return httpGet(watch.port(), "/api/v1/evidence/" + id, 5s).status;
  };
  EXPECT_TRUE(waitFor([&] { return status(other_id) == 404; }, 15s, 250ms)) << watch.log();
  std::this_thread::sleep_for(4s);  // well past max_age and several prune passes
  EXPECT_EQ(status(kept), 200) << "evidence an unacknowledged alert cites was deleted";
  // Old rows are gone: only the last few seconds of probe records (and the cited ones) remain.
  const auto oldest =
      std::stoll(sql("SELECT min(time_ms) FROM evidence WHERE id <> '" + kept + "'"));
  const auto newest = std::stoll(sql("SELECT max(time_ms) FROM evidence"));
  EXPECT_LT(newest - oldest, 6000) << "evidence older than max_age + a prune interval is kept";
  EXPECT_NE(watch.log().find("evidence retention: deleted"), std::string::npos);

  // Acknowledge the escalation's alert: its evidence is ordinary again and ages out.
  auto alerts = nlohmann::json::parse(httpGet(watch.port(), "/api/v1/alerts", 5s).body);
  const std::string token = [&] {
    std::ifstream in(dir_.path() + "/state/token");
    std::string t;
    std::getline(in, t);
    return t;
  }();
  for (const auto& a : alerts) {
    auto r = httpRequest(
        "POST", watch.port(), "/api/v1/alerts/" + std::to_string(a["id"].get<int64_t>()) + "/ack",
        5s, "{}", {{"Authorization", "Bearer " + token}, {"Content-Type", "application/json"}});
    EXPECT_EQ(r.status, 200) << r.body;
  }
  EXPECT_TRUE(waitFor([&] { return status(kept) == 404; }, 15s, 250ms)) << watch.log();
}

}  // namespace
}  // namespace medic::test
