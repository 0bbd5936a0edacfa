// The sinks one by one: what each writes or sends, and the command sink's argv/env/stdin contract.

#include <gtest/gtest.h>

#include <chrono>

#include "alerts/alert_queue.h"
#include "alerts/configure.h"
#include "alerts/sinks/alertmanager_sink.h"
#include "alerts/sinks/command_sink.h"
#include "alerts/sinks/critical_file_sink.h"
#include "alerts/sinks/http_post.h"
#include "alerts/sinks/log_sink.h"
#include "alerts/sinks/webhook_sink.h"
#include "alerts_test_util.h"

namespace medic::alerts {
namespace {

using testing::readFile;
using testing::runUntil;
using testing::TempDir;

const WallTime kT0 = WallTime(std::chrono::milliseconds(1'800'000'000'123));

Alert sample(AlertState state = AlertState::kFiring) {
  Alert a;
  a.id = 7;
  a.dedup_key = "failed:webui";
  a.severity = Severity::kCritical;
  a.service = "webui";
  a.title = "webui failed";
  a.text = "exited with code 137;\nrestarting";
  a.state = state;
  a.created = kT0;
  a.updated = state == AlertState::kFiring ? kT0 : kT0 + Millis(5000);
  if (state == AlertState::kResolved) a.resolved = a.updated;
  a.fire_count = 3;
  a.labels = {{"team", "web"}};
  return a;
}

std::map<std::string, std::string> envMap(const std::string& text) {
  std::map<std::string, std::string> out;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    const std::string line = text.substr(start, end - start);
    if (auto eq = line.find('='); eq != std::string::npos) {
      out[line.substr(0, eq)] = line.substr(eq + 1);
    }
    start = end + 1;
  }
  return out;
}

// ---- payloads ----

TEST(WebhookPayload, JsonFormatCarriesTheWholeAlert) {
  const auto j = webhookPayload(sample(), WebhookFormat::kJson);
  EXPECT_EQ(j["source"], "medic");
  EXPECT_EQ(j["alert"]["dedup_key"], "failed:webui");
  EXPECT_EQ(j["alert"]["severity"], "critical");
  EXPECT_EQ(j["alert"]["state"], "firing");
  EXPECT_EQ(j["alert"]["created"], "2027-01-15T08:00:00.123Z");
  EXPECT_EQ(j["alert"]["fire_count"], 3);
  EXPECT_EQ(j["alert"]["labels"]["team"], "web");
  EXPECT_FALSE(j["alert"].contains("resolved"));
}

TEST(WebhookPayload, SlackFormatIsOneTextField) {
  const auto firing = webhookPayload(sample(), WebhookFormat::kSlack);
  ASSERT_EQ(firing.size(), 1u);
  EXPECT_EQ(firing["text"],
            ":red_circle: [CRITICAL] webui: webui failed — exited with code 137;\nrestarting");
  const auto resolved = webhookPayload(sample(AlertState::kResolved), WebhookFormat::kSlack);
  EXPECT_EQ(resolved["text"].get<std::string>().rfind(":white_check_mark: [RESOLVED] webui: ", 0),
            0u)
      << resolved.dump();
}

TEST(AlertmanagerPayload, HasTheV2ShapeAndEndsAtOnlyWhenResolved) {
  Alert a = sample();
  a.labels = {{"team", "web"}, {"bad-name", "x"}, {"severity", "spoofed"}, {"n", 5},
              {"project", "shop"}};
  const auto firing = alertmanagerPayload(a, {"host1", "https://medic.example.net/"});
  ASSERT_TRUE(firing.is_array());
  ASSERT_EQ(firing.size(), 1u);
  const auto& item = firing[0];
  EXPECT_EQ(item["labels"], nlohmann::json({{"alertname", "MedicServiceFailed"},
                                            {"kind", "failed"},
                                            {"severity", "critical"},
                                            {"service", "webui"},
                                            {"project", "shop"},
                                            {"instance", "host1"},
                                            {"medic_key", "failed:webui"},
                                            {"team", "web"}}));
  EXPECT_EQ(item["annotations"]["summary"], "webui failed");
  EXPECT_EQ(item["annotations"]["description"], a.text);
  EXPECT_EQ(item["startsAt"], "2027-01-15T08:00:00.123Z");
  EXPECT_EQ(item["generatorURL"], "https://medic.example.net/");
  EXPECT_FALSE(item.contains("endsAt"));

  const auto resolved = alertmanagerPayload(sample(AlertState::kResolved), {"host1", ""});
  EXPECT_EQ(resolved[0]["endsAt"], "2027-01-15T08:00:05.123Z");
  EXPECT_EQ(resolved[0]["startsAt"], "2027-01-15T08:00:00.123Z");
  EXPECT_FALSE(resolved[0].contains("generatorURL"));
}

TEST(AlertmanagerPayload, HostWideAlertsHaveNoServiceLabel) {
  Alert a = sample();
  a.service.clear();
  a.labels = {{"service", "spoofed"}};
  EXPECT_FALSE(alertmanagerPayload(a, {"h", ""})[0]["labels"].contains("service"));
}

TEST(AlertmanagerPayload, EveryKindHasOneStableAlertname) {
  const std::pair<const char*, const char*> names[] = {
      {"failed:webui", "MedicServiceFailed"},
      {"escalated:webui", "MedicServiceEscalated"},
      {"missing:webui", "MedicServiceMissing"},
      {"replacement_failed:webui", "MedicReplacementFailed"},
      {"deploy_rolled_back:webui", "MedicDeployRolledBack"},
      {"engine_unreachable:", "MedicEngineUnreachable"},
      {"endpoint_failed:endpoint/shop", "MedicEndpointFailed"},
      {"gate_failed:phase-6", "MedicGateFailed"},
      {"store_corrupt:", "MedicStoreCorrupt"},
      {"some_new_kind:x", "MedicSomeNewKind"},
  };
  for (const auto& [key, name] : names) {
    Alert a = sample();
    a.dedup_key = key;
    a.title = "anything, with spaces";
    const auto labels = alertmanagerPayload(a, {"h", ""})[0]["labels"];
    EXPECT_EQ(labels["alertname"], name) << key;
    EXPECT_EQ(labels["kind"], std::string(alertKind(key))) << key;
  }
}

TEST(AlertmanagerPayload, ALouderAlertEndsItsOldIdentityInTheSameRequest) {
  Alert a = sample();
  a.replaces_severity = Severity::kWarning;
  a.updated = kT0 + Millis(3000);
  const auto payload = alertmanagerPayload(a, {"h", ""});
  ASSERT_EQ(payload.size(), 2u) << payload.dump(2);
  EXPECT_EQ(payload[0]["labels"]["severity"], "warning");
  EXPECT_EQ(payload[0]["endsAt"], "2027-01-15T08:00:03.123Z");
  EXPECT_EQ(payload[1]["labels"]["severity"], "critical");
  EXPECT_FALSE(payload[1].contains("endsAt"));
  auto old_labels = payload[0]["labels"], new_labels = payload[1]["labels"];
  old_labels.erase("severity");
  new_labels.erase("severity");
  EXPECT_EQ(old_labels, new_labels) << "only the severity differs";
}

// ---- http targets ----

TEST(HttpTarget, ParsesHostPortAndPath) {
  auto t = parseHttpTarget("http://127.0.0.1:9093/hooks/medic?x=1");
  ASSERT_TRUE(t) << t.error().message;
  EXPECT_EQ(t->host, "127.0.0.1");
  EXPECT_EQ(t->port, "9093");
  EXPECT_EQ(t->target, "/hooks/medic?x=1");
  auto bare = parseHttpTarget("http://alerts.internal");
  ASSERT_TRUE(bare);
  EXPECT_EQ(bare->port, "80");
  EXPECT_EQ(bare->target, "/");
  auto v6 = parseHttpTarget("http://[::1]:8080/x");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->host_header, "[::1]:8080");
}

