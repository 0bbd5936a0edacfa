#pragma once
/// Phase gates (DESIGN §4 "Evidence, claims, gates"): a phase passes only when every check it
/// requires passes on evidence no older than its max age. Pure: the caller gathers FRESH evidence
/// (inspects the containers and runs the probes now), reads the baseline, and passes the time.

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "core/time.h"
#include "evidence/baseline.h"
#include "evidence/evidence.h"

namespace medic::evidence {

/// Evidence about an endpoint is filed under this service name: "endpoint:<name>".
std::string endpointSubject(const std::string& endpoint_name);

struct GateService {
  std::string name;
  std::string state;  ///< the supervisor's state ("healthy", "recovering", ...); "" unknown
  std::vector<std::string> probes;  ///< its HTTP/TCP probes: each needs fresh evidence
};

struct GateInputs {
  std::vector<GateService> services;   ///< every protected service
  std::vector<std::string> endpoints;  ///< every configured endpoint
  std::vector<Evidence> evidence;      ///< records about services and endpoints, any age
  /// False when no daemon runs: nobody knows whether a recovery is in progress.
  bool recovery_state_known = true;
  std::optional<Baseline> baseline;  ///< nullopt: none written yet
  std::string baseline_error;        ///< why the baseline could not be read ("" = none written)
  Baseline current;                  ///< the host now, summarized like a baseline
  WallTime now;
};

struct GateCheck {
  std::string requirement;  ///< healthy, present, no_recovery, endpoints_answer, baseline
  std::string subject;      ///< service or endpoint name, or "baseline"
  bool pass = false;
  std::string reason;
  std::vector<std::string> evidence_ids;
  nlohmann::json toJson() const;
};

struct GateVerdict {
  int phase = 0;
  std::string name;
  bool pass = false;
  std::string reason;  ///< one line: what passed or what failed first
  Millis max_evidence_age{0};
  WallTime time;
  std::vector<GateCheck> checks;
  nlohmann::json toJson() const;
  /// Every evidence id any check cites, in check order, without repeats.
  std::vector<std::string> evidenceIds() const;
};

/// A phase with no check at all (nothing protected, no endpoints configured) fails: there is
/// nothing to vouch for, which is not a pass.
GateVerdict evaluateGate(const config::PhaseConfig& phase, const GateInputs& inputs);

}  // namespace medic::evidence
