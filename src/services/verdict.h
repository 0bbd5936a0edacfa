#pragma once
/// The verdict on one service from what was measured: Docker's state and health plus probe results.
/// Pure. A verdict without evidence is never "healthy".

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "docker/types.h"
#include "services/selection.h"

namespace medic::services {

enum class Health { kHealthy, kDegraded, kUnhealthy, kMissing, kUnknown };

const char* toString(Health h);

/// One probe's result as measured in this pass.
struct ProbeResult {
  std::string name;  ///< describeProbe()
  std::string kind;  ///< http|tcp|exec|command
  bool ok = false;
  bool timed_out = false;
  std::string summary;
  std::string evidence_id;
};

struct ServiceVerdict {
  std::string service;
  Health health = Health::kUnknown;
  std::string reason;  ///< why, in words: "exited with code 3", "http ... returned 500"
  std::vector<std::string> evidence_ids;
};

/// container: the inspect result, nullopt when the service has no container.
/// docker_evidence_id: the evidence record of that inspect (or of the absence).
ServiceVerdict judge(const ProtectedService& service,
                     const std::optional<docker::ContainerInfo>& container,
                     const std::string& docker_evidence_id, const std::vector<ProbeResult>& probes);

/// Exit status of `medic check`: 0 when every verdict is healthy, 1 otherwise (also when empty
/// selection: there is nothing to vouch for, which is not "healthy").
int checkExitStatus(const std::vector<ServiceVerdict>& verdicts);

/// The inspect excerpt stored as docker_state evidence: state, exit code, health and its log tail.
nlohmann::json dockerStateExcerpt(const docker::ContainerInfo& info);

}  // namespace medic::services