TEST(HttpTarget, RefusesWhatItCannotSendSafely) {
  for (const char* url :
       {"https://127.0.0.1/x", "ftp://127.0.0.1/", "http://user:pw@127.0.0.1/",
        "http://127.0.0.1:0/", "http://127.0.0.1:99999/", "http:///x", "http://127.0.0.1/#frag"}) {
    auto t = parseHttpTarget(url);
    EXPECT_FALSE(t) << url;
    if (!t) {
      EXPECT_EQ(t.error().kind, ErrorKind::kBadRequest) << url;
    }
  }
}

// ---- files ----

TEST(LogSink, OneLinePerAlertChange) {
  EXPECT_EQ(formatLogLine(sample()),
            "2027-01-15T08:00:00.123Z critical firing webui #7 webui failed: exited with code 137; "
            "restarting");
  Alert host = sample(AlertState::kResolved);
  host.service.clear();
  EXPECT_EQ(formatLogLine(host).rfind("2027-01-15T08:00:05.123Z critical resolved - #7 ", 0), 0u);
}

TEST(FileSinks, ThroughTheQueueTheLogGetsEveryLineAndTheCriticalFileOnlyCriticals) {
  TempDir dir;
  boost::asio::io_context io;
  AlertQueue q(io.get_executor(), nullptr);
  ASSERT_TRUE(addConfiguredSinks(q, config::AlertsConfig{}, dir.path()));
  ASSERT_TRUE(q.start());

  AlertSpec crit{"failed:webui", Severity::kCritical, "webui", "webui failed", "exited", {}};
  AlertSpec warn{"flapping:api", Severity::kWarning, "api", "api flapping", "3 flaps", {}};
  ASSERT_TRUE(q.raise(crit, kT0));
  ASSERT_TRUE(q.raise(warn, kT0 + Millis(1)));
  ASSERT_TRUE(runUntil(io, [&] { return q.idle(); }));

  const std::string log = readFile(alertLogPath(dir.path()));
  EXPECT_EQ(std::count(log.begin(), log.end(), '\n'), 2) << log;
  EXPECT_NE(log.find("critical firing webui #1 webui failed: exited\n"), std::string::npos) << log;
  EXPECT_NE(log.find("warning firing api #2 api flapping: 3 flaps\n"), std::string::npos) << log;

  auto file = nlohmann::json::parse(readFile(criticalFilePath(dir.path())));
  ASSERT_EQ(file.size(), 1u) << file.dump();
  EXPECT_EQ(file[0]["dedup_key"], "failed:webui");
  EXPECT_EQ(file[0]["state"], "firing");

  ASSERT_TRUE(q.resolve("failed:webui", kT0 + Millis(2000)));
  ASSERT_TRUE(runUntil(io, [&] { return q.idle(); }));
  file = nlohmann::json::parse(readFile(criticalFilePath(dir.path())));
  ASSERT_EQ(file.size(), 1u) << "a recently resolved critical alert stays listed";
  EXPECT_EQ(file[0]["state"], "resolved");
  EXPECT_NE(readFile(alertLogPath(dir.path())).find("critical resolved webui #1"),
            std::string::npos);
  EXPECT_EQ(q.counters().sinks[0].name, "log");
  EXPECT_EQ(q.counters().sinks[0].sent, 3u);
  EXPECT_EQ(q.counters().sinks[1].name, "file");
  EXPECT_EQ(q.counters().sinks[1].sent, 2u);
  // No temp file is left next to it.
  int entries = 0;
  for ([[maybe_unused]] const auto& e :
       std::filesystem::directory_iterator(criticalFilePath(dir.path()).parent_path())) {
    ++entries;
  }
  EXPECT_EQ(entries, 1);
}

