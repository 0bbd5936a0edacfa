// The sinks one by one: what each writes or sends, and the command sink's argv/env/stdin contract.

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <fstream>

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

TEST(WebhookPayload, DiscordFormatIsContentThatPingsNobody) {
  const auto j = webhookPayload(sample(), WebhookFormat::kDiscord);
  EXPECT_EQ(j, nlohmann::json({{"content",
                                "\U0001F534 [CRITICAL] webui: webui failed — exited with code "
                                "137;\nrestarting"},
                               {"allowed_mentions", {{"parse", nlohmann::json::array()}}}}));
  Alert long_text = sample();
  long_text.text = std::string(2500, 'x');
  const std::string content = webhookPayload(long_text, WebhookFormat::kDiscord)["content"];
  // Discord refuses content over 2000 characters (code points, not bytes).
  const auto points = std::count_if(content.begin(), content.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  });
  EXPECT_EQ(points, 2000);
  const auto resolved = webhookPayload(sample(AlertState::kResolved), WebhookFormat::kDiscord);
  EXPECT_EQ(resolved["content"].get<std::string>().rfind("\u2705 [RESOLVED] webui: webui failed", 0),
            0u);
}

TEST(WebhookPayload, NtfyFormatIsNtfysJsonPublish) {
  const auto j = webhookPayload(sample(), WebhookFormat::kNtfy, "medic-alerts");
  EXPECT_EQ(j, nlohmann::json({{"topic", "medic-alerts"},
                               {"title", "[CRITICAL] webui: webui failed"},
                               {"message", "exited with code 137;\nrestarting"},
                               {"priority", 5},
                               {"tags", {"rotating_light"}}}));
  Alert warning = sample();
  warning.severity = Severity::kWarning;
  warning.text.clear();
  const auto w = webhookPayload(warning, WebhookFormat::kNtfy, "t");
  EXPECT_EQ(w["priority"], 4);
  EXPECT_EQ(w["tags"], nlohmann::json({"warning"}));
  EXPECT_EQ(w["message"], "webui failed") << "ntfy needs a message: the title stands in";
  const auto resolved = webhookPayload(sample(AlertState::kResolved), WebhookFormat::kNtfy, "t");
  EXPECT_EQ(resolved["title"], "[RESOLVED] webui: webui failed");
  EXPECT_EQ(resolved["priority"], 3);
  EXPECT_EQ(resolved["tags"], nlohmann::json({"white_check_mark"}));
}

TEST(WebhookPayload, MsTeamsFormatIsAnAdaptiveCardMessage) {
  const auto j = webhookPayload(sample(), WebhookFormat::kMsTeams);
  EXPECT_EQ(j["type"], "message");
  ASSERT_EQ(j["attachments"].size(), 1u);
  const auto& att = j["attachments"][0];
  EXPECT_EQ(att["contentType"], "application/vnd.microsoft.card.adaptive");
  EXPECT_TRUE(att.contains("contentUrl") && att["contentUrl"].is_null());
  const auto& card = att["content"];
  EXPECT_EQ(card["$schema"], "http://adaptivecards.io/schemas/adaptive-card.json");
  EXPECT_EQ(card["type"], "AdaptiveCard");
  EXPECT_EQ(card["version"], "1.2");
  ASSERT_EQ(card["body"].size(), 3u);
  EXPECT_EQ(card["body"][0], nlohmann::json({{"type", "TextBlock"},
                                             {"text", "\U0001F534 [CRITICAL] webui: webui failed"},
                                             {"weight", "Bolder"},
                                             {"size", "Medium"},
                                             {"color", "Attention"},
                                             {"wrap", true}}));
  EXPECT_EQ(card["body"][1]["text"], "exited with code 137;\nrestarting");
  EXPECT_EQ(card["body"][2]["type"], "FactSet");
  EXPECT_EQ(card["body"][2]["facts"][0], nlohmann::json({{"title", "Service"}, {"value", "webui"}}));
  EXPECT_EQ(card["body"][2]["facts"][3],
            nlohmann::json({{"title", "Since"}, {"value", "2027-01-15T08:00:00.123Z"}}));
  const auto resolved = webhookPayload(sample(AlertState::kResolved), WebhookFormat::kMsTeams);
  EXPECT_EQ(resolved["attachments"][0]["content"]["body"][0]["color"], "Good");
}

TEST(WebhookPayload, EveryConfigFormatNameParses) {
  EXPECT_EQ(parseWebhookFormat("json"), WebhookFormat::kJson);
  EXPECT_EQ(parseWebhookFormat("slack"), WebhookFormat::kSlack);
  EXPECT_EQ(parseWebhookFormat("discord"), WebhookFormat::kDiscord);
  EXPECT_EQ(parseWebhookFormat("ntfy"), WebhookFormat::kNtfy);
  EXPECT_EQ(parseWebhookFormat("msteams"), WebhookFormat::kMsTeams);
  EXPECT_EQ(parseWebhookFormat("teams"), std::nullopt);
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
  EXPECT_FALSE(t->url.tls);
  EXPECT_EQ(t->url.host, "127.0.0.1");
  EXPECT_EQ(t->url.port, "9093");
  EXPECT_EQ(t->url.target, "/hooks/medic?x=1");
  EXPECT_EQ(t->shown, "http://127.0.0.1:9093/…") << "a webhook's path may be its secret";
  EXPECT_EQ(t->tls, nullptr);
  auto bare = parseHttpTarget("http://alerts.internal");
  ASSERT_TRUE(bare);
  EXPECT_EQ(bare->url.port, "80");
  EXPECT_EQ(bare->url.target, "/");
  auto v6 = parseHttpTarget("http://[::1]:8080/x");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->url.host, "::1");
  EXPECT_EQ(v6->url.authority, "[::1]:8080");
  auto tls = parseHttpTarget("https://hooks.slack.com/services/T0/B0/XXXX");
  ASSERT_TRUE(tls) << tls.error().message;
  EXPECT_TRUE(tls->url.tls);
  EXPECT_EQ(tls->url.port, "443");
  EXPECT_NE(tls->tls, nullptr) << "https loads the system CA store once, when the sink is built";
  EXPECT_EQ(tls->shown, "https://hooks.slack.com/…");
}

