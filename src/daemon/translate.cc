#include "daemon/translate.h"

#include <algorithm>
#include <cctype>
#include <ctime>
#include <utility>

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

int intAttribute(const docker::Event& e, const std::string& key) {
  auto it = e.attributes.find(key);
  if (it == e.attributes.end()) return 0;
  try {
    return std::stoi(it->second);
  } catch (...) {
    return 0;
  }
}

/// The kill event's "signal" attribute: a number ("15") on every engine seen, a name ("SIGTERM")
/// accepted too.
int signalNumber(const docker::Event& e) {
  auto it = e.attributes.find("signal");
  if (it == e.attributes.end()) return 0;
  std::string sig = it->second;
  if (!sig.empty() && std::isdigit(static_cast<unsigned char>(sig[0]))) return intAttribute(e, "signal");
  if (sig.rfind("SIG", 0) == 0) sig.erase(0, 3);
  static const std::pair<const char*, int> kNames[] = {
      {"HUP", 1}, {"INT", 2}, {"QUIT", 3}, {"KILL", 9}, {"USR1", 10}, {"USR2", 12}, {"TERM", 15},
      {"WINCH", 28}};
  for (const auto& [name, number] : kNames) {
    if (sig == name) return number;
  }
  return 0;
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
  // .Config.Healthcheck.StartPeriod is in nanoseconds.
  if (const auto* cfg = info.raw.is_object() ? &info.raw : nullptr; cfg != nullptr) {
    auto config = cfg->find("Config");
    if (config != cfg->end() && config->is_object()) {
      auto hc = config->find("Healthcheck");
      if (hc != config->end() && hc->is_object()) {
        auto sp = hc->find("StartPeriod");
        if (sp != hc->end() && sp->is_number_integer() && sp->get<int64_t>() > 0) {
          v.start_period = Millis(sp->get<int64_t>() / 1'000'000);
        }
      }
    }
  }
  return v;
}

supervisor::ServiceDef toDef(const services::ProtectedService& s) {
  supervisor::ServiceDef d;
  d.name = s.name;
  d.critical = s.critical;
  d.depends_on = s.depends_on;
  d.recovery = s.recovery;
  for (const auto& p : s.probes) {
    if (!probes::runsAsProbe(p.kind)) continue;
    d.has_probes = true;
    // The time a probe needs to call a failure: its start period, then threshold intervals.
    const Millis budget =
        p.start_period + p.interval * std::max(1, p.failure_threshold) + p.timeout;
    d.probe_budget = std::max(d.probe_budget, budget);
  }
  d.compose_managed = !s.match.compose_project.empty() ||
                      (s.container && s.container->labels.count(services::kLabelComposeProject) > 0);
  d.compose_project = s.match.compose_project;
  d.compose_service = s.match.compose_service;
  d.compose_number = s.match.compose_number;
  if (s.container && d.compose_service.empty()) {
    // A config entry matched by name or labels: its container says which compose service it is.
    const auto& labels = s.container->labels;
    auto label = [&](const char* key) {
      auto it = labels.find(key);
      return it == labels.end() ? std::string() : it->second;
    };
    d.compose_project = label(services::kLabelComposeProject);
    d.compose_service = label(services::kLabelComposeService);
    d.compose_number = services::replicaNumber(labels);
  }
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
      if (action == "die") out.exit_code = intAttribute(e, "exitCode");
      if (action == "kill") out.signal = signalNumber(e);
      if (action == "create") {
        // Compose v2 labels the new container of a recreate with the id it replaces.
        auto it = e.attributes.find(services::kLabelComposeReplace);
        if (it != e.attributes.end()) out.replaces = it->second;
      }
      return out;
    }
  }
  return std::nullopt;
}

}  // namespace medic::daemon
