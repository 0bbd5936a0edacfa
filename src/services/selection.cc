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
bool falsy(const std::string& v) { return v == "false" || v == "0" || v == "no" || v == "off"; }

int replicaOf(const docker::ContainerSummary& c) { return replicaNumber(c.labels); }

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
  // Compose v2 writes the file's depends_on as "db:service_healthy:false,redis:...".
  for (std::string dep : splitList(labelOr(c.labels, kLabelComposeDependsOn))) {
    dep = dep.substr(0, dep.find(':'));
    if (!dep.empty() && std::find(s.depends_on.begin(), s.depends_on.end(), dep) == s.depends_on.end())
      s.depends_on.push_back(dep);
  }
  auto svc = labelOr(c.labels, kLabelComposeService);
  if (!svc.empty()) {
    s.match.compose_service = svc;
    s.match.compose_project = labelOr(c.labels, kLabelComposeProject);
    s.match.compose_number = replicaOf(c);
  } else {
    s.match.container = c.name;
  }
  s.container = c;
  return s;
}

}  // namespace

int replicaNumber(const docker::Labels& labels) {
  const std::string n = labelOr(labels, kLabelComposeNumber);
  if (n.empty() || n.size() > 6 || n.find_first_not_of("0123456789") != std::string::npos) return 0;
  return std::stoi(n);
}

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

NameParts parseServiceName(const std::string& name) {
  NameParts p;
  std::string rest = name;
  if (auto hash = rest.rfind('#'); hash != std::string::npos) {
    const std::string n = rest.substr(hash + 1);
    if (!n.empty() && n.size() <= 6 && n.find_first_not_of("0123456789") == std::string::npos) {
      p.number = std::stoi(n);
      rest.erase(hash);
    }
  }
  if (auto slash = rest.find('/'); slash != std::string::npos) {
    p.project = rest.substr(0, slash);
    rest.erase(0, slash + 1);
  }
  p.service = rest;
  return p;
}

bool matches(const config::MatchConfig& match, const std::string& name,
             const docker::ContainerSummary& c) {
  const bool any_set = !match.container.empty() || !match.compose_service.empty() ||
                       !match.compose_project.empty() || !match.labels.empty();
  if (!any_set) {
    if (c.name == name) return true;
    // "db", "shop/db" or "shop/db#2" (the forms `medic status` prints).
    const NameParts p = parseServiceName(name);
    if (serviceNameOf(c) != p.service) return false;
    if (!p.project.empty() && labelOr(c.labels, kLabelComposeProject) != p.project) return false;
    return p.number == 0 || replicaOf(c) == p.number || (p.number == 1 && replicaOf(c) == 0);
  }
  if (match.compose_number != 0 && replicaOf(c) != 0 && replicaOf(c) != match.compose_number) {
    return false;
  }
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
                                             bool all, const std::vector<KnownName>& known) {
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

  // 2. Labelled, project-selected or (with --all) every other container; one service per
  // identity (compose project, service, replica; else the container name).
  struct Candidate {
    const docker::ContainerSummary* c;
    std::string source;
  };
  std::vector<Candidate> candidates;
  for (const auto& c : containers) {
    if (claimed_ids.count(c.id) || isRenamedAside(c.name)) continue;
    if (falsy(labelOr(c.labels, kLabelEnable))) continue;  // always an opt-out
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
    candidates.push_back({&c, source});
  }

  // Which projects use each compose service name: among these containers and the names given
  // before. A name used by two projects is ambiguous.
  std::map<std::string, std::set<std::string>> projects_of;
  for (const auto& c : containers) {
    const bool counted = claimed_ids.count(c.id) > 0 ||
                         std::any_of(candidates.begin(), candidates.end(),
                                     [&](const Candidate& cand) { return cand.c == &c; });
    const std::string project = labelOr(c.labels, kLabelComposeProject);
    if (counted && !project.empty()) projects_of[serviceNameOf(c)].insert(project);
  }
  std::set<std::string> known_names(names.begin(), names.end());
  for (const auto& k : known) {
    known_names.insert(k.name);
    if (!k.match.compose_project.empty() && !k.match.compose_service.empty()) {
      projects_of[k.match.compose_service].insert(k.match.compose_project);
    }
  }
  auto nameFor = [&](const docker::ContainerSummary& c) {
    if (auto given = labelOr(c.labels, kLabelName); !given.empty()) return given;
    // The name it had before (same project, service and replica) stays.
    for (const auto& k : known) {
      const bool specific = !k.match.compose_project.empty() || !k.match.container.empty();
      if (specific && matches(k.match, k.name, c)) return k.name;
    }
    const std::string service = serviceNameOf(c);
    const std::string project = labelOr(c.labels, kLabelComposeProject);
    std::string base = service;
    if (!project.empty()) {
      const auto& used_by = projects_of[service];
      // Ambiguous now, or the bare name already belongs to another identity (not to another
      // replica of this same compose service: `up --scale` adds web#2 beside web).
      bool taken = known_names.count(service) > 0;
      for (const auto& k : known) {
        if (k.name == service && k.match.compose_project == project &&
            k.match.compose_service == service) {
          taken = false;
        }
      }
      if (used_by.size() > 1 || taken) base = project + "/" + service;
    }
    const int number = replicaOf(c);
    return number > 1 ? base + "#" + std::to_string(number) : base;
  };

  std::map<std::string, ProtectedService> others;
  for (const auto& cand : candidates) {
    const auto& c = *cand.c;
    auto name = nameFor(c);
    if (names.count(name)) continue;  // a config entry of that name exists
    auto it = others.find(name);
    if (it == others.end() || better(c, *it->second.container)) {
      ProtectedService s = fromLabels(cfg, c, cand.source);
      s.name = name;
      others.insert_or_assign(name, std::move(s));
    }
  }
  for (auto& [name, s] : others) out.push_back(std::move(s));

  // A label's depends_on names compose services of the same project: point each at the name
  // that service got here (`db` may be `shop/db` when another project has a db too).
  for (auto& s : out) {
    if (s.source == "config" || s.match.compose_project.empty()) continue;
    for (std::string& dep : s.depends_on) {
      const NameParts want = parseServiceName(dep);
      if (!want.project.empty()) continue;
      const ProtectedService* best = nullptr;
      for (const auto& other : out) {
        if (other.match.compose_project != s.match.compose_project ||
            other.match.compose_service != want.service) {
          continue;
        }
        if (best == nullptr || other.match.compose_number < best->match.compose_number) best = &other;
      }
      if (best != nullptr) dep = best->name;
    }
  }
  return out;
}

}  // namespace medic::services
