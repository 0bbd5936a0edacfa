#pragma once
/// One pass over the protected services, measuring everything fresh: list containers, select the
/// protected ones, inspect each, run its HTTP/TCP probes concurrently, judge. Every verdict cites the
/// evidence records made in this pass. Used by `medic check` and, later, by gates and claims.

#include <optional>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "config/config.h"
#include "core/result.h"
#include "docker/docker_api.h"
#include "evidence/evidence.h"
#include "services/selection.h"
#include "services/verdict.h"

namespace medic::check {

struct ServiceReport {
  services::ProtectedService service;
  std::optional<docker::ContainerInfo> container;
  std::vector<services::ProbeResult> probes;
  services::ServiceVerdict verdict;
  std::string docker_evidence_id;  ///< the inspect (or absence) record of this pass
};

struct CheckReport {
  WallTime started;
  WallTime finished;
  std::vector<ServiceReport> services;
  std::vector<evidence::Evidence> evidence;  ///< every record cited by a verdict
  int exitStatus() const;
  nlohmann::json toJson() const;
};

/// Fails only when the engine cannot be asked (list fails); a single inspect failure becomes that
/// service's verdict. `clock` stamps evidence.
boost::asio::awaitable<Result<CheckReport>> runCheckPass(docker::DockerApi& docker,
                                                         const config::Config& config, bool all,
                                                         const Clock& clock);

/// The docker_state evidence of one service: its inspect excerpt, or the record of its absence
/// (what was searched for among `listed` containers).
evidence::Evidence dockerStateEvidence(const services::ProtectedService& service,
                                       const std::optional<docker::ContainerInfo>& container,
                                       size_t listed, WallTime time);

/// Inspects one service now (its `container` as listed a moment ago; nullopt = absent) and runs
/// its probes when it runs; every record is appended to `out`.
boost::asio::awaitable<ServiceReport> checkService(docker::DockerApi& docker,
                                                   const services::ProtectedService& service,
                                                   size_t listed, const Clock& clock,
                                                   std::vector<evidence::Evidence>& out);

/// checkService for every service, kCheckWidth at a time (a check of 1,000 services takes about
/// 1,000 / kCheckWidth times one service's); reports in the services' order, evidence appended to
/// `out` in that order too.
inline constexpr size_t kCheckWidth = 16;
boost::asio::awaitable<std::vector<ServiceReport>> checkServices(
    docker::DockerApi& docker, const std::vector<services::ProtectedService>& services,
    size_t listed, const Clock& clock, std::vector<evidence::Evidence>& out);

/// Runs the probes of one service concurrently and returns results in probe order (the probes
/// probes::runsAsProbe runs), with their evidence appended to `out`. `exec` probes run in the
/// service's container through `docker`.
boost::asio::awaitable<std::vector<services::ProbeResult>> runProbes(
    const services::ProtectedService& service, docker::DockerApi* docker, const Clock& clock,
    std::vector<evidence::Evidence>& out);

}  // namespace medic::check
