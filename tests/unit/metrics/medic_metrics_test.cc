#include "metrics/medic_metrics.h"
#include "metrics/process_metrics.h"

#include <gmock/gmock.h>
#include <unistd.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

namespace medic::metrics {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

Snapshot twoServices() {
  Snapshot snap;
  snap.health_score = 62.5;
  snap.last_resync_unix_seconds = 1'800'000'000.5;
  snap.engine_reachable = true;
  snap.alerts_firing = {{"critical", 1}};
  ServiceSample webui{"webui", "recovering", false, 12.5, 52428800.0, 3.25};
  ServiceSample db{"db", "healthy", true, std::nullopt, std::nullopt, std::nullopt};
  snap.services = {webui, db};
  return snap;
}

TEST(MedicMetrics, BuildInfoIsAlwaysThere) {
  MedicMetrics metrics({.version = "1.2.3"});
  EXPECT_THAT(metrics.render(), HasSubstr("medic_build_info{version=\"1.2.3\"} 1\n"));
}

TEST(MedicMetrics, WithoutASourceNoStateIsClaimed) {
  MedicMetrics metrics;
  const std::string text = metrics.render();
  EXPECT_THAT(text, Not(HasSubstr("medic_health_score")));
  EXPECT_THAT(text, Not(HasSubstr("medic_engine_reachable")));
  EXPECT_THAT(text, HasSubstr("medic_event_stream_reconnects_total 0\n"));
}

TEST(MedicMetrics, StateComesFromTheSnapshotAtScrapeTime) {
  MedicMetrics metrics;
  Snapshot snap = twoServices();
  metrics.setSnapshotSource([&] { return snap; });
  std::string text = metrics.render();
  EXPECT_THAT(text, HasSubstr("# TYPE medic_health_score gauge\nmedic_health_score 62.5\n"));
  EXPECT_THAT(text, HasSubstr("medic_engine_reachable 1\n"));
  EXPECT_THAT(text, HasSubstr("medic_panic_mode 0\n"));
  EXPECT_THAT(text, HasSubstr("medic_observe_only 0\n"));
  EXPECT_THAT(text, HasSubstr("medic_service_up{service=\"db\"} 1\n"
                              "medic_service_up{service=\"webui\"} 0\n"));
  EXPECT_THAT(text, HasSubstr("medic_service_state{service=\"webui\",state=\"recovering\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("medic_service_state{service=\"webui\",state=\"healthy\"} 0\n"));
  EXPECT_THAT(text, HasSubstr("medic_service_state{service=\"db\",state=\"healthy\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("medic_container_cpu_percent{service=\"webui\"} 12.5\n"));
  EXPECT_THAT(text, HasSubstr("medic_container_memory_bytes{service=\"webui\"} 52428800\n"));
  // No stats sample for db yet: no value rather than a made-up 0.
  EXPECT_THAT(text, Not(HasSubstr("medic_container_cpu_percent{service=\"db\"}")));
  EXPECT_THAT(text, HasSubstr("medic_alerts_firing{severity=\"critical\"} 1\n"
                              "medic_alerts_firing{severity=\"info\"} 0\n"
                              "medic_alerts_firing{severity=\"warning\"} 0\n"));

  // Exactly one state is 1 per service.
  int ones = 0;
  for (std::size_t at = 0; (at = text.find("state=\"", at)) != std::string::npos; ++at) {
    const auto line_end = text.find('\n', at);
    if (text.compare(line_end - 2, 2, " 1") == 0) ++ones;
  }
  EXPECT_EQ(ones, 2);

  // Nothing protected any more: no score (not 0), no per-service series.
  snap = Snapshot{};
  snap.engine_reachable = false;
  text = metrics.render();
  EXPECT_THAT(text, Not(HasSubstr("medic_health_score")));
  EXPECT_THAT(text, Not(HasSubstr("webui")));
  EXPECT_THAT(text, HasSubstr("medic_engine_reachable 0\n"));
}

TEST(MedicMetrics, UnknownStateStillGetsItsOne) {
  MedicMetrics metrics({.version = "x", .service_states = {"healthy"}});
  metrics.setSnapshotSource([] {
    Snapshot snap;
    snap.services = {{"a", "brand_new_state", false, std::nullopt, std::nullopt, std::nullopt}};
    return snap;
  });
  const std::string text = metrics.render();
  EXPECT_THAT(text, HasSubstr("medic_service_state{service=\"a\",state=\"brand_new_state\"} 1\n"
                              "medic_service_state{service=\"a\",state=\"healthy\"} 0\n"));
}

TEST(MedicMetrics, RecoveriesCountByActionAndResultAndTimeOnlySuccesses) {
  MedicMetrics metrics;
  metrics.recordRecovery("webui", "restart", true, 0.75);
  metrics.recordRecovery("webui", "restart", false, 30);
  metrics.recordRecovery("webui", "recreate", true, 1.5);
  const std::string text = metrics.render();
  EXPECT_THAT(
      text,
      HasSubstr(
          "medic_recoveries_total{service=\"webui\",action=\"recreate\",result=\"success\"} 1\n"
          "medic_recoveries_total{service=\"webui\",action=\"restart\",result=\"failure\"} 1\n"
          "medic_recoveries_total{service=\"webui\",action=\"restart\",result=\"success\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("medic_recovery_seconds_bucket{le=\"1\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("medic_recovery_seconds_bucket{le=\"2.5\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("medic_recovery_seconds_sum 2.25\nmedic_recovery_seconds_count 2\n"));
}

TEST(MedicMetrics, DetectionProbesRestartsSinksAndReconnects) {
  MedicMetrics metrics;
  metrics.recordDetection(0.125);
  metrics.recordProbe("webui", "health", "http", 0.004, true);
  metrics.recordProbe("webui", "health", "http", 2, false);
  metrics.recordProbe("db", "port", "tcp", 0.001, true);
  metrics.recordRestart("webui");
  metrics.recordRestart("webui");
  metrics.recordAlertSinkFailure("webhook");
  metrics.recordAlertSinkDropped("webhook", 3);
  metrics.recordEventStreamReconnect();
  const std::string text = metrics.render();
  EXPECT_THAT(text, HasSubstr("medic_detection_seconds_bucket{le=\"0.1\"} 0\n"
                              "medic_detection_seconds_bucket{le=\"0.25\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("medic_probe_duration_seconds_count{kind=\"http\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("medic_probe_duration_seconds_count{kind=\"tcp\"} 1\n"));
  EXPECT_THAT(text,
              HasSubstr("medic_probe_failures_total{service=\"db\",probe=\"port\"} 0\n"
                        "medic_probe_failures_total{service=\"webui\",probe=\"health\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("medic_restarts_total{service=\"webui\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("medic_alert_sink_failures_total{sink=\"webhook\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("medic_alert_sink_dropped_total{sink=\"webhook\"} 3\n"));
  EXPECT_THAT(text, HasSubstr("medic_event_stream_reconnects_total 1\n"));
}

TEST(MedicMetrics, EveryDocumentedFamilyHasOneHelpAndOneType) {
  MedicMetrics metrics;
  Snapshot snap = twoServices();
  metrics.setSnapshotSource([&] { return snap; });
  metrics.recordRecovery("webui", "restart", true, 1);
  metrics.recordRestart("webui");
  metrics.recordDetection(0.1);
  metrics.recordProbe("webui", "health", "http", 0.01, false);
  metrics.recordAlertSinkFailure("log");
  metrics.recordAlertSinkDropped("log");
  const std::string text = metrics.render();
  for (const char* family :
       {"medic_health_score", "medic_service_up", "medic_service_state", "medic_recoveries_total",
        "medic_restarts_total", "medic_detection_seconds", "medic_recovery_seconds",
        "medic_probe_duration_seconds", "medic_probe_failures_total", "medic_alerts_firing",
        "medic_alert_sink_failures_total", "medic_alert_sink_dropped_total",
        "medic_engine_reachable", "medic_event_stream_reconnects_total",
        "medic_container_cpu_percent", "medic_container_memory_bytes", "medic_build_info",
        "medic_panic_mode", "medic_observe_only"}) {
    const std::string help = std::string("# HELP ") + family + " ";
    const std::string type = std::string("# TYPE ") + family + " ";
    const auto first_help = text.find(help);
    EXPECT_NE(first_help, std::string::npos) << family;
    EXPECT_EQ(text.find(help, first_help + 1), std::string::npos) << family;
    const auto first_type = text.find(type);
    EXPECT_NE(first_type, std::string::npos) << family;
    EXPECT_EQ(text.find(type, first_type + 1), std::string::npos) << family;
  }
}

TEST(MedicMetrics, DocsListExactlyTheFamiliesMedicExports) {
  std::ifstream in(std::string(MEDIC_SOURCE_DIR) + "/docs/metrics.md");
  ASSERT_TRUE(in) << "docs/metrics.md is missing";
  std::stringstream doc;
  doc << in.rdbuf();
  std::set<std::string> documented;
  const std::regex row(R"(\n\| `((?:medic|process)_[a-z_]+)` \| (counter|gauge|histogram) \|)");
  const std::string text = doc.str();
  for (std::sregex_iterator it(text.begin(), text.end(), row), end; it != end; ++it) {
    documented.insert((*it)[1].str() + " " + (*it)[2].str());
  }

  MedicMetrics metrics;
  addProcessMetrics(metrics.registry());  // as the daemon does
  Snapshot snap = twoServices();
  snap.endpoints.push_back({"public-site", true, 0.042});
  metrics.setSnapshotSource([&] { return snap; });
  metrics.recordRecovery("webui", "restart", true, 1);
  metrics.recordRestart("webui");
  metrics.recordProbe("webui", "health", "http", 0.01, false);
  metrics.recordAlertSinkFailure("log");
  metrics.recordAlertSinkDropped("log");
  std::set<std::string> exported;
  const std::string rendered = metrics.render();
  const std::regex type_line(R"(# TYPE (\S+) (\S+)\n)");
  for (std::sregex_iterator it(rendered.begin(), rendered.end(), type_line), end; it != end; ++it) {
    exported.insert((*it)[1].str() + " " + (*it)[2].str());
  }
  EXPECT_EQ(exported.size(), 32u);
  EXPECT_EQ(documented, exported);
}

TEST(MedicMetrics, BaseUnitFamiliesBesideTheSeedOnes) {
  MedicMetrics metrics;
  Snapshot snap = twoServices();
  metrics.setSnapshotSource([&] { return snap; });
  const std::string text = metrics.render();
  EXPECT_THAT(text, HasSubstr("medic_health_score 62.5\n"));
  EXPECT_THAT(text, HasSubstr("# TYPE medic_health_ratio gauge\nmedic_health_ratio 0.625\n"));
  EXPECT_THAT(text, HasSubstr("# TYPE medic_container_cpu_seconds_total counter\n"
                              "medic_container_cpu_seconds_total{service=\"webui\"} 3.25\n"));
  EXPECT_THAT(text, Not(HasSubstr("medic_container_cpu_seconds_total{service=\"db\"}")));
  EXPECT_THAT(text, HasSubstr("medic_last_resync_timestamp_seconds 1800000000.5\n"));
  snap.health_score.reset();
  snap.last_resync_unix_seconds.reset();
  const std::string none = metrics.render();
  EXPECT_THAT(none, Not(HasSubstr("medic_health_ratio ")));
  EXPECT_THAT(none, Not(HasSubstr("medic_last_resync_timestamp_seconds ")));
}

/// A fake /proc: what the kernel writes, with a comm that holds spaces and parentheses.
class FakeProc {
 public:
  FakeProc() {
    dir_ = ::testing::TempDir() + "medic-fake-proc-" + std::to_string(::getpid());
    std::filesystem::create_directories(dir_ + "/self/fd");
    for (int fd : {0, 1, 2, 7}) std::ofstream(dir_ + "/self/fd/" + std::to_string(fd));
    // utime 250, stime 50 ticks; starttime 1000 ticks; vsize 104857600; rss 2560 pages.
    std::ofstream(dir_ + "/self/stat")
        << "4242 (medic (x) y) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 3 0 1000 "
           "104857600 2560 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0\n";
    std::ofstream(dir_ + "/stat") << "cpu  1 2 3 4\nbtime 1800000000\nprocesses 9\n";
    std::ofstream(dir_ + "/self/limits")
        << "Limit                     Soft Limit           Hard Limit           Units     \n"
           "Max open files            65536                524288               files     \n";
  }
  ~FakeProc() {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  std::string self() const { return dir_ + "/self"; }
  const std::string& root() const { return dir_; }

 private:
  std::string dir_;
};

TEST(ProcessMetrics, ReadsWhatPrometheusClientLibrariesExport) {
  FakeProc proc;
  const auto s = readProcessSample(proc.self(), proc.root(), 100, 4096);
  ASSERT_TRUE(s);
  EXPECT_DOUBLE_EQ(s->cpu_seconds, 3.0);
  EXPECT_DOUBLE_EQ(s->start_time_seconds, 1'800'000'010.0);
  EXPECT_DOUBLE_EQ(s->virtual_bytes, 104857600.0);
  EXPECT_DOUBLE_EQ(s->resident_bytes, 2560.0 * 4096);
  EXPECT_DOUBLE_EQ(s->open_fds, 4.0);
  ASSERT_TRUE(s->max_fds);
  EXPECT_DOUBLE_EQ(*s->max_fds, 65536.0);
  EXPECT_FALSE(readProcessSample(proc.root() + "/nowhere", proc.root(), 100, 4096));
}

TEST(ProcessMetrics, TheRegistryServesThisProcessesOwnFigures) {
  Registry registry;
  addProcessMetrics(registry);
  const std::string text = registry.render();
  for (const char* family :
       {"# TYPE process_cpu_seconds_total counter\n", "# TYPE process_resident_memory_bytes gauge\n",
        "# TYPE process_open_fds gauge\n", "# TYPE process_max_fds gauge\n",
        "# TYPE process_start_time_seconds gauge\n", "# TYPE process_virtual_memory_bytes gauge\n"}) {
    EXPECT_THAT(text, HasSubstr(family));
  }
  const auto self = readProcessSample();
  ASSERT_TRUE(self);
  EXPECT_GT(self->resident_bytes, 0);
  EXPECT_GE(self->open_fds, 3);
}

}  // namespace
}  // namespace medic::metrics
