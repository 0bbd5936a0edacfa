// Evidence, claims and gates over the API (DESIGN §4 "Evidence, claims, gates", §5): every answer
// cites the evidence it rests on; claims and gates gather fresh evidence first, and their verdicts
// go out on validation_results (a rejected claim or failed gate also raises a warning).
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "core/duration.h"
#include "core/log.h"
#include "daemon/daemon.h"
#include "evidence/baseline.h"
#include "evidence/claims.h"
#include "evidence/gates.h"

namespace medic::daemon {
namespace asio = boost::asio;
using http::Request;
using http::Response;

namespace {

constexpr int kMaxEvidenceList = 1000;
/// Records of a service a claim looks at: enough for the newest of every probe and Docker state.
constexpr int kClaimEvidenceWindow = 200;

nlohmann::json recordJson(const store::EvidenceRecord& e) {
  return {{"id", e.id},     {"service", e.service},
          {"kind", e.kind}, {"time", formatWallTime(WallTime(Millis(e.time_ms)))},
          {"hash", e.hash}, {"data", e.data_json}};
}

evidence::Evidence fromRecord(const store::EvidenceRecord& r) {
  evidence::Evidence e;
  e.id = r.id;
  e.service = r.service;
  e.kind = r.kind;
  e.time = WallTime(Millis(r.time_ms));
  e.data = r.data_json;
  e.hash = r.hash;
  return e;
}

}  // namespace

void Daemon::validationAlert(const std::string& key, const std::string& service, bool failed,
                             const std::string& title, const std::string& text) {
  if (!alerts_) return;
  if (!failed) {
    (void)alerts_->resolve(key, now().wall);
    return;
  }
  alerts::AlertSpec spec;
  spec.dedup_key = key;
  spec.severity = alerts::Severity::kWarning;
  spec.service = service;
  spec.title = title;
  spec.text = text;
  if (auto r = alerts_->raise(spec, now().wall); !r) {
    spdlog::error("alert not raised: {}", r.error().message);
  }
}

void Daemon::registerValidationRoutes() {
  router_.add("GET", "/api/v1/evidence", [this](const Request& req) {
    if (!store_) return Response::error(503, "store unusable: " + store_error_);
    int limit = 50;
    if (auto it = req.query.find("limit"); it != req.query.end()) {
      try {
        size_t used = 0;
        limit = std::stoi(it->second, &used);
        if (used != it->second.size()) throw std::invalid_argument("trailing text");
      } catch (...) {
        limit = -1;
      }
      if (limit < 1 || limit > kMaxEvidenceList) {
        return Response::error(
            400, "limit must be a number from 1 to " + std::to_string(kMaxEvidenceList));
      }
    }
    const auto service = req.query.count("service") ? req.query.at("service") : std::string();
    flushEvidence();
    auto list = store_->listEvidence(service, limit);
    if (!list) return Response::error(500, list.error().message);
    nlohmann::json arr = nlohmann::json::array();
    const auto t = now().wall;
    for (const auto& e : *list) {
      auto j = recordJson(e);
      j["age_seconds"] = std::max(0.0, static_cast<double>(toUnixMillis(t) - e.time_ms) / 1000.0);
      arr.push_back(std::move(j));
    }
    return Response::json(200, arr);
  });
  router_.addAsync(
      "POST", "/api/v1/claims", [this](Request req) { return answerClaim(std::move(req)); },
      /*mutation=*/true);
  // Running a gate probes every service (exec in containers, commands on the host), records
  // evidence and raises or resolves alerts: a mutation, never a GET (DESIGN §5, issue 13).
  router_.addAsync(
      "POST", "/api/v1/gates/{phase}", [this](Request req) { return answerGate(std::move(req)); },
      /*mutation=*/true);
  router_.add("GET", "/api/v1/gates/{phase}", [](const Request&) {
    auto r = Response::error(405,
                             "running a gate probes every service and records evidence: POST it "
                             "with the token (`medic gate N` does)");
    r.headers["Allow"] = "POST";
    return r;
  });
}

asio::awaitable<Response> Daemon::answerClaim(Request req) {
  const char* kShape =
      "give {\"text\": \"webui is healthy\", \"service\": \"webui\", \"expect\": "
      "\"healthy|serving|absent\", \"max_age\": \"60s\"} (expect and max_age optional)";
  auto body = nlohmann::json::parse(req.body.empty() ? "{}" : req.body, nullptr, false);
  if (!body.is_object() || !body.contains("service") || !body["service"].is_string() ||
      (body.contains("text") && !body["text"].is_string()) ||
      (body.contains("expect") && !body["expect"].is_string()) ||
      (body.contains("max_age") && !body["max_age"].is_string())) {
    co_return Response::error(400, kShape);
  }
  evidence::Claim claim;
  claim.service = body["service"].get<std::string>();
  claim.text = body.value("text", claim.service + " is healthy");
  if (body.contains("expect") &&
      !evidence::parseClaimExpect(body["expect"].get<std::string>(), claim.expect)) {
    co_return Response::error(400, "expect must be healthy, serving or absent");
  }
  if (body.contains("max_age")) {
    auto d = parseDuration(body["max_age"].get<std::string>());
    if (!d || d->count() <= 0)
      co_return Response::error(400, "max_age must be a duration like 60s");
    claim.max_age = *d;
  }
  auto it = services_.find(claim.service);
  if (it == services_.end()) {
    co_return Response::error(404, "no protected service named '" + claim.service +
                                       "' (medic vouches only for what it protects)");
  }
  // Fresh Docker state first: a claim is never judged on an old picture of the container.
  const auto service = it->second;
  claim.probes = check::probeNames(service);
  std::optional<docker::ContainerInfo> inspected;
  size_t listed_count = 0;
  // Named, not a brace-initialized temporary in the co_await: GCC 12 destroys those twice.
  docker::ListOptions every_container;
  auto listed = co_await docker_->listContainers(std::move(every_container));
  if (listed) {
    listed_count = listed->size();
    for (const auto& c : *listed) {
      if (services::isRenamedAside(c.name) || !services::matches(service.match, service.name, c)) {
        continue;
      }
      auto info = co_await docker_->inspectContainer(c.id);
      if (info) inspected = std::move(*info);
      break;
    }
    auto ev = check::dockerStateEvidence(service, inspected, listed_count, now().wall);
    docker_evidence_[service.name] = EvidenceRef{ev.id, ev.time};
    recordEvidence(ev);
  } else {
    spdlog::warn("claim: cannot list containers: {}", listed.error().message);
  }
  std::vector<evidence::Evidence> known;
  if (store_) {
    // The newest result of every probe, even one that changed nothing and is held in memory only:
    // the claim is judged on it, with its measured age, not on the last sampled row.
    for (const auto& e : ledger_.citeService(claim.service)) recordEvidence(e);
    flushEvidence();
    auto records = store_->listEvidence(claim.service, kClaimEvidenceWindow);
    if (!records) co_return Response::error(500, records.error().message);
    for (const auto& r : *records) known.push_back(fromRecord(r));
  }
  const auto t = now().wall;
  auto result = evidence::judgeClaim(claim, known, t);
  nlohmann::json records = nlohmann::json::array();
  for (const auto& e : known) {
    if (std::find(result.evidence_ids.begin(), result.evidence_ids.end(), e.id) !=
        result.evidence_ids.end()) {
      records.push_back(e.toJson());
    }
  }
  const std::string verdict = evidence::toString(result.verdict);
  nlohmann::json answer = {{"text", claim.text},
                           {"service", claim.service},
                           {"expect", evidence::toString(claim.expect)},
                           {"max_age_seconds", toSeconds(claim.max_age)},
                           {"verdict", verdict},
                           {"reason", result.reason},
                           {"evidence", result.evidence_ids},
                           {"evidence_records", records},
                           {"time", formatWallTime(t)}};
  if (!listed) answer["engine_error"] = listed.error().message;
  const bool rejected = result.verdict == evidence::ClaimVerdict::kRejected;
  publish("validation_results", "claim", claim.service,
          result.verdict == evidence::ClaimVerdict::kAccepted ? "info" : "warning",
          {{"text", claim.text},
           {"expect", evidence::toString(claim.expect)},
           {"verdict", verdict},
           {"reason", result.reason},
           {"max_age_seconds", toSeconds(claim.max_age)}},
          result.evidence_ids);
  if (result.verdict != evidence::ClaimVerdict::kUnknown) {
    validationAlert(
        "claim_rejected:" + claim.service, claim.service, rejected,
        claim.service + " claim rejected",
        "claim \"" + claim.text + "\" rejected: " + result.reason + " (evidence " +
            (result.evidence_ids.empty() ? std::string("-") : result.evidence_ids.front()) + ")");
  }
  spdlog::info("claim \"{}\" ({} {}): {}: {}", claim.text, claim.service,
               evidence::toString(claim.expect), verdict, result.reason);
  co_return Response::json(200, answer);
}

asio::awaitable<Response> Daemon::answerGate(Request req) {
  // Each gate probes everything: a few at once at most, or a client in a loop could keep the
  // engine and the probes' targets busy.
  if (gates_running_ >= kMaxGatesAtOnce) {
    auto r = Response::error(429, fmt::format("{} gates are running already (at most {} at once): "
                                              "try again when one finishes",
                                              gates_running_, kMaxGatesAtOnce));
    r.headers["Retry-After"] = "1";
    co_return r;
  }
  ++gates_running_;
  auto answer = co_await runGate(std::move(req));
  --gates_running_;
  co_return answer;
}

asio::awaitable<Response> Daemon::runGate(Request req) {
  const auto& text = req.params.at("phase");
  const auto& phases = options_.config.phases;
  auto found = text.size() == 1 && std::isdigit(static_cast<unsigned char>(text[0]))
                   ? phases.find(text[0] - '0')
                   : phases.end();
  if (found == phases.end()) {
    std::string known;
    for (const auto& [n, p] : phases) known += (known.empty() ? "" : ", ") + std::to_string(n);
    co_return Response::error(404, "no phase '" + text + "' is configured (phases: " + known + ")");
  }
  // Copies, not references: a reload (SIGHUP) may replace the config while the probes run.
  const config::PhaseConfig phase = found->second;
  const config::Config config = options_.config;
  // Fresh evidence first: every service inspected and probed now, every endpoint probed now.
  std::vector<services::ProtectedService> remembered;
  for (const auto& [name, s] : services_) remembered.push_back(s);
  auto facts = co_await check::gatherFresh(*docker_, config, options_.all, remembered, *clock_);
  if (!facts) {
    co_return Response::error(503, "cannot gather fresh evidence: " + facts.error().describe());
  }
  for (const auto& ev : facts->evidence) {
    recordEvidence(ev);
    if (ev.kind == evidence::kDockerState)
      docker_evidence_[ev.service] = EvidenceRef{ev.id, ev.time};
  }
  flushEvidence();
  evidence::GateInputs in;
  for (const auto& s : facts->services) {
    const auto* st = core_->status(s.service.name);
    in.services.push_back(
        {s.service.name, st != nullptr ? st->state : "", check::probeNames(s.service)});
  }
  for (const auto& ep : config.endpoints) in.endpoints.push_back(ep.name);
  in.evidence = facts->evidence;
  // The newest screenshots of endpoints (`screenshot: true`): a picture is not taken fresh for a
  // gate (it takes seconds), but one as fresh as the phase allows is cited with the probe.
  if (store_) {
    for (const auto& ep : endpoints_) {
      if (ep.shot.evidence_id.empty()) continue;
      if (auto rec = store_->getEvidence(ep.shot.evidence_id); rec && *rec) {
        in.evidence.push_back(fromRecord(**rec));
      }
    }
  }
  in.current = facts->current;
  const auto path = std::filesystem::path(options_.state_dir) / "baseline.json";
  if (std::filesystem::exists(path)) {
    std::ifstream file(path);
    std::stringstream ss;
    ss << file.rdbuf();
    auto doc = nlohmann::json::parse(ss.str(), nullptr, false);
    auto b = evidence::Baseline::fromJson(doc);
    if (b) {
      in.baseline = std::move(*b);
    } else {
      in.baseline_error = path.string() + ": " + b.error().message;
    }
  }
  in.now = now().wall;
  auto verdict = evidence::evaluateGate(phase, in);
  auto j = verdict.toJson();
  nlohmann::json records = nlohmann::json::array();
  const auto ids = verdict.evidenceIds();
  for (const auto& e : in.evidence) {
    if (std::find(ids.begin(), ids.end(), e.id) != ids.end()) records.push_back(e.toJson());
  }
  j["evidence_records"] = records;
  publish("validation_results", "gate", "", verdict.pass ? "info" : "warning",
          {{"phase", verdict.phase},
           {"name", verdict.name},
           {"verdict", verdict.pass ? "pass" : "fail"},
           {"reason", verdict.reason},
           {"checks", j["checks"]}},
          ids);
  const std::string label = "phase " + std::to_string(phase.number) + " (" + phase.name + ")";
  validationAlert("gate_failed:phase-" + std::to_string(phase.number), "", !verdict.pass,
                  "gate " + label + " failed", "gate " + label + " failed: " + verdict.reason);
  spdlog::info("gate {}: {}: {}", label, verdict.pass ? "pass" : "FAIL", verdict.reason);
  co_return Response::json(200, j);
}

}  // namespace medic::daemon
