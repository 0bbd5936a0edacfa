#pragma once
/// The weekly review as one command (`medic report`, `GET /api/v1/report`): what failed, how fast
/// medic saw it and brought it back, what kept failing, what needed a person. Pure: a function of
/// the incident and alert rows and a time window, so every figure is unit-tested on fixed data.
///
/// Definitions (docs/operations.md "Reports"):
/// - an incident counts when it was detected inside the window;
/// - detection time = failure (event time) -> medic noticed; recovery time = detection -> probes
///   passing again; both over closed incidents that carry them, as median and p95 (nearest rank);
/// - false alarm = an incident closed "recovered" with no recovery action taken (it cleared by
///   itself before medic acted);
/// - escalation = an incident closed "escalated" or "missing" (a person is needed);
/// - flap = an incident of a service detected less than `flap_window` after that service's
///   previous recovery; a service is flapping with at least one flap or a `flapping` alert;
/// - alerts by severity count alerts raised inside the window.

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "core/time.h"
#include "store/records.h"

namespace medic::report {

struct ReportWindow {
  int64_t since_ms = 0;  ///< inclusive
  int64_t until_ms = 0;  ///< the time the report was made
  Millis flap_window{5 * 60 * 1000};
};

/// Median and p95 of a set of durations in seconds; unset when there are none.
struct Distribution {
  int count = 0;
  std::optional<double> median;
  std::optional<double> p95;
  std::optional<double> max;
};

struct ServiceLine {
  std::string service;
  int incidents = 0;
  int false_alarms = 0;
  int escalations = 0;
  int flaps = 0;
  int open = 0;
};

/// One incident worth naming in the report (false alarms, escalations).
struct IncidentLine {
  int64_t id = 0;
  std::string service;
  std::string cause;
  std::string outcome;
  int64_t detected_at_ms = 0;
};

struct Report {
  ReportWindow window;
  int incidents = 0;
  int open = 0;
  int recovered = 0;  ///< closed "recovered" or "replaced"
  int false_alarm_count = 0;
  int escalation_count = 0;
  std::map<std::string, int> by_cause;
  std::map<std::string, int> by_outcome;
  Distribution detection_seconds;
  Distribution recovery_seconds;
  std::vector<ServiceLine> services;  ///< by incident count, most first, then by name
  std::vector<ServiceLine> flapping;  ///< the flapping services, most flaps first
  std::vector<IncidentLine> false_alarms;
  std::vector<IncidentLine> escalations;
  std::map<std::string, int> alerts_by_severity;  ///< always has info, warning and critical
  int alerts = 0;

  nlohmann::json toJson() const;
  /// What `medic report` prints without --json.
  std::string toText() const;
};

/// Median (mean of the two middle values for an even count) and nearest-rank p95.
Distribution distributionOf(std::vector<double> values);

/// Builds the report from every incident and alert row (any order; rows outside the window are
/// ignored).
Report buildReport(const std::vector<store::IncidentRecord>& incidents,
                   const std::vector<store::AlertRecord>& alerts, const ReportWindow& window);

}  // namespace medic::report

namespace medic::store {
class Store;
}

namespace medic::report {

/// Reads the rows a report needs from the store (incidents detected since the window's start less
/// one flap window, so a flap across the start is seen; every alert) and builds it.
Result<Report> reportFromStore(store::Store& store, const ReportWindow& window);

}  // namespace medic::report
