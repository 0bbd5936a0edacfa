#include "report/report.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "core/duration.h"
#include "store/store.h"

namespace medic::report {
namespace {

bool isRecovery(const std::string& outcome) {
  return outcome == "recovered" || outcome == "replaced";
}

bool isEscalation(const std::string& outcome) {
  return outcome == "escalated" || outcome == "missing";
}

IncidentLine lineOf(const store::IncidentRecord& r) {
  return {r.id, r.service, r.cause, r.outcome, r.detected_at_ms};
}

nlohmann::json optionalJson(const std::optional<double>& v) {
  return v ? nlohmann::json(std::round(*v * 1000.0) / 1000.0) : nlohmann::json(nullptr);
}

nlohmann::json toJson(const Distribution& d) {
  return {{"count", d.count},
          {"median", optionalJson(d.median)},
          {"p95", optionalJson(d.p95)},
          {"max", optionalJson(d.max)}};
}

nlohmann::json toJson(const ServiceLine& s) {
  return {
      {"service", s.service},         {"incidents", s.incidents}, {"false_alarms", s.false_alarms},
      {"escalations", s.escalations}, {"flaps", s.flaps},         {"open", s.open}};
}

nlohmann::json toJson(const IncidentLine& i) {
  return {{"id", i.id},
          {"service", i.service},
          {"cause", i.cause},
          {"outcome", i.outcome},
          {"detected_at", formatWallTime(WallTime(Millis(i.detected_at_ms)))}};
}

std::string seconds(const std::optional<double>& v) {
  return v ? fmt::format("{:.3f} s", *v) : std::string("-");
}

std::string timeOf(int64_t ms) {
  return formatWallTime(WallTime(Millis(ms)));
}

}  // namespace

Distribution distributionOf(std::vector<double> values) {
  Distribution d;
  d.count = static_cast<int>(values.size());
  if (values.empty()) return d;
  std::sort(values.begin(), values.end());
  const size_t n = values.size();
  d.median = n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2.0;
  // Nearest rank: the smallest value with at least 95 % of the values at or below it.
  const auto rank = static_cast<size_t>(std::ceil(0.95 * static_cast<double>(n)));
  d.p95 = values[std::max<size_t>(rank, 1) - 1];
  d.max = values.back();
  return d;
}

Report buildReport(const std::vector<store::IncidentRecord>& incidents,
                   const std::vector<store::AlertRecord>& alerts, const ReportWindow& window) {
  Report r;
  r.window = window;
  auto sorted = incidents;
  std::sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) {
    return a.detected_at_ms != b.detected_at_ms ? a.detected_at_ms < b.detected_at_ms : a.id < b.id;
  });
  const auto inWindow = [&](int64_t ms) { return ms >= window.since_ms && ms <= window.until_ms; };

  std::map<std::string, ServiceLine> per_service;
  std::map<std::string, int64_t> last_recovery;  // service -> recovered_at of its previous incident
  std::vector<double> detection, recovery;
  for (const auto& inc : sorted) {
    const bool counted = inWindow(inc.detected_at_ms);
    const auto previous = last_recovery.find(inc.service);
    const bool flap = previous != last_recovery.end() &&
                      inc.detected_at_ms - previous->second < window.flap_window.count();
    if (inc.recovered_at_ms && isRecovery(inc.outcome))
      last_recovery[inc.service] = *inc.recovered_at_ms;
    if (!counted) continue;

    auto& line = per_service[inc.service];
    line.service = inc.service;
    ++line.incidents;
    ++r.incidents;
    ++r.by_cause[inc.cause];
    const bool open = inc.state == store::IncidentState::kOpen;
    ++r.by_outcome[open ? "open" : inc.outcome];
    if (open) {
      ++r.open;
      ++line.open;
    }
    if (flap) ++line.flaps;
    if (!open && isRecovery(inc.outcome)) ++r.recovered;
    if (!open && inc.outcome == "recovered" && inc.attempts == 0) {
      ++r.false_alarm_count;
      ++line.false_alarms;
      r.false_alarms.push_back(lineOf(inc));
    }
    if (!open && isEscalation(inc.outcome)) {
      ++r.escalation_count;
      ++line.escalations;
      r.escalations.push_back(lineOf(inc));
    }
    if (!open && inc.detection_seconds) detection.push_back(*inc.detection_seconds);
    if (!open && isRecovery(inc.outcome) && inc.recovery_seconds) {
      recovery.push_back(*inc.recovery_seconds);
    }
  }
  r.detection_seconds = distributionOf(std::move(detection));
  r.recovery_seconds = distributionOf(std::move(recovery));

  r.alerts_by_severity = {{"info", 0}, {"warning", 0}, {"critical", 0}};
  std::set<std::string> flapping_alerted;
  for (const auto& a : alerts) {
    if (!inWindow(a.created_at_ms)) continue;
    ++r.alerts;
    ++r.alerts_by_severity[a.severity];
    if (a.dedup_key.rfind("flapping:", 0) == 0 && !a.service.empty()) {
      flapping_alerted.insert(a.service);
    }
  }

  for (auto& [name, line] : per_service) r.services.push_back(line);
  std::sort(r.services.begin(), r.services.end(), [](const auto& a, const auto& b) {
    return a.incidents != b.incidents ? a.incidents > b.incidents : a.service < b.service;
  });
  for (const auto& line : r.services) {
    if (line.flaps > 0 || flapping_alerted.count(line.service)) r.flapping.push_back(line);
  }
  for (const auto& service : flapping_alerted) {
    if (!per_service.count(service)) r.flapping.push_back(ServiceLine{service, 0, 0, 0, 0, 0});
  }
  std::stable_sort(r.flapping.begin(), r.flapping.end(),
                   [](const auto& a, const auto& b) { return a.flaps > b.flaps; });
  return r;
}

