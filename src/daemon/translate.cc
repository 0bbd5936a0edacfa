#include "daemon/translate.h"

#include <ctime>

#include "probes/exec_probe.h"

namespace medic::daemon {
namespace {

supervisor::Phase phaseOf(const std::string& status) {
  using supervisor::Phase;
  if (status == "running") return Phase::kRunning;
  if (status == "paused") return Phase::kPaused;
  if (status == "restarting") return Phase::kRestarting;
  if (status == "removing") return Phase::kRemoving;
  if (status == "created") return Phase::kCreated;
  if (status == "dead") return Phase::kDead;
  return Phase::kExited;
}

supervisor::DockerHealth healthOf(const std::string& h) {
  using supervisor::DockerHealth;
  if (h == "healthy") return DockerHealth::kHealthy;
  if (h == "unhealthy") return DockerHealth::kUnhealthy;
  if (h == "starting") return DockerHealth::kStarting;
  return DockerHealth::kNone;
}

/// "2026-11-25T19:34:28.123456789Z" → WallTime; nullopt for Docker's zero time.
std::optional<WallTime> parseDockerTime(const std::string& s) {
  if (s.size() < 19 || s.rfind("0001-", 0) == 0) return std::nullopt;
  std::tm tm{};
  if (strptime(s.c_str(), "%Y-%m-%dT%H:%M:%S", &tm) == nullptr) return std::nullopt;
  auto secs = timegm(&tm);
  int64_t nanos = 0;
  if (s.size() > 20 && s[19] == '.') {
    std::string frac;
    for (size_t i = 20; i < s.size() && std::isdigit(static_cast<unsigned char>(s[i])); ++i) {
      frac.push_back(s[i]);
    }
    frac.resize(9, '0');
    nanos = std::stoll(frac);
  }
  return WallTime(std::chrono::duration_cast<WallTime::duration>(
      std::chrono::seconds(secs) + std::chrono::nanoseconds(nanos)));
}

}  // namespace

supervisor::ContainerView toView(const docker::ContainerInfo& info) {
  supervisor::ContainerView v;
  v.id = info.id;
  v.phase = info.state.paused ? supervisor::Phase::kPaused : phaseOf(info.state.status);
  v.health = info.state.health ? healthOf(*info.state.health) : supervisor::DockerHealth::kNone;
  v.exit_code = info.state.exit_code;
  v.image_id = info.image_id;
  v.oom_killed = info.state.oom_killed;
  if (!info.state.running) v.finished_at = parseDockerTime(info.state.finished_at);
  v.created_at = parseDockerTime(info.created);
  return v;
}

supervisor::ServiceDef toDef(const services::ProtectedService& s) {
  supervisor::ServiceDef d;
  d.name = s.name;
  d.critical = s.critical;
  d.depends_on = s.depends_on;
  d.recovery = s.recovery;
  for (const auto& p : s.probes) {
    if (probes::runsAsProbe(p.kind)) d.has_probes = true;
  }
  d.compose_managed = !s.match.compose_project.empty() ||
                      (s.container && s.container->labels.count(services::kLabelComposeProject) > 0);
  return d;
}

docker::ContainerSummary summaryFromEvent(const docker::Event& e) {
  docker::ContainerSummary c;
  c.id = e.id;
  for (const auto& [k, v] : e.attributes) {
    if (k == "name") {
      c.name = v;
    } else if (k == "image") {
      c.image = v;
    } else if (k != "exitCode" && k != "signal" && k != "execID") {
      c.labels[k] = v;  // container labels arrive as attributes
    }
  }
  c.state = "running";
  return c;
}

std::optional<supervisor::ContainerEvent> toCoreEvent(const docker::Event& e,
                                                      const std::string& service) {
  supervisor::ContainerEvent out;
  out.service = service;
  out.container_id = e.id;
  out.occurred = e.time_nano > 0
                     ? WallTime(std::chrono::duration_cast<WallTime::duration>(
                           std::chrono::nanoseconds(e.time_nano)))
                     : WallTime(std::chrono::seconds(e.time));
  std::string action = e.action;
  if (action.rfind("health_status", 0) == 0) {
    auto colon = action.find(':');
    std::string h = colon == std::string::npos ? "" : action.substr(colon + 1);
    while (!h.empty() && h.front() == ' ') h.erase(0, 1);
    out.action = "health_status";
    out.health = healthOf(h);
    return out;
  }
  static const char* kWanted[] = {"die",     "stop",  "kill",   "oom",    "destroy", "pause",
                                  "unpause", "start", "restart", "create"};
  for (const char* w : kWanted) {
    if (action == w) {
      out.action = action;
      if (action == "die") {
        auto it = e.attributes.find("exitCode");
        if (it != e.attributes.end()) {
          try {
            out.exit_code = std::stoi(it->second);
          } catch (...) {
          }
        }
      }
      return out;
    }
  }
  return std::nullopt;
}

}  // namespace medic::daemon
