// Guarded deploys (DESIGN §4 "Deploy guard"): the shell around deploy::Machine. It executes the
// machine's steps against Docker, runs the validation probe rounds, queues the validators' answers
// from the API, stores the machine before every step (a restart resumes it: finish or roll back)
// and publishes every step and the final report on deployment_coordination.
//
// While a deploy of a service runs, the supervisor core holds a DeployGuard for it and the service
// is left out of events and resyncs (like a recreate in flight): recovery and the deploy never
// fight. When the deploy ends, the core is shown the container that now serves and resumes.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <random>

#include "check/check_pass.h"
#include "core/duration.h"
#include "core/log.h"
#include "daemon/daemon.h"
#include "daemon/translate.h"
#include "deploy/new_spec.h"
#include "docker/spec.h"
#include "evidence/evidence.h"

namespace medic::daemon {
namespace asio = boost::asio;
using http::Request;
using http::Response;

namespace {

constexpr Millis kDeployLoopPeriod{50};
constexpr int kDeployListLimit = 50;

asio::awaitable<void> pause(Millis d) {
  asio::steady_timer t(co_await asio::this_coro::executor, d);
  co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
}

std::string newDeployId(int64_t now_ms) {
  static std::mt19937 rng{std::random_device{}()};
  return fmt::format("dep-{}-{:04x}", now_ms, rng() & 0xffffu);
}

/// The temporary name of a start-first deploy's new container (excluded from service selection).
std::string nextCopyName(const std::string& name, const std::string& deploy_id) {
  return name + ".medic-next-" + deploy_id;
}

std::string containerNameOf(const store::SnapshotRecord& snap) {
  std::string name = snap.spec_json.value("name", snap.container_name);
  if (!name.empty() && name.front() == '/') name.erase(0, 1);
  return name;
}

}  // namespace

// ---- starting, resuming, reporting ----

Result<std::optional<store::SnapshotRecord>> Daemon::snapshotById(const std::string& service,
                                                                  int64_t id) {
  auto history = store_->snapshotHistory(service);
  if (!history) return history.error();
  for (auto& s : *history) {
    if (s.id == id) return std::optional<store::SnapshotRecord>(std::move(s));
  }
  return std::optional<store::SnapshotRecord>();
}

Result<nlohmann::json> Daemon::startDeploy(const nlohmann::json& body) {
  const char* kShape =
      "give {\"service\": NAME, \"image\": IMAGE, \"strategy\": \"recreate\"|\"start-first\", "
      "\"timeout\": \"2m\"} (strategy and timeout optional)";
  if (!body.is_object() || !body.contains("service") || !body["service"].is_string() ||
      !body.contains("image") || !body["image"].is_string() ||
      body["image"].get<std::string>().empty() ||
      (body.contains("strategy") && !body["strategy"].is_string()) ||
      (body.contains("timeout") && !body["timeout"].is_string())) {
    return Error::make(ErrorKind::kBadRequest, kShape, 400);
  }
  const std::string service = body["service"].get<std::string>();
  if (core_->status(service) == nullptr || services_.count(service) == 0) {
    return Error::make(ErrorKind::kNotFound, "no protected service named '" + service + "'", 404);
  }
  if (!store_ || observe_only_) {
    return Error::make(
        ErrorKind::kIo,
        "deploys are refused while the store is unusable (observe-only): " + store_error_, 503);
  }
  if (auto it = deploying_.find(service); it != deploying_.end()) {
    return Error::make(ErrorKind::kConflict,
                       "deploy " + it->second + " of " + service +
                           " is still running: wait for it (medic deploy --show " + it->second +
                           ")",
                       409);
  }
  const auto& cfg = options_.config.deploy;
  deploy::Plan plan;
  plan.service = service;
  plan.image = body["image"].get<std::string>();
  if (body.contains("strategy")) {
    auto s = deploy::strategyFrom(body["strategy"].get<std::string>());
    if (!s) {
      return Error::make(ErrorKind::kBadRequest,
                         "strategy must be \"recreate\" or \"start-first\", got '" +
                             body["strategy"].get<std::string>() + "'",
                         400);
    }
    plan.strategy = *s;
  }
  plan.validate_timeout = cfg.timeout;
  if (body.contains("timeout")) {
    auto d = parseDuration(body["timeout"].get<std::string>());
    if (!d || d->count() <= 0) {
      return Error::make(ErrorKind::kBadRequest,
                         "timeout must be a duration such as 90s or 5m, got '" +
                             body["timeout"].get<std::string>() + "'",
                         400);
    }
    plan.validate_timeout = *d;
  }
  plan.confirm_timeout = cfg.confirm_timeout;
  plan.downtime_budget = cfg.downtime_budget;
  plan.validators = cfg.validators;
  plan.success_threshold = cfg.success_threshold;
  if (plan.success_threshold <= 0) {
    plan.success_threshold = 1;
    for (const auto& p : services_[service].probes) {
      plan.success_threshold = std::max(plan.success_threshold, p.success_threshold);
    }
  }
  const Now t = now();
  plan.id = newDeployId(toUnixMillis(t.wall));
  const std::string id = plan.id;
  DeployRun run;
  run.machine = std::make_unique<deploy::Machine>(std::move(plan), t);
  run.created_ms = toUnixMillis(t.wall);
  run.state_before = core_->status(service)->state;
  auto first = run.machine->start(t);
  deploys_[id] = std::move(run);
  deploying_[service] = id;
  saveDeploy(id);
  feed(supervisor::DeployGuard{service, true});
  spawnDeploy(id, std::move(first));
  return *deployReport(id);
}

void Daemon::resumeDeploys() {
  if (!store_) return;
  auto unfinished = store_->listDeploys(/*only_unfinished=*/true, kDeployListLimit);
  if (!unfinished) {
    spdlog::error("cannot list unfinished deploys: {}", unfinished.error().message);
    return;
  }
  for (const auto& rec : *unfinished) {
    const Now t = now();
    auto m = deploy::Machine::fromJson(rec.state_json.value("machine", nlohmann::json()), t);
    if (!m) {
      spdlog::error("deploy {}: not resumed: {}", rec.id, m.error().message);
      continue;
    }
    spdlog::warn("{}: deploy {} was interrupted by a medic restart during {}; resuming it",
                 rec.service, rec.id, deploy::toString(m->phase()));
    DeployRun run;
    run.machine = std::make_unique<deploy::Machine>(std::move(*m));
    run.created_ms = rec.created_at_ms;
    auto first = run.machine->observe(deploy::Resumed{}, t);
    deploys_[rec.id] = std::move(run);
    deploying_[rec.service] = rec.id;
    saveDeploy(rec.id);
    feed(supervisor::DeployGuard{rec.service, true});
    spawnDeploy(rec.id, std::move(first));
  }
}

void Daemon::saveDeploy(const std::string& id) {
  auto it = deploys_.find(id);
  if (it == deploys_.end() || !store_) return;
  const Now t = now();
  const auto& m = *it->second.machine;
  store::DeployRecord rec;
  rec.id = id;
  rec.service = m.plan().service;
  rec.finished = m.finished();
  rec.state_json = {{"machine", m.toJson(t)}, {"report", m.report(t)}};
  rec.created_at_ms = it->second.created_ms;
  rec.updated_at_ms = toUnixMillis(t.wall);
  if (auto st = store_->saveDeploy(rec); !st) {
    spdlog::error("deploy {}: state not stored: {}", id, st.error().message);
  }
}

std::optional<nlohmann::json> Daemon::deployReport(const std::string& id) {
  if (auto it = deploys_.find(id); it != deploys_.end()) return it->second.machine->report(now());
  if (!store_) return std::nullopt;
  auto rec = store_->getDeploy(id);
  if (!rec || !*rec) return std::nullopt;
  return (*rec)->state_json.value("report", nlohmann::json::object());
}

void Daemon::deployNotice(const deploy::Plan& plan, const deploy::Notice& n,
                          const nlohmann::json& report) {
  const std::string line = plan.service + ": " + n.text;
  if (n.severity == "critical") {
    spdlog::critical("{}", n.text);
  } else if (n.severity == "warning") {
    spdlog::warn("{}", n.text);
  } else {
    spdlog::info("{}", n.text);
  }
  nlohmann::json data{{"deploy_id", plan.id}, {"text", n.text}, {"report", report}};
  publish("deployment_coordination", n.kind, plan.service, n.severity, data,
          report.value("evidence", std::vector<std::string>{}));
  if (!alerts_) return;
  const Now t = now();
  if (n.kind == "deploy_succeeded") {
    for (const char* k : {"deploy_rolled_back", "deploy_rollback_failed"}) {
      (void)alerts_->resolve(std::string(k) + ":" + plan.service, t.wall);
    }
  }
  if (n.severity == "info") return;
  alerts::AlertSpec spec;
  spec.dedup_key = n.kind + ":" + plan.service;
  spec.severity =
      n.severity == "critical" ? alerts::Severity::kCritical : alerts::Severity::kWarning;
  spec.service = plan.service;
  spec.title = plan.service + " " + n.kind;
  spec.text = n.text;
  spec.labels = {{"deploy_id", plan.id}};
  if (auto project = composeProject(plan.service); !project.empty()) spec.labels["project"] = project;
  if (auto r = alerts_->raise(spec, t.wall); !r) {
    spdlog::error("alert not raised: {}", r.error().message);
  }
}

// ---- the run loop ----

void Daemon::spawnDeploy(const std::string& id, deploy::Output first) {
  spawn(
      "deploy " + id,
      [this, id, first = std::move(first)]() mutable { return runDeploy(id, std::move(first)); },
      false, [this, id](const std::string&) {
        // The guard lifts and recovery resumes; the stored deploy stays unfinished, and the next
        // start resumes it (finishes or rolls back) as after a crash.
        auto it = deploys_.find(id);
        if (it == deploys_.end()) return;
        const std::string service = it->second.machine->plan().service;
        deploys_.erase(it);
        if (auto d = deploying_.find(service); d != deploying_.end() && d->second == id) {
          deploying_.erase(d);
          feed(supervisor::DeployGuard{service, false});
        }
      });
}

asio::awaitable<void> Daemon::runDeploy(std::string id, deploy::Output first) {
  std::vector<deploy::Step> queue;
  auto handle = [&](deploy::Output out) {
    auto it = deploys_.find(id);
    if (it == deploys_.end()) return;
    const auto& m = *it->second.machine;
    if (!out.notices.empty()) {
      const auto report = m.report(now());
      for (const auto& n : out.notices) deployNotice(m.plan(), n, report);
    }
    for (auto& s : out.steps) queue.push_back(std::move(s));
    if (!out.steps.empty() || !out.notices.empty()) saveDeploy(id);
  };
  handle(std::move(first));
  SteadyTime next_probe = now().steady;
  const Millis probe_interval = std::max(options_.config.deploy.probe_interval, Millis{20});
  while (!stopping_) {
    auto it = deploys_.find(id);
    if (it == deploys_.end()) co_return;
    while (!queue.empty() && !stopping_) {
      deploy::Step step = queue.front();
      queue.erase(queue.begin());
      const std::string service = deploys_[id].machine->plan().service;
      publish("deployment_coordination", "deploy_step_started", service, "info",
              {{"deploy_id", id}, {"step", deploy::toString(step.kind)}});
      deploy::StepDone done = co_await deployStep(id, step);
      if (stopping_) co_return;  // the intent stays stored: the next start resumes it
      publish("deployment_coordination", "deploy_step_finished", service,
              done.ok ? "info" : "warning",
              {{"deploy_id", id},
               {"step", deploy::toString(step.kind)},
               {"ok", done.ok},
               {"error", done.error},
               {"container_id", done.container_id},
               {"detail", done.detail}});
      handle(deploys_[id].machine->observe(done, now()));
    }
    auto& run = deploys_[id];
    if (run.machine->finished()) break;
    if (!run.answers.empty()) {
      auto answers = std::move(run.answers);
      run.answers.clear();
      for (const auto& a : answers) handle(deploys_[id].machine->observe(a, now()));
      continue;
    }
    if (run.machine->wantsProbes() && now().steady >= next_probe) {
      next_probe = now().steady + probe_interval;
      deploy::ProbeRound round = co_await deployProbe(id);
      if (stopping_) co_return;
      handle(deploys_[id].machine->observe(round, now()));
      continue;
    }
    handle(run.machine->observe(deploy::Tick{}, now()));
    if (!queue.empty()) continue;
    co_await pause(kDeployLoopPeriod);
  }
  if (!stopping_) co_await endDeploy(id);
}

asio::awaitable<void> Daemon::endDeploy(const std::string& id) {
  auto it = deploys_.find(id);
  if (it == deploys_.end()) co_return;
  const std::string service = it->second.machine->plan().service;
  const auto report = it->second.machine->report(now());
  saveDeploy(id);
  publish("deployment_coordination", "deploy_report", service,
          report.value("outcome", "") == "succeeded" ? "info" : "warning", {{"report", report}},
          report.value("evidence", std::vector<std::string>{}));
  // Show the core what serves now, then lift the guard: recovery resumes from the outcome.
  std::string serving = report.value("outcome", "") == "succeeded"
                            ? report.value("new_container_id", "")
                            : report.value("old_container_id", "");
  if (auto s = services_.find(service); s != services_.end()) {
    supervisor::ServiceObserved obs{service, std::nullopt};
    std::string name = s->second.container ? s->second.container->name : "";
    if (auto snap = store_ ? store_->latestSnapshot(service)
                           : Result<std::optional<store::SnapshotRecord>>(
                                 std::optional<store::SnapshotRecord>());
        snap && *snap) {
      name = containerNameOf(**snap);
    }
    auto info = co_await docker_->inspectContainer(name.empty() ? serving : name);
    if (info) {
      obs.container = toView(*info);
      if (auto p = probes_.find(service); p != probes_.end() && p->second) {
        p->second->container_id = info->id;
        for (auto& tr : p->second->trackers) tr.reset();
        p->second->last_sent.reset();
      }
    }
    deploys_.erase(id);
    deploying_.erase(service);
    feed(obs);
  } else {
    deploys_.erase(id);
    deploying_.erase(service);
  }
  feed(supervisor::DeployGuard{service, false});
  requestResync();
}

// ---- steps ----

asio::awaitable<deploy::StepDone> Daemon::deployStep(const std::string& id, deploy::Step step) {
  using deploy::StepKind;
  deploy::StepDone done;
  done.kind = step.kind;
  auto fail = [&](std::string why) {
    done.ok = false;
    done.error = std::move(why);
    return done;
  };
  const deploy::Machine* mp = deploys_.at(id).machine.get();
  const deploy::Plan plan = mp->plan();
  const nlohmann::json report = mp->report(now());
  const std::string service = plan.service;
  // Wait a little for an engine that is reconnecting rather than fail a rollback at once.
  for (int i = 0; i < 100 && !engine_reachable_ && !stopping_; ++i) co_await pause(Millis{100});

  switch (step.kind) {
    case StepKind::kPreflight: {
      const auto* st = core_->status(service);
      if (st == nullptr) co_return fail("no protected service named '" + service + "'");
      const std::string before = deploys_.at(id).state_before;
      if (before != "healthy") {
        co_return fail(
            fmt::format("{} is {}, not healthy: a deploy starts only from a healthy "
                        "service (phase 0); repair it first",
                        service, before.empty() ? "unknown" : before));
      }
      if (st->container_id.empty()) co_return fail(service + " has no container to replace");
      auto img = co_await docker_->inspectImage(plan.image);
      if (!img) {
        co_return fail(fmt::format("image {} is not on this host ({}): build or pull it first",
                                   plan.image, img.error().message));
      }
      auto cur = co_await docker_->inspectContainer(st->container_id);
      if (!cur) co_return fail("cannot inspect the current container: " + cur.error().message);
      if (!cur->state.running) co_return fail(service + "'s container is not running");
      if (plan.strategy == deploy::Strategy::kStartFirst) {
        std::string why;
        if (deploy::bindsFixedHostPort(docker::specFromInspect(cur->raw).body, why)) {
          co_return fail("start-first needs a service without a fixed host port, but " + why +
                         ": use --strategy recreate");
        }
      }
      done.ok = true;
      done.detail = {{"state", before}, {"container_id", cur->id}, {"image_id", img->id}};
      co_return done;
    }
    case StepKind::kSnapshot: {
      const auto* st = core_->status(service);
      if (st == nullptr || st->container_id.empty()) co_return fail("no current container");
      const std::string cid = st->container_id;
      co_await takeSnapshot(service, cid);
      auto snap = store_->latestSnapshot(service);
      if (!snap) co_return fail("snapshot not stored: " + snap.error().message);
      if (!*snap || (*snap)->container_id != cid) {
        co_return fail("the snapshot of the current container could not be stored");
      }
      done.ok = true;
      done.detail = {{"snapshot_id", (*snap)->id},
                     {"container_id", cid},
                     {"image", (*snap)->image_name},
                     {"image_id", (*snap)->image_id}};
      co_return done;
    }
    case StepKind::kReplace: {
      auto snap = snapshotById(service, report.value("snapshot_id", int64_t{0}));
      if (!snap || !*snap) co_return fail("the deploy's snapshot is gone from the store");
      const std::string name = containerNameOf(**snap);
      nlohmann::json old_image = nlohmann::json::object();
      if (auto img = co_await docker_->inspectImage((*snap)->image_id)) old_image = img->config;
      auto body = snapshotBody(**snap);
      if (!body) co_return fail("opening the snapshot's sealed secrets: " + body.error().message);
      docker::ContainerSpec spec{name, deploy::specForImage(*body, old_image, plan.image)};
      const std::string old_id = report.value("old_container_id", "");
      if (plan.strategy == deploy::Strategy::kRecreate) {
        auto holder = co_await docker_->inspectContainer(old_id);
        if (holder) {
          const auto secs =
              std::chrono::seconds((services_[service].recovery.stop_timeout.count() + 999) / 1000);
          if (holder->state.running || holder->state.paused) {
            if (holder->state.paused) (void)co_await docker_->unpauseContainer(old_id);
            auto stopped = co_await docker_->stopContainer(old_id, secs);
            if (!stopped) co_return fail("stopping the old container: " + stopped.error().message);
          }
          if (holder->name == name) {
            auto renamed = co_await docker_->renameContainer(
                old_id, services::renamedAsideName(name, toUnixMillis(now().wall)));
            if (!renamed) {
              co_return fail("renaming the old container aside: " + renamed.error().message);
            }
          }
        }
      } else {
        spec.name = nextCopyName(name, plan.id);
      }
      auto created = co_await docker_->createContainer(spec);
      if (!created) co_return fail("creating the new container: " + created.error().message);
      done.container_id = *created;
      auto started = co_await docker_->startContainer(*created);
      if (!started) co_return fail("starting the new container: " + started.error().message);
      done.ok = true;
      done.detail = {{"container_id", *created}, {"name", spec.name}, {"image", plan.image}};
      co_return done;
    }
    case StepKind::kRequestConfirmation: {
      publish("deployment_coordination", "validation_requested", service, "info",
              {{"deploy_id", id},
               {"image", plan.image},
               {"container_id", report.value("new_container_id", "")},
               {"validators", mp->pendingValidators()},
               {"confirm_timeout_seconds", toSeconds(plan.confirm_timeout)},
               {"confirm", "POST /api/v1/deploys/" + id + "/confirm"},
               {"reject", "POST /api/v1/deploys/" + id + "/reject"}});
      done.ok = true;
      co_return done;
    }
    case StepKind::kFinish: {
      auto snap = snapshotById(service, report.value("snapshot_id", int64_t{0}));
      const std::string name = snap && *snap ? containerNameOf(**snap) : std::string();
      const std::string old_id = report.value("old_container_id", "");
      const std::string new_id = report.value("new_container_id", "");
      if (plan.strategy == deploy::Strategy::kStartFirst) {
        // Switch: the old one gives up the name, the validated new one takes it. Idempotent.
        auto old = co_await docker_->inspectContainer(old_id);
        if (old) {
          if (old->state.running) {
            const auto secs = std::chrono::seconds(
                (services_[service].recovery.stop_timeout.count() + 999) / 1000);
            (void)co_await docker_->stopContainer(old_id, secs);
          }
          if (old->name == name) {
            auto renamed = co_await docker_->renameContainer(
                old_id, services::renamedAsideName(name, toUnixMillis(now().wall)));
            if (!renamed) co_return fail("renaming the old container: " + renamed.error().message);
          }
        }
        auto fresh = co_await docker_->inspectContainer(new_id);
        if (!fresh) co_return fail("the new container is gone: " + fresh.error().message);
        if (fresh->name != name) {
          auto renamed = co_await docker_->renameContainer(new_id, name);
          if (!renamed) {
            co_return fail("giving the new container the service's name: " +
                           renamed.error().message);
          }
        }
      }
      if (!old_id.empty() && old_id != new_id) {
        auto removed = co_await docker_->removeContainer(old_id, true);
        if (!removed && removed.error().kind != ErrorKind::kNotFound) {
          spdlog::warn("{}: old container {} not removed: {}", service, old_id.substr(0, 12),
                       removed.error().message);
        }
      }
      co_await takeSnapshot(service, new_id);
      auto latest = store_->latestSnapshot(service);
      done.ok = true;
      done.container_id = new_id;
      done.detail = {{"container_id", new_id}};
      if (latest && *latest && (*latest)->container_id == new_id) {
        done.detail["new_snapshot_id"] = (*latest)->id;
      } else {
        done.ok = false;
        done.error = "the new container's snapshot could not be stored";
      }
      co_return done;
    }
    case StepKind::kRollback: {
      auto snap = snapshotById(service, report.value("snapshot_id", int64_t{0}));
      if (!snap || !*snap) co_return fail("the deploy's snapshot is gone from the store");
      const std::string name = containerNameOf(**snap);
      const std::string old_id = report.value("old_container_id", "");
      const std::string new_id = report.value("new_container_id", "");
      // Remove every copy of the new version first (by id, by the service's name when the old one
      // no longer holds it, by the start-first name), so nothing is ever duplicated.
      std::vector<std::string> doomed;
      if (!new_id.empty() && new_id != old_id) doomed.push_back(new_id);
      const std::vector<std::string> names{name, nextCopyName(name, plan.id)};
      for (const std::string& n : names) {
        auto h = co_await docker_->inspectContainer(n);
        if (h && h->id != old_id) doomed.push_back(h->id);
      }
      for (const auto& d : doomed) {
        auto r = co_await docker_->removeContainer(d, true);
        if (!r && r.error().kind != ErrorKind::kNotFound) {
          co_return fail("removing the new container " + d.substr(0, 12) + ": " +
                         r.error().message);
        }
      }
      auto old = co_await docker_->inspectContainer(old_id);
      if (old) {
        if (old->name != name) {
          auto renamed = co_await docker_->renameContainer(old_id, name);
          if (!renamed) {
            co_return fail("renaming the old container back: " + renamed.error().message);
          }
        }
        if (!old->state.running) {
          auto started = co_await docker_->startContainer(old_id);
          if (!started) {
            co_return fail("starting the old container: " + started.error().message);
          }
        }
        done.ok = true;
        done.container_id = old_id;
        done.detail = {{"restored", "old_container"}, {"container_id", old_id}};
        co_return done;
      }
      // The old copy is gone (removed by hand?): the snapshot brings it back.
      auto made = co_await recreate(service, **snap, "", services_[service].recovery.stop_timeout);
      if (!made) co_return fail("recreating from the snapshot: " + made.error().message);
      done.ok = true;
      done.container_id = *made;
      done.detail = {{"restored", "snapshot"}, {"container_id", *made}};
      co_return done;
    }
  }
  co_return fail("unknown step");
}

asio::awaitable<deploy::ProbeRound> Daemon::deployProbe(const std::string& id) {
  deploy::ProbeRound round;
  const deploy::Machine& m = *deploys_.at(id).machine;
  const deploy::Plan plan = m.plan();
  round.container_id = m.probeTarget();
  const std::string target = round.container_id;
  auto info = co_await docker_->inspectContainer(target);
  if (!info) {
    if (info.error().kind == ErrorKind::kNotFound) {
      round.exited = true;
      round.summary = "the container is gone";
    } else {
      round.summary = "inspect failed: " + info.error().message;
    }
    co_return round;
  }
  const auto& st = info->state;
  nlohmann::json excerpt{{"container_id", info->id},
                         {"name", info->name},
                         {"image", info->image},
                         {"status", st.status},
                         {"exit_code", st.exit_code},
                         {"health", st.health ? nlohmann::json(*st.health) : nullptr},
                         {"deploy_id", id}};
  auto ev = evidence::makeEvidence("docker_state", plan.service, excerpt, now().wall);
  round.evidence_ids.push_back(ev.id);
  if (store_) {
    pending_evidence_.push_back(
        {ev.id, ev.service, ev.kind, toUnixMillis(ev.time), ev.hash, ev.data});
  }
  if (st.status == "exited" || st.status == "dead") {
    round.exited = true;
    round.summary = fmt::format("exited with code {}", st.exit_code);
    co_return round;
  }
  if (!st.running || st.restarting) {
    round.summary = "docker state " + st.status;
    co_return round;
  }
  if (st.health && *st.health != "healthy") {
    round.summary = "docker health " + *st.health;
    co_return round;
  }
  // The service's own probes address the service (a fixed host port): they reach the new
  // container only when it took the old one's place (recreate, and the restored one).
  auto sit = services_.find(plan.service);
  const bool own_place =
      plan.strategy == deploy::Strategy::kRecreate || m.phase() == deploy::Phase::kValidateRollback;
  if (sit != services_.end() && own_place) {
    const auto svc = sit->second;
    std::vector<evidence::Evidence> evidence;
    auto results = co_await check::runProbes(svc, docker_.get(), *clock_, evidence);
    for (const auto& e : evidence) {
      if (store_) {
        pending_evidence_.push_back(
            {e.id, e.service, e.kind, toUnixMillis(e.time), e.hash, e.data});
      }
    }
    for (const auto& r : results) {
      if (!r.evidence_id.empty()) round.evidence_ids.push_back(r.evidence_id);
      if (!r.ok) {
        round.summary = r.name + ": " + r.summary;
        co_return round;
      }
    }
    if (!results.empty()) round.summary = fmt::format("{} probe(s) pass", results.size());
  }
  if (round.summary.empty()) {
    round.summary = st.health ? "docker health healthy" : "running";
  }
  round.passing = true;
  co_return round;
}

// ---- routes ----

void Daemon::registerDeployRoutes() {
  router_.add(
      "POST", "/api/v1/deploys",
      [this](const Request& req) {
        auto body = nlohmann::json::parse(req.body, nullptr, false);
        auto started = startDeploy(body);
        if (!started) {
          return Response::error(started.error().status ? started.error().status : 400,
                                 started.error().message);
        }
        return Response::json(202, *started);
      },
      /*mutation=*/true);
  router_.add("GET", "/api/v1/deploys", [this](const Request&) {
    nlohmann::json out = nlohmann::json::array();
    if (!store_) return Response::json(200, out);
    flushEvidence();
    auto list = store_->listDeploys(false, kDeployListLimit);
    if (!list) return Response::error(500, list.error().message);
    for (const auto& rec : *list) {
      auto r = deployReport(rec.id);
      if (r) out.push_back(*r);
    }
    return Response::json(200, out);
  });
  router_.add("GET", "/api/v1/deploys/{id}", [this](const Request& req) {
    flushEvidence();  // the evidence ids in the report must resolve
    auto r = deployReport(req.params.at("id"));
    if (!r) return Response::error(404, "no deploy with id '" + req.params.at("id") + "'");
    return Response::json(200, *r);
  });
  for (const bool confirm : {true, false}) {
    router_.add(
        "POST", std::string("/api/v1/deploys/{id}/") + (confirm ? "confirm" : "reject"),
        [this, confirm](const Request& req) {
          const auto& id = req.params.at("id");
          auto it = deploys_.find(id);
          if (it == deploys_.end()) {
            if (deployReport(id)) {
              return Response::error(409, "deploy " + id +
                                              " is finished: answers are no "
                                              "longer taken");
            }
            return Response::error(404, "no deploy with id '" + id + "'");
          }
          auto body = req.body.empty() ? nlohmann::json::object()
                                       : nlohmann::json::parse(req.body, nullptr, false);
          if (!body.is_object() || (body.contains("validator") && !body["validator"].is_string()) ||
              (body.contains("reason") && !body["reason"].is_string())) {
            return Response::error(400,
                                   "give {\"validator\": NAME, \"reason\": TEXT} (both "
                                   "optional when one validator is configured)");
          }
          const auto& m = *it->second.machine;
          std::string validator = body.value("validator", "");
          if (validator.empty()) {
            auto pending = m.pendingValidators();
            if (pending.size() != 1) {
              return Response::error(
                  400, fmt::format("say which validator answers (\"validator\"): deploy {} "
                                   "waits for {}",
                                   id,
                                   pending.empty() ? std::string("none")
                                                   : fmt::format("{}", fmt::join(pending, ", "))));
            }
            validator = pending.front();
          }
          for (const auto& queued : it->second.answers) {
            if (queued.validator == validator) {
              return Response::error(409, "validator '" + validator + "' already answered");
            }
          }
          if (auto ok = m.acceptsAnswer(validator); !ok) {
            return Response::error(ok.error().kind == ErrorKind::kNotFound ? 404 : 409,
                                   ok.error().message);
          }
          deploy::Answer a{validator, confirm, body.value("reason", "")};
          it->second.answers.push_back(a);
          publish("deployment_coordination", confirm ? "validator_confirmed" : "validator_rejected",
                  m.plan().service, confirm ? "info" : "warning",
                  {{"deploy_id", id}, {"validator", validator}, {"reason", a.reason}});
          return Response::json(202, {{"deploy_id", id},
                                      {"validator", validator},
                                      {"answer", confirm ? "confirmed" : "rejected"},
                                      {"reason", a.reason}});
        },
        /*mutation=*/true);
  }
}

}  // namespace medic::daemon