nlohmann::json Report::toJson() const {
  nlohmann::json services_json = nlohmann::json::array();
  for (const auto& s : services) services_json.push_back(report::toJson(s));
  nlohmann::json flapping_json = nlohmann::json::array();
  for (const auto& s : flapping) flapping_json.push_back(report::toJson(s));
  nlohmann::json false_json = nlohmann::json::array();
  for (const auto& i : false_alarms) false_json.push_back(report::toJson(i));
  nlohmann::json esc_json = nlohmann::json::array();
  for (const auto& i : escalations) esc_json.push_back(report::toJson(i));
  return {{"since", formatWallTime(WallTime(Millis(window.since_ms)))},
          {"until", formatWallTime(WallTime(Millis(window.until_ms)))},
          {"flap_window_seconds", toSeconds(window.flap_window)},
          {"incidents",
           {{"total", incidents},
            {"open", open},
            {"recovered", recovered},
            {"false_alarms", false_alarm_count},
            {"escalations", escalation_count},
            {"by_cause", by_cause},
            {"by_outcome", by_outcome}}},
          {"detection_seconds", report::toJson(detection_seconds)},
          {"recovery_seconds", report::toJson(recovery_seconds)},
          {"services", services_json},
          {"flapping", flapping_json},
          {"false_alarms", false_json},
          {"escalations", esc_json},
          {"alerts", {{"total", alerts}, {"by_severity", alerts_by_severity}}}};
}

std::string Report::toText() const {
  std::string out;
  out += fmt::format("medic report {} .. {}\n\n", timeOf(window.since_ms), timeOf(window.until_ms));
  out +=
      fmt::format("incidents        {} ({} recovered, {} open, {} false alarms, {} escalations)\n",
                  incidents, recovered, open, false_alarm_count, escalation_count);
  out += fmt::format("detection time   median {}  p95 {}  max {}  (n={})\n",
                     seconds(detection_seconds.median), seconds(detection_seconds.p95),
                     seconds(detection_seconds.max), detection_seconds.count);
  out += fmt::format("recovery time    median {}  p95 {}  max {}  (n={})\n",
                     seconds(recovery_seconds.median), seconds(recovery_seconds.p95),
                     seconds(recovery_seconds.max), recovery_seconds.count);
  out += fmt::format("alerts           {} (critical {}, warning {}, info {})\n", alerts,
                     alerts_by_severity.at("critical"), alerts_by_severity.at("warning"),
                     alerts_by_severity.at("info"));
  if (!by_cause.empty()) {
    std::string causes;
    for (const auto& [cause, n] : by_cause)
      causes += fmt::format("{}{} {}", causes.empty() ? "" : ", ", cause, n);
    out += fmt::format("causes           {}\n", causes);
  }
  out += "\nservices by incident count\n";
  if (services.empty()) out += "  (no incidents)\n";
  for (const auto& s : services) {
    out += fmt::format("  {:<24} {:>4} incidents  {} false alarms  {} escalations  {} flaps{}\n",
                       s.service, s.incidents, s.false_alarms, s.escalations, s.flaps,
                       s.open > 0 ? fmt::format("  ({} open)", s.open) : "");
  }
  out += fmt::format("\nflapping services (failed again within {} of a recovery)\n",
                     formatDuration(window.flap_window));
  if (flapping.empty()) out += "  (none)\n";
  for (const auto& s : flapping) out += fmt::format("  {:<24} {} flaps\n", s.service, s.flaps);
  out += "\nfalse alarms (cleared before any action)\n";
  if (false_alarms.empty()) out += "  (none)\n";
  for (const auto& i : false_alarms) {
    out += fmt::format("  #{:<5} {:<24} {:<10} {}\n", i.id, i.service, i.cause,
                       timeOf(i.detected_at_ms));
  }
  out += "\nescalations (manual intervention needed)\n";
  if (escalations.empty()) out += "  (none)\n";
  for (const auto& i : escalations) {
    out += fmt::format("  #{:<5} {:<24} {:<10} {} {}\n", i.id, i.service, i.cause, i.outcome,
                       timeOf(i.detected_at_ms));
  }
  return out;
}

Result<Report> reportFromStore(store::Store& store, const ReportWindow& window) {
  auto incidents = store.listIncidents(window.since_ms - window.flap_window.count());
  if (!incidents) return incidents.error();
  auto alerts = store.listAlerts(/*only_firing=*/false);
  if (!alerts) return alerts.error();
  return buildReport(*incidents, *alerts, window);
}

}  // namespace medic::report
