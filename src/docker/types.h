#pragma once
/// Plain values exchanged with the Docker engine. Parsed from the engine's JSON by the client; the
/// supervisor core only ever sees these.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace medic::docker {

using Labels = std::map<std::string, std::string>;

/// One row of GET /containers/json.
struct ContainerSummary {
  std::string id;
  std::string name;      ///< primary name without the leading '/'
  std::string image;     ///< as the user named it
  std::string image_id;  ///< sha256:...
  std::string state;     ///< created|running|paused|restarting|removing|exited|dead
  std::string status;    ///< human text, e.g. "Up 3 seconds (healthy)"
  Labels labels;
  int64_t created = 0;   ///< unix seconds
};

struct HealthLogEntry {
  std::string start;  ///< RFC 3339 as the engine wrote it
  std::string end;
  int exit_code = 0;
  std::string output;
};

/// .State of GET /containers/{id}/json.
struct ContainerState {
  std::string status;  ///< created|running|paused|restarting|removing|exited|dead
  bool running = false;
  bool paused = false;
  bool restarting = false;
  bool oom_killed = false;
  bool dead = false;
  int pid = 0;
  int exit_code = 0;
  std::string error;
  std::string started_at;
  std::string finished_at;
  std::optional<std::string> health;  ///< starting|healthy|unhealthy; nullopt without healthcheck
  int failing_streak = 0;
  std::vector<HealthLogEntry> health_log;
};

/// GET /containers/{id}/json, the parts medic uses, plus the raw document for spec snapshots.
struct ContainerInfo {
  std::string id;
  std::string name;      ///< without the leading '/'
  std::string image;     ///< .Config.Image (what the user asked for)
  std::string image_id;  ///< .Image (sha256:...)
  std::string created;
  int restart_count = 0;
  ContainerState state;
  Labels labels;
  nlohmann::json raw;  ///< the full inspect document
};

/// Everything needed to create a container again: the body of POST /containers/create and the name.
/// Built from an inspect document by specFromInspect() (docker/spec.h).
struct ContainerSpec {
  std::string name;
  nlohmann::json body;  ///< {Image, Cmd, Env, Labels, ..., HostConfig, NetworkingConfig}
};

/// One message of GET /events.
struct Event {
  std::string type;    ///< container|image|network|volume|daemon|...
  std::string action;  ///< die|stop|kill|oom|destroy|health_status: healthy|start|create|pause|...
  std::string id;      ///< Actor.ID
  Labels attributes;   ///< Actor.Attributes (container labels, name, image, exitCode)
  int64_t time_nano = 0;
  int64_t time = 0;    ///< unix seconds
};

struct VersionInfo {
  std::string version;      ///< engine version, e.g. 20.10.24
  std::string api_version;  ///< the engine's maximum API version
  std::string min_api_version;
  std::string os;
  std::string negotiated;   ///< the API version this client uses
};

struct ExecResult {
  int exit_code = -1;
  std::string output;  ///< stdout and stderr, demultiplexed and concatenated, bounded
  bool timed_out = false;
};

struct Stats {
  double cpu_percent = 0;  ///< of one core, over the sample window
  double cpu_seconds_total = 0;  ///< CPU time the container used since it started
  uint64_t memory_bytes = 0;
  uint64_t memory_limit_bytes = 0;
};

struct ImageInfo {
  std::string id;
  std::vector<std::string> tags;
  Labels labels;
  nlohmann::json config = nlohmann::json::object();  ///< .Config (Env, Cmd, Entrypoint, ...)
};

struct NetworkInfo {
  std::string id;
  std::string name;
  std::string driver;
  Labels labels;
  nlohmann::json raw;
};

}  // namespace medic::docker
