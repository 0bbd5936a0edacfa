#include "check/fresh.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "core/duration.h"
#include "evidence/gates.h"
#include "probes/exec_probe.h"
#include "probes/probe.h"

namespace medic::check {
namespace asio = boost::asio;

asio::awaitable<EndpointResult> probeEndpoint(const config::EndpointConfig& endpoint,
                                              const Clock& clock,
                                              std::vector<evidence::Evidence>& out) {
  auto outcome = co_await probes::runHttpProbe(endpoint.probe);
  EndpointResult r;
  r.name = endpoint.name;
  r.ok = outcome.ok;
  r.timed_out = outcome.timed_out;
  r.latency = outcome.latency;
  r.summary = outcome.summary;
  if (r.ok && endpoint.max_latency.count() > 0 && outcome.latency > endpoint.max_latency) {
    r.ok = false;
    r.summary = fmt::format("{}, but in {} ms (max_latency {})", outcome.summary,
                            outcome.latency.count(), formatDuration(endpoint.max_latency));
  } else if (outcome.ok) {
    r.summary = fmt::format("{} in {} ms", outcome.summary, outcome.latency.count());
  }
  auto data = outcome.data;
  data["endpoint"] = endpoint.name;
  data["url"] = endpoint.probe.url;
  data["probe"] = endpoint.name;
  data["ok"] = r.ok;
  data["summary"] = r.summary;
  if (endpoint.max_latency.count() > 0) data["max_latency_ms"] = endpoint.max_latency.count();
  auto ev = evidence::makeEvidence(evidence::kHttp, evidence::endpointSubject(endpoint.name), data,
                                   clock.now().wall);
  r.evidence_id = ev.id;
  out.push_back(std::move(ev));
  co_return r;
}

std::vector<std::string> probeNames(const services::ProtectedService& service) {
  std::vector<std::string> out;
  for (const auto& p : service.probes) {
    if (probes::runsAsProbe(p.kind)) out.push_back(probes::describeProbe(p));
  }
  return out;
}

evidence::BaselineService summarize(const ServiceReport& report) {
  evidence::BaselineService s;
  s.name = report.service.name;
  s.health = services::toString(report.verdict.health);
  s.evidence_id = report.docker_evidence_id;
  if (!report.container) return s;
  const auto& c = *report.container;
  const auto& raw = c.raw;
  s.present = true;
  s.container_name = c.name;
  s.image = c.image;
  s.image_id = c.image_id;
  std::vector<std::string> env;
  if (raw.contains("Config") && raw["Config"].is_object() && raw["Config"].contains("Env") &&
      raw["Config"]["Env"].is_array()) {
    for (const auto& e : raw["Config"]["Env"]) {
      if (e.is_string()) env.push_back(e.get<std::string>());
    }
  }
  s.env_hash = evidence::hashSorted(env);
  std::vector<std::string> labels;
  for (const auto& [k, v] : c.labels) labels.push_back(fmt::format("{}={}", k, v));
  s.labels_hash = evidence::hashSorted(labels);
  if (raw.contains("HostConfig") && raw["HostConfig"].is_object() &&
      raw["HostConfig"].contains("PortBindings") && raw["HostConfig"]["PortBindings"].is_object()) {
    for (const auto& [port, bindings] : raw["HostConfig"]["PortBindings"].items()) {
      if (!bindings.is_array() || bindings.empty()) {
        s.ports.push_back(port);
        continue;
      }
      for (const auto& b : bindings) {
        s.ports.push_back(
            fmt::format("{}->{}:{}", port, b.value("HostIp", ""), b.value("HostPort", "")));
      }
    }
  }
  std::sort(s.ports.begin(), s.ports.end());
  if (raw.contains("NetworkSettings") && raw["NetworkSettings"].is_object() &&
      raw["NetworkSettings"].contains("Networks") &&
      raw["NetworkSettings"]["Networks"].is_object()) {
    for (const auto& [name, net] : raw["NetworkSettings"]["Networks"].items()) {
      (void)net;
      s.networks.push_back(name);
    }
  }
  std::sort(s.networks.begin(), s.networks.end());
  return s;
}

asio::awaitable<Result<FreshFacts>> gatherFresh(
    docker::DockerApi& docker, const config::Config& config, bool all,
    const std::vector<services::ProtectedService>& remembered, const Clock& clock,
    bool with_endpoints) {
  FreshFacts facts;
  // Named, not a brace-initialized temporary in the co_await: GCC 12 destroys those twice.
  docker::ListOptions every_container;
  auto listed = co_await docker.listContainers(std::move(every_container));
  if (!listed) co_return listed.error();
  auto selected = services::selectServices(config, *listed, all);
  std::set<std::string> names;
  for (const auto& s : selected) names.insert(s.name);
  for (auto s : remembered) {
    if (names.insert(s.name).second) {
      s.container.reset();  // not among the containers listed now: it is gone
      selected.push_back(std::move(s));
    }
  }
  std::sort(selected.begin(), selected.end(),
            [](const auto& a, const auto& b) { return a.name < b.name; });
  facts.services =
      co_await checkServices(docker, selected, listed->size(), clock, facts.evidence);
  if (with_endpoints) {
    for (const auto& ep : config.endpoints) {
      facts.endpoints.push_back(co_await probeEndpoint(ep, clock, facts.evidence));
    }
  }
  facts.current.taken = clock.now().wall;
  for (const auto& s : facts.services) facts.current.services.push_back(summarize(s));
  co_return facts;
}

}  // namespace medic::check
