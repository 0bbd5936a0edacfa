#include "supervisor/supervisor.h"

#include <fmt/format.h>

#include <algorithm>
#include <tuple>
#include <utility>

#include "core/duration.h"
#include "supervisor/record.h"

namespace medic::supervisor {

namespace {

enum class Verdict { kPassing, kPending, kFailing };

/// The service's health as recovery sees it, at one instant.
struct Judged {
  Verdict verdict = Verdict::kPending;
  FailureKind kind = FailureKind::kExited;
  /// A failure seen only by probes (failing or hung): a service that was just repaired gets
  /// settle_timeout to pass before it counts against the attempt.
  bool soft = false;
  /// Pending because the container is changing state (restarting, removing, start period,
  /// engine settling) rather than because no probe verdict has come yet: never act on it.
  bool changing = false;
  std::string reason;
};

/// What a failing, pending or passing container looks like to recovery. Pure function of the
/// record; `engine_settling` treats every running container as starting (after an engine restart).
/// How long a created-but-not-started container is left to its creator before medic starts it.
constexpr auto kFreshlyCreated = std::chrono::seconds(3);
/// How long a dependent failing by its probes alone waits for its dependencies' news.
constexpr auto kBlameWindow = std::chrono::seconds(1);

Judged judge(const Supervisor::Record& r, bool engine_settling, WallTime now_wall) {
  Judged j;
  if (!r.view) {
    j.verdict = Verdict::kFailing;
    j.kind = FailureKind::kRemoved;
    j.reason = "its container was removed";
    return j;
  }
  const ContainerView& c = *r.view;
  const std::string id = shortId(c.id);
  auto fail = [&](FailureKind kind, std::string reason, bool soft = false) {
    j.verdict = Verdict::kFailing;
    j.kind = kind;
    j.soft = soft;
    j.reason = std::move(reason);
    return j;
  };
  if (engine_settling) {
    j.changing = true;  // Docker itself may still be bringing things back
    return j;
  }
  switch (c.phase) {
    case Phase::kRestarting:
    case Phase::kRemoving:
      j.changing = true;
      return j;
    case Phase::kExited:
      return fail(FailureKind::kExited,
                  fmt::format("container {} exited with code {}{}", id, c.exit_code,
                              c.oom_killed ? " (OOM killed)" : ""));
    case Phase::kDead:
      return fail(FailureKind::kExited, fmt::format("container {} is dead", id));
    case Phase::kCreated:
      if (c.created_at && now_wall - *c.created_at < kFreshlyCreated) {
        j.changing = true;  // its creator is about to start it
        return j;
      }
      return fail(FailureKind::kExited,
                  fmt::format("container {} was created but never started", id));
    case Phase::kPaused:
      return fail(FailureKind::kPaused, fmt::format("container {} is paused", id));
    case Phase::kRunning:
      break;
  }
  if (c.health == DockerHealth::kStarting) {
    j.changing = true;  // inside its start period
    return j;
  }
  const bool probes_current = r.probes && r.probes->container_id == c.id;
  if (probes_current && r.probes->hung) {
    return fail(FailureKind::kHung,
                fmt::format("probes time out while container {} runs (hung)", id), true);
  }
  if (c.health == DockerHealth::kUnhealthy) {
    return fail(FailureKind::kUnhealthy, fmt::format("Docker reports container {} unhealthy", id));
  }
  if (r.usesProbes()) {
    if (!probes_current) return j;  // no verdict for this container yet
    if (!r.probes->passing) {
      return fail(FailureKind::kUnhealthy, fmt::format("probes fail against container {}", id),
                  true);
    }
  }
  j.verdict = Verdict::kPassing;
  return j;
}

}  // namespace

Supervisor::Supervisor(std::vector<ServiceDef> services, std::function<double()> uniform01,
                       Options opts)
    : uniform01_(std::move(uniform01)), opts_(opts) {
  if (!uniform01_) uniform01_ = [] { return 0.5; };
  opts_.max_concurrent = std::max(1, opts_.max_concurrent);
  opts_.panic_delay = clampPositive(opts_.panic_delay);
  opts_.engine_grace = clampPositive(opts_.engine_grace);
  setServices(std::move(services));
}

Supervisor::~Supervisor() = default;

void Supervisor::setServices(std::vector<ServiceDef> services) {
  std::map<std::string, std::unique_ptr<Record>> next;
  for (ServiceDef& def : services) {
    auto it = services_.find(def.name);
    std::unique_ptr<Record> r;
    if (it != services_.end()) {
      r = std::move(it->second);
    } else {
      r = std::make_unique<Record>();
      r->status.name = def.name;
      r->status.state = toString(ServiceState::kUnknown);
    }
    r->def = std::move(def);
    r->status.critical = r->def.critical;
    const std::string name = r->def.name;
    next[name] = std::move(r);
  }
  services_ = std::move(next);
  for (auto it = in_flight_.begin(); it != in_flight_.end();) {
    it = services_.count(it->second) ? std::next(it) : in_flight_.erase(it);
  }
  for (auto it = troubled_.begin(); it != troubled_.end();) {
    it = services_.count(*it) ? std::next(it) : troubled_.erase(it);
  }
}

Supervisor::Record* Supervisor::find(const std::string& service) {
  auto it = services_.find(service);
  return it == services_.end() ? nullptr : it->second.get();
}

Decision Supervisor::observe(const Observation& observation, Now now) {
  Decision d;
  std::visit(
      [&](const auto& o) {
        using T = std::decay_t<decltype(o)>;
        if constexpr (std::is_same_v<T, ServiceObserved>) {
          onServiceObserved(o, now, d);
        } else if constexpr (std::is_same_v<T, ContainerEvent>) {
          onEvent(o, now, d);
        } else if constexpr (std::is_same_v<T, ProbesVerdict>) {
          onProbes(o, now, d);
        } else if constexpr (std::is_same_v<T, ActionDone>) {
          onActionDone(o, now, d);
        } else if constexpr (std::is_same_v<T, RecoverRequested>) {
          onRecover(o, now, d);
        } else if constexpr (std::is_same_v<T, MaintenanceSet>) {
          onMaintenance(o, now, d);
        } else if constexpr (std::is_same_v<T, EngineStatus>) {
          onEngine(o, now, d);
        } else if constexpr (std::is_same_v<T, DeployGuard>) {
          onDeployGuard(o, now, d);
        } else {
          for (auto& [name, r] : services_) evaluate(*r, now, d);
        }
      },
      observation);
  reevaluateDependents(now, d);
  schedule(now, d);
  finish(now, d);
  return d;
}

Decision Supervisor::tick(Now now) {
  return observe(Tick{}, now);
}

void Supervisor::finish(Now now, Decision& /*d*/) {
  last_now_ = now.steady;
}

namespace {

/// A container that is not the one the incident's ladder works on took over: failure and probe
/// counters start fresh for it (the attempt budget stays per service).
///
/// When it replaces a container medic watched (`replacing`) and medic holds a healthy snapshot of
/// another container, somebody else deployed it (compose, a script): it goes on trial
/// (record.h, Trial) unless the service is in maintenance or a deploy guard, where replacements
/// are intentional and left alone.
Millis trialLength(const Supervisor::Record& r, const ContainerView& c) {
  return std::max(clampPositive(r.cfg().replacement_trial), c.start_period + r.def.probe_budget);
}

void adoptContainer(Supervisor::Record& r, const ContainerView& c, Now now, bool replacing = true) {
  const bool new_container = !r.view || r.view->id != c.id;
  // A trial restored after a medic restart goes on for its container (first look after start).
  const bool on_trial = r.trial && r.trial->container_id == c.id;
  if (new_container && !on_trial) r.trial.reset();
  // The container medic knew last: after a restart only the open incident (or the snapshot)
  // remembers it, and the same container seen again is not a new one.
  const std::string known_id = r.view                                          ? r.view->id
                               : r.incident && !r.incident->container_id.empty() ? r.incident->container_id
                                                                                : r.last_snapshot_container;
  // A container that appears while medic was recreating the service may be medic's own (its
  // ActionDone lost to a kill -9): the budget stays, crash safety keeps the attempt counted.
  const bool maybe_ours = r.incident && r.incident->attempts > 0 &&
                          (r.incident->kind == FailureKind::kRemoved ||
                           r.incident->kind == FailureKind::kReplacementFailed);
  if (new_container && replacing && !maybe_ours && !known_id.empty() && known_id != c.id) {
    // Budgets, counters and escalation belong to a container: one somebody else put in place
    // starts fresh (DESIGN §4). medic's own recreates keep the service's budget (onActionDone).
    r.attempts.clear();
    r.flap_count = 0;
    r.last_recovered_at.reset();
    r.escalated = false;
    r.missing = false;
  }
  r.stop_requested_for.clear();
  r.replaced_by.clear();
  if (new_container && !on_trial && replacing && !r.guarded() &&
      !r.last_snapshot_container.empty() && c.id != r.last_snapshot_container) {
    Trial t;
    t.container_id = c.id;
    t.started = now.steady;
    t.started_wall = now.wall;
    t.until = now.steady + trialLength(r, c);
    t.previous_image = r.last_healthy_image;
    r.trial = t;
  }
  r.view = c;
  r.probes.reset();
  if (r.candidate && r.candidate->id == c.id) r.candidate.reset();
  if (r.incident && r.incident->container_id != c.id) {
    r.incident->container_id = c.id;
    r.incident->rung = 0;
    r.incident->replacement = true;
    r.incident->verifying = false;
    r.incident->next_action_at.reset();
  }
}

}  // namespace

void Supervisor::onServiceObserved(const ServiceObserved& o, Now now, Decision& d) {
  Record* r = find(o.service);
  if (!r) return;
  r->known = true;
  r->fresh = true;
  if (o.container) {
    ContainerView c = *o.container;
    // A created container whose creator went on with it later than its creation (compose v2
    // creates the new container, then stops and removes the old one, then starts it) is fresh
    // from that later moment, which only the events know.
    if (c.phase == Phase::kCreated && r->candidate && r->candidate->id == c.id &&
        r->candidate->created_at && (!c.created_at || *c.created_at < *r->candidate->created_at)) {
      c.created_at = r->candidate->created_at;
    }
    r->orphaned = false;
    if (c.health != DockerHealth::kNone) {
      r->has_healthcheck = true;
    } else if (c.phase == Phase::kRunning) {
      r->has_healthcheck = false;
    }
    if (r->view && r->view->id == c.id) {
      r->view = c;
    } else {
      // Only a container that takes the place of one medic watched (or of one whose loss is an
      // open incident) is a replacement; the first look after medic starts is not.
      adoptContainer(*r, c, now, r->view.has_value() || r->incident.has_value());
    }
    if (r->view->finished_at && r->view->phase != Phase::kRunning) {
      r->event_latency = wallLatency(*r->view->finished_at, now.wall);
    }
  } else {
    // Full truth: no container of the service exists (a missed destroy event is repaired here).
    r->view.reset();
    r->candidate.reset();
  }
  evaluate(*r, now, d);
}

void Supervisor::onEvent(const ContainerEvent& e, Now now, Decision& d) {
  Record* r = find(e.service);
  if (!r) return;
  r->known = true;
  if (r->own_window && e.container_id == r->own_container && e.occurred >= r->own_from &&
      e.occurred < r->own_to) {
    return;  // an effect of medic's own action (e.g. the die of a restart), reported late
  }
  const bool current = r->view && r->view->id == e.container_id;
  const bool candidate = r->candidate && r->candidate->id == e.container_id;
  const std::string& a = e.action;
  const double latency = wallLatency(e.occurred, now.wall);
  // "kill" is only a signal sent (a HUP for a reload, or the first step of `docker rm -f` and
  // `docker stop`); the process may live on, so only die, stop and oom mean it ended. A kill with
  // a stop signal (not SIGKILL, not a reload's HUP or a USR) says the coming die was asked for.
  if (a == "kill") {
    constexpr int kSigHup = 1, kSigKill = 9, kSigUsr1 = 10, kSigUsr2 = 12, kSigWinch = 28;
    const bool stop_signal = e.signal != 0 && e.signal != kSigKill && e.signal != kSigHup &&
                             e.signal != kSigUsr1 && e.signal != kSigUsr2 && e.signal != kSigWinch;
    if (current && stop_signal) r->stop_requested_for = e.container_id;
  } else if (a == "die" || a == "stop" || a == "oom") {
    if (current) {
      r->view->phase = Phase::kExited;
      if (a == "die") r->view->exit_code = e.exit_code;
      if (a == "oom") r->view->oom_killed = true;
      r->event_latency = latency;
    } else if (candidate) {
      r->candidate->phase = Phase::kExited;
    }
  } else if (a == "destroy") {
    if (current) {
      const std::string replaced_by = r->replaced_by;
      r->view.reset();
      r->orphaned = e.compose_orphan;
      r->event_latency = latency;
      // Compose v1 starts the replacement before it destroys the old container: adopt it at once
      // (as a replacement: on trial when medic holds a snapshot of another container; the notice
      // "replaced" comes when it passes). One that is only created (compose v2 renames and starts
      // it after the removal) is adopted at its start; the removal waits replacement_grace.
      if (r->candidate && r->candidate->phase != Phase::kCreated) {
        ContainerView next = *r->candidate;
        adoptContainer(*r, next, now);
        r->event_latency.reset();
      } else {
        r->replaced_by = replaced_by;  // compose is still at work: its new container comes next
        // Its creator starts it now that the old one is gone, however long the old one took to
        // stop: a created container is fresh from here (judge, kFreshlyCreated).
        if (r->candidate) r->candidate->created_at = e.occurred;
      }
    } else if (candidate) {
      r->candidate.reset();
      if (r->replaced_by == e.container_id) r->replaced_by.clear();
    }
  } else if (a == "pause") {
    if (current) {
      r->view->phase = Phase::kPaused;
      r->event_latency = latency;
    }
  } else if (a == "unpause") {
    if (current) r->view->phase = Phase::kRunning;
  } else if (a == "start" || a == "restart") {
    const DockerHealth h = r->has_healthcheck ? DockerHealth::kStarting : DockerHealth::kNone;
    if (current) {
      r->view->phase = Phase::kRunning;
      r->view->health = h;
      r->view->exit_code = 0;
      r->view->oom_killed = false;
      r->probes.reset();
    } else {
      ContainerView next;
      next.id = e.container_id;
      next.health = h;
      if (candidate) {
        next.image_id = r->candidate->image_id;
        next.start_period = r->candidate->start_period;
      }
      if (!r->view) {
        adoptContainer(*r, next, now);  // a replacement appeared while the service had none
      } else {
        r->candidate = next;
      }
    }
  } else if (a == "create") {
    if (!current && !candidate) {
      ContainerView created;
      created.id = e.container_id;
      created.phase = Phase::kCreated;
      created.created_at = e.occurred;
      r->candidate = created;
    }
    // Compose v2 names the container it replaces before it stops it: what follows (its kill,
    // die and destroy) is compose's own move, never a failure to repair.
    if (!e.replaces.empty() && r->view && r->view->id == e.replaces) {
      r->replaced_by = e.container_id;
    }
  } else if (a == "health_status") {
    if (current && e.health) {
      r->view->health = *e.health;
      if (*e.health != DockerHealth::kNone) r->has_healthcheck = true;
      if (*e.health == DockerHealth::kUnhealthy) r->event_latency = latency;
    } else if (candidate && e.health) {
      r->candidate->health = *e.health;
    }
  }
  evaluate(*r, now, d);
}

void Supervisor::onProbes(const ProbesVerdict& v, Now now, Decision& d) {
  Record* r = find(v.service);
  if (!r) return;
  // A verdict about another container (an old one, or one not adopted yet) says nothing about
  // the current one: probe counters are per container.
  if (!r->view || r->view->id != v.container_id) return;
  r->probes_seen = true;
  r->probes = ProbeState{v.container_id, v.passing, v.hung, v.evidence_ids};
  evaluate(*r, now, d);
}

void Supervisor::onActionDone(const ActionDone& done, Now now, Decision& d) {
  auto it = in_flight_.find(done.action_id);
  if (it == in_flight_.end()) return;  // a snapshot, or an action of a forgotten service
  Record* r = find(it->second);
  in_flight_.erase(it);
  if (!r || !r->in_flight || r->in_flight->id != done.action_id) return;
  const Action act = *r->in_flight;
  r->in_flight.reset();
  const config::RecoveryConfig& cfg = r->cfg();
  if (done.ok) {
    const bool replaces = act.kind == ActionKind::kRecreate || act.kind == ActionKind::kRollback ||
                          act.kind == ActionKind::kRestoreSnapshot;
    const DockerHealth h = r->has_healthcheck ? DockerHealth::kStarting : DockerHealth::kNone;
    std::string acted_on = act.container_id;
    if (replaces && !done.new_container_id.empty()) {
      acted_on = done.new_container_id;
      ContainerView fresh;
      fresh.id = done.new_container_id;
      fresh.health = h;
      r->view = fresh;
      if (r->candidate && r->candidate->id == done.new_container_id) r->candidate.reset();
      if (r->incident) r->incident->container_id = done.new_container_id;
    } else if (r->view && r->view->id == act.container_id) {
      // The engine said it worked: assume the started container until events or a resync say
      // otherwise, so a late "die" of the old process cannot count against this attempt.
      r->view->phase = Phase::kRunning;
      r->view->health = h;
      r->view->exit_code = 0;
      r->view->oom_killed = false;
    }
    if (act.kind == ActionKind::kRecreate && r->incident &&
        r->incident->kind == FailureKind::kRemoved && r->escalated) {
      // The restored container is a new one: it starts with a fresh budget, not escalated.
      r->escalated = false;
      r->missing = false;
      r->attempts.clear();
      r->flap_count = 0;
    }
    r->probes.reset();  // probes must pass again after the repair
    r->own_window = true;
    r->own_container = acted_on;
    r->own_from = r->in_flight_wall;
    r->own_to = now.wall;
    if (r->incident) {
      r->incident->verifying = true;
      r->incident->settle_until = now.steady + clampPositive(cfg.settle_timeout);
    }
  } else {
    // The container vanished under the action (`docker rm -f` sends die before destroy): the
    // attempt never reached a container, so it costs no budget and raises nothing; the destroy
    // event or the next resync decides what comes next.
    const bool restart_like = act.kind == ActionKind::kStart || act.kind == ActionKind::kRestart ||
                              act.kind == ActionKind::kUnpause;
    const bool target_gone = done.target_gone ||
                             done.error.find("marked for removal") != std::string::npos ||
                             done.error.find("No such container") != std::string::npos;
    const bool vanished = !done.reached_engine || (restart_like && target_gone);
    if (!(restart_like && target_gone)) {
      d.notices.push_back(
          Notice{"action_failed",
                 Severity::kWarning,
                 r->def.name,
                 fmt::format("{}: {} of container {} failed: {}", r->def.name, toString(act.kind),
                             act.container_id.empty() ? "(none)" : shortId(act.container_id),
                             done.error.empty() ? "no error text" : done.error),
                 {{"action", toString(act.kind)},
                  {"action_id", act.id},
                  {"attempt", act.attempt},
                  {"error", done.error}}});
    }
    if (vanished && r->incident) {
      r->attempts.refundLast();
      if (r->incident->attempts > 0) --r->incident->attempts;
      if (r->incident->rung > 0) --r->incident->rung;
      r->incident->verifying = false;
      // Give the engine a moment to deliver the destroy before trying again.
      r->incident->next_action_at = now.steady + clampPositive(cfg.backoff_initial);
    } else if (r->incident) {
      const bool no_snapshot = done.error.find("no snapshot") != std::string::npos;
      if (act.kind == ActionKind::kRestoreSnapshot) {
        // The replacement failed and so did putting the old version back: nothing serves.
        d.notices.push_back(Notice{
            "replacement_failed",
            Severity::kCritical,
            r->def.name,
            fmt::format("{}: restoring the snapshot after the failed replacement {} failed too: {}. "
                        "{}",
                        r->def.name, shortId(act.container_id),
                        done.error.empty() ? "no error text" : done.error,
                        no_snapshot ? "There is nothing to restore from: deploy a working image"
                                    : "medic tries again after backoff"),
            {{"container_id", act.container_id},
             {"restore_failed", true},
             {"error", done.error},
             {"evidence", r->incident->evidence_ids}}});
      }
      if ((act.kind == ActionKind::kRecreate || act.kind == ActionKind::kRestoreSnapshot) &&
          no_snapshot) {
        r->missing = act.kind == ActionKind::kRecreate;
        escalate(*r, now, d,
                 r->missing
                     ? "its container is gone and there is no spec snapshot to recreate it from"
                     : "its replacement failed and there is no spec snapshot to restore");
      } else {
        r->incident->verifying = false;
        r->incident->next_action_at =
            now.steady + backoffDelay(cfg, r->incident->attempts, uniform01_());
      }
    }
  }
  evaluate(*r, now, d);
}

void Supervisor::onRecover(const RecoverRequested& req, Now now, Decision& d) {
  Record* r = find(req.service);
  if (!r) return;
  // The operator takes responsibility: fresh budget, no escalation, no backoff, no grace.
  r->escalated = false;
  r->missing = false;
  r->attempts.clear();
  r->flap_count = 0;
  r->last_recovered_at.reset();
  r->skip_grace = true;
  if (r->incident) {
    r->incident->next_action_at.reset();
    r->incident->rung = 0;
    if (r->incident->grace_until) r->incident->grace_until = now.steady;
  }
  evaluate(*r, now, d);
}

void Supervisor::onMaintenance(const MaintenanceSet& m, Now now, Decision& d) {
  Record* r = find(m.service);
  if (!r) return;
  if (m.until && *m.until > now.steady) {
    r->maintenance_until = *m.until;
    d.notices.push_back(
        Notice{"maintenance",
               Severity::kInfo,
               r->def.name,
               fmt::format("{}: in maintenance until {}; medic observes but does not repair it",
                           r->def.name, formatWallTime(toWall(*m.until, now))),
               {{"active", true}, {"until", formatWallTime(toWall(*m.until, now))}}});
  } else if (r->maintenance_until) {
    r->maintenance_until.reset();
    d.notices.push_back(Notice{
        "maintenance",
        Severity::kInfo,
        r->def.name,
        fmt::format("{}: maintenance ended; its current state is evaluated afresh", r->def.name),
        {{"active", false}}});
  }
  evaluate(*r, now, d);
}

void Supervisor::onDeployGuard(const DeployGuard& g, Now now, Decision& d) {
  Record* r = find(g.service);
  if (!r) return;
  if (r->deploy_guard != g.active) {
    r->deploy_guard = g.active;
    d.notices.push_back(Notice{
        "maintenance",
        Severity::kInfo,
        r->def.name,
        g.active ? fmt::format("{}: deploy in progress; medic observes but does not repair it",
                               r->def.name)
                 : fmt::format("{}: deploy finished; its current state is evaluated afresh",
                               r->def.name),
        {{"active", g.active}, {"deploy", true}}});
  }
  evaluate(*r, now, d);
}

void Supervisor::onEngine(const EngineStatus& e, Now now, Decision& d) {
  if (!e.reachable && engine_reachable_) {
    engine_reachable_ = false;
    engine_grace_until_.reset();
    for (auto& [name, r] : services_) r->fresh = false;
    d.notices.push_back(Notice{"engine_unreachable", Severity::kCritical, "",
                               "the Docker engine is unreachable; medic takes no action until it "
                               "is back (check that dockerd runs and its socket is reachable)",
                               nlohmann::json::object()});
  } else if (e.reachable && !engine_reachable_) {
    engine_reachable_ = true;
    engine_grace_until_ = now.steady + opts_.engine_grace;
    d.notices.push_back(Notice{
        "engine_back",
        Severity::kInfo,
        "",
        fmt::format("the Docker engine is reachable again; medic acts on fresh state after {}",
                    formatDuration(opts_.engine_grace)),
        {{"grace_seconds", toSeconds(opts_.engine_grace)}}});
  }
  for (auto& [name, r] : services_) evaluate(*r, now, d);
}

void Supervisor::evaluate(Record& r, Now now, Decision& d) {
  const config::RecoveryConfig& cfg = r.cfg();
  if (r.maintenance_until && now.steady >= *r.maintenance_until) {
    r.maintenance_until.reset();
    d.notices.push_back(Notice{
        "maintenance",
        Severity::kInfo,
        r.def.name,
        fmt::format("{}: maintenance ended; its current state is evaluated afresh", r.def.name),
        {{"active", false}}});
  }
  if (r.retired) return;  // forgotten by the shell at its next resync
  if (!r.known || !r.fresh || !engine_reachable_) {
    // Nothing trustworthy to judge: keep the last state, act on nothing.
    r.event_latency.reset();
    refreshStatus(r, now);
    return;
  }
  const bool settling = engine_grace_until_ && now.steady < *engine_grace_until_;
  Judged j = judge(r, settling, now.wall);
  const bool passing = j.verdict == Verdict::kPassing;
  if (passing) {
    if (!r.healthy_since) r.healthy_since = now.steady;
  } else {
    r.healthy_since.reset();
  }

  if (passing && !r.in_flight && r.view && r.view->id != r.last_snapshot_container) {
    r.last_snapshot_container = r.view->id;
    r.last_healthy_image = r.view->image_id;
    d.actions.push_back(
        Action{next_action_id_++, r.def.name, ActionKind::kSnapshot, r.view->id, Millis{0},
               fmt::format("container {} is healthy: store its spec", shortId(r.view->id)), 0});
  }

  // A trial ends when its container is no longer the service's (removed, restored over) or
  // when it passes: then it is simply the service's container, its snapshot taken just above.
  if (r.trial && (!r.view || r.view->id != r.trial->container_id || passing)) {
    const bool passed = passing && r.view && r.view->id == r.trial->container_id;
    r.trial.reset();
    if (passed && !r.incident) {
      // No incident to close (nothing failed while it took over): say it here.
      d.notices.push_back(Notice{"replaced", Severity::kInfo, r.def.name,
                                 fmt::format("{}: replacement container {} is healthy and adopted",
                                             r.def.name, shortId(r.view->id)),
                                 {{"container_id", r.view->id}}});
    }
  }

  auto closeIncident = [&](const std::string& outcome) {
    Incident& inc = *r.incident;
    IncidentStatus s;
    s.kind = toString(inc.kind);
    s.detected_at = inc.detected_wall;
    s.detection_seconds = inc.detection_seconds;
    s.attempts = inc.attempts;
    s.outcome = outcome;
    if (outcome == "recovered" || outcome == "replaced") {
      s.recovered_at = now.wall;
      s.recovery_seconds = secondsBetween(inc.detected, now.steady);
      if (r.probes) s.evidence_ids = r.probes->evidence_ids;
    }
    r.last_closed = s;
    r.incident.reset();
  };

  if (r.guarded()) {
    // Intentional changes are not repaired; whatever is open is dropped and judged afresh later.
    if (r.incident) closeIncident("maintenance");
    r.trial.reset();
    r.state = ServiceState::kMaintenance;
    r.event_latency.reset();
    refreshStatus(r, now);
    return;
  }
  if (r.in_flight) {
    r.state = ServiceState::kRecovering;
    r.event_latency.reset();
    refreshStatus(r, now);
    return;
  }
  if (r.healthy_since && now.steady - *r.healthy_since >= clampPositive(cfg.flap_window)) {
    r.flap_count = 0;
    if (r.escalated) {
      r.escalated = false;
      r.missing = false;
      d.notices.push_back(
          Notice{"recovered",
                 Severity::kInfo,
                 r.def.name,
                 fmt::format("{}: healthy by itself for {}; escalation cleared, medic acts again",
                             r.def.name, formatDuration(clampPositive(cfg.flap_window))),
                 {{"escalation_cleared", true}}});
    }
  }
  // "Never remove services without replacement" outranks escalation: a removed service is
  // restored even when medic had given up on its container (the alert says so).
  const bool removed = !r.view;
  if (r.escalated && !(removed && !r.missing)) {
    r.state = r.missing ? ServiceState::kMissing : ServiceState::kEscalated;
    r.event_latency.reset();
    refreshStatus(r, now);
    return;
  }
  // Blame the root cause: while a dependency is failing or recovering, a failing dependent is
  // held (no action, no budget); a removal is restored all the same.
  if ((j.verdict == Verdict::kFailing || (j.verdict == Verdict::kPending && r.incident)) &&
      !removed) {
    if (auto root = rootCause(r)) {
      if (r.held_by != *root) {
        r.held_by = *root;
        d.notices.push_back(Notice{
            "held",
            Severity::kWarning,
            r.def.name,
            fmt::format("{}: {}; held while its dependency {} is failing or recovering (the root "
                        "cause): medic repairs {} first and then judges {} afresh",
                        r.def.name, j.verdict == Verdict::kFailing ? j.reason : "not passing",
                        *root, *root, r.def.name),
            {{"root_cause", *root},
             {"failure", j.verdict == Verdict::kFailing ? toString(j.kind) : "pending"},
             {"container_id", r.view->id}}});
      }
      // Opened before the dependency's failure was known: the dependency is to blame, so this
      // one is dropped and judged afresh once the dependency is healthy.
      if (r.incident) closeIncident("dependency");
      r.state = ServiceState::kWaitingDependency;
      r.event_latency.reset();
      refreshStatus(r, now);
      return;
    }
  }
  if (!r.held_by.empty()) {
    d.notices.push_back(
        Notice{"released",
               Severity::kInfo,
               r.def.name,
               fmt::format("{}: its dependency {} is healthy again; {} is judged afresh", r.def.name,
                           r.held_by, r.def.name),
               {{"root_cause", r.held_by}}});
    r.released_from = std::move(r.held_by);
    r.held_by.clear();
    r.released_until = now.steady + clampPositive(cfg.settle_timeout);
    // A replacement could not prove itself while its dependency was down: its trial starts over.
    if (r.trial && !r.trial->failed && r.view) {
      r.trial->until = std::max(r.trial->until, now.steady + trialLength(r, *r.view));
    }
  }
  if (r.released_until && (passing || now.steady >= *r.released_until)) {
    r.released_until.reset();
    r.released_from.clear();
  }
  if (r.trial) {
    // A replacement on trial is never restarted: it passes within the grace (adopted above), or
    // the snapshot it replaced comes back. One inside its start period (or otherwise changing
    // state) is not acted on even past the grace; its next event or resync decides.
    // A definitive failure (an exit, Docker's own unhealthy verdict) ends the trial at once;
    // failing probes alone do not: a slow starter is given its whole trial.
    const bool definitive = j.verdict == Verdict::kFailing && !j.soft &&
                            (j.kind == FailureKind::kExited || j.kind == FailureKind::kUnhealthy);
    if (!r.trial->failed && !definitive && (now.steady < r.trial->until || j.changing)) {
      r.state = ServiceState::kWaitingReplacement;
    } else {
      if (!r.trial->failed) failTrial(r, j.verdict == Verdict::kFailing ? j.reason : "", now, d);
      r.state = ServiceState::kFailed;
    }
    r.event_latency.reset();
    refreshStatus(r, now);
    return;
  }

  switch (j.verdict) {
    case Verdict::kPassing: {
      r.state = ServiceState::kHealthy;
      if (!r.incident) break;
      Incident& inc = *r.incident;
      if (inc.courtesy && inc.attempts == 0) {
        r.state = ServiceState::kFailed;  // restart_dependents: its restart is still to come
        break;
      }
      nlohmann::json data{
          {"container_id", r.view->id},
          {"failure", toString(inc.kind)},
          {"attempts", inc.attempts},
          {"detection_seconds", inc.detection_seconds},
          {"recovery_seconds", secondsBetween(inc.detected, now.steady)},
          {"evidence", r.probes ? r.probes->evidence_ids : std::vector<std::string>{}}};
      if (inc.replacement) {
        d.notices.push_back(
            Notice{"replaced", Severity::kInfo, r.def.name,
                   fmt::format("{}: replacement container {} is healthy and adopted", r.def.name,
                               shortId(r.view->id)),
                   std::move(data)});
        closeIncident("replaced");
      } else {
        d.notices.push_back(
            Notice{"recovered", Severity::kInfo, r.def.name,
                   fmt::format("{}: recovered after {} attempt(s); down {:.2f} s", r.def.name,
                               inc.attempts, secondsBetween(inc.detected, now.steady)),
                   std::move(data)});
        const bool courtesy = inc.courtesy;
        closeIncident("recovered");
        if (!courtesy) r.last_recovered_at = now.steady;
        if (cfg.restart_dependents) restartDependents(r, now, d);
      }
      break;
    }
    case Verdict::kPending: {
      r.state = ServiceState::kStarting;
      if (!r.incident) break;
      Incident& inc = *r.incident;
      if (inc.verifying) {
        if (now.steady >= inc.settle_until) {
          inc.verifying = false;
          inc.next_action_at = now.steady + backoffDelay(cfg, inc.attempts, uniform01_());
          r.state = ServiceState::kFailed;
        } else {
          r.state = ServiceState::kVerifying;
        }
      } else if (inc.kind == FailureKind::kRemoved && inc.replacement) {
        r.state = ServiceState::kWaitingReplacement;
      } else if (!j.changing && inc.attempts > 0) {
        // A repaired service that never produced a passing verdict within settle_timeout:
        // the attempt failed and the ladder goes on.
        r.state = ServiceState::kFailed;
      }
      break;
    }
    case Verdict::kFailing: {
      if (!r.incident && r.released_until && (j.soft || j.kind == FailureKind::kUnhealthy)) {
        // Just released from a dependency hold: its probes get settle_timeout to pass again, and
        // so does Docker's health check, whose "unhealthy" stays until its next run passes
        // (up to its interval, 30 s by default, after the dependency is back).
        r.state = ServiceState::kStarting;
        break;
      }
      // An open incident (a stop) that turns into a removal (`docker-compose down` stops, then
      // removes) is said again: a removal is critical.
      const bool became_removal = r.incident && r.incident->kind != FailureKind::kRemoved &&
                                  j.kind == FailureKind::kRemoved;
      // Compose's own moves, recognised from what compose does and never from an exit code: v2
      // announced a replacement of this container, or a stop was asked for through the API (v1's
      // recreate, `down`, `stop`). Then wait for the replacement like after a removal, and say
      // nothing unless none comes. A crash, an OOM kill or a person's `docker kill` (SIGKILL) is
      // started at once.
      const bool compose_move =
          j.kind == FailureKind::kExited && r.view && r.view->phase == Phase::kExited &&
          (!r.incident || r.incident->attempts == 0) &&
          (!r.replaced_by.empty() ||
           (r.def.compose_managed && !r.view->oom_killed && r.stop_requested_for == r.view->id));
      if (!r.incident && compose_move) {
        Incident inc;
        inc.kind = j.kind;
        inc.reason = j.reason;
        inc.container_id = r.view->id;
        inc.detected = now.steady;
        inc.detected_wall = now.wall;
        inc.detection_seconds = r.event_latency.value_or(0.0);
        inc.quiet = true;
        r.incident = inc;
      } else if (!r.incident) {
        Incident inc;
        inc.kind = j.kind;
        inc.reason = j.reason;
        inc.container_id = r.view ? r.view->id : "";
        inc.detected = now.steady;
        inc.detected_wall = now.wall;
        inc.detection_seconds = r.event_latency.value_or(0.0);
        if (r.probes) inc.evidence_ids = r.probes->evidence_ids;
        // Probes can see a dead dependency before the engine's event for it arrives (under load
        // the die may come a few hundred ms after the kill): a service with dependencies failing
        // by its probes alone waits kBlameWindow before its first action, so a dependency failure
        // known meanwhile is blamed instead and this one is held.
        if (j.soft && !r.def.depends_on.empty()) inc.next_action_at = now.steady + kBlameWindow;
        r.incident = inc;
        // A removal outside a maintenance window or deploy is an incident for a person to see
        // (DESIGN §1: the outage was a removed container nobody noticed): always critical.
        d.notices.push_back(Notice{"failed",
                                   r.def.critical || j.kind == FailureKind::kRemoved
                                       ? Severity::kCritical
                                       : Severity::kWarning,
                                   r.def.name,
                                   fmt::format("{}: {}{}", r.def.name, j.reason,
                                               r.escalated ? " (it was escalated; a removal is "
                                                             "restored all the same)"
                                                           : ""),
                                   {{"failure", toString(j.kind)},
                                    {"container_id", inc.container_id},
                                    {"detection_seconds", inc.detection_seconds},
                                    {"exit_code", r.view ? r.view->exit_code : 0},
                                    {"oom_killed", r.view ? r.view->oom_killed : false},
                                    {"evidence", inc.evidence_ids}}});
        if (r.last_recovered_at &&
            now.steady - *r.last_recovered_at < clampPositive(cfg.flap_window)) {
          ++r.flap_count;
          if (r.flap_count >= std::max(1, cfg.flap_threshold)) {
            d.notices.push_back(Notice{
                "flapping",
                Severity::kWarning,
                r.def.name,
                fmt::format("{}: failed again within {} of its last recovery ({} times in a row)",
                            r.def.name, formatDuration(clampPositive(cfg.flap_window)),
                            r.flap_count),
                {{"flap_count", r.flap_count}}});
            escalate(
                r, now, d,
                fmt::format("it keeps failing soon after each recovery ({} times)", r.flap_count));
            r.state = ServiceState::kEscalated;
            break;
          }
        }
      } else if (r.incident->verifying) {
        if (j.soft && now.steady < r.incident->settle_until) {
          // Probes of a just-repaired service may fail while it warms up; settle_timeout decides.
          r.state = ServiceState::kVerifying;
          break;
        }
        r.incident->verifying = false;
        r.incident->next_action_at =
            now.steady + backoffDelay(cfg, r.incident->attempts, uniform01_());
      }
      Incident& inc = *r.incident;
      inc.kind = j.kind;
      inc.reason = j.reason;
      r.state = ServiceState::kFailed;
      if (became_removal && !r.replaced_by.empty()) {
        // Compose v2 removing the container it announced a replacement for: still its move.
      } else if (became_removal && inc.quiet && !deliberateRemoval(r).empty()) {
        // Compose stopped and removed it, and it looks like a scale-down or an orphan's removal:
        // say nothing yet; the end of the grace decides (a `down` takes the lower replicas too).
      } else if (became_removal) {
        inc.quiet = false;
        d.notices.push_back(Notice{"failed",
                                   Severity::kCritical,
                                   r.def.name,
                                   fmt::format("{}: {}", r.def.name, j.reason),
                                   {{"failure", toString(j.kind)},
                                    {"container_id", inc.container_id},
                                    {"detection_seconds", r.event_latency.value_or(0.0)},
                                    {"evidence", inc.evidence_ids}}});
      }
      const bool stopped_for_replacement = compose_move;
      if (j.kind == FailureKind::kRemoved || stopped_for_replacement) {
        if (!inc.grace_until) {
          inc.grace_until =
              r.skip_grace ? now.steady : now.steady + clampPositive(cfg.replacement_grace);
        }
        if (now.steady < *inc.grace_until) {
          r.state = ServiceState::kWaitingReplacement;
        } else if (const std::string why = inc.quiet && !r.candidate && !r.view
                                               ? deliberateRemoval(r)
                                               : std::string();
                   !why.empty()) {
          // Compose removed it on purpose: nothing to restore, and nothing more to protect.
          d.notices.push_back(Notice{
              "retired", Severity::kInfo, r.def.name,
              fmt::format("{}: no longer protected: {}; a new container of it is protected again",
                          r.def.name, why),
              {{"container_id", inc.container_id}, {"reason", why}}});
          closeIncident("retired");
          r.retired = true;
          d.retired.push_back(r.def.name);
          r.event_latency.reset();
          refreshStatus(r, now);
          return;
        } else if (inc.quiet && !r.candidate) {
          // The grace is over and nothing took its place: now it is a failure to repair.
          inc.quiet = false;
          d.notices.push_back(Notice{
              "failed",
              r.def.critical || j.kind == FailureKind::kRemoved ? Severity::kCritical
                                                                : Severity::kWarning,
              r.def.name,
              fmt::format("{}: {}, and nothing replaced it within replacement_grace ({})",
                          r.def.name, j.reason,
                          formatDuration(clampPositive(cfg.replacement_grace))),
              {{"failure", toString(j.kind)},
               {"container_id", inc.container_id},
               {"detection_seconds", inc.detection_seconds},
               {"exit_code", r.view ? r.view->exit_code : 0},
               {"evidence", inc.evidence_ids}}});
        } else if (r.candidate) {
          // Grace is over and another container of the service exists: take it over rather
          // than recreate one that would clash with it. Nobody deployed it within the grace
          // (a leftover, e.g. created and never started): the ladder treats it, no trial.
          ContainerView next = *r.candidate;
          adoptContainer(r, next, now, false);
          r.event_latency.reset();
          evaluate(r, now, d);
          return;
        }
      }
      break;
    }
  }
  r.skip_grace = false;
  r.event_latency.reset();
  refreshStatus(r, now);
}

void Supervisor::failTrial(Record& r, const std::string& failure, Now now, Decision& d) {
  Trial& t = *r.trial;
  t.failed = true;
  const config::RecoveryConfig& cfg = r.cfg();
  const std::string why = fmt::format(
      "replacement container {} did not turn healthy within replacement_grace ({}): {}",
      shortId(t.container_id), formatDuration(clampPositive(cfg.replacement_grace)),
      failure.empty() ? "it never passed its probes" : failure);
  std::vector<std::string> evidence;
  if (r.probes && r.probes->container_id == t.container_id) evidence = r.probes->evidence_ids;
  if (!r.incident || r.incident->quiet) {
    // The outage began when the replacement took over; medic knows it when the trial fails.
    Incident inc;
    inc.detected = now.steady;
    inc.detected_wall = now.wall;
    inc.detection_seconds = secondsBetween(t.started, now.steady);
    r.incident = inc;
  }
  // An incident already open (the removal the replacement answered) becomes this one: its
  // detection stays, the ladder starts over at the restore.
  Incident& inc = *r.incident;
  inc.kind = FailureKind::kReplacementFailed;
  inc.reason = why;
  inc.container_id = t.container_id;
  inc.rung = 0;
  inc.replacement = false;
  inc.verifying = false;
  inc.grace_until.reset();
  inc.next_action_at.reset();
  for (const std::string& id : evidence) {
    if (std::find(inc.evidence_ids.begin(), inc.evidence_ids.end(), id) == inc.evidence_ids.end())
      inc.evidence_ids.push_back(id);
  }
  d.notices.push_back(Notice{
      "replacement_failed",
      Severity::kWarning,
      r.def.name,
      fmt::format("{}: {}. medic restores the previous snapshot (image {}) instead of restarting "
                  "it; fix the new image or its configuration before deploying it again",
                  r.def.name, why, t.previous_image.empty() ? "unknown" : t.previous_image),
      {{"failure", toString(inc.kind)},
       {"container_id", t.container_id},
       {"image", r.view ? r.view->image_id : ""},
       {"previous_image", t.previous_image},
       {"detection_seconds", inc.detection_seconds},
       {"evidence", inc.evidence_ids}}});
}

void Supervisor::escalate(Record& r, Now now, Decision& d, const std::string& why) {
  r.escalated = true;
  r.healthy_since.reset();
  if (r.incident) {
    IncidentStatus s;
    s.kind = toString(r.incident->kind);
    s.detected_at = r.incident->detected_wall;
    s.detection_seconds = r.incident->detection_seconds;
    s.attempts = r.incident->attempts;
    s.outcome = r.missing ? "missing" : "escalated";
    r.last_closed = s;
    r.incident.reset();
  }
  const config::RecoveryConfig& cfg = r.cfg();
  d.notices.push_back(Notice{
      r.missing ? "missing" : "escalated",
      Severity::kCritical,
      r.def.name,
      fmt::format("{}: {}. medic will not act on it again until `medic recover {}` or it stays "
                  "healthy by itself for {}: manual intervention required",
                  r.def.name, why, r.def.name, formatDuration(clampPositive(cfg.flap_window))),
      {{"reason", why},
       {"attempts_in_window", r.attempts.countAt(now.steady, cfg.window)},
       {"max_attempts", cfg.max_attempts},
       {"flap_count", r.flap_count}}});
  r.state = r.missing ? ServiceState::kMissing : ServiceState::kEscalated;
  refreshStatus(r, now);
}

std::string Supervisor::deliberateRemoval(const Record& r) const {
  if (!r.def.compose_managed || r.view) return "";
  if (r.orphaned) {
    return fmt::format("compose removed it as an orphan: its project's compose files no longer "
                       "declare the service {}",
                       r.def.compose_service.empty() ? r.def.name : r.def.compose_service);
  }
  if (r.def.compose_service.empty() || r.def.compose_number <= 1) return "";
  for (const auto& [name, other] : services_) {
    const ServiceDef& o = other->def;
    if (other.get() == &r || o.compose_project != r.def.compose_project ||
        o.compose_service != r.def.compose_service || o.compose_number < 1 ||
        o.compose_number >= r.def.compose_number) {
      continue;
    }
    if (other->view && other->view->phase == Phase::kRunning) {
      return fmt::format("compose stopped and removed replica {} of {} while replica {} runs "
                         "(scaled down)",
                         r.def.compose_number, r.def.compose_service, o.compose_number);
    }
  }
  return "";
}

std::optional<std::string> Supervisor::rootCause(const Record& r) const {
  // Depth-first through depends_on; a cycle is cut by the visited set (a service never waits for
  // itself). The deepest unhealthy service on the chain is the one to blame.
  std::set<std::string> visited{r.def.name};
  std::function<std::optional<std::string>(const Record&)> walk =
      [&](const Record& x) -> std::optional<std::string> {
    for (const std::string& dep : x.def.depends_on) {
      auto it = services_.find(dep);
      if (it == services_.end() || !visited.insert(dep).second) continue;
      const Record& other = *it->second;
      // Transitive: webui -> api -> db holds webui on db even while api still passes (the
      // probes of a dependent can notice a dead database before those of its direct user).
      if (auto deeper = walk(other)) return deeper;
      if (!other.known || other.state == ServiceState::kHealthy) continue;
      // Settling after its own hold: the cause is still what held it (db for webui -> api -> db
      // while the API reconnects).
      if (other.released_until && !other.released_from.empty()) return other.released_from;
      // Held and not yet judged afresh (its release comes in the same pass): the same cause.
      if (other.state == ServiceState::kWaitingDependency && !other.held_by.empty()) {
        return other.held_by;
      }
      // Starting counts too: a replacement on trial (a slow deploy), a start period, a restart
      // by Docker's policy. Its dependents fail because of it, and it is judged within a bound
      // (its trial, start period or settle_timeout), after which they are judged afresh.
      return dep;
    }
    return std::nullopt;
  };
  return walk(r);
}

void Supervisor::reevaluateDependents(Now now, Decision& d) {
  // A held service is released (or a dependent newly held) when its dependency's state moves;
  // a few passes settle chains (webui -> api -> db) without depending on map order.
  for (int pass = 0; pass < 4; ++pass) {
    bool changed = false;
    for (auto& [name, r] : services_) {
      if (r->def.depends_on.empty() || !r->known) continue;
      const bool held = r->state == ServiceState::kWaitingDependency;
      const bool to_hold = r->incident && !r->in_flight && !r->escalated &&
                           r->incident->kind != FailureKind::kRemoved && rootCause(*r);
      if (!held && !to_hold) continue;
      const ServiceState before = r->state;
      evaluate(*r, now, d);
      changed = changed || r->state != before;
    }
    if (!changed) break;
  }
}

void Supervisor::restartDependents(const Record& recovered, Now now, Decision& d) {
  for (auto& [name, r] : services_) {
    const auto& deps = r->def.depends_on;
    if (std::find(deps.begin(), deps.end(), recovered.def.name) == deps.end()) continue;
    if (!r->view || r->view->phase != Phase::kRunning || r->incident || r->in_flight ||
        r->escalated || r->guarded() || !r->fresh) {
      continue;
    }
    Incident inc;
    inc.kind = FailureKind::kUnhealthy;
    inc.reason = fmt::format("its dependency {} was recovered (restart_dependents)",
                             recovered.def.name);
    inc.container_id = r->view->id;
    inc.detected = now.steady;
    inc.detected_wall = now.wall;
    inc.courtesy = true;
    r->incident = inc;
    r->state = ServiceState::kFailed;
    refreshStatus(*r, now);
    (void)d;
  }
}

int Supervisor::dependencyDepth(const Record& r) const {
  // Longest depends_on chain among known services; cycles are cut by the visited set.
  std::set<std::string> visited{r.def.name};
  std::function<int(const Record&)> depth = [&](const Record& x) {
    int best = 0;
    for (const std::string& dep : x.def.depends_on) {
      auto it = services_.find(dep);
      if (it == services_.end() || !visited.insert(dep).second) continue;
      best = std::max(best, 1 + depth(*it->second));
      visited.erase(dep);
    }
    return best;
  };
  return depth(r);
}

void Supervisor::updatePanic(Decision& d) {
  const int total = static_cast<int>(services_.size());
  const int failing = static_cast<int>(troubled_.size());
  const bool over = failing >= 2 && failing * 2 > total;
  if (over && !panic_) {
    panic_ = true;
    d.notices.push_back(Notice{
        "panic",
        Severity::kCritical,
        "",
        fmt::format("{} of {} protected services failed at once: medic repairs them one at a "
                    "time, {} apart, instead of restarting everything",
                    failing, total, formatDuration(opts_.panic_delay)),
        {{"failing", failing}, {"total", total}, {"services", troubled_}}});
  } else if (!over && panic_) {
    panic_ = false;
    d.notices.push_back(
        Notice{"panic_over",
               Severity::kInfo,
               "",
               fmt::format("{} of {} protected services failing: panic mode over", failing, total),
               {{"failing", failing}, {"total", total}}});
  }
}

void Supervisor::schedule(Now now, Decision& d) {
  updatePanic(d);
  if (!engine_reachable_) return;
  if (engine_grace_until_ && now.steady < *engine_grace_until_) return;

  std::vector<Record*> wanting;
  // Copy: escalate() refreshes statuses, which may touch troubled_.
  const std::vector<std::string> troubled(troubled_.begin(), troubled_.end());
  for (const std::string& name : troubled) {
    Record* r = find(name);
    if (!r || !r->fresh || !r->incident || r->in_flight || r->guarded()) continue;
    // A removal is restored whatever the budget or an escalation says (DESIGN §4).
    const bool restore = r->incident->kind == FailureKind::kRemoved;
    if (r->escalated && !restore) continue;
    if (r->state != ServiceState::kFailed) continue;
    const config::RecoveryConfig& cfg = r->cfg();
    const int used = r->attempts.countAt(now.steady, cfg.window);
    if (used >= std::max(1, cfg.max_attempts) && !restore && !r->incident->courtesy) {
      // Exhausted: escalate now rather than after a backoff that can lead nowhere.
      escalate(*r, now, d,
               fmt::format("{} recovery attempts in {} did not repair it ({})", used,
                           formatDuration(clampPositive(cfg.window)), r->incident->reason));
      continue;
    }
    if (r->incident->next_action_at && now.steady < *r->incident->next_action_at) continue;
    wanting.push_back(r);
  }
  std::vector<std::tuple<int, bool, SteadyTime, std::string, Record*>> order;
  order.reserve(wanting.size());
  for (Record* r : wanting) {
    order.emplace_back(dependencyDepth(*r), !r->def.critical, r->incident->detected, r->def.name,
                       r);
  }
  std::sort(order.begin(), order.end(), [](const auto& a, const auto& b) {
    return std::tie(std::get<0>(a), std::get<1>(a), std::get<2>(a), std::get<3>(a)) <
           std::tie(std::get<0>(b), std::get<1>(b), std::get<2>(b), std::get<3>(b));
  });

  int in_flight = static_cast<int>(in_flight_.size());
  const int limit = panic_ ? 1 : opts_.max_concurrent;
  for (auto& entry : order) {
    Record& r = *std::get<4>(entry);
    const config::RecoveryConfig& cfg = r.cfg();
    const int max_attempts = std::max(1, cfg.max_attempts);
    const int used = r.attempts.countAt(now.steady, cfg.window);
    // Dependencies first: nothing but a restore acts while a dependency is not healthy.
    if (r.incident->kind != FailureKind::kRemoved && rootCause(r)) continue;
    if (in_flight >= limit) continue;
    if (panic_ && last_recovery_at_ && now.steady < *last_recovery_at_ + opts_.panic_delay)
      continue;

    Incident& inc = *r.incident;
    const bool last_in_budget = used + 1 >= max_attempts;
    const Rung rung = chooseRung(inc.kind, inc.rung, last_in_budget, cfg);
    Action a;
    a.id = next_action_id_++;
    a.service = r.def.name;
    a.kind = rung.kind;
    a.container_id = r.view ? r.view->id : "";
    a.stop_timeout = rung.stop_timeout;
    a.attempt = inc.attempts + 1;
    a.reason = fmt::format("{}: {} (attempt {} of {} in {})", toString(a.kind), inc.reason,
                           used + 1, max_attempts, formatDuration(clampPositive(cfg.window)));
    if (!inc.courtesy) r.attempts.record(now.steady);
    ++inc.attempts;
    ++inc.rung;
    inc.next_action_at.reset();
    r.in_flight = a;
    r.in_flight_wall = now.wall;
    r.own_window = false;
    in_flight_[a.id] = r.def.name;
    last_recovery_at_ = now.steady;
    ++in_flight;
    d.notices.push_back(Notice{"recovering",
                               Severity::kInfo,
                               r.def.name,
                               fmt::format("{}: {}", r.def.name, a.reason),
                               {{"action", toString(a.kind)},
                                {"action_id", a.id},
                                {"attempt", a.attempt},
                                {"attempts_in_window", used + 1},
                                {"max_attempts", max_attempts},
                                {"container_id", a.container_id},
                                {"stop_timeout_ms", a.stop_timeout.count()}}});
    d.actions.push_back(std::move(a));
    r.state = ServiceState::kRecovering;
    refreshStatus(r, now);
  }
}

std::optional<SteadyTime> Supervisor::nextWakeup() const {
  std::optional<SteadyTime> best;
  auto consider = [&](std::optional<SteadyTime> t) {
    if (!t) return;
    if (last_now_ && *t <= *last_now_) return;  // already handled (or blocked) at that time
    if (!best || *t < *best) best = t;
  };
  consider(engine_grace_until_);
  if (panic_ && last_recovery_at_) consider(*last_recovery_at_ + opts_.panic_delay);
  for (const auto& [name, r] : services_) {
    const config::RecoveryConfig& cfg = r->cfg();
    consider(r->maintenance_until);
    if (r->incident) {
      const Incident& inc = *r->incident;
      if (r->state == ServiceState::kWaitingReplacement) consider(inc.grace_until);
      if (r->state == ServiceState::kFailed) consider(inc.next_action_at);
      if (inc.verifying) consider(inc.settle_until);
    }
    if (r->trial && !r->trial->failed) consider(r->trial->until);
    consider(r->released_until);  // a released dependent still failing is its own failure then
    if ((r->flap_count > 0 || r->escalated) && r->healthy_since) {
      consider(*r->healthy_since + clampPositive(cfg.flap_window));
    }
  }
  return best;
}

}  // namespace medic::supervisor
