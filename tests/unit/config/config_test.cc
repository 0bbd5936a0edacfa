#include "config/config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "config/address.h"

namespace medic::config {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;

/// The message of the ConfigError that parsing `yaml` throws; fails the test when it parses.
std::string errorOf(const std::string& yaml) {
  try {
    parseConfig(yaml, "medic.yaml");
  } catch (const ConfigError& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected a ConfigError for:\n" << yaml;
  return "";
}

/// A file in the test's temp dir, removed at the end of the test.
class TempFile {
 public:
  explicit TempFile(const std::string& content) {
    path_ = ::testing::TempDir() + "medic-config-test-" + std::to_string(::getpid()) + "-" +
            std::to_string(counter_++) + ".yaml";
    std::ofstream(path_, std::ios::binary) << content;
  }
  ~TempFile() { std::remove(path_.c_str()); }
  const std::string& path() const { return path_; }

 private:
  static inline int counter_ = 0;
  std::string path_;
};

const ServiceConfig& serviceNamed(const Config& c, const std::string& name) {
  for (const auto& s : c.services) {
    if (s.name == name) return s;
  }
  throw std::runtime_error("no service " + name);
}

// ---------------------------------------------------------------------------------------------
// Good files

TEST(ConfigGood, ExampleFileParsesWithEveryDocumentedFeature) {
  const Config c = loadConfigFile(MEDIC_SOURCE_DIR "/examples/medic.yaml");
  EXPECT_EQ(c.source, MEDIC_SOURCE_DIR "/examples/medic.yaml");
  EXPECT_EQ(c.listen, "127.0.0.1:8080");
  EXPECT_EQ(c.state_dir, "/var/lib/medic");
  EXPECT_THAT(c.select.compose_projects, ElementsAre("shop"));
  ASSERT_EQ(c.services.size(), 4u);
  EXPECT_EQ(c.services[0].name, "webui");  // declaration order is kept

  const ServiceConfig& webui = serviceNamed(c, "webui");
  EXPECT_TRUE(webui.critical);
  EXPECT_EQ(webui.match.compose_project, "shop");
  EXPECT_EQ(webui.match.compose_service, "webui");
  EXPECT_THAT(webui.depends_on, ElementsAre("api"));
  ASSERT_EQ(webui.probes.size(), 2u);
  EXPECT_EQ(webui.probes[0].kind, ProbeKind::kHttp);
  EXPECT_EQ(webui.probes[0].url, "http://127.0.0.1:3000/healthz");
  EXPECT_EQ(webui.probes[0].expect_status_min, 200);
  EXPECT_EQ(webui.probes[0].expect_status_max, 399);
  EXPECT_EQ(webui.probes[0].body_contains, "ok");
  EXPECT_EQ(webui.probes[0].interval, Millis(2000));
  EXPECT_EQ(webui.probes[0].start_period, Millis(10'000));  // from defaults.probe
  EXPECT_TRUE(webui.probes[0].screenshot);
  EXPECT_EQ(webui.probes[1].kind, ProbeKind::kDocker);
  EXPECT_EQ(webui.recovery.replacement_grace, Millis(5000));

  const ServiceConfig& db = serviceNamed(c, "db");
  EXPECT_EQ(db.match.container, "shop-db-1");
  ASSERT_EQ(db.probes.size(), 1u);
  EXPECT_EQ(db.probes[0].kind, ProbeKind::kExec);
  EXPECT_THAT(db.probes[0].argv, ElementsAre("pg_isready", "-h", "127.0.0.1", "-U", "shop"));
  EXPECT_EQ(db.probes[0].start_period, Millis(30'000));
  EXPECT_EQ(db.recovery.stop_timeout, Millis(30'000));
  EXPECT_FALSE(db.recovery.rollback);
  EXPECT_EQ(db.recovery.max_attempts, 3);

  const ServiceConfig& cache = serviceNamed(c, "cache");
  EXPECT_EQ(cache.match.labels.at("com.example.role"), "cache");
  ASSERT_EQ(cache.probes.size(), 2u);
  EXPECT_EQ(cache.probes[0].kind, ProbeKind::kTcp);
  EXPECT_EQ(cache.probes[0].address, "127.0.0.1:6379");
  EXPECT_EQ(cache.probes[1].kind, ProbeKind::kCommand);
  EXPECT_EQ(cache.probes[1].name, "redis-ping");
  EXPECT_THAT(cache.probes[1].argv,
              ElementsAre("redis-cli", "-h", "127.0.0.1", "-p", "6379", "ping"));

  ASSERT_EQ(c.endpoints.size(), 2u);
  EXPECT_EQ(c.endpoints[0].name, "storefront");
  EXPECT_EQ(c.endpoints[0].probe.kind, ProbeKind::kHttp);
  EXPECT_EQ(c.endpoints[0].probe.name, "storefront");
  EXPECT_EQ(c.endpoints[0].probe.expect_status_min, 200);
  EXPECT_EQ(c.endpoints[0].probe.expect_status_max, 200);
  EXPECT_EQ(c.endpoints[0].max_latency, Millis(800));
  EXPECT_TRUE(c.endpoints[0].critical);
  EXPECT_EQ(c.endpoints[1].probe.failure_threshold, 2);
  EXPECT_TRUE(c.notes.empty());
}

void expectDefaults(const Config& c) {
  const Config d = defaultConfig();
  EXPECT_EQ(c.listen, "127.0.0.1:8080");
  EXPECT_EQ(c.docker, "unix:///var/run/docker.sock");
  EXPECT_EQ(c.docker_timeout, Millis(10'000));
  EXPECT_EQ(c.state_dir, "");
  EXPECT_EQ(c.resync_interval, Millis(30'000));
  EXPECT_EQ(c.stall_timeout, Millis(120'000));
  EXPECT_EQ(c.shutdown_timeout, Millis(20'000));
  EXPECT_EQ(c.log_level, "info");
  EXPECT_TRUE(c.select.labels);
  EXPECT_FALSE(c.select.all);
  EXPECT_TRUE(c.select.compose_projects.empty());
  EXPECT_EQ(c.defaults.probe.interval, d.defaults.probe.interval);
  EXPECT_EQ(c.defaults.probe.timeout, d.defaults.probe.timeout);
  EXPECT_EQ(c.defaults.probe.failure_threshold, 3);
  EXPECT_EQ(c.defaults.recovery.max_attempts, 3);
  EXPECT_EQ(c.defaults.recovery.window, Millis(600'000));
  EXPECT_DOUBLE_EQ(c.defaults.recovery.backoff_jitter, 0.2);
  EXPECT_TRUE(c.services.empty());
  EXPECT_TRUE(c.endpoints.empty());
}

TEST(ConfigGood, EmptyOrCommentOnlyFileGivesEveryDefault) {
  expectDefaults(parseConfig("", "medic.yaml"));
  expectDefaults(parseConfig("# nothing configured yet\n\n", "medic.yaml"));
  expectDefaults(parseConfig("listen:\nselect:\ndefaults: ~\n", "medic.yaml"));  // null = default
  expectDefaults(defaultConfig());
  EXPECT_EQ(defaultConfig().source, "");
}

TEST(ConfigGood, StallAndShutdownTimeouts) {
  const auto c = parseConfig("resync_interval: 300ms\nstall_timeout: 1s\nshutdown_timeout: 0s\n",
                             "medic.yaml");
  EXPECT_EQ(c.stall_timeout, Millis(1000));
  EXPECT_EQ(c.shutdown_timeout, Millis(0));  // 0: exit at once, in-flight actions stay intents
}

TEST(ConfigGood, ProbeAndRecoveryKeysCascadeFromDefaults) {
  // services come before defaults in the file: the cascade must not depend on key order.
  const Config c = parseConfig(R"(
services:
  web:
    probes:
      - http: http://127.0.0.1:8080/
        timeout: 500ms
      - tcp: 127.0.0.1:8080
        failure_threshold: 1
    recovery:
      window: 1h
  plain:
endpoints:
  - url: https://127.0.0.1:8443/
defaults:
  probe:
    interval: 7s
    failure_threshold: 5
    start_period: 20s
  recovery:
    max_attempts: 5
    backoff_max: 2m
)",
                               "medic.yaml");
  const ServiceConfig& web = serviceNamed(c, "web");
  ASSERT_EQ(web.probes.size(), 2u);
  EXPECT_EQ(web.probes[0].interval, Millis(7000));
  EXPECT_EQ(web.probes[0].timeout, Millis(500));
  EXPECT_EQ(web.probes[0].failure_threshold, 5);
  EXPECT_EQ(web.probes[0].success_threshold, 1);
  EXPECT_EQ(web.probes[0].start_period, Millis(20'000));
  EXPECT_EQ(web.probes[1].interval, Millis(7000));
  EXPECT_EQ(web.probes[1].timeout, Millis(2000));  // built-in default, not overridden anywhere
  EXPECT_EQ(web.probes[1].failure_threshold, 1);
  EXPECT_EQ(web.recovery.max_attempts, 5);
  EXPECT_EQ(web.recovery.backoff_max, Millis(120'000));
  EXPECT_EQ(web.recovery.window, Millis(3'600'000));
  EXPECT_EQ(web.recovery.stop_timeout, Millis(10'000));

  const ServiceConfig& plain = serviceNamed(c, "plain");  // "plain:" with no body
  EXPECT_EQ(plain.recovery.max_attempts, 5);
  EXPECT_TRUE(plain.probes.empty());
  EXPECT_EQ(plain.line, 11);

  ASSERT_EQ(c.endpoints.size(), 1u);
  EXPECT_EQ(c.endpoints[0].name, "https://127.0.0.1:8443/");  // name defaults to the url
  EXPECT_EQ(c.endpoints[0].probe.interval, Millis(7000));
  EXPECT_EQ(c.endpoints[0].probe.failure_threshold, 5);
  EXPECT_EQ(c.endpoints[0].probe.start_period, Millis(0));
}

TEST(ConfigGood, ProbeNamesDefaultToKindAndTarget) {
  const Config c = parseConfig(R"(
services:
  s:
    probes:
      - docker: true
      - http: http://localhost:80/x
      - tcp: "[::1]:5432"
      - exec: [cat, /tmp/ready]
      - command: [/usr/bin/true]
)",
                               "medic.yaml");
  std::vector<std::string> names;
  for (const auto& p : c.services[0].probes) names.push_back(p.name);
  EXPECT_THAT(names, ElementsAre("docker", "http:http://localhost:80/x", "tcp:[::1]:5432",
                                 "exec:cat", "command:/usr/bin/true"));
}

TEST(ConfigGood, DefaultNamesNeverCarryAUrlPassword) {
  const Config c = parseConfig(R"(
services:
  s:
    probes:
      - http: http://probe:canary-pw@127.0.0.1:80/x
endpoints:
  - url: https://user:canary-pw@127.0.0.1:8443/
)",
                               "medic.yaml");
  EXPECT_EQ(c.services[0].probes[0].name, "http:http://probe@127.0.0.1:80/x");
  EXPECT_EQ(c.services[0].probes[0].url, "http://probe:canary-pw@127.0.0.1:80/x");  // still used
  EXPECT_EQ(c.endpoints[0].name, "https://user@127.0.0.1:8443/");
}

TEST(ConfigGood, HttpProbesTakeRequestHeaders) {
  const Config c = parseConfig(R"(
services:
  s:
    probes:
      - http: http://127.0.0.1:80/x
        headers:
          Authorization: Bearer abc
          Cookie: session=1
endpoints:
  - url: http://127.0.0.1:81/
    headers: {X-Probe: medic}
)",
                               "medic.yaml");
  EXPECT_EQ(c.services[0].probes[0].headers.at("Authorization"), "Bearer abc");
  EXPECT_EQ(c.services[0].probes[0].headers.at("Cookie"), "session=1");
  EXPECT_EQ(c.endpoints[0].probe.headers.at("X-Probe"), "medic");
  EXPECT_THAT(errorOf("services:\n  s:\n    probes:\n      - tcp: 127.0.0.1:1\n"
                      "        headers: {A: b}\n"),
              HasSubstr("applies only to http probes"));
  EXPECT_THAT(errorOf("services:\n  s:\n    probes:\n      - http: http://127.0.0.1/\n"
                      "        headers: {Host: evil}\n"),
              HasSubstr("medic sets Host itself"));
}

TEST(ConfigGood, ExpectStatusTakesACodeOrARange) {
  const Config c = parseConfig(R"(
services:
  s:
    probes:
      - {name: a, http: "http://127.0.0.1/", expect_status: 204}
      - {name: b, http: "http://127.0.0.1/", expect_status: "301-302"}
      - {name: c, http: "http://127.0.0.1/"}
)",
                               "medic.yaml");
  const auto& p = c.services[0].probes;
  EXPECT_EQ(std::make_pair(p[0].expect_status_min, p[0].expect_status_max),
            std::make_pair(204, 204));
  EXPECT_EQ(std::make_pair(p[1].expect_status_min, p[1].expect_status_max),
            std::make_pair(301, 302));
  EXPECT_EQ(std::make_pair(p[2].expect_status_min, p[2].expect_status_max),
            std::make_pair(200, 299));
}

TEST(ConfigGood, ReservedSectionsAreAcceptedIgnoredAndNoted) {
  const Config c =
      parseConfig("listen: 127.0.0.1:9000\nchannels: {}\nphases: {}\n", "medic.yaml");
  EXPECT_EQ(c.listen, "127.0.0.1:9000");
  ASSERT_EQ(c.notes.size(), 1u) << "phases is no longer a reserved section";
  EXPECT_THAT(c.notes[0], StartsWith("medic.yaml:2: channels: reserved"));
  EXPECT_EQ(c.phases.size(), 5u) << "an empty phases: keeps the seeded phases";
}

TEST(ConfigDeploy, DefaultsAndEveryKey) {
  const Config d = parseConfig("listen: 127.0.0.1:9000\n", "medic.yaml");
  EXPECT_TRUE(d.deploy.validators.empty());
  EXPECT_EQ(d.deploy.downtime_budget, Millis(5 * 60 * 1000));
  EXPECT_EQ(d.deploy.confirm_timeout, Millis(5 * 60 * 1000));
  EXPECT_EQ(d.deploy.timeout, Millis(2 * 60 * 1000));
  const Config c = parseConfig(
      "deploy:\n  validators: [ci, smoke]\n  timeout: 20s\n  confirm_timeout: 3s\n"
      "  downtime_budget: 1s\n  probe_interval: 100ms\n  success_threshold: 2\n",
      "medic.yaml");
  EXPECT_EQ(c.deploy.validators, (std::vector<std::string>{"ci", "smoke"}));
  EXPECT_EQ(c.deploy.timeout, Millis(20000));
  EXPECT_EQ(c.deploy.confirm_timeout, Millis(3000));
  EXPECT_EQ(c.deploy.downtime_budget, Millis(1000));
  EXPECT_EQ(c.deploy.probe_interval, Millis(100));
  EXPECT_EQ(c.deploy.success_threshold, 2);
  EXPECT_TRUE(c.notes.empty());
}

TEST(ConfigDeploy, BadValuesNameTheKeyAndLine) {
  try {
    parseConfig("deploy:\n  confirm_timeout: soon\n", "medic.yaml");
    FAIL() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_THAT(e.what(), StartsWith("medic.yaml:2: deploy.confirm_timeout"));
  }
  try {
    parseConfig("deploy:\n  validatorz: [ci]\n", "medic.yaml");
    FAIL() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_THAT(e.what(), StartsWith("medic.yaml:2: deploy"));
  }
}

// ---------------------------------------------------------------------------------------------
// phases

TEST(ConfigPhases, SeededWhenAbsent) {
  const Config c = parseConfig("listen: 127.0.0.1:9000\n", "medic.yaml");
  std::vector<int> numbers;
  for (const auto& [n, p] : c.phases) numbers.push_back(n);
  EXPECT_EQ(numbers, (std::vector<int>{0, 3, 5, 6, 9}));
  EXPECT_EQ(c.phases.at(6).name, "infrastructure validation");
  EXPECT_EQ(c.phases.at(6).require,
            (std::vector<GateRequirement>{GateRequirement::kHealthy,
                                          GateRequirement::kEndpointsAnswer}));
  EXPECT_EQ(c.phases.at(5).require,
            (std::vector<GateRequirement>{GateRequirement::kPresent, GateRequirement::kNoRecovery}));
  EXPECT_TRUE(c.phases.at(0).all_services);
}

TEST(ConfigPhases, EntriesReplaceSeededPhasesByNumber) {
  const Config c = parseConfig(
      "endpoints:\n  - {name: site, url: \"http://127.0.0.1:8080/\"}\n"
      "phases:\n"
      "  6:\n    services: [webui]\n    endpoints: [site]\n    max_evidence_age: 15s\n"
      "  7:\n    name: smoke\n    require: [present]\n",
      "medic.yaml");
  const auto& six = c.phases.at(6);
  EXPECT_EQ(six.name, "infrastructure validation") << "unwritten keys keep the seeded values";
  EXPECT_FALSE(six.all_services);
  EXPECT_EQ(six.services, std::vector<std::string>{"webui"});
  EXPECT_EQ(six.endpoints, std::vector<std::string>{"site"});
  EXPECT_EQ(six.max_evidence_age, Millis(15'000));
  EXPECT_EQ(c.phases.at(7).name, "smoke");
  EXPECT_EQ(c.phases.at(7).require, std::vector<GateRequirement>{GateRequirement::kPresent});
  EXPECT_EQ(c.phases.size(), 6u);
}

TEST(ConfigPhases, BadPhasesNameLineAndKey) {
  auto error = [](const std::string& text) {
    try {
      parseConfig(text, "medic.yaml");
    } catch (const ConfigError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_THAT(error("phases:\n  12: {require: [healthy]}\n"),
              StartsWith("medic.yaml:2: phases.12: phases are numbered 0 to 9"));
  EXPECT_THAT(error("phases:\n  7: {name: x}\n"),
              StartsWith("medic.yaml:2: phases.7: a phase needs require:"));
  EXPECT_THAT(error("phases:\n  6:\n    require: [healthy, fast]\n"),
              StartsWith("medic.yaml:3: phases.6.require[1]: 'fast' is not a requirement"));
  EXPECT_THAT(error("phases:\n  9:\n    endpoints: [nope]\n"),
              HasSubstr("phases.9.endpoints: no endpoint is named 'nope'"));
  EXPECT_THAT(error("phases:\n  6:\n    services: some\n"),
              StartsWith("medic.yaml:3: phases.6.services: 'some' is not a selection"));
}

// ---------------------------------------------------------------------------------------------
// alerts.sinks

TEST(ConfigAlerts, NoSectionMeansNoExtraSinks) {
  EXPECT_TRUE(parseConfig("listen: 127.0.0.1:9000\n", "medic.yaml").alerts.sinks.empty());
  EXPECT_TRUE(parseConfig("alerts:\n  sinks: []\n", "medic.yaml").alerts.sinks.empty());
}

TEST(ConfigAlerts, EverySinkTypeWithItsKeysAndDefaults) {
  const Config c = parseConfig(R"(
alerts:
  sinks:
    - type: log
      min_severity: warning
    - type: file
    - type: webhook
      url: http://127.0.0.1:9000/hooks/medic
      format: slack
      timeout: 2s
      retries: 5
    - type: alertmanager
      url: http://127.0.0.1:9093
      min_severity: critical
    - type: command
      argv: [/usr/local/bin/page-oncall, --team, web]
)",
                               "medic.yaml");
  EXPECT_TRUE(c.notes.empty()) << "alerts is no longer a reserved section";
  const auto& s = c.alerts.sinks;
  ASSERT_EQ(s.size(), 5u);
  EXPECT_EQ(s[0].kind, AlertSinkKind::kLog);
  EXPECT_EQ(s[0].min_severity, "warning");
  EXPECT_EQ(s[1].kind, AlertSinkKind::kFile);
  EXPECT_EQ(s[1].min_severity, "critical");
  EXPECT_EQ(s[2].kind, AlertSinkKind::kWebhook);
  EXPECT_EQ(s[2].url, "http://127.0.0.1:9000/hooks/medic");
  EXPECT_EQ(s[2].format, "slack");
  EXPECT_EQ(s[2].timeout, Millis(2000));
  EXPECT_EQ(s[2].retries, 5);
  EXPECT_EQ(s[2].min_severity, "warning");
  EXPECT_EQ(s[2].line, 7);
  EXPECT_EQ(s[3].kind, AlertSinkKind::kAlertmanager);
  EXPECT_EQ(s[3].min_severity, "critical");
  EXPECT_EQ(s[3].timeout, Millis(5000));
  EXPECT_EQ(s[3].retries, 3);
  EXPECT_EQ(s[4].kind, AlertSinkKind::kCommand);
  EXPECT_THAT(s[4].argv, ElementsAre("/usr/local/bin/page-oncall", "--team", "web"));
  EXPECT_EQ(s[4].timeout, Millis(10'000));
}

TEST(ConfigAlerts, MistakesNameTheLineAndKey) {
  EXPECT_THAT(errorOf("alerts:\n  sinks:\n    - type: pager\n"),
              StartsWith("medic.yaml:3: alerts.sinks[0].type: 'pager' is not a sink type"));
  EXPECT_THAT(errorOf("alerts:\n  sinks:\n    - url: http://127.0.0.1:1/\n"),
              StartsWith("medic.yaml:3: alerts.sinks[0]: a sink needs a type"));
  EXPECT_THAT(errorOf("alerts:\n  sinks:\n    - type: webhook\n"),
              StartsWith("medic.yaml:3: alerts.sinks[0]: a webhook sink needs a url"));
  EXPECT_THAT(errorOf("alerts:\n  sinks:\n    - {type: webhook, url: ftp://hooks.example/x}\n"),
              AllOf(StartsWith("medic.yaml:3: alerts.sinks[0].url:"),
                    HasSubstr("must start with https:// or http://")));
  EXPECT_THAT(errorOf("alerts:\n  sinks:\n    - {type: webhook, url: \"http://u:p@127.0.0.1/\"}\n"),
              HasSubstr("credentials in the URL are refused"));
  EXPECT_THAT(errorOf("alerts:\n  sinks:\n    - {type: webhook, url: http://127.0.0.1/, "
                      "format: teams}\n"),
              HasSubstr("'teams' is not a webhook format; use json, slack, discord, ntfy or "
                        "msteams"));
  EXPECT_THAT(errorOf("alerts:\n  sinks:\n    - {type: log, min_severity: urgent}\n"),
              HasSubstr("'urgent' is not a severity; use info, warning or critical"));
  EXPECT_THAT(errorOf("alerts:\n  sinks:\n    - {type: file, min_severity: warning}\n"),
              HasSubstr("holds critical alerts only"));
  EXPECT_THAT(errorOf("alerts:\n  sinks:\n    - {type: command, url: http://127.0.0.1/}\n"),
              StartsWith("medic.yaml:3: alerts.sinks[0].url: applies only to webhook and "
                         "alertmanager sinks, and this is a command sink"));
  EXPECT_THAT(errorOf("alerts:\n  sinks:\n    - {type: webhook, url: http://127.0.0.1/, "
                      "retries: 50}\n"),
              HasSubstr("50 is out of range; use 0 to 10"));
  EXPECT_THAT(errorOf("alerts:\n  sinks:\n    - {type: log}\n    - {type: log}\n"),
              StartsWith("medic.yaml:4: alerts.sinks[1]: a second log sink"));
  EXPECT_THAT(errorOf("alerts:\n  sink: []\n"),
              StartsWith("medic.yaml:2: alerts.sink: unknown key (did you mean 'sinks'?)"));
}

TEST(ConfigAlerts, HttpsSinksWithACaFileHeadersFormatsAndNames) {
  const Config c = parseConfig(R"(
alerts:
  sinks:
    - type: webhook
      name: slack-ops
      url: https://hooks.slack.com/services/T0/B0/XXXX
      format: slack
    - type: webhook
      url: https://hooks.internal:8443/medic
      ca_file: /etc/medic/internal-ca.pem
      format: msteams
      headers:
        Authorization: {file: /etc/medic/hook-token}
        X-Api-Key: {env: MEDIC_HOOK_KEY}
        X-Team: web
    - {type: webhook, url: "https://ntfy.example/medic-alerts", format: ntfy}
    - {type: webhook, url: "https://discord.com/api/webhooks/1/abc", format: discord}
    - {type: alertmanager, url: https://am.internal, headers: {Authorization: {env: AM_AUTH}}}
)",
                               "medic.yaml");
  const auto& s = c.alerts.sinks;
  ASSERT_EQ(s.size(), 5u);
  EXPECT_EQ(s[0].name, "slack-ops");
  EXPECT_EQ(s[1].name, "webhook") << "unnamed sinks are named by type, counting from the second";
  EXPECT_EQ(s[2].name, "webhook_2");
  EXPECT_EQ(s[3].name, "webhook_3");
  EXPECT_EQ(s[4].name, "alertmanager");
  EXPECT_EQ(s[1].ca_file, "/etc/medic/internal-ca.pem");
  EXPECT_EQ(s[1].format, "msteams");
  EXPECT_EQ(s[2].format, "ntfy");
  EXPECT_EQ(s[3].format, "discord");
  ASSERT_EQ(s[1].headers.size(), 3u);
  using Source = SinkHeader::Source;
  EXPECT_EQ(s[1].headers[0].name, "Authorization");
  EXPECT_EQ(s[1].headers[0].source, Source::kFile);
  EXPECT_EQ(s[1].headers[0].value, "/etc/medic/hook-token");
  EXPECT_EQ(s[1].headers[0].origin, "medic.yaml:13: alerts.sinks[1].headers.Authorization");
  EXPECT_EQ(s[1].headers[1].source, Source::kEnv);
  EXPECT_EQ(s[1].headers[1].value, "MEDIC_HOOK_KEY");
  EXPECT_EQ(s[1].headers[2].source, Source::kText);
  EXPECT_EQ(s[1].headers[2].value, "web");
  EXPECT_EQ(s[4].headers.at(0).value, "AM_AUTH");
}

TEST(ConfigAlerts, HttpsSinkMistakesNameTheLineAndKey) {
  EXPECT_THAT(errorOf("alerts:\n  sinks:\n    - {type: webhook, url: http://127.0.0.1/, "
                      "ca_file: /ca.pem}\n"),
              AllOf(StartsWith("medic.yaml:3: alerts.sinks[0].ca_file: ca_file is for https"),
                    HasSubstr("http://127.0.0.1/")));
  EXPECT_THAT(errorOf("alerts:\n  sinks:\n    - {type: command, argv: [x], ca_file: /ca.pem}\n"),
              StartsWith("medic.yaml:3: alerts.sinks[0].ca_file: applies only to webhook and "
                         "alertmanager sinks"));
  EXPECT_THAT(errorOf("alerts:\n  sinks:\n    - type: webhook\n      url: https://h/x\n"
                      "      headers:\n        Authorization: {file: /a, env: B}\n"),
              AllOf(StartsWith("medic.yaml:6: alerts.sinks[0].headers.Authorization: "),
                    HasSubstr("exactly one of file and env")));
  EXPECT_THAT(errorOf("alerts:\n  sinks:\n    - type: webhook\n      url: https://h/x\n"
                      "      headers:\n        Authorization: {vault: x}\n"),
              StartsWith("medic.yaml:6: alerts.sinks[0].headers.Authorization.vault: unknown key"));
  EXPECT_THAT(errorOf("alerts:\n  sinks:\n    - type: webhook\n      url: https://h/x\n"
                      "      headers:\n        X-Key: {env: \"A B\"}\n"),
              AllOf(StartsWith("medic.yaml:6: alerts.sinks[0].headers.X-Key.env: "),
                    HasSubstr("is not an environment variable name")));
  EXPECT_THAT(errorOf("alerts:\n  sinks:\n    - type: webhook\n      url: https://h/x\n"
                      "      headers:\n        Content-Type: text/plain\n"),
              StartsWith("medic.yaml:6: alerts.sinks[0].headers.Content-Type: medic sets "
                         "Content-Type itself"));
  EXPECT_THAT(errorOf("alerts:\n  sinks:\n    - {type: webhook, url: https://a/x, name: ops}\n"
                      "    - {type: webhook, url: https://b/x, name: ops}\n"),
              AllOf(StartsWith("medic.yaml:4: alerts.sinks[1]: a second sink named 'ops'")));
  EXPECT_THAT(errorOf("alerts:\n  sinks:\n    - {type: webhook, url: https://a/x, name: \"a b\"}\n"),
              HasSubstr("'a b' is not a sink name"));
  EXPECT_THAT(errorOf("alerts:\n  sinks:\n    - {type: webhook, url: \"https://ntfy.sh/\", "
                      "format: ntfy}\n"),
              AllOf(StartsWith("medic.yaml:3: alerts.sinks[0].format: "),
                    HasSubstr("ends with the topic")));
  EXPECT_THAT(errorOf("alerts:\n  sinks:\n    - {type: log, name: x}\n"),
              StartsWith("medic.yaml:3: alerts.sinks[0].name: applies only to webhook, "
                         "alertmanager and command sinks"));
}

TEST(ConfigAlerts, CommandsAreArgvListsNeverShellStrings) {
  EXPECT_THAT(errorOf("alerts:\n  sinks:\n    - type: command\n      argv: \"notify --all\"\n"),
              AllOf(StartsWith("medic.yaml:4: alerts.sinks[0].argv: no shell strings"),
                    HasSubstr("medic never runs a shell")));
  EXPECT_THAT(errorOf("alerts:\n  sinks:\n    - type: command\n"),
              HasSubstr("a command sink needs argv"));
  EXPECT_THAT(errorOf("alerts:\n  sinks:\n    - {type: command, argv: []}\n"),
              HasSubstr("the argv needs at least a program name"));
}

TEST(ConfigEvidence, RetentionAndScreenshotKeysWithDefaultsAndMistakes) {
  const Config defaults = parseConfig("", "medic.yaml");
  EXPECT_EQ(defaults.evidence.max_age, Millis(30LL * 24 * 3600 * 1000));
  EXPECT_EQ(defaults.evidence.max_bytes, 512LL * 1024 * 1024);
  EXPECT_EQ(defaults.evidence.chromium, "chromium");

  const Config c = parseConfig(
      "evidence:\n  max_age: 7d\n  max_bytes: 64MiB\n  prune_interval: 30s\n"
      "  screenshot_interval: 1m\n  screenshot_timeout: 10s\n  chromium: /usr/bin/chromium\n",
      "medic.yaml");
  EXPECT_EQ(c.evidence.max_age, Millis(7LL * 24 * 3600 * 1000));
  EXPECT_EQ(c.evidence.max_bytes, 64LL * 1024 * 1024);
  EXPECT_EQ(c.evidence.prune_interval, Millis(30'000));
  EXPECT_EQ(c.evidence.screenshot_interval, Millis(60'000));
  EXPECT_EQ(c.evidence.screenshot_timeout, Millis(10'000));
  EXPECT_EQ(c.evidence.chromium, "/usr/bin/chromium");
  EXPECT_EQ(parseConfig("evidence:\n  max_bytes: 2GB\n", "m").evidence.max_bytes, 2'000'000'000);
  EXPECT_EQ(parseConfig("evidence:\n  max_bytes: 0\n", "m").evidence.max_bytes, 0);

  EXPECT_THAT(errorOf("evidence:\n  max_bytes: 512\n"),
              AllOf(StartsWith("medic.yaml:2: evidence.max_bytes: '512' is not a size"),
                    HasSubstr("MiB")));
  EXPECT_THAT(errorOf("evidence:\n  max_age: forever\n"),
              StartsWith("medic.yaml:2: evidence.max_age: 'forever' is not a duration"));
  EXPECT_THAT(errorOf("evidence:\n  screenshot_timeout: 0s\n"),
              HasSubstr("must be longer than 0s"));
  EXPECT_THAT(errorOf("evidence:\n  maxage: 1d\n"),
              StartsWith("medic.yaml:2: evidence.maxage: unknown key (did you mean 'max_age'?)"));
}

TEST(ConfigGood, DiamondDependenciesAreNotACycle) {
  const Config c = parseConfig(R"(
services:
  web: {depends_on: [api, auth]}
  api: {depends_on: [db]}
  auth: {depends_on: [db]}
  db: {}
)",
                               "medic.yaml");
  EXPECT_EQ(c.services.size(), 4u);
}

TEST(ConfigGood, SmallAliasUseIsFine) {
  const Config c = parseConfig(R"(
services:
  a:
    recovery: &slow {stop_timeout: 30s, rollback: false}
  b:
    recovery: *slow
)",
                               "medic.yaml");
  EXPECT_EQ(serviceNamed(c, "b").recovery.stop_timeout, Millis(30'000));
  EXPECT_FALSE(serviceNamed(c, "b").recovery.rollback);
}

// ---------------------------------------------------------------------------------------------
// Bad files: every message names the file, the 1-based line and the key path.

TEST(ConfigGood, RemoteReadingKeys) {
  const auto c = parseConfig(
      "listen: 0.0.0.0:9443\nallowed_hosts: [medic.example.net, 203.0.113.5]\n"
      "metrics_token_file: /etc/medic/metrics.token\ntls_cert_file: /etc/medic/tls.crt\n"
      "tls_key_file: /etc/medic/tls.key\nexternal_url: https://medic.example.net:9443/\n",
      "medic.yaml");
  EXPECT_THAT(c.allowed_hosts, ElementsAre("medic.example.net", "203.0.113.5"));
  EXPECT_EQ(c.metrics_token_file, "/etc/medic/metrics.token");
  EXPECT_EQ(c.tls_cert_file, "/etc/medic/tls.crt");
  EXPECT_EQ(c.tls_key_file, "/etc/medic/tls.key");
  EXPECT_EQ(c.external_url, "https://medic.example.net:9443/");
  const auto d = parseConfig("", "medic.yaml");
  EXPECT_TRUE(d.allowed_hosts.empty());
  EXPECT_TRUE(d.tls_cert_file.empty());
}

TEST(ConfigBad, RemoteReadingKeysSayWhatToWrite) {
  EXPECT_EQ(errorOf("allowed_hosts: [\"https://medic.example.net:9443\"]\n"),
            "medic.yaml:1: allowed_hosts[0]: 'https://medic.example.net:9443' is not a host name; "
            "write the name alone, without scheme or port (e.g. medic.example.net)");
  EXPECT_THAT(errorOf("tls_cert_file: /etc/medic/tls.crt\n"),
              HasSubstr("tls_cert_file: tls_cert_file and tls_key_file go together"));
  EXPECT_THAT(errorOf("tls_key_file: tls.key\n"),
              HasSubstr("tls_key_file: 'tls.key' is relative; write an absolute path"));
  EXPECT_THAT(errorOf("external_url: medic.example.net\n"),
              HasSubstr("external_url: 'medic.example.net' is not an http(s) URL"));
}

TEST(ConfigBad, BadDurationMessageIsExact) {
  EXPECT_EQ(errorOf(R"(services:
  webui:
    probes:
      - http: http://127.0.0.1:3000/
        interval: 10 sec
)"),
            "medic.yaml:5: services.webui.probes[0].interval: '10 sec' is not a duration (use e.g. "
            "500ms, 10s, 5m)");
  EXPECT_THAT(
      errorOf("resync_interval: 30\n"),
      AllOf(StartsWith("medic.yaml:1: resync_interval: '30' has no unit"), HasSubstr("30s")));
  EXPECT_THAT(errorOf("docker_timeout: -5s\n"),
              StartsWith("medic.yaml:1: docker_timeout: '-5s' is not a duration"));
}

TEST(ConfigBad, UnknownTopLevelKeySuggestsTheNearMiss) {
  EXPECT_EQ(errorOf("listen: 127.0.0.1:8080\nlisten_adress: x\nlistne: 127.0.0.1:1\n"),
            "medic.yaml:2: listen_adress: unknown key; the keys allowed here are listen, docker, "
            "docker_timeout, state_dir, resync_interval, stall_timeout, shutdown_timeout, "
            "log_level, select, defaults, services, endpoints, alerts, evidence, phases, deploy, "
            "channels, allowed_hosts, metrics_token_file, tls_cert_file, tls_key_file, external_url");
  EXPECT_EQ(errorOf("\nlistne: 127.0.0.1:1\n"),
            "medic.yaml:2: listne: unknown key (did you mean 'listen'?)");
}

TEST(ConfigBad, UnknownNestedKeyNamesTheFullPath) {
  EXPECT_EQ(errorOf(R"(services:
  webui:
    probes:
      - http: http://127.0.0.1:3000/
        intervall: 5s
)"),
            "medic.yaml:5: services.webui.probes[0].intervall: unknown key (did you mean "
            "'interval'?)");
  EXPECT_EQ(errorOf("defaults:\n  recovery:\n    max-attempts: 2\n"),
            "medic.yaml:3: defaults.recovery.max-attempts: unknown key (did you mean "
            "'max_attempts'?)");
  EXPECT_THAT(errorOf("services:\n  a:\n    match:\n      image: nginx\n"),
              StartsWith("medic.yaml:4: services.a.match.image: unknown key"));
}

TEST(ConfigBad, WrongTypesSayWhatWasExpected) {
  EXPECT_EQ(errorOf("services:\n  a:\n    critical: maybe\n"),
            "medic.yaml:3: services.a.critical: expected true or false, got 'maybe'");
  EXPECT_EQ(errorOf("defaults:\n  probe:\n    failure_threshold: three\n"),
            "medic.yaml:3: defaults.probe.failure_threshold: expected a whole number, got 'three'");
  EXPECT_EQ(errorOf("services:\n  a:\n    probes:\n      http: http://127.0.0.1/\n"),
            "medic.yaml:4: services.a.probes: expected a list, got a map");
  EXPECT_EQ(errorOf("listen: [127.0.0.1, 8080]\n"),
            "medic.yaml:1: listen: expected a text value, got a list");
  EXPECT_THAT(errorOf("- listen\n"), StartsWith("medic.yaml:1: the file must be a map of keys"));
  EXPECT_THAT(errorOf("services:\n  a:\n    depends_on: b\n"),
              StartsWith("medic.yaml:3: services.a.depends_on: expected a list of service names"));
}

TEST(ConfigBad, OutOfRangeValuesAreRejectedNotClamped) {
  EXPECT_EQ(
      errorOf("services:\n  a:\n    probes:\n      - tcp: 127.0.0.1:1\n"
              "        failure_threshold: 0\n"),
      "medic.yaml:5: services.a.probes[0].failure_threshold: 0 is out of range; use 1 to 1000");
  EXPECT_EQ(errorOf("defaults:\n  probe:\n    success_threshold: 0\n"),
            "medic.yaml:3: defaults.probe.success_threshold: 0 is out of range; use 1 to 1000");
  EXPECT_EQ(errorOf("defaults:\n  probe:\n    interval: 0s\n"),
            "medic.yaml:3: defaults.probe.interval: must be longer than 0s");
  EXPECT_EQ(errorOf("defaults:\n  recovery:\n    backoff_jitter: 1.5\n"),
            "medic.yaml:3: defaults.recovery.backoff_jitter: 1.5 is out of range; use 0 to 1");
  EXPECT_THAT(errorOf("defaults:\n  recovery:\n    backoff_initial: 2m\n    backoff_max: 1m\n"),
              StartsWith("medic.yaml:4: defaults.recovery.backoff_max: backoff_max (1m) is "
                         "shorter than backoff_initial (2m)"));
  EXPECT_THAT(errorOf("resync_interval: 5m\n"),
              StartsWith("medic.yaml:1: resync_interval: 5m is too long"));
  EXPECT_THAT(errorOf("resync_interval: 10s\nstall_timeout: 10s\n"),
              StartsWith("medic.yaml:2: stall_timeout: 10s is not longer than resync_interval "
                         "(10s)"));
  EXPECT_THAT(errorOf("shutdown_timeout: soon\n"),
              StartsWith("medic.yaml:1: shutdown_timeout: 'soon' is not a duration"));
  EXPECT_THAT(errorOf("services:\n  a:\n    probes:\n      - http: http://127.0.0.1/\n"
                      "        expect_status: 700\n"),
              StartsWith("medic.yaml:5: services.a.probes[0].expect_status: 700 is not an HTTP "
                         "status"));
  EXPECT_THAT(errorOf("log_level: verbose\n"),
              StartsWith("medic.yaml:1: log_level: 'verbose' is not a log level"));
  EXPECT_THAT(errorOf("state_dir: var/lib/medic\n"),
              StartsWith("medic.yaml:1: state_dir: 'var/lib/medic' is relative"));
}

TEST(ConfigBad, ProbeUrlsMustBeHttpOrHttps) {
  EXPECT_EQ(errorOf("services:\n  a:\n    probes:\n      - http: ftp://127.0.0.1/file\n"),
            "medic.yaml:4: services.a.probes[0].http: 'ftp://127.0.0.1/file': scheme 'ftp' is not "
            "allowed; probe URLs are http:// or https:// only");
  EXPECT_THAT(errorOf("endpoints:\n  - name: x\n    url: file:///etc/passwd\n"),
              StartsWith("medic.yaml:3: endpoints[0].url: 'file:///etc/passwd': scheme 'file' is "
                         "not allowed"));
  EXPECT_THAT(errorOf("endpoints:\n  - url: 127.0.0.1:8080/health\n"),
              StartsWith("medic.yaml:2: endpoints[0].url: '127.0.0.1:8080/health'"));
  EXPECT_THAT(errorOf("endpoints:\n  - url: http://127.0.0.1:99999/\n"),
              HasSubstr("the port must be a number from 1 to 65535"));
  EXPECT_THAT(errorOf("endpoints:\n  - name: x\n"),
              StartsWith("medic.yaml:2: endpoints[0]: an endpoint needs a url: key"));
}

TEST(ConfigBad, HostPortAndDockerAddressesAreChecked) {
  EXPECT_THAT(errorOf("listen: 127.0.0.1\n"),
              StartsWith("medic.yaml:1: listen: '127.0.0.1' has no port"));
  EXPECT_THAT(errorOf("listen: 127.0.0.1:0\n"),
              HasSubstr("the port must be a number from 1 to 65535"));
  EXPECT_THAT(errorOf("services:\n  a:\n    probes:\n      - tcp: 300.1.1.1:80\n"),
              StartsWith("medic.yaml:4: services.a.probes[0].tcp: '300.1.1.1:80': '300.1.1.1' is "
                         "not a host name or IP address"));
  EXPECT_THAT(errorOf("services:\n  a:\n    probes:\n      - tcp: ::1:80\n"),
              HasSubstr("an IPv6 address needs brackets"));
  EXPECT_THAT(errorOf("docker: /var/run/docker.sock\n"),
              StartsWith("medic.yaml:1: docker: '/var/run/docker.sock' is not a Docker address"));
  EXPECT_THAT(errorOf("docker: unix://var/run/docker.sock\n"),
              HasSubstr("the socket path must be absolute"));
}

TEST(ConfigBad, ShellStringExecIsRefused) {
  EXPECT_EQ(errorOf("services:\n  db:\n    probes:\n      - exec: pg_isready -h 127.0.0.1\n"),
            "medic.yaml:4: services.db.probes[0].exec: no shell strings: write the argv as a "
            "list, e.g. exec: [\"pg_isready\", \"-h\", \"127.0.0.1\"] (medic never runs a shell)");
  EXPECT_THAT(errorOf("services:\n  db:\n    probes:\n      - command: \"curl -f x || exit 1\"\n"),
              StartsWith("medic.yaml:4: services.db.probes[0].command: no shell strings"));
  EXPECT_THAT(errorOf("services:\n  db:\n    probes:\n      - exec: []\n"),
              StartsWith("medic.yaml:4: services.db.probes[0].exec: the argv needs at least a "
                         "program name"));
}

TEST(ConfigBad, ProbeNeedsExactlyOneKindAndOnlyItsOwnKeys) {
  EXPECT_THAT(errorOf("services:\n  a:\n    probes:\n      - interval: 5s\n"),
              StartsWith("medic.yaml:4: services.a.probes[0]: a probe needs one of: http, tcp"));
  EXPECT_THAT(
      errorOf("services:\n  a:\n    probes:\n      - http: http://127.0.0.1/\n        tcp: "
              "127.0.0.1:1\n"),
      StartsWith("medic.yaml:5: services.a.probes[0]: a probe has exactly one kind, found both "
                 "http and tcp"));
  EXPECT_EQ(errorOf("services:\n  a:\n    probes:\n      - tcp: 127.0.0.1:1\n"
                    "        expect_status: 200\n"),
            "medic.yaml:5: services.a.probes[0].expect_status: applies only to http probes, and "
            "this is a tcp probe");
  EXPECT_THAT(
      errorOf("services:\n  a:\n    probes:\n      - docker: false\n"),
      StartsWith("medic.yaml:4: services.a.probes[0].docker: docker: false is not a probe"));
  EXPECT_THAT(errorOf("services:\n  a:\n    probes:\n      - http:\n"),
              StartsWith("medic.yaml:4: services.a.probes[0].http: needs a value"));
  EXPECT_THAT(errorOf("services:\n  a:\n    probes:\n      - tcp: 127.0.0.1:1\n      - tcp: "
                      "127.0.0.1:1\n"),
              StartsWith("medic.yaml:5: services.a.probes[1]: two probes are both named "
                         "'tcp:127.0.0.1:1'"));
}

TEST(ConfigBad, DuplicateServiceNamesAndKeys) {
  EXPECT_THAT(errorOf("services:\n  web: {}\n  db: {}\n  web: {critical: true}\n"),
              StartsWith("medic.yaml:4: services.web: key written twice"));
  EXPECT_THAT(errorOf("listen: 127.0.0.1:1\nlisten: 127.0.0.1:2\n"),
              StartsWith("medic.yaml:2: listen: key written twice"));
  EXPECT_THAT(errorOf("services:\n  \"my web\": {}\n"),
              StartsWith("medic.yaml:2: services: 'my web' is not a usable service name"));
}

TEST(ConfigBad, DependsOnMustNameKnownServicesOnce) {
  EXPECT_EQ(errorOf("services:\n  web:\n    depends_on: [api, dbb]\n  api: {}\n  db: {}\n"),
            "medic.yaml:3: services.web.depends_on[1]: 'dbb' is not a service in this file; "
            "declare it under services: or remove it from depends_on");
  EXPECT_EQ(errorOf("services:\n  web:\n    depends_on:\n      - db\n      - db\n  db: {}\n"),
            "medic.yaml:5: services.web.depends_on[1]: 'db' is listed twice");
}

TEST(ConfigBad, DependencyCycleIsNamedInFull) {
  EXPECT_THAT(errorOf(R"(services:
  a: {depends_on: [b]}
  b: {depends_on: [c]}
  c:
    depends_on:
      - a
)"),
              StartsWith("medic.yaml:6: services.c.depends_on[0]: dependency cycle a -> b -> c "
                         "-> a"));
  EXPECT_THAT(errorOf("services:\n  a:\n    depends_on: [a]\n"),
              StartsWith("medic.yaml:3: services.a.depends_on[0]: dependency cycle a -> a"));
}

TEST(ConfigBad, SyntaxErrorNamesFileAndLine) {
  EXPECT_THAT(errorOf("listen: 127.0.0.1:8080\nservices:\n  web: [unclosed\n  db: {}\n"),
              AllOf(StartsWith("medic.yaml:"), HasSubstr("YAML syntax error")));
  EXPECT_THAT(errorOf("services:\n  web:\n    critical: true\n   bad_indent: 1\n"),
              StartsWith("medic.yaml:4: YAML syntax error"));
  EXPECT_THAT(errorOf("services:\n  web: *nowhere\n"),
              StartsWith("medic.yaml:2: YAML syntax error"));
}

TEST(ConfigBad, OversizeTextAndFileAreRefused) {
  std::string big = "# padding\n";
  while (big.size() <= 1024 * 1024)
    big += "# ......................................................\n";
  EXPECT_THAT(errorOf(big),
              AllOf(StartsWith("medic.yaml: "), HasSubstr("over the limit of 1048576")));
  TempFile file(big);
  try {
    loadConfigFile(file.path());
    ADD_FAILURE() << "an oversize file loaded";
  } catch (const ConfigError& e) {
    EXPECT_THAT(e.what(), AllOf(StartsWith(file.path() + ": "), HasSubstr("over the limit")));
  }
}

TEST(ConfigBad, AliasBombsAreRefused) {
  // Exponential expansion with few aliases: 9 levels of 10 -> 10^9 nodes.
  std::string bomb = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
  for (int i = 1; i <= 9; ++i) {
    bomb += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " [";
    for (int j = 0; j < 10; ++j) bomb += std::string(j ? ", " : "") + "*a" + std::to_string(i - 1);
    bomb += "]\n";
  }
  EXPECT_THAT(errorOf(bomb), AllOf(StartsWith("medic.yaml:"), HasSubstr("alias bomb")));
  // Many cheap aliases.
  std::string many = "alerts:\n  base: &b 1\n  uses: [";
  for (int i = 0; i < 101; ++i) many += std::string(i ? ", " : "") + "*b";
  many += "]\n";
  EXPECT_THAT(errorOf(many),
              AllOf(StartsWith("medic.yaml:3: more than 100 alias uses"), HasSubstr("alias bomb")));
}

TEST(ConfigBad, DeepNestingIsRefused) {
  std::string deep = "alerts: ";
  for (int i = 0; i < 40; ++i) deep += "[";
  for (int i = 0; i < 40; ++i) deep += "]";
  EXPECT_THAT(errorOf(deep + "\n"), StartsWith("medic.yaml:1: nesting deeper than 32 levels"));
  // Far deeper than yaml-cpp's own recursion guard still fails cleanly, not with a crash.
  EXPECT_THAT(errorOf(std::string(100'000, '[')), StartsWith("medic.yaml:1: nesting deeper"));
}

TEST(ConfigBad, OnlyOneDocumentPerFile) {
  EXPECT_THAT(errorOf("listen: 127.0.0.1:1\n---\nlisten: 127.0.0.1:2\n"),
              StartsWith("medic.yaml:2: a second YAML document"));
}

TEST(ConfigBad, MergeKeysAreNotSilentlyMisread) {
  EXPECT_THAT(errorOf("defaults:\n  recovery: &r {max_attempts: 2}\nservices:\n  a:\n    "
                      "recovery:\n      <<: *r\n"),
              StartsWith("medic.yaml:6: services.a.recovery: YAML merge keys (<<) are not "
                         "supported"));
}

TEST(ConfigFile, ErrorsNameThePathGivenAndMissingFilesSaySo) {
  TempFile file("listen: 127.0.0.1:8080\nlog_level: loud\n");
  try {
    loadConfigFile(file.path());
    ADD_FAILURE() << "a bad file loaded";
  } catch (const ConfigError& e) {
    EXPECT_THAT(e.what(), StartsWith(file.path() + ":2: log_level: 'loud' is not a log level"));
  }
  try {
    loadConfigFile("/nonexistent/medic.yaml");
    ADD_FAILURE() << "a missing file loaded";
  } catch (const ConfigError& e) {
    EXPECT_THAT(e.what(), AllOf(StartsWith("/nonexistent/medic.yaml: cannot read config file"),
                                HasSubstr("No such file")));
  }
  try {
    loadConfigFile(::testing::TempDir());
    ADD_FAILURE() << "a directory loaded";
  } catch (const ConfigError& e) {
    EXPECT_THAT(e.what(), HasSubstr("is a directory"));
  }
}

// ---------------------------------------------------------------------------------------------
// Address checks, shared with label parsing.

TEST(Address, HostPortAcceptsNamesIpv4AndBracketedIpv6) {
  for (const char* ok :
       {"127.0.0.1:8080", "localhost:1", "db.internal:5432", "[::1]:65535", "shop_db_1:5432"}) {
    EXPECT_TRUE(checkHostPort(ok)) << ok;
  }
  for (const char* bad : {"", ":80", "host:", "host:http", "host:65536", "-host:80", "a b:80",
                          "[::1]80", "[nope]:80", "1.2.3:80"}) {
    EXPECT_FALSE(checkHostPort(bad)) << bad;
  }
}

TEST(Address, HttpUrlAcceptsOnlyHttpAndHttpsWithAHost) {
  for (const char* ok : {"http://127.0.0.1/", "HTTPS://example.org:8443/a?b=c", "http://[::1]:80/",
                         "http://localhost"}) {
    EXPECT_TRUE(checkHttpUrl(ok)) << ok;
  }
  for (const char* bad : {"", "http://", "gopher://x/", "http:/x", "javascript:alert(1)",
                          "http://exa mple.org/", "http://host:0/"}) {
    EXPECT_FALSE(checkHttpUrl(bad)) << bad;
  }
}

// ---------------------------------------------------------------------------------------------
// docs/config.md: every yaml block on the page is a config medic accepts.

TEST(ConfigDocs, EveryYamlBlockInTheDocsParses) {
  std::ifstream in(MEDIC_SOURCE_DIR "/docs/config.md");
  ASSERT_TRUE(in) << "docs/config.md is missing";
  std::string line;
  std::string block;
  int line_no = 0;
  int block_start = 0;
  int blocks = 0;
  bool in_yaml = false;
  while (std::getline(in, line)) {
    ++line_no;
    if (!in_yaml && line == "```yaml") {
      in_yaml = true;
      block.clear();
      block_start = line_no + 1;
    } else if (in_yaml && line == "```") {
      in_yaml = false;
      ++blocks;
      const std::string source = "docs/config.md@" + std::to_string(block_start);
      try {
        parseConfig(block, source);
      } catch (const ConfigError& e) {
        ADD_FAILURE() << "docs/config.md has a yaml block medic rejects: " << e.what();
      }
    } else if (in_yaml) {
      block += line + "\n";
    }
  }
  EXPECT_FALSE(in_yaml) << "unterminated yaml block";
  EXPECT_GE(blocks, 8);  // the page has a block per section plus the full example
}

}  // namespace
}  // namespace medic::config
