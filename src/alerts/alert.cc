#include "alerts/alert.h"

namespace medic::alerts {

const char* toString(Severity severity) {
  switch (severity) {
    case Severity::kInfo:
      return "info";
    case Severity::kWarning:
      return "warning";
    case Severity::kCritical:
      return "critical";
  }
  return "info";
}

std::optional<Severity> parseSeverity(std::string_view text) {
  if (text == "info") return Severity::kInfo;
  if (text == "warning") return Severity::kWarning;
  if (text == "critical") return Severity::kCritical;
  return std::nullopt;
}

std::string_view alertKind(std::string_view dedup_key) {
  return dedup_key.substr(0, dedup_key.find(':'));
}

const char* toString(AlertState state) {
  return state == AlertState::kFiring ? "firing" : "resolved";
}

nlohmann::json toJson(const Alert& alert) {
  nlohmann::json j = {
      {"id", alert.id},
      {"dedup_key", alert.dedup_key},
      {"severity", toString(alert.severity)},
      {"state", toString(alert.state)},
      {"service", alert.service},
      {"title", alert.title},
      {"text", alert.text},
      {"created", formatWallTime(alert.created)},
      {"updated", formatWallTime(alert.updated)},
      {"acked", alert.acked},
      {"fire_count", alert.fire_count},
      {"labels", alert.labels.is_object() ? alert.labels : nlohmann::json::object()},
  };
  if (alert.resolved) j["resolved"] = formatWallTime(*alert.resolved);
  return j;
}

}  // namespace medic::alerts
