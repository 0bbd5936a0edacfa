#pragma once
/// The rows medic keeps in its store, as plain values. Times are Unix milliseconds (wall clock,
/// for records and display only; schedules never read them back). JSON columns are opaque to the
/// store: each owner (supervisor, deploy guard, evidence, bus) defines what goes inside.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace medic::store {

/// The create configuration of a service's last known good container, enough to recreate it
/// after removal (DESIGN §2 "spec snapshot"). Every saved snapshot is by definition known good.
struct SnapshotRecord {
  int64_t id = 0;  ///< assigned by the store
  std::string service;
  std::string container_id;
  std::string container_name;
  std::string image_id;    ///< sha256:... — what rollback pins to
  std::string image_name;  ///< the reference the user wrote (nginx:1.25)
  nlohmann::json spec_json = nlohmann::json::object();
  int64_t taken_at_ms = 0;

  bool operator==(const SnapshotRecord&) const = default;
};

/// One action medic is about to take (written BEFORE the Docker call) and, once finished, what
/// came of it. Together the fields are the action record DESIGN §4 asks for: the state before,
/// the request, the engine's answer (error body included) and the evidence after.
struct IntentRecord {
  int64_t id = 0;  ///< assigned by the store
  std::string service;
  std::string action;        ///< "start", "restart", "recreate", "rollback", "unpause", ...
  std::string container_id;  ///< the container acted on; empty when there is none yet
  nlohmann::json state_before_json = nlohmann::json::object();  ///< observed state before acting
  nlohmann::json params_json = nlohmann::json::object();        ///< the Docker request(s)
  int64_t created_at_ms = 0;
  // Filled by finishIntent; unset while the intent is pending.
  std::optional<bool> ok;
  nlohmann::json result_json;  ///< the engine's answer, error body included (null while pending)
  std::vector<std::string> evidence_ids;  ///< evidence taken after the action
  std::optional<int64_t> finished_at_ms;

  bool pending() const { return !finished_at_ms.has_value(); }
  bool operator==(const IntentRecord&) const = default;
};

enum class IncidentState { kOpen, kClosed };
const char* toString(IncidentState state);

/// A failure of one service from detection to its outcome.
struct IncidentRecord {
  int64_t id = 0;  ///< assigned by the store
  std::string service;
  std::string cause;  ///< "exited", "removed", "unhealthy", "hung", ...
  IncidentState state = IncidentState::kOpen;
  int64_t failed_at_ms = 0;    ///< when the failure happened (event time), for detection time
  int64_t detected_at_ms = 0;  ///< when medic noticed
  int64_t updated_at_ms = 0;
  int attempts = 0;  ///< recovery attempts so far
  nlohmann::json details_json = nlohmann::json::object();
  std::vector<std::string> evidence_ids;
  // Set by closeIncident.
  std::string outcome;  ///< "recovered", "replaced", "rolled_back", "escalated", ...
  std::optional<int64_t> recovered_at_ms;  ///< unset when it never recovered (escalated)
  std::optional<double> detection_seconds;
  std::optional<double> recovery_seconds;

  bool operator==(const IncidentRecord&) const = default;
};

enum class AlertState { kFiring, kResolved };
const char* toString(AlertState state);

/// An alert, deduplicated by `dedup_key` while it fires: firing again updates the same row.
struct AlertRecord {
  int64_t id = 0;  ///< assigned by the store
  std::string dedup_key;
  std::string severity;  ///< "info", "warning", "critical"
  std::string service;   ///< empty for host-wide alerts
  std::string title;
  std::string text;
  AlertState state = AlertState::kFiring;
  int64_t created_at_ms = 0;
  int64_t updated_at_ms = 0;
  std::optional<int64_t> resolved_at_ms;
  bool acked = false;
  int64_t fire_count = 1;  ///< how many times it was raised while firing (store-maintained)

  bool operator==(const AlertRecord&) const = default;
};

/// What upsertAlert did: `created` is true when a new firing alert row was made (notify sinks),
/// false when an alert with the same key was already firing and was updated.
struct AlertUpsert {
  int64_t id = 0;
  bool created = false;
};

/// A stored observation (already redacted by its producer). Immutable once stored.
struct EvidenceRecord {
  std::string id;  ///< chosen by the producer (unique, stable)
  std::string service;
  std::string kind;  ///< "docker_state", "http", "tcp", "exec", "resources", "screenshot", ...
  int64_t time_ms = 0;
  std::string hash;  ///< content hash computed by the producer
  nlohmann::json data_json = nlohmann::json::object();

  bool operator==(const EvidenceRecord&) const = default;
};

/// How much room one evidence record takes, for retention.
struct EvidenceFootprint {
  std::string id;
  int64_t time_ms = 0;
  int64_t bytes = 0;  ///< data JSON plus attachment

  bool operator==(const EvidenceFootprint&) const = default;
};

/// A message on a channel, as stored for SSE replay (`Last-Event-ID` = id).
struct MessageRecord {
  int64_t id = 0;  ///< assigned by the store; strictly increasing across all channels, never reused
  std::string channel;
  nlohmann::json data_json;

  bool operator==(const MessageRecord&) const = default;
};

/// One guarded deploy (`medic deploy`): the deploy machine's state, which is also its report.
struct DeployRecord {
  std::string id;
  std::string service;
  bool finished = false;
  nlohmann::json state_json = nlohmann::json::object();
  int64_t created_at_ms = 0;
  int64_t updated_at_ms = 0;

  bool operator==(const DeployRecord&) const = default;
};

}  // namespace medic::store
