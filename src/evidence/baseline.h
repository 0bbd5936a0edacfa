#pragma once
/// A baseline: what every protected service looked like when an operator said "this is right"
/// (`medic baseline`), and how the host differs from it now (`medic baseline --diff`, phase gate
/// 3). Pure: the caller inspects the containers and reads/writes the file.

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "core/time.h"

namespace medic::evidence {

/// One service's spec summary and health.
struct BaselineService {
  std::string name;
  bool present = false;  ///< a container existed
  std::string container_name;
  std::string image;                  ///< as the user named it (e.g. medic-testserver:v1)
  std::string image_id;               ///< sha256:...
  std::string env_hash;               ///< sha256 of the sorted environment (values never stored)
  std::vector<std::string> ports;     ///< "8080/tcp->127.0.0.1:18080", sorted
  std::vector<std::string> networks;  ///< network names, sorted
  std::string labels_hash;            ///< sha256 of the sorted labels
  std::string health;       ///< the check verdict: healthy, degraded, unhealthy, missing, unknown
  std::string evidence_id;  ///< the docker_state evidence this summary was made from

  nlohmann::json toJson() const;
  static BaselineService fromJson(const nlohmann::json& j);
};

struct Baseline {
  WallTime taken;
  std::vector<BaselineService> services;  ///< sorted by name

  nlohmann::json toJson() const;
  /// Rejects documents that are not a baseline, naming what is wrong.
  static Result<Baseline> fromJson(const nlohmann::json& j);
  const BaselineService* find(const std::string& name) const;
};

struct BaselineDifference {
  std::string service;
  /// missing_service, new_service, changed_image, changed_env, changed_ports, changed_networks,
  /// changed_labels, health_changed
  std::string kind;
  std::string before;
  std::string after;

  std::string describe() const;  ///< "web: changed_image: medic-testserver:v1 (sha256:1a2b) -> ..."
  nlohmann::json toJson() const;
};

/// Every way `current` differs from `recorded`, in service order. Empty: the host matches.
std::vector<BaselineDifference> diffBaseline(const Baseline& recorded, const Baseline& current);

/// sha256 of the sorted entries joined by newlines (env lists, "k=v" labels).
std::string hashSorted(std::vector<std::string> entries);

}  // namespace medic::evidence
