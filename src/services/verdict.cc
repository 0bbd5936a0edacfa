#include "services/verdict.h"

namespace medic::services {

const char* toString(Health h) {
  switch (h) {
    case Health::kHealthy: return "healthy";
    case Health::kDegraded: return "degraded";
    case Health::kUnhealthy: return "unhealthy";
    case Health::kMissing: return "missing";
    case Health::kUnknown: return "unknown";
  }
  return "unknown";
}

ServiceVerdict judge(const ProtectedService& service,
                     const std::optional<docker::ContainerInfo>& container,
                     const std::string& docker_evidence_id, const std::vector<ProbeResult>& probes) {
  ServiceVerdict v;
  v.service = service.name;
  if (!docker_evidence_id.empty()) v.evidence_ids.push_back(docker_evidence_id);
  for (const auto& p : probes) {
    if (!p.evidence_id.empty()) v.evidence_ids.push_back(p.evidence_id);
  }
  if (!container) {
    v.health = Health::kMissing;
    v.reason = "no container exists for this service";
    return v;
  }
  const auto& st = container->state;
  if (st.paused || st.status == "paused") {
    v.health = Health::kUnhealthy;
    v.reason = "container is paused";
    return v;
  }
  if (st.restarting || st.status == "restarting") {
    v.health = Health::kUnhealthy;
    v.reason = "container is restarting (last exit code " + std::to_string(st.exit_code) + ")";
    return v;
  }
  if (!st.running) {
    v.health = Health::kUnhealthy;
    if (st.status == "exited" || st.status == "dead") {
      v.reason = "container " + st.status + " with code " + std::to_string(st.exit_code);
      if (st.oom_killed) v.reason += " (killed: out of memory)";
    } else {
      v.reason = "container is " + st.status + ", not running";
    }
    return v;
  }
  if (st.health == "unhealthy") {
    v.health = Health::kUnhealthy;
    v.reason = "Docker health check reports unhealthy (failing streak " +
               std::to_string(st.failing_streak) + ")";
    if (!st.health_log.empty()) {
      auto out = st.health_log.back().output;
      while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
      if (!out.empty()) v.reason += ": " + out.substr(0, 200);
    }
    return v;
  }
  for (const auto& p : probes) {
    if (!p.ok) {
      v.health = Health::kUnhealthy;
      v.reason = p.name + ": " + p.summary;
      return v;
    }
  }
  if (st.health == "starting") {
    v.health = Health::kUnknown;
    v.reason = "Docker health check has not decided yet (starting)";
    return v;
  }
  v.health = Health::kHealthy;
  if (probes.empty()) {
    v.reason = st.health ? "running, Docker health check healthy" : "running (no health check, no probes)";
  } else {
    v.reason = "running, " + std::to_string(probes.size()) + " probe(s) passing";
    if (st.health) v.reason += ", Docker health check healthy";
  }
  return v;
}

int checkExitStatus(const std::vector<ServiceVerdict>& verdicts) {
  if (verdicts.empty()) return 1;
  for (const auto& v : verdicts) {
    if (v.health != Health::kHealthy) return 1;
  }
  return 0;
}

nlohmann::json dockerStateExcerpt(const docker::ContainerInfo& info) {
  nlohmann::json j = {
      {"container_id", info.id},
      {"container_name", info.name},
      {"image", info.image},
      {"image_id", info.image_id},
      {"status", info.state.status},
      {"running", info.state.running},
      {"paused", info.state.paused},
      {"restarting", info.state.restarting},
      {"exit_code", info.state.exit_code},
      {"oom_killed", info.state.oom_killed},
      {"started_at", info.state.started_at},
      {"finished_at", info.state.finished_at},
      {"restart_count", info.restart_count},
  };
  if (!info.state.error.empty()) j["error"] = info.state.error;
  if (info.state.health) {
    nlohmann::json log = nlohmann::json::array();
    const auto& entries = info.state.health_log;
    for (size_t i = entries.size() > 3 ? entries.size() - 3 : 0; i < entries.size(); ++i) {
      log.push_back({{"start", entries[i].start},
                     {"end", entries[i].end},
                     {"exit_code", entries[i].exit_code},
                     {"output", entries[i].output.substr(0, 500)}});
    }
    j["health"] = {{"status", *info.state.health},
                   {"failing_streak", info.state.failing_streak},
                   {"log_tail", log}};
  } else {
    j["health"] = nullptr;
  }
  return j;
}

}  // namespace medic::services
