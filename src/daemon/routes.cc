// HTTP routes of the daemon (DESIGN §5). Handlers run on the loop and read the daemon's state.
#include <boost/asio/co_spawn.hpp>

#include "core/duration.h"
#include "daemon/daemon.h"
#include "daemon/persist.h"
#include "daemon/status.h"
#include "http/assets.h"
#include "evidence/evidence.h"
#include "report/report.h"

namespace medic::daemon {

using http::Request;
using http::Response;

void Daemon::registerRoutes() {
  router_.add("GET", "/healthz", [this](const Request&) {
    return Response::json(200, {{"ok", true}, {"engine_reachable", engine_reachable_},
                                {"observe_only", observe_only_}});
  });
  router_.add("GET", "/api/v1/status", [this](const Request&) {
    return Response::text(200, statusBody(), "application/json");
  });
  router_.add("GET", "/api/v1/services", [this](const Request&) {
    return Response::json(200, statusJson()["services"]);
  });
  router_.add("GET", "/api/v1/services/{name}", [this](const Request& req) {
    auto all = statusJson()["services"];
    for (const auto& s : all) {
      if (s.value("name", "") == req.params.at("name")) return Response::json(200, s);
    }
    return Response::error(404, "no protected service named '" + req.params.at("name") + "'");
  });
  router_.add("GET", "/api/v1/alerts", [this](const Request& req) {
    auto list = alerts_->list(req.query.count("all") == 0);
    if (!list) return Response::error(500, list.error().message);
    nlohmann::json arr = nlohmann::json::array();
    for (const auto& a : *list) arr.push_back(alerts::toJson(a));
    return Response::json(200, arr);
  });
  router_.add(
      "POST", "/api/v1/alerts/{id}/ack",
      [this](const Request& req) {
        int64_t id = 0;
        try {
          id = std::stoll(req.params.at("id"));
        } catch (...) {
          return Response::error(400, "alert id must be a number");
        }
        auto st = alerts_->ack(id);
        if (!st) {
          return Response::error(st.error().kind == ErrorKind::kNotFound ? 404 : 500,
                                 st.error().message);
        }
        return Response::json(200, {{"id", id}, {"acked", true}});
      },
      /*mutation=*/true);
  router_.add("GET", "/api/v1/evidence/{id}", [this](const Request& req) {
    if (!store_) return Response::error(503, "store unusable: " + store_error_);
    // An id the status just cited must resolve, even before the next flush, and even when it is
    // held in memory only (a result that changed nothing): asking for it is citing it.
    citeEvidence({req.params.at("id")});
    flushEvidence();
    auto ev = store_->getEvidence(req.params.at("id"));
    if (!ev) return Response::error(500, ev.error().message);
    if (!*ev) return Response::error(404, "no evidence with id '" + req.params.at("id") + "'");
    const auto& e = **ev;
    return Response::json(200, {{"id", e.id}, {"service", e.service}, {"kind", e.kind},
                                {"time", formatWallTime(WallTime(Millis(e.time_ms)))},
                                {"hash", e.hash}, {"data", e.data_json}});
  });
  router_.add("GET", "/api/v1/evidence/{id}/screenshot", [this](const Request& req) {
    if (!store_) return Response::error(503, "store unusable: " + store_error_);
    const auto& id = req.params.at("id");
    auto ev = store_->getEvidence(id);
    if (!ev) return Response::error(500, ev.error().message);
    if (!*ev) return Response::error(404, "no evidence with id '" + id + "'");
    if ((*ev)->kind != evidence::kScreenshot) {
      return Response::error(404, "evidence '" + id + "' is " + (*ev)->kind + ", not a screenshot");
    }
    auto png = store_->getEvidenceBlob(id);
    if (!png) return Response::error(500, png.error().message);
    if (!*png || (*png)->empty()) {
      return Response::error(404, "screenshot evidence '" + id + "' holds no image: " +
                                      (*ev)->data_json.value("error", std::string("none taken")));
    }
    return Response::text(200, std::move(**png), "image/png");
  });
  router_.add("GET", "/api/v1/report", [this](const Request& req) {
    if (!store_) return Response::error(503, "store unusable: " + store_error_);
    const auto q = req.query.find("since");
    const std::string since = q != req.query.end() ? q->second : "7d";
    auto span = parseDuration(since);
    if (!span || span->count() <= 0) {
      return Response::error(400, "since '" + since + "' is not a duration (use e.g. 24h, 7d)");
    }
    report::ReportWindow window;
    window.until_ms = toUnixMillis(now().wall);
    window.since_ms = window.until_ms - span->count();
    window.flap_window = options_.config.defaults.recovery.flap_window;
    auto built = report::reportFromStore(*store_, window);
    if (!built) return Response::error(500, built.error().message);
    return Response::json(200, built->toJson());
  });
  router_.add(
      "POST", "/api/v1/services/{name}/recover",
      [this](const Request& req) {
        const auto& name = req.params.at("name");
        if (core_->status(name) == nullptr) {
          return Response::error(404, "no protected service named '" + name + "'");
        }
        feed(supervisor::RecoverRequested{name});
        return Response::json(202, {{"service", name}, {"accepted", true},
                                    {"status", supervisor::toJson(*core_->status(name), now())}});
      },
      /*mutation=*/true);
  router_.add(
      "POST", "/api/v1/services/{name}/maintenance",
      [this](const Request& req) {
        const auto& name = req.params.at("name");
        if (core_->status(name) == nullptr) {
          return Response::error(404, "no protected service named '" + name + "'");
        }
        auto body = req.body.empty() ? nlohmann::json::object() : nlohmann::json::parse(req.body);
        const char* kShape = "give {\"for\": \"10m\"} (a duration) or {\"end\": true}";
        if (!body.is_object() || (body.contains("end") && !body["end"].is_boolean()) ||
            (body.contains("for") && !body["for"].is_string())) {
          return Response::error(400, kShape);
        }
        if (body.value("end", false)) {
          feed(supervisor::MaintenanceSet{name, std::nullopt});
          return Response::json(200, {{"service", name}, {"maintenance", false}});
        }
        auto d = parseDuration(body.value("for", ""));
        if (!d || d->count() <= 0) return Response::error(400, kShape);
        feed(supervisor::MaintenanceSet{name, now().steady + *d});
        return Response::json(200, {{"service", name}, {"maintenance", true},
                                    {"until", formatWallTime(now().wall + *d)}});
      },
      /*mutation=*/true);
  router_.add(
      "POST", "/api/v1/projects/{name}/maintenance",
      [this](const Request& req) {
        // Every protected service of a compose project: `docker-compose down` of a project in
        // maintenance is intentional and left alone.
        const auto& project = req.params.at("name");
        std::vector<std::string> members;
        for (const auto& [name, s] : services_) {
          if (composeProject(name) == project && core_->status(name) != nullptr) {
            members.push_back(name);
          }
        }
        if (members.empty()) {
          return Response::error(
              404, "no protected service belongs to compose project '" + project + "'");
        }
        auto body = req.body.empty() ? nlohmann::json::object()
                                     : nlohmann::json::parse(req.body, nullptr, false);
        const char* kShape = "give {\"for\": \"10m\"} (a duration) or {\"end\": true}";
        if (!body.is_object() || (body.contains("end") && !body["end"].is_boolean()) ||
            (body.contains("for") && !body["for"].is_string())) {
          return Response::error(400, kShape);
        }
        if (body.value("end", false)) {
          for (const auto& m : members) feed(supervisor::MaintenanceSet{m, std::nullopt});
          return Response::json(
              200, {{"project", project}, {"services", members}, {"maintenance", false}});
        }
        auto d = parseDuration(body.value("for", ""));
        if (!d || d->count() <= 0) return Response::error(400, kShape);
        for (const auto& m : members) feed(supervisor::MaintenanceSet{m, now().steady + *d});
        return Response::json(200, {{"project", project},
                                    {"services", members},
                                    {"maintenance", true},
                                    {"until", formatWallTime(now().wall + *d)}});
      },
      /*mutation=*/true);
  registerChannelRoutes();
  registerHistoryRoutes();
  http::addDashboardRoutes(router_);
  registerDeployRoutes();
  registerValidationRoutes();
  registerBaselineRoutes();
  mcp_ = std::make_unique<mcp::HttpEndpoint>(router_, token_, *bus_);
  router_.add("GET", "/metrics", [this](const Request&) {
    syncCounterMetrics();
    return Response::text(200, metrics_->render(), metrics::MedicMetrics::kContentType);
  });
}

nlohmann::json Daemon::servicesJson(Now t) const {
  nlohmann::json services = nlohmann::json::array();
  for (const auto& st : core_->statuses()) {
    auto j = supervisor::toJson(st, t);
    auto it = services_.find(st.name);
    if (it != services_.end()) {
      j["source"] = it->second.source;
      j["container_name"] = it->second.container ? it->second.container->name : "";
      j["docker_state"] = it->second.container ? it->second.container->state : "absent";
    }
    if (auto f = container_facts_.find(st.name); f != container_facts_.end()) {
      // The engine writes 0001-01-01T00:00:00Z for a container that never started.
      const auto& at = f->second.started_at;
      const bool started = !at.empty() && at.rfind("0001-", 0) != 0;
      j["started_at"] = started ? nlohmann::json(at) : nlohmann::json(nullptr);
      j["restart_count"] = f->second.restart_count;
    }
    j["recovery_actions"] = 0;
    if (auto a = recovery_actions_.find(st.name); a != recovery_actions_.end()) {
      j["recovery_actions"] = a->second;
    }
    if (auto it = stats_.find(st.name); it != stats_.end()) {
      j["resources"] = {{"cpu_percent", it->second.cpu_percent},
                        {"memory_bytes", it->second.memory_bytes},
                        {"memory_limit_bytes", it->second.memory_limit_bytes}};
    }
    // The ids of the evidence this status rests on: the newest Docker state record and the latest
    // result of every probe, and the age of the oldest of them.
    std::vector<std::string> evidence_ids;
    std::optional<WallTime> oldest;
    auto cite = [&](const std::string& id, WallTime at) {
      if (id.empty()) return;
      evidence_ids.push_back(id);
      if (!oldest || at < *oldest) oldest = at;
    };
    if (auto d = docker_evidence_.find(st.name); d != docker_evidence_.end()) {
      cite(d->second.id, d->second.time);
    }
    if (auto p = probes_.find(st.name); p != probes_.end() && p->second) {
      for (const auto& r : p->second->last) {
        cite(r.evidence_id, p->second->checked_at.value_or(WallTime{}));
      }
    }
    j["evidence"] = evidence_ids;
    j["evidence_age_seconds"] =
        oldest ? nlohmann::json(std::max(0.0, toSeconds(t.wall - *oldest))) : nlohmann::json(nullptr);
    if (auto p = probes_.find(st.name); p != probes_.end() && p->second) {
      nlohmann::json probes = nlohmann::json::array();
      for (size_t i = 0; i < p->second->last.size(); ++i) {
        const auto& r = p->second->last[i];
        const auto& lat = p->second->latency_ms;
        auto shot = p->second->shots.find(i);
        const auto& checked = p->second->checked_at;
        probes.push_back({{"name", r.name}, {"ok", r.ok}, {"summary", r.summary},
                          {"evidence", r.evidence_id},
                          {"latency_ms", i < lat.size() && lat[i] ? nlohmann::json(*lat[i])
                                                                  : nlohmann::json(nullptr)},
                          {"checked_at", checked ? nlohmann::json(formatWallTime(*checked))
                                                 : nlohmann::json(nullptr)},
                          {"screenshot", shot != p->second->shots.end() && !shot->second.evidence_id.empty()
                                             ? nlohmann::json(shot->second.evidence_id)
                                             : nlohmann::json(nullptr)},
                          {"state", i < p->second->trackers.size()
                                        ? probes::toString(p->second->trackers[i].state())
                                        : "unknown"}});
      }
      j["probes"] = probes;
    }
    services.push_back(j);
  }
  return services;
}

namespace {
constexpr auto kReplaceInvalid = nlohmann::json::error_handler_t::replace;
}  // namespace

const nlohmann::json& Daemon::cachedServices(Now t) const {
  // The per-service part is rebuilt only when something it shows changed (an observation, a probe
  // round, a stats sample): under API load most requests reuse it, already serialized.
  // It is also rebuilt when a second old, so the evidence ages it shows are never more than 1 s off.
  if (!services_cache_ || services_cache_version_ != state_version_ ||
      t.steady - services_cache_built_ >= kServicesCacheMaxAge) {
    services_cache_ = servicesJson(t);
    services_cache_text_ = services_cache_->dump(-1, ' ', false, kReplaceInvalid);
    services_cache_version_ = state_version_;
    services_cache_built_ = t.steady;
  }
  return *services_cache_;
}

std::string Daemon::statusBody() const {
  const auto t = now();
  const auto& services = cachedServices(t);
  nlohmann::json head = statusHead(t, services);
  // Splice the cached text in rather than copying and serializing the services on every request.
  std::string out = head.dump(-1, ' ', false, kReplaceInvalid);
  out.pop_back();  // the closing brace of the head object
  out += ",\"services\":";
  out += services_cache_text_;
  out += "}\n";
  return out;
}

nlohmann::json Daemon::statusJson() const {
  const auto t = now();
  auto status = statusHead(t, cachedServices(t));
  status["services"] = *services_cache_;
  return status;
}

nlohmann::json Daemon::statusHead(Now t, const nlohmann::json& services) const {
  // The score counts endpoints like services (DESIGN §4); only state and weight matter.
  nlohmann::json scored = nlohmann::json::array();
  for (const auto& s : services) {
    scored.push_back({{"state", s.value("state", "unknown")}, {"critical", s.value("critical", false)}});
  }
  auto endpoints = endpointsJson(t.wall);
  for (const auto& e : endpoints) scored.push_back(e);
  auto score = healthScore(scored);
  return {{"version", MEDIC_VERSION},
          {"time", formatWallTime(t.wall)},
          {"uptime_seconds", toSeconds(t.steady - started_at_)},
          {"engine", {{"address", options_.config.docker}, {"reachable", engine_reachable_},
                      {"reconnects", reconnects_}}},
          {"observe_only", observe_only_},
          {"store_error", store_error_},
          {"panic", core_->panicMode()},
          {"health_score", score ? nlohmann::json(*score) : nlohmann::json(nullptr)},
          {"health_score_note", score ? "" : "nothing is protected: there is no score"},
          {"endpoints", endpoints}};
}

}  // namespace medic::daemon