TEST(CriticalFile, FiringFirstAndOldResolvedAlertsAgeOut) {
  std::vector<Alert> alerts;
  Alert old_resolved = sample(AlertState::kResolved);
  old_resolved.id = 1;
  Alert firing = sample();
  firing.id = 2;
  alerts = {old_resolved, firing};
  auto doc = nlohmann::json::parse(renderCriticalFile(alerts));
  ASSERT_EQ(doc.size(), 2u);
  EXPECT_EQ(doc[0]["id"], 2);
  EXPECT_EQ(doc[1]["id"], 1);

  TempDir dir;
  boost::asio::io_context io;
  AlertQueue q(io.get_executor(), nullptr);
  q.addSink("file", Severity::kCritical,
            std::make_unique<CriticalFileSink>(dir.path() / "c.json",
                                               CriticalFileOptions{Millis(60'000), 100}));
  ASSERT_TRUE(q.start());
  AlertSpec a{"a", Severity::kCritical, "", "a", "", {}};
  AlertSpec b{"b", Severity::kCritical, "", "b", "", {}};
  ASSERT_TRUE(q.raise(a, kT0));
  ASSERT_TRUE(q.resolve("a", kT0 + Millis(1)));
  ASSERT_TRUE(q.raise(b, kT0 + Millis(120'000)));  // two minutes later: "a" is old news
  ASSERT_TRUE(runUntil(io, [&] { return q.idle(); }));
  doc = nlohmann::json::parse(readFile(dir.path() / "c.json"));
  ASSERT_EQ(doc.size(), 1u) << doc.dump();
  EXPECT_EQ(doc[0]["dedup_key"], "b");
}

// ---- command ----

TEST(CommandEnvironment, CarriesTheAlertAndNothingSecretFromMedic) {
  ::setenv("MEDIC_TEST_SECRET_TOKEN", "s3cr3t", 1);
  const auto env = envMap([] {
    std::string all;
    for (const auto& e : commandEnvironment(sample())) all += e + "\n";
    return all;
  }());
  ::unsetenv("MEDIC_TEST_SECRET_TOKEN");
  EXPECT_EQ(env.at("MEDIC_ALERT_ID"), "7");
  EXPECT_EQ(env.at("MEDIC_ALERT_KEY"), "failed:webui");
  EXPECT_EQ(env.at("MEDIC_ALERT_SEVERITY"), "critical");
  EXPECT_EQ(env.at("MEDIC_ALERT_STATE"), "firing");
  EXPECT_EQ(env.at("MEDIC_ALERT_SERVICE"), "webui");
  EXPECT_EQ(env.at("MEDIC_ALERT_TITLE"), "webui failed");
  EXPECT_EQ(env.at("MEDIC_ALERT_FIRE_COUNT"), "3");
  EXPECT_EQ(env.count("MEDIC_TEST_SECRET_TOKEN"), 0u);
}

TEST(CommandSink, StdinIsTheAlertJsonAndArgvIsNeverAShell) {
  TempDir dir;
  // Shell syntax in an argument stays a literal file name: no shell ever sees it.
  const auto target = dir.path() / "out; touch pwned";
  auto r = runAlertCommand({"/usr/bin/tee", target.string()}, commandEnvironment(sample()),
                           toJson(sample()).dump(), Millis(5000));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->exit_code, 0);
  EXPECT_FALSE(r->timed_out);
  const auto got = nlohmann::json::parse(readFile(target));
  EXPECT_EQ(got, toJson(sample()));
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "pwned"));
  EXPECT_FALSE(std::filesystem::exists("pwned"));
}

TEST(CommandSink, ThroughTheQueueTheCommandSeesEnvAndStdin) {
  TempDir dir;
  boost::asio::io_context io;
  AlertQueue q(io.get_executor(), nullptr);
  q.addSink("command", Severity::kWarning,
            std::make_unique<CommandSink>(
                std::vector<std::string>{MEDIC_COMMAND_PROBE, (dir.path() / "env").string(),
                                         (dir.path() / "stdin").string()},
                Millis(5000)));
  ASSERT_TRUE(q.start());
  AlertSpec s{"failed:webui", Severity::kCritical, "webui", "webui failed", "exited 1", {}};
  ASSERT_TRUE(q.raise(s, kT0));
  ASSERT_TRUE(runUntil(io, [&] { return q.idle(); }));
  EXPECT_EQ(q.counters().sinks[0].sent, 1u) << q.counters().sinks[0].last_error;
  const auto env = envMap(readFile(dir.path() / "env"));
  EXPECT_EQ(env.at("MEDIC_ALERT_SEVERITY"), "critical");
  EXPECT_EQ(env.at("MEDIC_ALERT_SERVICE"), "webui");
  EXPECT_EQ(env.at("MEDIC_ALERT_TEXT"), "exited 1");
  EXPECT_EQ(env.at("MEDIC_ALERT_STATE"), "firing");
  const auto in = nlohmann::json::parse(readFile(dir.path() / "stdin"));
  EXPECT_EQ(in["dedup_key"], "failed:webui");
  EXPECT_EQ(in["severity"], "critical");
}

TEST(CommandSink, ANonZeroExitIsAFailure) {
  TempDir dir;
  boost::asio::io_context io;
  AlertQueue q(io.get_executor(), nullptr);
  q.addSink("command", Severity::kInfo,
            std::make_unique<CommandSink>(
                std::vector<std::string>{MEDIC_COMMAND_PROBE, (dir.path() / "env").string(),
                                         (dir.path() / "stdin").string(), "3"},
                Millis(5000)));
  ASSERT_TRUE(q.start());
  ASSERT_TRUE(q.raise(AlertSpec{"k", Severity::kWarning, "", "t", "", {}}, kT0));
  ASSERT_TRUE(runUntil(io, [&] { return q.idle(); }));
  EXPECT_EQ(q.counters().sinks[0].failed, 1u);
  EXPECT_NE(q.counters().sinks[0].last_error.find("exited with status 3"), std::string::npos)
      << q.counters().sinks[0].last_error;
}

TEST(CommandSink, AHungCommandIsKilledAtItsDeadline) {
  TempDir dir;
  const auto started = std::chrono::steady_clock::now();
  auto r = runAlertCommand({MEDIC_COMMAND_PROBE, (dir.path() / "env").string(),
                            (dir.path() / "stdin").string(), "0", "30000"},
                           {}, "{}", Millis(300));
  const auto took = std::chrono::steady_clock::now() - started;
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_TRUE(r->timed_out);
  EXPECT_EQ(r->exit_code, 128 + SIGKILL);
  EXPECT_LT(took, std::chrono::seconds(3));
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "env")) << "it never got to write";
}

TEST(CommandSink, AMissingProgramIsAClearError) {
  auto r = runAlertCommand({"/nonexistent/notify-me"}, {}, "{}", Millis(1000));
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("/nonexistent/notify-me"), std::string::npos);
}

}  // namespace
}  // namespace medic::alerts
