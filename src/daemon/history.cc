// Incident and action history (DESIGN §5, issue 7): the dashboards' timeline of the last 24 h and
// their list of recent recovery/deploy actions.
//
// Incidents live in the supervisor (one open and the last closed per service); this file copies
// them into the store's incidents table as they open, progress and close, so the history outlives
// a restart and covers every service. Actions are the intents execute() writes before each Docker
// call and finishes after it.
#include <algorithm>

#include "core/duration.h"
#include "core/log.h"
#include "daemon/daemon.h"

namespace medic::daemon {

using http::Request;
using http::Response;

namespace {

constexpr int kMaxActions = 500;
constexpr int kDefaultActions = 50;

std::string formatMillis(int64_t ms) {
  return formatWallTime(WallTime(Millis(ms)));
}

nlohmann::json optionalTime(const std::optional<int64_t>& ms) {
  return ms ? nlohmann::json(formatMillis(*ms)) : nlohmann::json(nullptr);
}

nlohmann::json incidentToJson(const store::IncidentRecord& r) {
  return {{"id", r.id},
          {"service", r.service},
          {"kind", r.cause},
          {"state", store::toString(r.state)},
          {"failed_at", formatMillis(r.failed_at_ms)},
          {"detected_at", formatMillis(r.detected_at_ms)},
          {"detection_seconds",
           r.detection_seconds ? nlohmann::json(*r.detection_seconds) : nlohmann::json(nullptr)},
          {"attempts", r.attempts},
          {"outcome", r.state == store::IncidentState::kOpen ? "open" : r.outcome},
          {"recovered_at", optionalTime(r.recovered_at_ms)},
          {"recovery_seconds",
           r.recovery_seconds ? nlohmann::json(*r.recovery_seconds) : nlohmann::json(nullptr)},
          {"evidence", r.evidence_ids}};
}

nlohmann::json actionToJson(const store::IntentRecord& r) {
  std::string error;
  if (r.result_json.is_object() && r.result_json.contains("error") &&
      r.result_json["error"].is_string()) {
    error = r.result_json["error"].get<std::string>();
  }
  std::string reason;
  if (r.params_json.is_object() && r.params_json.contains("reason") &&
      r.params_json["reason"].is_string()) {
    reason = r.params_json["reason"].get<std::string>();
  }
  return {{"id", r.id},
          {"service", r.service},
          {"action", r.action},
          {"container_id", r.container_id},
          {"reason", reason},
          {"started_at", formatMillis(r.created_at_ms)},
          {"finished_at", optionalTime(r.finished_at_ms)},
          {"duration_seconds",
           r.finished_at_ms
               ? nlohmann::json(static_cast<double>(*r.finished_at_ms - r.created_at_ms) / 1000.0)
               : nlohmann::json(nullptr)},
          {"outcome", r.pending() ? "pending" : (r.ok.value_or(false) ? "ok" : "failed")},
          {"error", error},
          {"evidence", r.evidence_ids}};
}

}  // namespace

void Daemon::loadOpenIncidents() {
  if (!store_) return;
  auto open = store_->openIncidents();
  if (!open) {
    spdlog::warn("cannot read open incidents: {}", open.error().message);
    return;
  }
  for (const auto& r : *open) {
    incident_rows_[r.service] = IncidentRow{r.id, r.detected_at_ms, r.attempts, false, r.cause};
  }
}

void Daemon::recordIncident(const std::string& service) {
  if (!store_) return;
  const auto* st = core_->status(service);
  if (st == nullptr || !st->last_incident) return;
  const auto& inc = *st->last_incident;
  const int64_t detected_ms = toUnixMillis(inc.detected_at);
  auto it = incident_rows_.find(service);
  if (it != incident_rows_.end() && it->second.detected_ms != detected_ms && !it->second.closed) {
    // A row left open by a previous run (or one whose close was missed): it ended unobserved.
    (void)store_->closeIncident(it->second.id, "interrupted", std::nullopt, std::nullopt,
                                std::nullopt, it->second.attempts);
    it->second.closed = true;
  }
  if (it == incident_rows_.end() || it->second.detected_ms != detected_ms) {
    if (inc.outcome != "open" && it == incident_rows_.end()) {
      // Restored from the store after a restart with no open row: the incident was already
      // recorded (or predates this history); do not add it again.
      incident_rows_[service] = IncidentRow{0, detected_ms, inc.attempts, true, inc.kind};
      return;
    }
    store::IncidentRecord rec;
    rec.service = service;
    rec.cause = inc.kind;
    rec.detected_at_ms = detected_ms;
    rec.failed_at_ms = detected_ms - static_cast<int64_t>(inc.detection_seconds * 1000.0);
    rec.updated_at_ms = toUnixMillis(now().wall);
    rec.attempts = inc.attempts;
    rec.evidence_ids = inc.evidence_ids;
    auto id = store_->openIncident(rec);
    if (!id) {
      spdlog::error("{}: cannot record the incident: {}", service, id.error().message);
      return;
    }
    it =
        incident_rows_
            .insert_or_assign(service,
                              IncidentRow{*id, detected_ms, inc.attempts, false, inc.kind})
            .first;
  }
  IncidentRow& row = it->second;
  if (row.closed) return;
  if (inc.kind != row.cause) {
    // e.g. the stop of a container whose replacement then failed: replacement_failed.
    if (auto s = store_->reclassifyIncident(row.id, inc.kind, toUnixMillis(now().wall)); !s) {
      spdlog::error("{}: cannot record the incident's new kind: {}", service, s.error().message);
    }
    row.cause = inc.kind;
  }
  if (inc.outcome != "open") {
    std::optional<int64_t> recovered_ms;
    if (inc.recovered_at) recovered_ms = toUnixMillis(*inc.recovered_at);
    if (auto s = store_->closeIncident(row.id, inc.outcome, recovered_ms, inc.detection_seconds,
                                       inc.recovery_seconds, inc.attempts, inc.evidence_ids);
        !s) {
      spdlog::error("{}: cannot close the incident: {}", service, s.error().message);
    }
    row.closed = true;
  } else if (inc.attempts != row.attempts) {
    (void)store_->updateIncident(row.id, inc.attempts, nlohmann::json::object(),
                                 toUnixMillis(now().wall));
    row.attempts = inc.attempts;
  }
}

void Daemon::registerHistoryRoutes() {
  router_.add("GET", "/api/v1/incidents", [this](const Request& req) {
    if (!store_) return Response::error(503, "store unusable: " + store_error_);
    Millis window = std::chrono::hours(24);
    if (auto it = req.query.find("since"); it != req.query.end()) {
      auto d = parseDuration(it->second);
      if (!d || d->count() <= 0) {
        return Response::error(
            400, "since must be a duration like 24h or 90m, got '" + it->second + "'");
      }
      window = *d;
    }
    auto list = store_->listIncidents(toUnixMillis(now().wall - window));
    if (!list) return Response::error(500, list.error().message);
    nlohmann::json arr = nlohmann::json::array();
    for (const auto& r : *list) arr.push_back(incidentToJson(r));
    return Response::json(200, arr);
  });
  router_.add("GET", "/api/v1/actions", [this](const Request& req) {
    if (!store_) return Response::error(503, "store unusable: " + store_error_);
    int limit = kDefaultActions;
    if (auto it = req.query.find("limit"); it != req.query.end()) {
      try {
        size_t used = 0;
        limit = std::stoi(it->second, &used);
        if (used != it->second.size() || limit < 1 || limit > kMaxActions)
          throw std::out_of_range("");
      } catch (...) {
        return Response::error(400, "limit must be a number from 1 to " +
                                        std::to_string(kMaxActions) + ", got '" + it->second + "'");
      }
    }
    std::vector<store::IntentRecord> all;
    for (const auto& [name, svc] : services_) {
      auto list = store_->listIntents(name, limit);
      if (!list) return Response::error(500, list.error().message);
      all.insert(all.end(), list->begin(), list->end());
    }
    std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) {
      return a.created_at_ms != b.created_at_ms ? a.created_at_ms > b.created_at_ms : a.id > b.id;
    });
    if (all.size() > static_cast<size_t>(limit)) all.resize(static_cast<size_t>(limit));
    nlohmann::json arr = nlohmann::json::array();
    for (const auto& r : all) arr.push_back(actionToJson(r));
    return Response::json(200, arr);
  });
}

}  // namespace medic::daemon
