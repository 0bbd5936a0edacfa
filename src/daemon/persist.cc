#include "daemon/persist.h"

#include "evidence/redact.h"

namespace medic::daemon {
namespace {

config::ProbeKind kindFrom(const std::string& s) {
  if (s == "tcp") return config::ProbeKind::kTcp;
  if (s == "exec") return config::ProbeKind::kExec;
  if (s == "command") return config::ProbeKind::kCommand;
  if (s == "docker") return config::ProbeKind::kDocker;
  return config::ProbeKind::kHttp;
}

nlohmann::json recoveryToJson(const config::RecoveryConfig& r) {
  return {{"max_attempts", r.max_attempts},
          {"window_ms", r.window.count()},
          {"backoff_initial_ms", r.backoff_initial.count()},
          {"backoff_max_ms", r.backoff_max.count()},
          {"backoff_jitter", r.backoff_jitter},
          {"stop_timeout_ms", r.stop_timeout.count()},
          {"hung_stop_timeout_ms", r.hung_stop_timeout.count()},
          {"replacement_grace_ms", r.replacement_grace.count()},
          {"flap_window_ms", r.flap_window.count()},
          {"flap_threshold", r.flap_threshold},
          {"settle_timeout_ms", r.settle_timeout.count()},
          {"rollback", r.rollback},
          {"replacement_trial_ms", r.replacement_trial.count()},
          {"restart_dependents", r.restart_dependents}};
}

config::RecoveryConfig recoveryFrom(const nlohmann::json& j) {
  config::RecoveryConfig r;
  r.max_attempts = j.value("max_attempts", r.max_attempts);
  r.window = Millis(j.value("window_ms", r.window.count()));
  r.backoff_initial = Millis(j.value("backoff_initial_ms", r.backoff_initial.count()));
  r.backoff_max = Millis(j.value("backoff_max_ms", r.backoff_max.count()));
  r.backoff_jitter = j.value("backoff_jitter", r.backoff_jitter);
  r.stop_timeout = Millis(j.value("stop_timeout_ms", r.stop_timeout.count()));
  r.hung_stop_timeout = Millis(j.value("hung_stop_timeout_ms", r.hung_stop_timeout.count()));
  r.replacement_grace = Millis(j.value("replacement_grace_ms", r.replacement_grace.count()));
  r.flap_window = Millis(j.value("flap_window_ms", r.flap_window.count()));
  r.flap_threshold = j.value("flap_threshold", r.flap_threshold);
  r.settle_timeout = Millis(j.value("settle_timeout_ms", r.settle_timeout.count()));
  r.rollback = j.value("rollback", r.rollback);
  r.replacement_trial = Millis(j.value("replacement_trial_ms", r.replacement_trial.count()));
  r.restart_dependents = j.value("restart_dependents", r.restart_dependents);
  return r;
}

/// Header values of secret-looking names (Authorization, Cookie, *TOKEN*, ...) are sealed; without
/// a box they are left out, never stored in clear.
std::map<std::string, std::string> sealedHeaders(const std::map<std::string, std::string>& headers,
                                                 const evidence::SecretBox* secrets) {
  std::map<std::string, std::string> out;
  for (const auto& [name, value] : headers) {
    if (!evidence::isSecretName(name)) {
      out[name] = value;
    } else if (secrets != nullptr) {
      out[name] = secrets->seal(value);
    }
  }
  return out;
}

}  // namespace

nlohmann::json serviceToJson(const services::ProtectedService& s,
                             const evidence::SecretBox* secrets) {
  nlohmann::json probes = nlohmann::json::array();
  for (const auto& p : s.probes) {
    probes.push_back(
        {{"kind", config::toString(p.kind)},
         {"name", p.name},
         {"url", secrets != nullptr ? secrets->sealUrl(p.url) : p.url},
         {"screenshot", p.screenshot},
         {"headers", sealedHeaders(p.headers, secrets)},
         {"address", p.address},
         {"argv", p.argv},
         {"expect_status_min", p.expect_status_min},
         {"expect_status_max", p.expect_status_max},
         {"body_contains", p.body_contains ? nlohmann::json(*p.body_contains) : nullptr},
         {"interval_ms", p.interval.count()},
         {"timeout_ms", p.timeout.count()},
         {"failure_threshold", p.failure_threshold},
         {"success_threshold", p.success_threshold}});
  }
  return {{"name", s.name},
          {"source", s.source},
          {"critical", s.critical},
          {"depends_on", s.depends_on},
          {"probes", probes},
          {"recovery", recoveryToJson(s.recovery)},
          {"match",
           {{"container", s.match.container},
            {"compose_service", s.match.compose_service},
            {"compose_project", s.match.compose_project},
            {"compose_number", s.match.compose_number},
            {"labels", s.match.labels}}}};
}

services::ProtectedService serviceFromJson(const nlohmann::json& j,
                                           const evidence::SecretBox* secrets) {
  services::ProtectedService s;
  s.name = j.value("name", "");
  s.source = j.value("source", "label");
  s.critical = j.value("critical", false);
  s.depends_on = j.value("depends_on", std::vector<std::string>{});
  for (const auto& p : j.value("probes", nlohmann::json::array())) {
    config::ProbeConfig c;
    c.kind = kindFrom(p.value("kind", "http"));
    c.name = p.value("name", "");
    c.url = p.value("url", "");
    if (secrets != nullptr) {
      if (auto opened = secrets->openUrl(c.url)) c.url = *opened;
    }
    c.screenshot = p.value("screenshot", false);
    for (const auto& [name, value] : p.value("headers", std::map<std::string, std::string>{})) {
      c.headers[name] = value;
      if (secrets != nullptr && evidence::SecretBox::isSealed(value)) {
        if (auto opened = secrets->open(value)) c.headers[name] = *opened;
      }
    }
    c.address = p.value("address", "");
    c.argv = p.value("argv", std::vector<std::string>{});
    c.expect_status_min = p.value("expect_status_min", 200);
    c.expect_status_max = p.value("expect_status_max", 299);
    if (p.contains("body_contains") && p["body_contains"].is_string()) {
      c.body_contains = p["body_contains"].get<std::string>();
    }
    c.interval = Millis(p.value("interval_ms", c.interval.count()));
    c.timeout = Millis(p.value("timeout_ms", c.timeout.count()));
    c.failure_threshold = p.value("failure_threshold", c.failure_threshold);
    c.success_threshold = p.value("success_threshold", c.success_threshold);
    s.probes.push_back(c);
  }
  s.recovery = recoveryFrom(j.value("recovery", nlohmann::json::object()));
  const auto m = j.value("match", nlohmann::json::object());
  s.match.container = m.value("container", "");
  s.match.compose_service = m.value("compose_service", "");
  s.match.compose_project = m.value("compose_project", "");
  s.match.compose_number = m.value("compose_number", 0);
  s.match.labels = m.value("labels", std::map<std::string, std::string>{});
  return s;
}

}  // namespace medic::daemon
