#pragma once
/// Fresh facts for gates, claims and baselines: every protected service inspected now, its probes
/// and every configured endpoint run now, each observation stored as evidence. Used by the daemon
/// (`GET /api/v1/gates/{phase}`) and by the CLI when no daemon runs.

#include <boost/asio/awaitable.hpp>
#include <optional>
#include <string>
#include <vector>

#include "check/check_pass.h"
#include "config/config.h"
#include "evidence/baseline.h"
#include "evidence/evidence.h"

namespace medic::check {

struct EndpointResult {
  std::string name;
  bool ok = false;
  bool timed_out = false;
  std::string summary;
  Millis latency{0};
  std::string evidence_id;
};

/// One endpoint probe: HTTP(S) status and body as configured, and within max_latency when set.
/// The evidence is filed under evidence::endpointSubject(name).
boost::asio::awaitable<EndpointResult> probeEndpoint(const config::EndpointConfig& endpoint,
                                                     const Clock& clock,
                                                     std::vector<evidence::Evidence>& out);

/// describeProbe() names of the service's HTTP/TCP probes: the probes a claim needs evidence of.
std::vector<std::string> probeNames(const services::ProtectedService& service);

/// The baseline summary of one checked service: image, env hash, ports, networks, labels hash and
/// the verdict's health.
evidence::BaselineService summarize(const ServiceReport& report);

struct FreshFacts {
  std::vector<ServiceReport> services;
  std::vector<EndpointResult> endpoints;
  std::vector<evidence::Evidence> evidence;  ///< every record made while gathering
  evidence::Baseline current;                ///< the services summarized like a baseline
};

/// Lists the containers now, selects the protected services, adds `remembered` ones that have no
/// container any more (the daemon keeps protecting a removed service), checks each, and probes
/// every endpoint in `config`. Fails only when the engine cannot list containers.
boost::asio::awaitable<Result<FreshFacts>> gatherFresh(
    docker::DockerApi& docker, const config::Config& config, bool all,
    const std::vector<services::ProtectedService>& remembered, const Clock& clock,
    bool with_endpoints = true);

}  // namespace medic::check
