#pragma once
/// Evidence: a stored observation with its raw data (redacted), id, time and hash. Every health
/// statement medic makes cites evidence ids; a claim without fresh evidence is "unknown".

#include <string>

#include <nlohmann/json.hpp>

#include "core/time.h"

namespace medic::evidence {

/// Kinds of evidence (DESIGN §4).
inline constexpr const char* kDockerState = "docker_state";
inline constexpr const char* kHttp = "http";
inline constexpr const char* kTcp = "tcp";
inline constexpr const char* kExec = "exec";
inline constexpr const char* kCommand = "command";  ///< a command probe run on the host
inline constexpr const char* kResources = "resources";
inline constexpr const char* kScreenshot = "screenshot";
inline constexpr const char* kEvent = "docker_event";

struct Evidence {
  std::string id;       ///< "ev-<time base36>-<8 hex of hash>": unique, sortable by time
  std::string service;
  std::string kind;
  WallTime time;
  nlohmann::json data;  ///< already redacted
  std::string hash;     ///< sha256 hex of the canonical (redacted) record

  nlohmann::json toJson() const;
  static Evidence fromJson(const nlohmann::json& j);
};

/// Builds a record: redacts `data`, hashes kind+service+time+data, derives the id.
Evidence makeEvidence(std::string kind, std::string service, const nlohmann::json& data,
                      WallTime time);

/// Hex SHA-256 of bytes.
std::string sha256Hex(std::string_view bytes);

}  // namespace medic::evidence
