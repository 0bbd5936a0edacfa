// Evidence work that must not hold up the loop: screenshots (Chromium runs for seconds) and
// retention (scans and deletes many rows). Both run on the daemon's background pool; what comes
// back is applied on the loop.
#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <filesystem>
#include <map>

#include "core/log.h"
#include "daemon/daemon.h"
#include "evidence/gates.h"
#include "evidence/evidence.h"
#include "evidence/retention.h"
#include "probes/probe.h"
#include "probes/screenshot.h"

namespace medic::daemon {
namespace asio = boost::asio;

namespace {

asio::awaitable<void> pause(Millis d) {
  asio::steady_timer t(co_await asio::this_coro::executor, d);
  co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
}

struct RetentionOutcome {
  std::string error;
  int64_t deleted = 0;
  int64_t freed_bytes = 0;
  int64_t kept_protected = 0;
  int64_t remaining = 0;
  int64_t messages_deleted = 0;
};

/// One retention pass on `store` (the worker's own connection). Deletes in chunks, so the write
/// lock is held briefly and the loop's own writes are not kept waiting.
RetentionOutcome enforceRetention(store::Store& store, const evidence::RetentionPolicy& policy,
                                  int64_t now_ms, int64_t max_messages) {
  RetentionOutcome out;
  auto incidents = store.listIncidents(0);
  auto alerts = store.listAlerts(/*only_firing=*/true);
  auto footprints = store.evidenceFootprints();
  if (!incidents || !alerts || !footprints) {
    out.error = !incidents ? incidents.error().message
                : !alerts  ? alerts.error().message
                           : footprints.error().message;
    return out;
  }
  const auto keep = evidence::protectedEvidence(*incidents, *alerts);
  auto doomed = evidence::selectForDeletion(*footprints, keep, policy, now_ms);
  std::map<std::string, int64_t> size_of;
  for (const auto& f : *footprints) {
    size_of[f.id] = f.bytes;
    if (keep.count(f.id)) ++out.kept_protected;
  }
  constexpr size_t kChunk = 500;
  for (size_t at = 0; at < doomed.size(); at += kChunk) {
    std::vector<std::string> chunk(
        doomed.begin() + static_cast<std::ptrdiff_t>(at),
        doomed.begin() + static_cast<std::ptrdiff_t>(std::min(doomed.size(), at + kChunk)));
    auto deleted = store.deleteEvidence(chunk);
    if (!deleted) {
      out.error = deleted.error().message;
      break;
    }
    out.deleted += *deleted;
    for (const auto& id : chunk) out.freed_bytes += size_of[id];
  }
  out.remaining = static_cast<int64_t>(footprints->size()) - out.deleted;
  if (max_messages > 0 && out.error.empty()) {
    // Channel messages: the newest max_messages stay (SSE replay, recent activity).
    auto pruned = store.pruneMessages(max_messages);
    if (pruned) {
      out.messages_deleted = *pruned;
    } else {
      out.error = pruned.error().message;
    }
  }
  return out;
}

}  // namespace

asio::awaitable<void> Daemon::retentionLoop() {
  const auto& cfg = options_.config.evidence;  // read at each pass: a reload may change it
  const auto db = std::filesystem::path(options_.state_dir) / "medic.db";
  // The worker's own connection: the loop's Store is not thread-safe, and SQLite serializes the
  // two.
  auto worker_store = std::make_shared<std::unique_ptr<store::Store>>();
  while (!stopping_) {
    co_await pause(std::max(cfg.prune_interval, Millis(100)));
    if (stopping_) co_return;
    flushEvidence();
    const int64_t now_ms = toUnixMillis(now().wall);
    const evidence::RetentionPolicy policy{cfg.max_age, cfg.max_bytes};
    const int64_t max_messages = cfg.max_messages;
    // The job is a named local, not a temporary inside the co_await: GCC 12 destroys such a
    // temporary twice (its captured path was freed twice and the daemon aborted at the first
    // prune).
    auto job = [worker_store, db, policy, now_ms,
                max_messages]() -> asio::awaitable<RetentionOutcome> {
          if (!*worker_store) {
            auto opened = store::Store::open(db);
            if (!opened) {
              RetentionOutcome failed;
              failed.error = opened.error().message;
              co_return failed;
            }
            *worker_store = std::move(*opened);
          }
          co_return enforceRetention(**worker_store, policy, now_ms, max_messages);
        };
    auto outcome = co_await asio::co_spawn(background_, std::move(job), asio::use_awaitable);
    if (!outcome.error.empty()) {
      spdlog::error("evidence retention: {}", outcome.error);
    } else if (outcome.deleted > 0) {
      spdlog::info(
          "evidence retention: deleted {} records ({} bytes); {} remain, {} kept because an "
          "open incident or an unacknowledged alert cites them",
          outcome.deleted, outcome.freed_bytes, outcome.remaining, outcome.kept_protected);
    }
    if (outcome.messages_deleted > 0) {
      spdlog::info("channel retention: deleted the {} oldest messages (evidence.max_messages {})",
                   outcome.messages_deleted, max_messages);
    }
  }
}

void Daemon::maybeScreenshot(const std::string& service, uint64_t generation, size_t index,
                             const config::ProbeConfig& probe, bool ok,
                             const std::string& probe_evidence) {
  if (stopping_ || !store_) return;
  ShotState* found = findShot(service, generation, index);
  if (found == nullptr) return;
  auto& shot = *found;
  if (shot.in_flight) return;
  const auto t = now().steady;
  const bool due = !shot.last_at || shot.last_ok != ok ||
                   t - *shot.last_at >= options_.config.evidence.screenshot_interval;
  if (!due) return;
  shot.in_flight = true;
  shot.last_at = t;
  shot.last_ok = ok;
  spawn(
      service + ": a screenshot",
      [this, service, generation, index, probe, probe_evidence] {
        return screenshot(service, generation, index, probe, probe_evidence);
      },
      false, [this, service, generation, index](const std::string&) {
        if (ShotState* s = findShot(service, generation, index)) s->in_flight = false;
      });
}

Daemon::ShotState* Daemon::findShot(const std::string& subject, uint64_t generation,
                                     size_t index) {
  if (subject.rfind(evidence::endpointSubject(""), 0) == 0) {
    if (generation != endpoints_generation_) return nullptr;
    for (auto& ep : endpoints_) {
      if (evidence::endpointSubject(ep.config.name) == subject) return &ep.shot;
    }
    return nullptr;
  }
  auto pit = probes_.find(subject);
  if (pit == probes_.end() || !pit->second || pit->second->generation != generation) {
    return nullptr;
  }
  return &pit->second->shots[index];
}

asio::awaitable<void> Daemon::screenshot(std::string service, uint64_t generation, size_t index,
                                         config::ProbeConfig probe, std::string probe_evidence) {
  probes::ScreenshotRequest request;
  request.chromium = options_.config.evidence.chromium;
  request.url = probe.url;
  request.timeout = options_.config.evidence.screenshot_timeout;
  auto cancel = cancel_background_;
  // A named job, not a temporary inside the co_await (see retentionLoop).
  auto job = [request, cancel]() -> asio::awaitable<probes::ScreenshotResult> {
    co_return probes::captureScreenshot(request, cancel.get());
  };
  auto result = co_await asio::co_spawn(background_, std::move(job), asio::use_awaitable);
  if (stopping_ || !store_) co_return;

  nlohmann::json data = {{"url", probe.url},
                         {"probe", probes::describeProbe(probe)},
                         {"probe_evidence", probe_evidence},
                         {"ok", result.ok},
                         {"took_ms", result.took.count()}};
  if (result.ok) {
    const auto size = probes::pngSize(result.png);
    data["content_type"] = "image/png";
    data["png_bytes"] = result.png.size();
    data["png_sha256"] = evidence::sha256Hex(result.png);
    data["width"] = size ? size->width : 0;
    data["height"] = size ? size->height : 0;
  } else {
    data["error"] = result.error;
    if (result.unavailable) data["chromium_available"] = false;
  }
  auto ev = evidence::makeEvidence(evidence::kScreenshot, service, data, now().wall);
  citeEvidence({probe_evidence});  // the picture names the probe result it was taken for
  store::EvidenceRecord rec;
  rec.id = ev.id;
  rec.service = ev.service;
  rec.kind = ev.kind;
  rec.time_ms = toUnixMillis(ev.time);
  rec.hash = ev.hash;
  rec.data_json = ev.data;
  if (auto st = store_->putEvidenceWithBlob(rec, result.ok ? result.png : std::string()); !st) {
    spdlog::error("{}: screenshot not stored: {}", service, st.error().message);
  }
  ShotState* shot = findShot(service, generation, index);
  if (shot != nullptr) {
    shot->in_flight = false;
    shot->evidence_id = ev.id;
    ++state_version_;
  }
  if (result.ok) {
    spdlog::info("{}: screenshot of {} stored as evidence {} ({} bytes, {} ms)", service,
                 ev.data.value("url", ""), ev.id, result.png.size(), result.took.count());
  } else if (!result.unavailable || (shot != nullptr && !shot->warned)) {
    spdlog::warn("{}: {}", service, ev.data.value("error", std::string("screenshot failed")));
    if (shot != nullptr) shot->warned = true;
  }
}

}  // namespace medic::daemon
