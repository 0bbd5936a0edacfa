// The model of `medic top`: alerts ordered by severity then time, the filter, the formatting of
// ages and memory, the rows built from a status document, and how messages change the model
// (recent actions, refetch requests, no duplicates after a resume).
#include "tui/model.h"

#include <gtest/gtest.h>

namespace medic::tui {
namespace {

using nlohmann::json;

WallTime at(const std::string& rfc3339) {
  auto t = parseTime(rfc3339);
  EXPECT_TRUE(t) << rfc3339;
  return t.value_or(WallTime{});
}

json service(const std::string& name, const std::string& state) {
  return {{"name", name},
          {"state", state},
          {"critical", false},
          {"container_id", "c-" + name},
          {"docker_state", state == "missing" ? "absent" : "running"},
          {"attempts_in_window", 0},
          {"last_incident", nullptr}};
}

json status(json services, double score = 100) {
  return {{"version", "0.1.0"},
          {"time", "2026-11-25T20:00:00.000Z"},
          {"uptime_seconds", 3725.0},
          {"engine", {{"address", "unix:///var/run/docker.sock"}, {"reachable", true}}},
          {"observe_only", false},
          {"store_error", ""},
          {"panic", false},
          {"health_score", score},
          {"health_score_note", ""},
          {"services", std::move(services)}};
}

json alert(int64_t id, const std::string& severity, const std::string& created,
           const std::string& service = "web", bool acked = false) {
  return {{"id", id},
          {"severity", severity},
          {"state", "firing"},
          {"service", service},
          {"title", service + " alert " + std::to_string(id)},
          {"created", created},
          {"acked", acked}};
}

json message(int64_t id, const std::string& channel, const std::string& type, json data,
             const std::string& severity = "info") {
  return {{"id", id},
          {"channel", channel},
          {"type", type},
          {"service", "web"},
          {"host", "h"},
          {"ts", "2026-11-25T20:00:0" + std::to_string(id % 10) + ".000Z"},
          {"severity", severity},
          {"data", std::move(data)},
          {"evidence", json::array()}};
}

TEST(ParseTime, ReadsTheApiFormatAndOffsets) {
  auto t = parseTime("2026-11-25T20:52:58.123Z");
  ASSERT_TRUE(t);
  EXPECT_EQ(toUnixMillis(*t), 1795639978123);
  EXPECT_EQ(toUnixMillis(*parseTime("2026-11-25T21:52:58.123+01:00")), 1795639978123);
  EXPECT_EQ(toUnixMillis(*parseTime("2026-11-25T20:52:58Z")), 1795639978000);
  EXPECT_EQ(toUnixMillis(*parseTime("2026-11-25T20:52:58.123456789Z")), 1795639978123);
  EXPECT_FALSE(parseTime(""));
  EXPECT_FALSE(parseTime("yesterday"));
  EXPECT_FALSE(parseTime("2026-13-25T20:52:58Z"));
  EXPECT_FALSE(parseTime("2026-11-25T20:52:58"));  // no zone
}

TEST(Format, AgesFitANarrowColumn) {
  EXPECT_EQ(formatAge(0), "0s");
  EXPECT_EQ(formatAge(42.9), "42s");
  EXPECT_EQ(formatAge(60), "1m00s");
  EXPECT_EQ(formatAge(185), "3m05s");
  EXPECT_EQ(formatAge(2 * 3600 + 7 * 60 + 59), "2h07m");
  EXPECT_EQ(formatAge(3 * 86400 + 4 * 3600 + 5), "3d04h");
  EXPECT_EQ(formatAge(-1), "-");
}

TEST(Format, MemoryInBinaryUnits) {
  EXPECT_EQ(formatBytes(0), "0B");
  EXPECT_EQ(formatBytes(1023), "1023B");
  EXPECT_EQ(formatBytes(1536), "1.5K");
  EXPECT_EQ(formatBytes(12 * 1024 * 1024 + 100), "12.0M");
  EXPECT_EQ(formatBytes(uint64_t{2} * 1024 * 1024 * 1024), "2.00G");
}

TEST(Alerts, CriticalFirstThenNewestFirst) {
  Model m;
  m.setAlerts(json::array({
      alert(1, "warning", "2026-11-25T20:00:01.000Z"),
      alert(2, "critical", "2026-11-25T20:00:02.000Z"),
      alert(3, "info", "2026-11-25T20:00:09.000Z"),
      alert(4, "critical", "2026-11-25T20:00:05.000Z"),
      alert(5, "warning", "2026-11-25T20:00:07.000Z"),
  }));
  auto v = m.view(at("2026-11-25T20:01:00.000Z"));
  std::vector<int64_t> ids;
  for (const auto& a : v.alerts) ids.push_back(a.id);
  EXPECT_EQ(ids, (std::vector<int64_t>{4, 2, 5, 1, 3}));
  EXPECT_EQ(v.alerts[0].age, "55s");
}

TEST(Alerts, ResolvedOnesAreNotShown) {
  Model m;
  auto resolved = alert(9, "critical", "2026-11-25T20:00:01.000Z");
  resolved["state"] = "resolved";
  m.setAlerts(json::array({resolved, alert(1, "info", "2026-11-25T20:00:01.000Z")}));
  auto v = m.view(at("2026-11-25T20:00:02.000Z"));
  ASSERT_EQ(v.alerts.size(), 1u);
  EXPECT_EQ(v.alerts[0].id, 1);
}

TEST(Filter, MatchesNameOrStateCaseInsensitively) {
  Model m;
  m.setStatus(status(json::array(
      {service("web", "healthy"), service("db", "failed"), service("worker", "healthy")})));
  m.setFilter("WE");
  auto v = m.view(at("2026-11-25T20:00:00.000Z"));
  ASSERT_EQ(v.services.size(), 1u);
  EXPECT_EQ(v.services[0].name, "web");
  m.setFilter("fail");
  v = m.view(at("2026-11-25T20:00:00.000Z"));
  ASSERT_EQ(v.services.size(), 1u);
  EXPECT_EQ(v.services[0].name, "db");
  EXPECT_EQ(m.selectedService(), "db");  // the selection follows the filter
  // Counts in the header are for every service, whatever the filter.
  int total = 0;
  for (const auto& [state, n] : v.header.counts) total += n;
  EXPECT_EQ(total, 3);
  m.setFilter("nothing-matches");
  EXPECT_TRUE(m.view(WallTime{}).services.empty());
  EXPECT_EQ(m.selectedService(), "");
}

TEST(Rows, ShowUptimeRestartsResourcesLatencyAndEvidenceAge) {
  auto web = service("web", "healthy");
  web["critical"] = true;
  web["started_at"] = "2026-11-25T19:00:00.000Z";
  web["restart_count"] = 1;
  web["recovery_actions"] = 2;
  web["resources"] = {
      {"cpu_percent", 1.25}, {"memory_bytes", 5 * 1024 * 1024}, {"memory_limit_bytes", 0}};
  web["probes"] = json::array({{{"name", "http"},
                                {"ok", true},
                                {"latency_ms", 3.2},
                                {"checked_at", "2026-11-25T19:59:58.000Z"}},
                               {{"name", "tcp"},
                                {"ok", true},
                                {"latency_ms", 12},
                                {"checked_at", "2026-11-25T19:59:41.000Z"}}});
  auto db = service("db", "missing");
  Model m;
  m.setStatus(status(json::array({web, db}), 75));
  auto v = m.view(at("2026-11-25T20:00:00.000Z"));
  ASSERT_EQ(v.services.size(), 2u);
  const auto& r = v.services[0];
  EXPECT_TRUE(r.critical);
  EXPECT_EQ(r.uptime, "1h00m");
  EXPECT_EQ(r.restarts, 3);
  EXPECT_EQ(r.cpu, "1.2%");
  EXPECT_EQ(r.memory, "5.0M");
  EXPECT_EQ(r.latency, "12ms");     // the slowest probe
  EXPECT_EQ(r.evidence_age, "2s");  // the newest probe result
  EXPECT_EQ(r.health, Health::kGood);
  const auto& missing = v.services[1];
  EXPECT_EQ(missing.uptime, "-");
  EXPECT_EQ(missing.cpu, "-");
  EXPECT_EQ(missing.latency, "-");
  EXPECT_EQ(missing.evidence_age, "-");
  EXPECT_EQ(missing.health, Health::kBad);
  EXPECT_EQ(v.header.score, "75");
  EXPECT_EQ(v.header.score_health, Health::kDegraded);
  EXPECT_EQ(v.header.medic_uptime, "1h02m");
  EXPECT_EQ(v.header.engine, "reachable");
  EXPECT_EQ(v.header.counts,
            (std::vector<std::pair<std::string, int>>{{"healthy", 1}, {"missing", 1}}));
}

TEST(Rows, AFailingProbeIsTheSelectedServicesDetail) {
  auto web = service("web", "failed");
  web["probes"] = json::array({{{"name", "http"},
                                {"ok", false},
                                {"summary", "500 in 4 ms"},
                                {"latency_ms", nullptr},
                                {"checked_at", nullptr}}});
  Model m;
  m.setStatus(status(json::array({web}), 0));
  auto v = m.view(WallTime{});
  EXPECT_EQ(v.services[0].detail, "http: 500 in 4 ms");
  EXPECT_EQ(v.services[0].latency, "-");  // not measured (null)
  EXPECT_EQ(v.services[0].evidence_age, "-");
  EXPECT_EQ(v.selected_service, 0);
}

TEST(Header, NothingProtectedHasNoScore) {
  Model m;
  auto s = status(json::array());
  s["health_score"] = nullptr;
  s["health_score_note"] = "nothing is protected: there is no score";
  m.setStatus(s);
  auto v = m.view(WallTime{});
  EXPECT_EQ(v.header.score, "n/a");
  EXPECT_EQ(v.header.score_note, "nothing is protected: there is no score");
  EXPECT_EQ(m.exitStatus(), 1);  // like `medic check`: nothing protected is not "all healthy"
}

TEST(ExitStatus, FollowsMedicCheck) {
  Model m;
  EXPECT_EQ(m.exitStatus(), 1);  // no status at all
  m.setStatus(status(json::array({service("web", "healthy")})));
  EXPECT_EQ(m.exitStatus(), 0);
  m.setStatus(status(json::array({service("web", "healthy"), service("db", "recovering")})));
  EXPECT_EQ(m.exitStatus(), 1);
}

TEST(Messages, RecoveryAndDeployStepsBecomeRecentActionsNewestFirst) {
  Model m;
  auto r1 = m.onMessage(message(10, "recovery_coordination", "action_started",
                                {{"action", "restart"}, {"attempt", 1}, {"reason", "exited"}}));
  EXPECT_TRUE(r1.refetch_status);
  EXPECT_TRUE(r1.refetch_alerts);
  (void)m.onMessage(
      message(12, "recovery_coordination", "action_finished",
              {{"action", "restart"},
               {"attempt", 1},
               {"ok", false},
               {"result", {{"ok", false}, {"error", "engine: 500"}, {"duration_ms", 40}}}},
              "warning"));
  (void)m.onMessage(message(11, "deployment_coordination", "confirm", {{"text", "v2 confirmed"}}));
  auto v = m.view(WallTime{});
  ASSERT_EQ(v.actions.size(), 3u);
  EXPECT_EQ(v.actions[0].id, 12);
  EXPECT_EQ(v.actions[0].text, "restart #1 FAILED (40 ms): engine: 500");
  EXPECT_TRUE(v.actions[0].failed);
  EXPECT_EQ(v.actions[1].id, 11);
  EXPECT_EQ(v.actions[1].text, "v2 confirmed");
  EXPECT_EQ(v.actions[2].text, "restart #1: exited");
  EXPECT_EQ(v.actions[2].time, "20:00:00");
}

TEST(Messages, AServiceStateMessageAsksForAFreshStatusAndAlertsButIsNoAction) {
  Model m;
  auto r = m.onMessage(message(3, "service_state", "removed", {{"text", "container removed"}}));
  EXPECT_TRUE(r.refetch_status);
  EXPECT_TRUE(r.refetch_alerts);
  EXPECT_TRUE(m.view(WallTime{}).actions.empty());
}

TEST(Messages, AReplayedMessageIsIgnored) {
  Model m;
  auto first = message(5, "recovery_coordination", "action_started", {{"action", "start"}});
  EXPECT_TRUE(m.onMessage(first).refetch_status);
  auto again = m.onMessage(first);  // resumed with Last-Event-ID, or the recent list overlapping
  EXPECT_FALSE(again.refetch_status);
  EXPECT_EQ(m.view(WallTime{}).actions.size(), 1u);
}

TEST(Messages, RecentActionsAreBounded) {
  Model m;
  for (int i = 1; i <= 120; ++i) {
    (void)m.onMessage(message(i, "recovery_coordination", "action_started", {{"action", "start"}}));
  }
  auto v = m.view(WallTime{});
  ASSERT_EQ(v.actions.size(), Model::kMaxActions);
  EXPECT_EQ(v.actions.front().id, 120);
}

TEST(Connection, DisconnectKeepsTheLastDataAndSaysWhy) {
  Model m;
  m.setStatus(status(json::array({service("web", "healthy")})));
  m.setDisconnected("cannot reach the medic daemon: Connection refused");
  auto v = m.view(WallTime{});
  EXPECT_FALSE(v.connected);
  EXPECT_EQ(v.connection_text, "cannot reach the medic daemon: Connection refused");
  EXPECT_EQ(v.services.size(), 1u);
  m.setStatus(status(json::array({service("web", "healthy")})));
  EXPECT_TRUE(m.view(WallTime{}).connected);
}

TEST(Selection, MovesWithinTheServicesAndTheAlerts) {
  Model m;
  m.setStatus(status(
      json::array({service("a", "healthy"), service("b", "failed"), service("c", "healthy")})));
  m.setAlerts(json::array({alert(1, "warning", "2026-11-25T20:00:01.000Z", "b"),
                           alert(2, "critical", "2026-11-25T20:00:02.000Z", "c")}));
  EXPECT_EQ(m.selectedService(), "a");
  EXPECT_FALSE(m.alertToAck());  // "a" has no alert
  m.moveSelection(1);
  EXPECT_EQ(m.selectedService(), "b");
  EXPECT_EQ(m.alertToAck(), 1);  // b's first open alert
  m.moveSelection(5);
  EXPECT_EQ(m.selectedService(), "c");
  m.moveSelection(-10);
  EXPECT_EQ(m.selectedService(), "a");
  m.toggleFocus();
  EXPECT_EQ(m.focus(), Focus::kAlerts);
  EXPECT_EQ(m.alertToAck(), 2);  // the critical one is listed first
  m.moveSelection(1);
  EXPECT_EQ(m.alertToAck(), 1);
  EXPECT_EQ(m.view(WallTime{}).selected_alert, 1);
  m.toggleFocus();
  EXPECT_EQ(m.focus(), Focus::kServices);
}

}  // namespace
}  // namespace medic::tui
