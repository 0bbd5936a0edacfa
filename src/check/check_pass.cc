#include "check/check_pass.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/experimental/parallel_group.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "check/bounded_parallel.h"
#include "probes/command_probe.h"
#include "probes/exec_probe.h"
#include "probes/probe.h"

namespace medic::check {
namespace asio = boost::asio;

namespace {

asio::awaitable<probes::ProbeOutcome> runExec(config::ProbeConfig probe, docker::DockerApi* docker,
                                              std::string container_id) {
  probes::ExecRun run;
  if (docker == nullptr || container_id.empty()) {
    run.error = "no running container to exec in";
    co_return probes::execOutcome(probe, run);
  }
  const auto started = std::chrono::steady_clock::now();
  auto r = co_await docker->exec(container_id, probe.argv, probe.timeout);
  run.took = std::chrono::duration_cast<Millis>(std::chrono::steady_clock::now() - started);
  if (!r) {
    run.error = r.error().message;
  } else {
    run.exit_code = r->exit_code;
    run.output = r->output;
    run.timed_out = r->timed_out;
  }
  co_return probes::execOutcome(probe, run);
}

asio::awaitable<probes::ProbeOutcome> runOne(config::ProbeConfig probe, docker::DockerApi* docker,
                                             probes::CommandTarget target) {
  switch (probe.kind) {
    case config::ProbeKind::kHttp: co_return co_await probes::runHttpProbe(probe);
    case config::ProbeKind::kTcp: co_return co_await probes::runTcpProbe(probe);
    case config::ProbeKind::kExec:
      co_return co_await runExec(std::move(probe), docker, std::move(target.container_id));
    case config::ProbeKind::kCommand:
      co_return co_await probes::runCommandProbe(probe, std::move(target));
    default: break;
  }
  probes::ProbeOutcome out;
  out.ok = true;  // docker-health probes are judged from the inspect
  out.summary = "not run in a check pass";
  co_return out;
}

}  // namespace

asio::awaitable<std::vector<services::ProbeResult>> runProbes(
    const services::ProtectedService& service, docker::DockerApi* docker, const Clock& clock,
    std::vector<evidence::Evidence>& out) {
  std::vector<services::ProbeResult> results;
  std::vector<config::ProbeConfig> runnable;
  for (const auto& p : service.probes) {
    if (probes::runsAsProbe(p.kind)) runnable.push_back(p);
  }
  if (runnable.empty()) co_return results;
  const probes::CommandTarget target{service.name,
                                     service.container ? service.container->name : "",
                                     service.container ? service.container->id : ""};
  auto ex = co_await asio::this_coro::executor;
  // Start all probes at once so one slow probe does not delay the others.
  using Op = decltype(asio::co_spawn(ex, runOne(runnable[0], docker, target), asio::deferred));
  std::vector<Op> ops;
  ops.reserve(runnable.size());
  for (const auto& p : runnable) {
    ops.push_back(asio::co_spawn(ex, runOne(p, docker, target), asio::deferred));
  }
  auto [order, errors, outcomes] =
      co_await asio::experimental::make_parallel_group(std::move(ops))
          .async_wait(asio::experimental::wait_for_all(), asio::use_awaitable);
  (void)order;
  for (size_t i = 0; i < runnable.size(); ++i) {
    services::ProbeResult r;
    r.name = probes::describeProbe(runnable[i]);
    r.kind = config::toString(runnable[i].kind);
    if (errors[i]) {
      r.ok = false;
      r.summary = "probe failed internally";
    } else {
      r.ok = outcomes[i].ok;
      r.timed_out = outcomes[i].timed_out;
      r.summary = outcomes[i].summary;
      auto data = outcomes[i].data;
      data["probe"] = r.name;
      data["summary"] = r.summary;
      auto ev = evidence::makeEvidence(r.kind, service.name, data, clock.now().wall);
      r.evidence_id = ev.id;
      out.push_back(std::move(ev));
    }
    results.push_back(std::move(r));
  }
  co_return results;
}

evidence::Evidence dockerStateEvidence(const services::ProtectedService& service,
                                       const std::optional<docker::ContainerInfo>& container,
                                       size_t listed, WallTime time) {
  if (container) {
    return evidence::makeEvidence(evidence::kDockerState, service.name,
                                  services::dockerStateExcerpt(*container), time);
  }
  nlohmann::json absent = {{"container", nullptr},
                           {"searched", {{"service", service.name},
                                         {"match_container", service.match.container},
                                         {"match_compose_service", service.match.compose_service},
                                         {"match_compose_project", service.match.compose_project}}},
                           {"containers_listed", listed}};
  return evidence::makeEvidence(evidence::kDockerState, service.name, absent, time);
}

asio::awaitable<ServiceReport> checkService(docker::DockerApi& docker,
                                            const services::ProtectedService& service,
                                            size_t listed, const Clock& clock,
                                            std::vector<evidence::Evidence>& out) {
  ServiceReport sr;
  sr.service = service;
  if (service.container) {
    auto info = co_await docker.inspectContainer(service.container->id);
    if (info) {
      sr.container = *info;
    } else if (info.error().kind != ErrorKind::kNotFound) {
      // Removed between list and inspect is "missing"; any other failure is reported as-is.
      sr.verdict = {service.name, services::Health::kUnknown,
                    "cannot inspect container: " + info.error().message, {}};
      co_return sr;
    }
  }
  auto ev = dockerStateEvidence(service, sr.container, listed, clock.now().wall);
  sr.docker_evidence_id = ev.id;
  out.push_back(std::move(ev));
  if (sr.container && sr.container->state.running && !sr.container->state.paused) {
    sr.probes = co_await runProbes(service, &docker, clock, out);
  }
  sr.verdict = services::judge(service, sr.container, sr.docker_evidence_id, sr.probes);
  co_return sr;
}

asio::awaitable<std::vector<ServiceReport>> checkServices(
    docker::DockerApi& docker, const std::vector<services::ProtectedService>& services,
    size_t listed, const Clock& clock, std::vector<evidence::Evidence>& out) {
  // Each check gathers its own evidence, appended in the services' order afterwards.
  std::vector<std::vector<evidence::Evidence>> gathered(services.size());
  auto reports = co_await boundedParallel<ServiceReport>(
      services.size(), kCheckWidth, [&](size_t i) {
        return checkService(docker, services[i], listed, clock, gathered[i]);
      });
  for (auto& evidence : gathered) {
    for (auto& ev : evidence) out.push_back(std::move(ev));
  }
  co_return reports;
}

asio::awaitable<Result<CheckReport>> runCheckPass(docker::DockerApi& docker,
                                                  const config::Config& config, bool all,
                                                  const Clock& clock) {
  CheckReport report;
  report.started = clock.now().wall;
  // Named, not a brace-initialized temporary in the co_await: GCC 12 destroys those twice.
  docker::ListOptions every_container;
  auto listed = co_await docker.listContainers(std::move(every_container));
  if (!listed) co_return listed.error();
  auto selected = services::selectServices(config, *listed, all);
  report.services =
      co_await checkServices(docker, selected, listed->size(), clock, report.evidence);
  report.finished = clock.now().wall;
  co_return report;
}

int CheckReport::exitStatus() const {
  std::vector<services::ServiceVerdict> v;
  for (const auto& s : services) v.push_back(s.verdict);
  return services::checkExitStatus(v);
}

nlohmann::json CheckReport::toJson() const {
  nlohmann::json j;
  j["verdict"] = exitStatus() == 0 ? "healthy" : (services.empty() ? "nothing_protected" : "unhealthy");
  j["started"] = formatWallTime(started);
  j["finished"] = formatWallTime(finished);
  j["services"] = nlohmann::json::array();
  for (const auto& s : services) {
    nlohmann::json e = {{"name", s.service.name},
                        {"source", s.service.source},
                        {"critical", s.service.critical},
                        {"health", services::toString(s.verdict.health)},
                        {"reason", s.verdict.reason},
                        {"evidence", s.verdict.evidence_ids}};
    if (s.container) {
      e["container"] = services::dockerStateExcerpt(*s.container);
    } else {
      e["container"] = nullptr;
    }
    e["probes"] = nlohmann::json::array();
    for (const auto& p : s.probes) {
      e["probes"].push_back({{"name", p.name},
                             {"kind", p.kind},
                             {"ok", p.ok},
                             {"timed_out", p.timed_out},
                             {"summary", p.summary},
                             {"evidence", p.evidence_id}});
    }
    j["services"].push_back(std::move(e));
  }
  j["evidence"] = nlohmann::json::array();
  for (const auto& ev : evidence) j["evidence"].push_back(ev.toJson());
  if (services.empty()) {
    j["message"] = "nothing is protected: label containers medic.enable=true, list them under "
                   "services: in medic.yaml, or pass --all";
  }
  return j;
}

}  // namespace medic::check
