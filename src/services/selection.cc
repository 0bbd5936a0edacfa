#include "services/selection.h"

#include <algorithm>
#include <map>
#include <set>
#include <sstream>

namespace medic::services {
namespace {

std::string labelOr(const docker::Labels& labels, const std::string& key,
                    const std::string& fallback = "") {
  auto it = labels.find(key);
  return it == labels.end() ? fallback : it->second;
}

bool truthy(const std::string& v) { return v == "true" || v == "1" || v == "yes" || v == "on"; }

std::vector<std::string> splitList(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  std::string item;
  while (std::getline(in, item, ',')) {
    item.erase(0, item.find_first_not_of(" \t"));
    item.erase(item.find_last_not_of(" \t") + 1);
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

/// Running beats not running; then the newest.
bool better(const docker::ContainerSummary& a, const docker::ContainerSummary& b) {
  const bool ar = a.state == "running", br = b.state == "running";
  if (ar != br) return ar;
  return a.created > b.created;
}

config::ProbeConfig probeFromDefaults(const config::Config& cfg, config::ProbeKind kind) {
  config::ProbeConfig p = cfg.defaults.probe;
  p.kind = kind;
  p.url.clear();
  p.address.clear();
  p.argv.clear();
  p.name.clear();
  return p;
}

ProtectedService fromLabels(const config::Config& cfg, const docker::ContainerSummary& c,
                            std::string source) {
  ProtectedService s;
  s.name = serviceNameOf(c);
  s.source = std::move(source);
  s.critical = truthy(labelOr(c.labels, kLabelCritical));
  s.recovery = cfg.defaults.recovery;
  if (auto url = labelOr(c.labels, kLabelProbeHttp); !url.empty()) {
    auto p = probeFromDefaults(cfg, config::ProbeKind::kHttp);
    p.url = url;
    s.probes.push_back(p);
  }
  if (auto addr = labelOr(c.labels, kLabelProbeTcp); !addr.empty()) {
    auto p = probeFromDefaults(cfg, config::ProbeKind::kTcp);
    p.address = addr;
    s.probes.push_back(p);
  }
  s.depends_on = splitList(labelOr(c.labels, kLabelDependsOn));
  auto svc = labelOr(c.labels, kLabelComposeService);
  if (!svc.empty()) {
    s.match.compose_service = svc;
    s.match.compose_project = labelOr(c.labels, kLabelComposeProject);
  } else {
    s.match.container = c.name;
  }
  s.container = c;
  return s;
}

}  // namespace

bool isRenamedAside(const std::string& container_name) {
  return container_name.find(".medic-old-") != std::string::npos ||
         container_name.find(".medic-next-") != std::string::npos;
}

std::string renamedAsideName(const std::string& name, int64_t unix_ms) {
  return name + ".medic-old-" + std::to_string(unix_ms);
}

std::string serviceNameOf(const docker::ContainerSummary& c) {
  return labelOr(c.labels, kLabelComposeService, c.name);
}

bool matches(const config::MatchConfig& match, const std::string& name,
             const docker::ContainerSummary& c) {
  const bool any_set = !match.container.empty() || !match.compose_service.empty() ||
                       !match.compose_project.empty() || !match.labels.empty();
  if (!any_set) return serviceNameOf(c) == name || c.name == name;
  if (!match.container.empty() && c.name != match.container) return false;
  if (!match.compose_service.empty() &&
      labelOr(c.labels, kLabelComposeService) != match.compose_service) {
    return false;
  }
  if (!match.compose_project.empty() &&
      labelOr(c.labels, kLabelComposeProject) != match.compose_project) {
    return false;
  }
  for (const auto& [k, v] : match.labels) {
    auto it = c.labels.find(k);
    if (it == c.labels.end()) return false;
    if (!v.empty() && it->second != v) return false;
  }
  return true;
}

std::vector<ProtectedService> selectServices(const config::Config& cfg,
                                             const std::vector<docker::ContainerSummary>& containers,
                                             bool all) {
  std::vector<ProtectedService> out;
  std::set<std::string> claimed_ids;
  std::set<std::string> names;

  // 1. Config entries, in file order; each picks its best matching container.
  for (const auto& entry : cfg.services) {
    ProtectedService s;
    s.name = entry.name;
    s.source = "config";
    s.critical = entry.critical;
    s.probes = entry.probes;
    s.depends_on = entry.depends_on;
    s.recovery = entry.recovery;
    s.match = entry.match;
    const docker::ContainerSummary* best = nullptr;
    for (const auto& c : containers) {
      if (claimed_ids.count(c.id) || isRenamedAside(c.name) || !matches(entry.match, entry.name, c)) {
        continue;
      }
      if (best == nullptr || better(c, *best)) best = &c;
    }
    if (best != nullptr) {
      s.container = *best;
      // Every container of the same service belongs to this entry (replacements, old copies).
      for (const auto& c : containers) {
        if (matches(entry.match, entry.name, c)) claimed_ids.insert(c.id);
      }
      // A config entry for a labelled container inherits label probes only when it lists none.
      if (s.probes.empty()) s.probes = fromLabels(cfg, *best, "config").probes;
    }
    names.insert(s.name);
    out.push_back(std::move(s));
  }

  // 2. Labelled, project-selected or (with --all) every other container; one service per name.
  std::map<std::string, ProtectedService> others;
  for (const auto& c : containers) {
    if (claimed_ids.count(c.id) || isRenamedAside(c.name)) continue;
    std::string source;
    if (truthy(labelOr(c.labels, kLabelEnable)) && cfg.select.labels) {
      source = "label";
    } else if (std::find(cfg.select.compose_projects.begin(), cfg.select.compose_projects.end(),
                         labelOr(c.labels, kLabelComposeProject)) !=
                   cfg.select.compose_projects.end() &&
               !labelOr(c.labels, kLabelComposeProject).empty()) {
      source = "project";
    } else if (all || cfg.select.all) {
      source = "all";
    } else {
      continue;
    }
    auto name = serviceNameOf(c);
    if (names.count(name)) continue;  // a config entry of that name exists
    auto it = others.find(name);
    if (it == others.end()) {
      others.emplace(name, fromLabels(cfg, c, source));
    } else if (better(c, *it->second.container)) {
      it->second = fromLabels(cfg, c, source);
    }
  }
  for (auto& [name, s] : others) out.push_back(std::move(s));
  return out;
}

}  // namespace medic::services
