#pragma once
/// medic.yaml as typed, validated values. Every key is optional; defaults are the values written
/// here and documented in docs/config.md. Parsing is the one place that may throw (ConfigError).

#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/result.h"
#include "core/time.h"

namespace medic::config {

/// Every message is "<file>:<line>: <key path>: <what is wrong and what to write>", e.g.
/// medic.yaml:12: services.webui.probes[0].interval: '10 sec' is not a duration (use e.g. 10s)
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

enum class ProbeKind { kDocker, kHttp, kTcp, kExec, kCommand };

/// The key a probe kind has in medic.yaml: "docker", "http", "tcp", "exec", "command".
inline const char* toString(ProbeKind kind) {
  switch (kind) {
    case ProbeKind::kDocker: return "docker";
    case ProbeKind::kHttp: return "http";
    case ProbeKind::kTcp: return "tcp";
    case ProbeKind::kExec: return "exec";
    case ProbeKind::kCommand: return "command";
  }
  return "http";
}

struct ProbeConfig {
  ProbeKind kind = ProbeKind::kHttp;
  std::string name;               ///< defaults to "<kind>" or "<kind>:<target>"
  std::string url;                ///< http: http(s)://host:port/path
  std::string address;            ///< tcp: host:port
  std::vector<std::string> argv;  ///< exec (inside the container) / command (on the host)
  int expect_status_min = 200;    ///< http: accepted status range, inclusive
  int expect_status_max = 299;
  std::optional<std::string> body_contains;  ///< http: body must contain this text
  Millis interval{5000};
  Millis timeout{2000};
  int failure_threshold = 3;  ///< consecutive failures before the probe reports failed
  int success_threshold = 1;  ///< consecutive successes before it reports passing again
  Millis start_period{0};     ///< failures in this time after a container start do not count
  bool screenshot = false;
  /// http: extra request headers (e.g. Authorization, Cookie). Values of secret-looking names are
  /// redacted in evidence and sealed in the store.
  std::map<std::string, std::string> headers;

  bool operator==(const ProbeConfig&) const = default;
};

struct RecoveryConfig {
  int max_attempts = 3;  ///< recovery actions allowed per window
  Millis window{10 * 60 * 1000};
  Millis backoff_initial{1000};  ///< delay before the 2nd attempt; doubles each time
  Millis backoff_max{60 * 1000};
  double backoff_jitter = 0.2;     ///< +-20 % random spread
  Millis stop_timeout{10 * 1000};  ///< grace given to a process on restart
  Millis hung_stop_timeout{2000};  ///< grace for a frozen (hung/paused) process
  /// After a removal: time to wait for a replacement (compose up) before recreating the snapshot.
  Millis replacement_grace{10 * 1000};
  /// A replacement somebody else deployed gets this long (at least; the container's healthcheck
  /// start period plus the service's probe budget when that is longer) to pass before medic
  /// restores the previous snapshot. A definitive failure (exit, Docker unhealthy) ends it early.
  Millis replacement_trial{2 * 60 * 1000};
  /// When this service recovers from an incident, restart the services that depend on it
  /// (in dependency order), so they reconnect to it.
  bool restart_dependents = false;
  Millis flap_window{5 * 60 * 1000};  ///< a failure within this time after a recovery is a flap
  int flap_threshold = 3;             ///< flaps in a row before escalating
  Millis settle_timeout{60 * 1000};   ///< time for a recovered service to pass its probes
  bool rollback = true;               ///< try the last healthy image before escalating
};

/// How a config entry finds its container. Empty fields do not constrain; an entry with none set
/// matches a container whose compose service or name equals the entry's name.
struct MatchConfig {
  std::string container;                      ///< exact container name
  std::string compose_service;                ///< com.docker.compose.service
  std::string compose_project;                ///< com.docker.compose.project
  int compose_number = 0;  ///< com.docker.compose.container-number (a replica); 0 = any
  std::map<std::string, std::string> labels;  ///< every label must be present (value "" = any)
};

struct ServiceConfig {
  std::string name;
  MatchConfig match;
  bool critical = false;
  std::vector<ProbeConfig> probes;
  std::vector<std::string> depends_on;
  RecoveryConfig recovery;
  int line = 0;  ///< where it was declared, for messages
};

struct EndpointConfig {
  std::string name;
  ProbeConfig probe;  ///< kind http
  bool critical = false;
  Millis max_latency{0};  ///< 0 = no latency requirement

