// SIGHUP: applying a new config to the running daemon without a restart.
#include <algorithm>

#include "alerts/configure.h"
#include "core/duration.h"
#include "core/log.h"
#include "daemon/daemon.h"
#include "daemon/translate.h"

namespace medic::daemon {
namespace {

/// What tells two alert sink lists apart (a change rebuilds the alert queue).
nlohmann::json sinksKey(const config::AlertsConfig& alerts) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& s : alerts.sinks) {
    nlohmann::json headers = nlohmann::json::array();  // the references, never the values
    for (const auto& h : s.headers) headers.push_back({h.name, static_cast<int>(h.source), h.value});
    out.push_back({{"kind", config::toString(s.kind)},
                   {"name", s.name},
                   {"ca_file", s.ca_file},
                   {"headers", headers},
                   {"min_severity", s.min_severity},
                   {"url", s.url},
                   {"format", s.format},
                   {"argv", s.argv},
                   {"timeout_ms", s.timeout.count()},
                   {"retries", s.retries}});
  }
  out.push_back({{"dashboard_url", alerts.dashboard_url}});
  return out;
}

}  // namespace

bool Daemon::stillSelected(const services::ProtectedService& s) const {
  const auto& cfg = options_.config;
  if (s.source == "config") {
    return std::any_of(cfg.services.begin(), cfg.services.end(),
                       [&](const config::ServiceConfig& c) { return c.name == s.name; });
  }
  if (s.source == "label") return cfg.select.labels;
  if (s.source == "project") {
    const auto& projects = cfg.select.compose_projects;
    return std::find(projects.begin(), projects.end(), s.match.compose_project) != projects.end();
  }
  if (s.source == "all") return cfg.select.all || options_.all;
  return true;
}

Status Daemon::reload(config::Config next) {
  const auto& cur = options_.config;
  // What the running process is bound to stays as it is until a restart.
  auto keep = [&](const char* key, auto& next_value, const auto& cur_value, std::string shown_next,
                  std::string shown_cur) {
    if (next_value == cur_value) return;
    spdlog::warn(
        "config reload: {} changed ({} -> {}); it takes effect at the next restart, {} "
        "stays in use until then",
        key, shown_cur, shown_next, shown_cur);
    next_value = cur_value;
  };
  keep("listen", next.listen, cur.listen, next.listen, cur.listen);
  keep("docker", next.docker, cur.docker, next.docker, cur.docker);
  keep("docker_timeout", next.docker_timeout, cur.docker_timeout,
       formatDuration(next.docker_timeout), formatDuration(cur.docker_timeout));
  keep("state_dir", next.state_dir, cur.state_dir, next.state_dir, cur.state_dir);
  // TLS on or off changes the daemon's URL: a restart. New files (or new contents) are used now.
  if (next.tls_cert_file.empty() != cur.tls_cert_file.empty()) {
    keep("tls_cert_file", next.tls_cert_file, cur.tls_cert_file, next.tls_cert_file,
         cur.tls_cert_file);
    next.tls_key_file = cur.tls_key_file;
  }
  next.alerts.dashboard_url = dashboardUrl(next);
  auto policy = securityPolicy(next);
  if (!policy) return policy.error();

  // Alert sinks: built first, so a config whose sinks cannot be built changes nothing.
  std::unique_ptr<alerts::AlertQueue> fresh_alerts;
  if (sinksKey(next.alerts) != sinksKey(cur.alerts)) {
    fresh_alerts = std::make_unique<alerts::AlertQueue>(io_.get_executor(), store_.get());
    if (auto st = alerts::addConfiguredSinks(*fresh_alerts, next.alerts, options_.state_dir); !st) {
      return Error::make(st.error().kind, "alerts.sinks: " + st.error().message);
    }
  }

  if (!next.tls_cert_file.empty() && server_) {
    // A certificate that cannot be used changes nothing: the old one keeps serving.
    if (auto st = server_->useTls(next.tls_cert_file, next.tls_key_file); !st) return st.error();
  }
  options_.config = std::move(next);
  if (server_) server_->setPolicy(std::move(*policy));
  spdlog::set_level(spdlog::level::from_str(options_.config.log_level));

  // Services the new config no longer selects are forgotten, here and in the store (else the
  // next start would bring them back from their remembered definition).
  std::vector<std::string> dropped;
  for (auto it = services_.begin(); it != services_.end();) {
    if (stillSelected(it->second)) {
      ++it;
      continue;
    }
    dropped.push_back(it->first);
    ++it;
  }
  for (const auto& name : dropped) forgetService(name, "config reload: no longer selected");
  // Every probe loop restarts with its service's new definition: a loop sees its generation gone
  // and ends; the resync below starts the new ones.
  probes_.clear();
  std::vector<supervisor::ServiceDef> defs;
  for (const auto& [name, s] : services_) defs.push_back(toDef(s));
  core_->setServices(defs);

  // Endpoints: the new list, with the state of unchanged ones kept and new loops started.
  startEndpoints();

  if (fresh_alerts) {
    if (auto st = fresh_alerts->start(); !st) spdlog::error("alerts: {}", st.error().message);
    if (alerts_) {
      alerts_->stop();
      retired_alerts_.push_back(std::move(alerts_));
    }
    alerts_ = std::move(fresh_alerts);
    sink_counts_seen_.clear();  // the new queue counts from zero; the metrics stay monotonic
    spdlog::info("config reload: alert sinks rebuilt ({} configured)",
                 options_.config.alerts.sinks.size());
  }
  ++state_version_;
  services_cache_.reset();
  exportRecoveryState();
  spdlog::info(
      "config reloaded from {}: {} service(s) dropped, the others re-selected by the "
      "resync that starts now (resync every {})",
      options_.config.source.empty() ? "(no file: labels only)" : options_.config.source,
      dropped.size(), formatDuration(options_.config.resync_interval));
  requestResync();
  return Ok{};
}

}  // namespace medic::daemon
