// The weekly review computed from fixed store rows: every figure is checked by hand.
#include "report/report.h"

#include <gtest/gtest.h>

namespace medic::report {
namespace {

constexpr int64_t kMin = 60'000;
constexpr int64_t kT0 = 1'800'000'000'000;  // window start

store::IncidentRecord closed(int64_t id, std::string service, std::string cause, int64_t detected,
                             std::string outcome, int attempts, std::optional<double> detection,
                             std::optional<double> recovery) {
  store::IncidentRecord r;
  r.id = id;
  r.service = std::move(service);
  r.cause = std::move(cause);
  r.state = store::IncidentState::kClosed;
  r.failed_at_ms = detected;
  r.detected_at_ms = detected;
  r.attempts = attempts;
  r.outcome = std::move(outcome);
  r.detection_seconds = detection;
  r.recovery_seconds = recovery;
  if (recovery && (r.outcome == "recovered" || r.outcome == "replaced")) {
    r.recovered_at_ms = detected + static_cast<int64_t>(*recovery * 1000);
  }
  return r;
}

store::AlertRecord alert(std::string key, std::string severity, std::string service, int64_t at) {
  store::AlertRecord a;
  a.dedup_key = std::move(key);
  a.severity = std::move(severity);
  a.service = std::move(service);
  a.created_at_ms = at;
  a.updated_at_ms = at;
  return a;
}

TEST(Distribution, MedianAndNearestRankP95) {
  auto d = distributionOf({5, 1, 3, 2, 4});
  EXPECT_EQ(d.count, 5);
  EXPECT_DOUBLE_EQ(*d.median, 3);
  EXPECT_DOUBLE_EQ(*d.p95, 5);  // ceil(0.95*5) = 5th value
  EXPECT_DOUBLE_EQ(*d.max, 5);

  auto even = distributionOf({4, 1, 2, 3});
  EXPECT_DOUBLE_EQ(*even.median, 2.5);

  std::vector<double> hundred;
  for (int i = 1; i <= 100; ++i) hundred.push_back(i);
  auto h = distributionOf(hundred);
  EXPECT_DOUBLE_EQ(*h.median, 50.5);
  EXPECT_DOUBLE_EQ(*h.p95, 95);

  auto none = distributionOf({});
  EXPECT_EQ(none.count, 0);
  EXPECT_FALSE(none.median.has_value());
  EXPECT_FALSE(none.p95.has_value());
}

TEST(BuildReport, CountsTimesServicesFlapsFalseAlarmsEscalationsAndAlerts) {
  ReportWindow w{kT0, kT0 + 7 * 24 * 60 * kMin, Millis(5 * kMin)};
  std::vector<store::IncidentRecord> rows = {
      // Before the window: not counted, but its recovery makes the next web incident a flap.
      closed(1, "web", "exited", kT0 - 3 * kMin, "recovered", 1, 0.1, 2.0),
      closed(2, "web", "exited", kT0 + 1 * kMin, "recovered", 1, 0.2, 1.0),  // flap (4 min after)
      closed(3, "web", "exited", kT0 + 60 * kMin, "recovered", 2, 0.4, 3.0),
      closed(4, "db", "unhealthy", kT0 + 10 * kMin, "recovered", 0, 0.0, 4.0),  // false alarm
      closed(5, "api", "removed", kT0 + 20 * kMin, "escalated", 3, 0.3, std::nullopt),
      closed(6, "api", "removed", kT0 + 30 * kMin, "replaced", 0, 0.5, 5.0),
  };
  store::IncidentRecord open;
  open.id = 7;
  open.service = "db";
  open.cause = "hung";
  open.state = store::IncidentState::kOpen;
  open.detected_at_ms = kT0 + 90 * kMin;
  rows.push_back(open);
  // After the window's end: ignored.
  rows.push_back(closed(8, "web", "exited", w.until_ms + kMin, "recovered", 1, 9.0, 9.0));

  std::vector<store::AlertRecord> alerts = {
      alert("failed:web", "warning", "web", kT0 + kMin),
      alert("escalated:api", "critical", "api", kT0 + 20 * kMin),
      alert("failed:api", "warning", "api", kT0 + 20 * kMin),
      alert("flapping:cache", "warning", "cache", kT0 + 5 * kMin),
      alert("failed:web", "critical", "web", kT0 - kMin),  // before the window
  };

  Report r = buildReport(rows, alerts, w);
  EXPECT_EQ(r.incidents, 6);
  EXPECT_EQ(r.open, 1);
  EXPECT_EQ(r.recovered, 4);  // 2, 3, 4 recovered + 6 replaced
  EXPECT_EQ(r.false_alarm_count, 1);
  ASSERT_EQ(r.false_alarms.size(), 1u);
  EXPECT_EQ(r.false_alarms[0].id, 4);
  EXPECT_EQ(r.escalation_count, 1);
  ASSERT_EQ(r.escalations.size(), 1u);
  EXPECT_EQ(r.escalations[0].service, "api");

  // Detection over the 5 closed incidents in the window: 0.0 0.2 0.3 0.4 0.5.
  EXPECT_EQ(r.detection_seconds.count, 5);
  EXPECT_DOUBLE_EQ(*r.detection_seconds.median, 0.3);
  EXPECT_DOUBLE_EQ(*r.detection_seconds.p95, 0.5);
  // Recovery over recovered/replaced only: 1 3 4 5.
  EXPECT_EQ(r.recovery_seconds.count, 4);
  EXPECT_DOUBLE_EQ(*r.recovery_seconds.median, 3.5);
  EXPECT_DOUBLE_EQ(*r.recovery_seconds.p95, 5.0);

  ASSERT_EQ(r.services.size(), 3u);
  EXPECT_EQ(r.services[0].service, "api");  // 2 incidents each: ties go by name
  EXPECT_EQ(r.services[0].incidents, 2);
  EXPECT_EQ(r.services[1].service, "db");
  EXPECT_EQ(r.services[1].incidents, 2);
  EXPECT_EQ(r.services[1].open, 1);
  EXPECT_EQ(r.services[2].service, "web");
  EXPECT_EQ(r.services[2].incidents, 2);
  EXPECT_EQ(r.services[2].flaps, 1);

  ASSERT_EQ(r.flapping.size(), 2u);
  EXPECT_EQ(r.flapping[0].service, "web");
  EXPECT_EQ(r.flapping[0].flaps, 1);
  EXPECT_EQ(r.flapping[1].service, "cache");  // only its flapping alert says so

  EXPECT_EQ(r.alerts, 4);
  EXPECT_EQ(r.alerts_by_severity.at("warning"), 3);
  EXPECT_EQ(r.alerts_by_severity.at("critical"), 1);
  EXPECT_EQ(r.alerts_by_severity.at("info"), 0);
  EXPECT_EQ(r.by_cause.at("removed"), 2);
  EXPECT_EQ(r.by_outcome.at("open"), 1);

  auto j = r.toJson();
  EXPECT_EQ(j["incidents"]["total"], 6);
  EXPECT_EQ(j["incidents"]["false_alarms"], 1);
  EXPECT_EQ(j["recovery_seconds"]["median"], 3.5);
  EXPECT_EQ(j["services"][0]["service"], "api");
  EXPECT_EQ(j["alerts"]["by_severity"]["critical"], 1);
  auto text = r.toText();
  EXPECT_NE(text.find("incidents        6 (4 recovered, 1 open, 1 false alarms, 1 escalations)"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("median 3.500 s  p95 5.000 s"), std::string::npos) << text;
}

TEST(BuildReport, SlowRecurrenceIsNotAFlap) {
  ReportWindow w{kT0, kT0 + 24 * 60 * kMin, Millis(5 * kMin)};
  std::vector<store::IncidentRecord> rows = {
      closed(1, "web", "exited", kT0 + kMin, "recovered", 1, 0.1, 1.0),
      closed(2, "web", "exited", kT0 + 7 * kMin, "recovered", 1, 0.1, 1.0),  // 6 min later
  };
  Report r = buildReport(rows, {}, w);
  EXPECT_TRUE(r.flapping.empty());
  EXPECT_EQ(r.services.at(0).flaps, 0);
}

TEST(BuildReport, EmptyStoreSaysSo) {
  Report r = buildReport({}, {}, ReportWindow{kT0, kT0 + kMin, Millis(kMin)});
  EXPECT_EQ(r.incidents, 0);
  EXPECT_FALSE(r.recovery_seconds.median.has_value());
  EXPECT_TRUE(r.toJson()["recovery_seconds"]["median"].is_null());
  EXPECT_NE(r.toText().find("(no incidents)"), std::string::npos);
}

}  // namespace
}  // namespace medic::report
