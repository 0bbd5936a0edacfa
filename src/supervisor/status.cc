// The read side of the core: state names, ServiceStatus and its JSON for the API.

#include <fmt/format.h>

#include "supervisor/record.h"

namespace medic::supervisor {

const char* toString(Phase phase) {
  switch (phase) {
    case Phase::kRunning:
      return "running";
    case Phase::kExited:
      return "exited";
    case Phase::kPaused:
      return "paused";
    case Phase::kRestarting:
      return "restarting";
    case Phase::kRemoving:
      return "removing";
    case Phase::kCreated:
      return "created";
    case Phase::kDead:
      return "dead";
  }
  return "unknown";
}

const char* toString(DockerHealth health) {
  switch (health) {
    case DockerHealth::kNone:
      return "none";
    case DockerHealth::kStarting:
      return "starting";
    case DockerHealth::kHealthy:
      return "healthy";
    case DockerHealth::kUnhealthy:
      return "unhealthy";
  }
  return "unknown";
}

const char* toString(ServiceState state) {
  switch (state) {
    case ServiceState::kUnknown:
      return "unknown";
    case ServiceState::kHealthy:
      return "healthy";
    case ServiceState::kStarting:
      return "starting";
    case ServiceState::kFailed:
      return "failed";
    case ServiceState::kWaitingReplacement:
      return "waiting_replacement";
    case ServiceState::kRecovering:
      return "recovering";
    case ServiceState::kVerifying:
      return "verifying";
    case ServiceState::kMaintenance:
      return "maintenance";
    case ServiceState::kEscalated:
      return "escalated";
    case ServiceState::kMissing:
      return "missing";
    case ServiceState::kWaitingDependency:
      return "waiting_dependency";
  }
  return "unknown";
}

namespace {

nlohmann::json incidentJson(const IncidentStatus& i) {
  nlohmann::json j{{"kind", i.kind},
                   {"detected_at", formatWallTime(i.detected_at)},
                   {"detection_seconds", i.detection_seconds},
                   {"attempts", i.attempts},
                   {"outcome", i.outcome},
                   {"evidence", i.evidence_ids}};
  j["recovered_at"] = i.recovered_at ? nlohmann::json(formatWallTime(*i.recovered_at)) : nullptr;
  j["recovery_seconds"] = i.recovery_seconds ? nlohmann::json(*i.recovery_seconds) : nullptr;
  return j;
}

}  // namespace

nlohmann::json toJson(const ServiceStatus& s, Now now) {
  nlohmann::json j{{"name", s.name},
                   {"state", s.state},
                   {"critical", s.critical},
                   {"container_id", s.container_id},
                   {"attempts_in_window", s.attempts_in_window},
                   {"escalated", s.escalated},
                   {"in_maintenance", s.in_maintenance},
                   {"deploy_guard", s.deploy_guard},
                   {"flap_count", s.flap_count},
                   {"last_healthy_image", s.last_healthy_image}};
  j["waiting_for"] = s.waiting_for.empty() ? nlohmann::json(nullptr) : nlohmann::json(s.waiting_for);
  j["maintenance_until"] = s.maintenance_until
                               ? nlohmann::json(formatWallTime(toWall(*s.maintenance_until, now)))
                               : nullptr;
  j["next_action_at"] =
      s.next_action_at ? nlohmann::json(formatWallTime(toWall(*s.next_action_at, now))) : nullptr;
  j["last_incident"] = s.last_incident ? incidentJson(*s.last_incident) : nullptr;
  return j;
}

const ServiceStatus* Supervisor::status(const std::string& service) const {
  auto it = services_.find(service);
  return it == services_.end() ? nullptr : &it->second->status;
}

std::vector<ServiceStatus> Supervisor::statuses() const {
  std::vector<ServiceStatus> out;
  out.reserve(services_.size());
  for (const auto& [name, r] : services_) out.push_back(r->status);
  return out;
}

void Supervisor::refreshStatus(Record& r, Now now) {
  const config::RecoveryConfig& cfg = r.cfg();
  ServiceStatus& s = r.status;
  s.name = r.def.name;
  s.state = toString(r.state);
  s.critical = r.def.critical;
  s.container_id = r.view ? r.view->id : "";
  s.attempts_in_window = r.attempts.countAt(now.steady, cfg.window);
  s.escalated = r.escalated;
  s.in_maintenance = r.guarded();
  s.maintenance_until = r.maintenance_until;
  s.deploy_guard = r.deploy_guard;
  s.flap_count = r.flap_count;
  s.last_healthy_image = r.last_healthy_image;
  s.waiting_for = r.state == ServiceState::kWaitingDependency ? r.held_by : std::string();
  s.next_action_at.reset();
  if (r.incident) {
    const Incident& inc = *r.incident;
    IncidentStatus i;
    i.kind = toString(inc.kind);
    i.detected_at = inc.detected_wall;
    i.detection_seconds = inc.detection_seconds;
    i.attempts = inc.attempts;
    i.outcome = "open";
    i.evidence_ids = inc.evidence_ids;
    s.last_incident = i;
    if (r.state == ServiceState::kWaitingReplacement && inc.grace_until) {
      s.next_action_at = inc.grace_until;
    } else if (r.state == ServiceState::kFailed) {
      s.next_action_at = inc.next_action_at.value_or(now.steady);
    }
  } else {
    s.last_incident = r.last_closed;
  }
  if (r.trial && !r.trial->failed && r.state == ServiceState::kWaitingReplacement) {
    s.next_action_at = r.trial->until;  // restore unless the replacement passes by then
  }
  const bool troubled = r.known && !r.guarded() && (r.incident.has_value() || r.escalated);
  if (troubled) {
    troubled_.insert(r.def.name);
  } else {
    troubled_.erase(r.def.name);
  }
}

}  // namespace medic::supervisor
