// Endpoints (`endpoints:` in medic.yaml): production URLs probed on their own interval. Their
// state (with ProbeTracker hysteresis) feeds the status, the health score, metrics and gates.
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include "core/log.h"
#include "daemon/daemon.h"
#include "evidence/gates.h"

namespace medic::daemon {
namespace asio = boost::asio;

namespace {

/// The status word of an endpoint, in the vocabulary of the health score.
std::string endpointState(probes::ProbeState s) {
  switch (s) {
    case probes::ProbeState::kPassing:
      return "healthy";
    case probes::ProbeState::kFailing:
      return "failed";
    case probes::ProbeState::kUnknown:
      break;
  }
  return "unknown";
}

}  // namespace

void Daemon::startEndpoints() {
  // The same definition keeps its state (hysteresis, last result, screenshots) across a reload.
  std::vector<EndpointState> next;
  for (const auto& cfg : options_.config.endpoints) {
    auto kept = std::find_if(endpoints_.begin(), endpoints_.end(),
                             [&](const EndpointState& e) { return e.config == cfg; });
    if (kept != endpoints_.end()) {
      next.push_back(std::move(*kept));
      next.back().shot.in_flight = false;  // a capture still running belongs to the old loops
      continue;
    }
    next.push_back(EndpointState{
        cfg, probes::ProbeTracker(cfg.probe.failure_threshold, cfg.probe.success_threshold),
        std::nullopt, {}, {}});
  }
  for (const auto& old : endpoints_) {
    if (std::none_of(next.begin(), next.end(),
                     [&](const EndpointState& e) { return e.config.name == old.config.name; })) {
      // A removed endpoint's failure alert would otherwise fire forever.
      if (alerts_) {
        (void)alerts_->resolve("endpoint_failed:" + evidence::endpointSubject(old.config.name),
                               now().wall);
      }
    }
  }
  endpoints_ = std::move(next);
  const uint64_t generation = ++endpoints_generation_;
  for (size_t i = 0; i < endpoints_.size(); ++i) {
    spawn("endpoint " + endpoints_[i].config.name,
          [this, i, generation] { return endpointLoop(i, generation); }, /*restart=*/true);
  }
}

asio::awaitable<void> Daemon::endpointLoop(size_t index, uint64_t generation) {
  const Millis interval = std::max(endpoints_.at(index).config.probe.interval, Millis(50));
  auto current = [&] { return !stopping_ && generation == endpoints_generation_; };
  while (current()) {
    const auto started = std::chrono::steady_clock::now();
    const auto config = endpoints_.at(index).config;  // copy: nothing may change while we await
    std::vector<evidence::Evidence> evidence;
    auto result = co_await check::probeEndpoint(config, *clock_, evidence);
    if (!current()) co_return;  // stopping, or a reload replaced this endpoint list
    const std::string subject = evidence::endpointSubject(config.name);
    for (const auto& ev : evidence) offerEvidence(subject, result.ok ? "pass" : "fail", ev);
    if (config.probe.screenshot) {
      maybeScreenshot(subject, generation, 0, config.probe, result.ok, result.evidence_id);
    }
    auto& ep = endpoints_.at(index);
    const auto changed = ep.tracker.record(result.ok);
    ep.last = result;
    ep.last_at = now().wall;
    ++state_version_;
    if (metrics_) {
      metrics_->recordProbe(evidence::endpointSubject(config.name), config.name, "http",
                            toSeconds(result.latency), result.ok);
    }
    if (changed && *changed != probes::ProbeState::kUnknown) {
      const bool failing = *changed == probes::ProbeState::kFailing;
      const std::string text =
          failing
              ? "endpoint " + config.name + " (" + config.probe.url + ") fails: " + result.summary
              : "endpoint " + config.name + " answers again: " + result.summary;
      if (failing) {
        spdlog::warn("{}", text);
      } else {
        spdlog::info("{}", text);
      }
      publish("service_state", failing ? "endpoint_failed" : "endpoint_recovered", subject,
              failing ? "warning" : "info",
              {{"endpoint", config.name},
               {"url", config.probe.url},
               {"text", text},
               {"summary", result.summary},
               {"latency_ms", result.latency.count()}},
              {result.evidence_id});
      if (alerts_) {
        const std::string key = "endpoint_failed:" + subject;
        if (failing) {
          alerts::AlertSpec spec;
          spec.dedup_key = key;
          spec.severity =
              config.critical ? alerts::Severity::kCritical : alerts::Severity::kWarning;
          spec.service = subject;
          spec.title = "endpoint " + config.name + " failed";
          spec.text = text + " (evidence " + result.evidence_id + ")";
          if (auto r = alerts_->raise(spec, now().wall); !r) {
            spdlog::error("alert not raised: {}", r.error().message);
          }
        } else {
          (void)alerts_->resolve(key, now().wall);
        }
      }
    }
    const auto elapsed =
        std::chrono::duration_cast<Millis>(std::chrono::steady_clock::now() - started);
    if (elapsed < interval) {
      asio::steady_timer t(co_await asio::this_coro::executor, interval - elapsed);
      co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
    }
    if (!current()) co_return;
  }
}

nlohmann::json Daemon::endpointsJson(WallTime t) const {
  nlohmann::json arr = nlohmann::json::array();
  for (const auto& ep : endpoints_) {
    nlohmann::json j = {{"name", ep.config.name},
                        {"url", ep.config.probe.url},
                        {"critical", ep.config.critical},
                        {"state", endpointState(ep.tracker.state())},
                        {"ok", nullptr},
                        {"summary", ""},
                        {"last_latency_ms", nullptr},
                        {"evidence", nlohmann::json::array()},
                        {"evidence_age_seconds", nullptr}};
    if (ep.last) {
      j["ok"] = ep.last->ok;
      j["summary"] = ep.last->summary;
      j["last_latency_ms"] = ep.last->latency.count();
      j["evidence"] = {ep.last->evidence_id};
      j["evidence_age_seconds"] = std::max(0.0, toSeconds(t - ep.last_at));
    }
    // The newest picture of the page, cited next to the probe's own record.
    j["screenshot"] = ep.shot.evidence_id.empty() ? nlohmann::json(nullptr)
                                                  : nlohmann::json(ep.shot.evidence_id);
    if (!ep.shot.evidence_id.empty()) j["evidence"].push_back(ep.shot.evidence_id);
    arr.push_back(std::move(j));
  }
  return arr;
}

}  // namespace medic::daemon
