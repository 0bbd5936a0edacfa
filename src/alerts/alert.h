#pragma once
/// Alerts as values: what medic tells people about, with a severity, a dedup key and a life cycle
/// (firing -> resolved; acked is a flag a person sets, not a state).

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "core/time.h"

namespace medic::alerts {

/// Ordered: a sink with minimum severity kWarning gets kWarning and kCritical alerts.
enum class Severity { kInfo = 0, kWarning = 1, kCritical = 2 };

/// "info", "warning", "critical".
const char* toString(Severity severity);
/// Parses "info" | "warning" | "critical"; nullopt otherwise.
std::optional<Severity> parseSeverity(std::string_view text);

enum class AlertState { kFiring, kResolved };
/// "firing", "resolved".
const char* toString(AlertState state);

/// What a caller raises. Title and text are cut to 256 and 4096 bytes and redacted
/// (evidence::redactText) before they are stored or reach any sink; label values likewise (256
/// bytes; numbers and booleans become text, other values are dropped).
struct AlertSpec {
  /// "KIND:SUBJECT": same key while firing = the same alert (e.g. "failed:webui"); the part before
  /// the first ':' is the alert's kind (alertKind), which names it in Alertmanager.
  std::string dedup_key;
  Severity severity = Severity::kWarning;
  std::string service;  ///< "" for host-wide alerts
  std::string title;    ///< short: "webui failed"
  std::string text;     ///< one or more sentences: what happened, what medic does, what to do
  nlohmann::json labels =
      nlohmann::json::object();  ///< extra string labels (Alertmanager, webhook)
};

struct Alert {
  int64_t id = 0;
  std::string dedup_key;
  Severity severity = Severity::kWarning;
  std::string service;
  std::string title;
  std::string text;
  AlertState state = AlertState::kFiring;
  WallTime created{};  ///< first raised (kept while it fires again)
  WallTime updated{};  ///< last raised, or resolved
  std::optional<WallTime> resolved;
  bool acked = false;
  int64_t fire_count = 1;  ///< how many times it was raised while firing
  nlohmann::json labels = nlohmann::json::object();
  /// Set only on the copy sent to sinks when a firing alert got louder: the severity it had.
  /// Sinks that key an alert's identity by severity (Alertmanager) end the old identity.
  std::optional<Severity> replaces_severity;

  bool firing() const { return state == AlertState::kFiring; }
};

/// The kind of an alert: its dedup key up to the first ':' ("failed" for "failed:webui"), the
/// whole key when it has none.
std::string_view alertKind(std::string_view dedup_key);

/// The alert as sinks and the API show it:
/// {"id","dedup_key","severity","state","service","title","text","created","updated",
///  "resolved" (only when resolved),"acked","fire_count","labels"}; times RFC 3339 UTC.
nlohmann::json toJson(const Alert& alert);

}  // namespace medic::alerts