TEST(HttpTarget, RefusesWhatItCannotSendSafely) {
  for (const char* url :
       {"ftp://127.0.0.1/", "http://user:pw@127.0.0.1/", "https://user@127.0.0.1/",
        "http://127.0.0.1:0/", "http://127.0.0.1:99999/", "http:///x", "http://127.0.0.1/#frag"}) {
    auto t = parseHttpTarget(url);
    EXPECT_FALSE(t) << url;
    if (!t) {
      EXPECT_EQ(t.error().kind, ErrorKind::kBadRequest) << url;
    }
  }
}

TEST(HttpTarget, ACaFileThatCannotBeLoadedIsAConfigError) {
  TempDir dir;
  auto missing = parseHttpTarget("https://127.0.0.1:8443/", (dir.path() / "nope.pem").string());
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().kind, ErrorKind::kConfig);
  EXPECT_NE(missing.error().message.find("cannot load the CA file " +
                                         (dir.path() / "nope.pem").string()),
            std::string::npos)
      << missing.error().message;
  std::ofstream(dir.path() / "garbage.pem") << "not a certificate\n";
  EXPECT_FALSE(parseHttpTarget("https://127.0.0.1:8443/", (dir.path() / "garbage.pem").string()));
}

// ---- header values ----

config::SinkHeader header(const std::string& name, config::SinkHeader::Source source,
                          const std::string& value) {
  return {name, source, value, "medic.yaml:9: alerts.sinks[0].headers." + name};
}

TEST(SinkHeaders, TextFileAndEnvironmentValues) {
  using Source = config::SinkHeader::Source;
  TempDir dir;
  std::ofstream(dir.path() / "token") << "Bearer s3cret-from-file\n";
  ::setenv("MEDIC_TEST_HOOK_KEY", "key-from-env", 1);
  auto got = resolveHeaders({header("X-Team", Source::kText, "web"),
                             header("Authorization", Source::kFile, (dir.path() / "token").string()),
                             header("X-Api-Key", Source::kEnv, "MEDIC_TEST_HOOK_KEY")});
  ::unsetenv("MEDIC_TEST_HOOK_KEY");
  ASSERT_TRUE(got) << got.error().message;
  ASSERT_EQ(got->size(), 3u);
  EXPECT_EQ((*got)[0], std::make_pair(std::string("X-Team"), std::string("web")));
  EXPECT_EQ((*got)[1].second, "Bearer s3cret-from-file") << "the file's trailing newline is dropped";
  EXPECT_EQ((*got)[2].second, "key-from-env");
}

TEST(SinkHeaders, MissingOrBadValuesNameWhereTheyCameFromNeverTheValue) {
  using Source = config::SinkHeader::Source;
  TempDir dir;
  ::unsetenv("MEDIC_TEST_UNSET");
  auto unset = resolveHeaders({header("X-Api-Key", Source::kEnv, "MEDIC_TEST_UNSET")});
  ASSERT_FALSE(unset);
  EXPECT_EQ(unset.error().kind, ErrorKind::kConfig);
  EXPECT_EQ(unset.error().message.rfind("medic.yaml:9: alerts.sinks[0].headers.X-Api-Key: "
                                        "environment variable MEDIC_TEST_UNSET is not set",
                                        0),
            0u)
      << unset.error().message;
  auto missing = resolveHeaders({header("Authorization", Source::kFile, "/nonexistent/token")});
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("cannot read /nonexistent/token"), std::string::npos);
  std::ofstream(dir.path() / "two-lines") << "Bearer top-secret\nsecond line\n";
  auto lines = resolveHeaders({header("Authorization", Source::kFile,
                                      (dir.path() / "two-lines").string())});
  ASSERT_FALSE(lines);
  EXPECT_NE(lines.error().message.find("spans lines"), std::string::npos);
  EXPECT_EQ(lines.error().message.find("top-secret"), std::string::npos)
      << "a secret never reaches a message";
  std::ofstream(dir.path() / "empty") << "\n";
  EXPECT_FALSE(resolveHeaders({header("Authorization", Source::kFile,
                                      (dir.path() / "empty").string())}));
}

TEST(BuildSink, NamesTheSinkAndLineWhenItCannotBeBuilt) {
  config::AlertSinkConfig s;
  s.kind = config::AlertSinkKind::kWebhook;
  s.name = "slack-ops";
  s.line = 12;
  s.url = "https://hooks.example/x";
  s.headers = {header("Authorization", config::SinkHeader::Source::kEnv, "MEDIC_TEST_UNSET")};
  ::unsetenv("MEDIC_TEST_UNSET");
  auto sink = buildSink(s);
  ASSERT_FALSE(sink);
  EXPECT_EQ(sink.error().kind, ErrorKind::kConfig);
  EXPECT_EQ(sink.error().message.rfind("alert sink 'slack-ops' (alerts.sinks, line 12): "
                                       "medic.yaml:9: alerts.sinks[0].headers.Authorization: ",
                                       0),
            0u)
      << sink.error().message;
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