  bool operator==(const EndpointConfig&) const = default;
};

/// What a phase gate requires of its services and endpoints (`require:` in medic.yaml).
enum class GateRequirement {
  kHealthy,          ///< "healthy": every service runs, Docker health and probes pass
  kPresent,          ///< "present": every service has a container (nothing protected missing)
  kNoRecovery,       ///< "no_recovery": no service is being recovered right now
  kEndpointsAnswer,  ///< "endpoints_answer": every endpoint answers as configured
  kBaseline,         ///< "baseline": a baseline exists and the host matches it
};

/// The key of a requirement in medic.yaml.
inline const char* toString(GateRequirement r) {
  switch (r) {
    case GateRequirement::kHealthy: return "healthy";
    case GateRequirement::kPresent: return "present";
    case GateRequirement::kNoRecovery: return "no_recovery";
    case GateRequirement::kEndpointsAnswer: return "endpoints_answer";
    case GateRequirement::kBaseline: return "baseline";
  }
  return "healthy";
}

/// One phase gate (`phases.<0-9>` in medic.yaml). Empty `services`/`endpoints` with the `all_`
/// flag set mean every protected service / every configured endpoint.
struct PhaseConfig {
  int number = 0;
  std::string name;
  bool all_services = true;
  std::vector<std::string> services;
  bool all_endpoints = true;
  std::vector<std::string> endpoints;
  std::vector<GateRequirement> require;
  Millis max_evidence_age{60 * 1000};  ///< older evidence does not count
  int line = 0;                        ///< 0 for a seeded phase
};

/// The phases a pipeline expects (0 preflight, 3 baseline, 5 implementation safety, 6
/// infrastructure validation, 9 production accessibility); `phases:` entries replace them by
/// number.
std::map<int, PhaseConfig> seededPhases();

struct SelectConfig {
  bool labels = true;                         ///< protect containers labelled medic.enable=true
  bool all = false;                           ///< protect every container (like --all)
  std::vector<std::string> compose_projects;  ///< protect every container of these projects
};

struct DefaultsConfig {
  ProbeConfig probe;  ///< interval/timeout/thresholds applied to probes that omit them
  RecoveryConfig recovery;
};

/// Where alerts go (alerts.sinks in medic.yaml). The alerts library builds the sinks from these.
enum class AlertSinkKind { kLog, kFile, kWebhook, kAlertmanager, kCommand };

/// The `type:` of a sink in medic.yaml: "log", "file", "webhook", "alertmanager", "command".
inline const char* toString(AlertSinkKind kind) {
  switch (kind) {
    case AlertSinkKind::kLog: return "log";
    case AlertSinkKind::kFile: return "file";
    case AlertSinkKind::kWebhook: return "webhook";
    case AlertSinkKind::kAlertmanager: return "alertmanager";
    case AlertSinkKind::kCommand: return "command";
  }
  return "log";
}

/// A request header of a webhook or Alertmanager sink. Its value is text, or is read from a file
/// or the environment when the sink is built (alerts/configure.cc), so a secret never sits in
/// medic.yaml. Values are never logged, shown in the status or stored as evidence.
struct SinkHeader {
  enum class Source { kText, kFile, kEnv };
  std::string name;
  Source source = Source::kText;
  std::string value;   ///< kText: the value; kFile: the path; kEnv: the variable's name
  std::string origin;  ///< "medic.yaml:14: alerts.sinks[0].headers.Authorization", for messages
};

struct AlertSinkConfig {
  AlertSinkKind kind = AlertSinkKind::kLog;
  /// `name:`, else the type, with "_2", "_3", ... for a second and third sink of one type. Names
  /// are unique; counters, metrics and `medic alert test --sink NAME` use them.
  std::string name;
  /// "info", "warning" or "critical": the least severe alert this sink gets. Defaults: log info,
  /// file critical (and only critical), webhook/alertmanager/command warning.
  std::string min_severity;
  std::string url;                ///< webhook, alertmanager: http[s]://host[:port][/path]
  std::string ca_file;            ///< https: trust only this PEM CA file (default: system CAs)
  std::vector<SinkHeader> headers;  ///< webhook, alertmanager: sent with every request
  /// webhook: "json", "slack", "discord", "ntfy" or "msteams" (alerts/sinks/webhook_sink.h)
  std::string format = "json";
  std::vector<std::string> argv;  ///< command: program and arguments (never a shell string)
  Millis timeout{5000};           ///< webhook/alertmanager per attempt; command: until killed
  int retries = 3;                ///< webhook, alertmanager: attempts after the first
  int line = 0;                   ///< where it was declared, for messages
};

struct AlertsConfig {
  /// The log and file sinks always exist (logs/monitoring-alerts.log and
  /// alerts/critical-failures.json in the state dir); entries of type log or file only change
  /// their min_severity. Every other entry adds a sink.
  std::vector<AlertSinkConfig> sinks;
  /// The dashboard's URL, sent as Alertmanager's generatorURL. Set by the daemon from
  /// Config::external_url (or the listen address), not by the `alerts:` section.
  std::string dashboard_url;
};

/// The deploy guard (`deploy:` in medic.yaml; DESIGN §4 "Deploy guard").
struct DeployConfig {
  /// External validators that must confirm every deploy on deployment_coordination
  /// (`medic confirm ID`); medic's own probe suite ("medic") always validates too.
  std::vector<std::string> validators;
  Millis timeout{2 * 60 * 1000};          ///< for the new container to pass its probes
  Millis confirm_timeout{5 * 60 * 1000};  ///< for the validators to answer; silence = rejection
  Millis downtime_budget{5 * 60 * 1000};  ///< over it: a critical alert
  Millis probe_interval{500};             ///< validation probe rounds
  /// Consecutive passing rounds; 0 = the largest success_threshold of the service's probes.
  int success_threshold = 0;
};

/// Evidence retention and screenshots (`evidence:` in medic.yaml).
struct EvidenceConfig {
  Millis max_age{30LL * 24 * 60 * 60 * 1000};  ///< evidence older than this is deleted (0 = keep)
  int64_t max_bytes = 512LL * 1024 * 1024;     ///< then the oldest until the rest fits (0 = no cap)
  Millis prune_interval{10 * 60 * 1000};       ///< how often the daemon enforces both
  /// A probe with `screenshot: true` takes at most one screenshot in this time, and one at once
  /// when its result changes (passing <-> failing).
  Millis screenshot_interval{5 * 60 * 1000};
  Millis screenshot_timeout{30 * 1000};  ///< Chromium is killed after this
  std::string chromium = "chromium";     ///< program name (looked up in PATH) or absolute path
  /// Channel messages (SSE replay, dashboards' recent activity) kept in the store, newest, all
  /// channels together; the oldest go at each prune (0 = no cap).
  int max_messages = 100'000;
};

struct Config {
  std::string source;  ///< file path, or "" when no file was used (labels only)
  std::string listen = "127.0.0.1:8080";
  /// Host names the API accepts besides loopback ones (the name a central Prometheus or a
  /// browser uses to reach a non-loopback `listen`); any other Host is refused (DNS rebinding).
  std::vector<std::string> allowed_hosts;
  /// A file holding a second, read-only token that is accepted for GET /metrics only (a scraper
  /// then never holds the token that can change things). "" = none.
  std::string metrics_token_file;
  /// TLS on `listen`: PEM certificate (chain) and private key, both or neither; read again on
  /// SIGHUP. "" = plain HTTP.
  std::string tls_cert_file;
  std::string tls_key_file;
  /// The URL people open medic at (e.g. https://medic.example.net:8443/), for links in alerts;
  /// "" = derived from `listen`.
  std::string external_url;
  std::string docker = "unix:///var/run/docker.sock";  ///< or tcp://host:port
  Millis docker_timeout{10 * 1000};
  /// A fixed Docker API version (env DOCKER_API_VERSION, as the docker CLI reads it); "" =
  /// negotiate with the engine. Set by cli::resolveConfig, not by the file.
  std::string docker_api_version;
  std::string state_dir;  ///< "" = the CLI's default
  Millis resync_interval{30 * 1000};
  /// No resync pass completed (and no engine retry) for this long means the loop is stuck: medic
  /// withholds its systemd watchdog pings, so systemd restarts it. Longer than resync_interval.
  Millis stall_timeout{2 * 60 * 1000};
  /// On SIGTERM/SIGINT, how long actions in flight (a recreate) get to finish before medic exits;
  /// one still running then stays a pending intent, reconciled at the next start.
  Millis shutdown_timeout{20 * 1000};
  std::string log_level = "info";
  SelectConfig select;
  DefaultsConfig defaults;
  std::vector<ServiceConfig> services;
  std::vector<EndpointConfig> endpoints;
  AlertsConfig alerts;
  DeployConfig deploy;
  std::map<int, PhaseConfig> phases = seededPhases();
  EvidenceConfig evidence;
  /// Things worth logging that are not errors, each "<file>:<line>: <key>: <text>" (e.g. a
  /// reserved section such as `phases` that this version accepts and ignores).
  std::vector<std::string> notes;
};

/// Parses YAML text. `source` names it in errors. Throws ConfigError.
Config parseConfig(const std::string& text, const std::string& source);
/// Reads and parses a file; bounded size (1 MiB). Throws ConfigError naming the path.
Config loadConfigFile(const std::string& path);
/// A config with every default and no file (labels-only operation).
Config defaultConfig();

}  // namespace medic::config
