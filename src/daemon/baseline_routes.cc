// GET /api/v1/baseline/diff: `medic baseline --diff` over the API (the MCP tool baseline_diff is
// built on it): every protected service inspected now, compared to the baseline in the state dir,
// with the evidence of what was seen. Changes nothing on the host.
#include <filesystem>
#include <fstream>
#include <sstream>

#include "daemon/daemon.h"
#include "evidence/baseline.h"

namespace medic::daemon {
using http::Request;
using http::Response;

void Daemon::registerBaselineRoutes() {
  router_.addAsync("GET", "/api/v1/baseline/diff",
                   [this](Request req) { return answerBaselineDiff(std::move(req)); });
}

boost::asio::awaitable<Response> Daemon::answerBaselineDiff(Request) {
  const auto path = std::filesystem::path(options_.state_dir) / "baseline.json";
  std::ifstream file(path);
  if (!file) {
    co_return Response::error(404, "no baseline at " + path.string() +
                                       ": record one with `medic baseline` when the host is right");
  }
  std::stringstream ss;
  ss << file.rdbuf();
  auto recorded = evidence::Baseline::fromJson(nlohmann::json::parse(ss.str(), nullptr, false));
  if (!recorded) co_return Response::error(500, path.string() + ": " + recorded.error().message);
  std::vector<services::ProtectedService> remembered;
  for (const auto& [name, s] : services_) remembered.push_back(s);
  SystemClock clock;
  auto facts =
      co_await check::gatherFresh(*docker_, options_.config, options_.all, remembered, clock);
  if (!facts) {
    co_return Response::error(503, "cannot gather fresh evidence: " + facts.error().describe());
  }
  for (const auto& ev : facts->evidence) {
    recordEvidence(ev);
    if (ev.kind == evidence::kDockerState) {
      docker_evidence_[ev.service] = EvidenceRef{ev.id, ev.time};
    }
  }
  flushEvidence();
  const auto diffs = evidence::diffBaseline(*recorded, facts->current);
  nlohmann::json differences = nlohmann::json::array();
  for (const auto& d : diffs) differences.push_back(d.toJson());
  nlohmann::json ids = nlohmann::json::array(), records = nlohmann::json::array();
  for (const auto& e : facts->evidence) {
    if (e.kind != evidence::kDockerState) continue;
    ids.push_back(e.id);
    records.push_back(e.toJson());
  }
  co_return Response::json(200, {{"baseline_taken", formatWallTime(recorded->taken)},
                                 {"matches", diffs.empty()},
                                 {"differences", differences},
                                 {"evidence", ids},
                                 {"evidence_records", records},
                                 {"time", formatWallTime(now().wall)}});
}

}  // namespace medic::daemon
