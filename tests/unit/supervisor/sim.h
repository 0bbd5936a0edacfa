#pragma once
/// Simulated time for the supervisor core: a fake clock the test advances, and a harness that
/// feeds observations, ticks at every wakeup the core asks for, and records what it decided.

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "supervisor/supervisor.h"

namespace medic::supervisor::testing {

using namespace std::chrono_literals;

/// Steady and wall time move together unless a test jumps the wall clock on purpose.
struct FakeClock {
  Now now{SteadyTime{} + 1000h, WallTime{} + 20000h * 24};
  void advance(Millis d) {
    now.steady += d;
    now.wall += d;
  }
  void jumpWall(std::chrono::hours d) { now.wall += d; }
};

inline ServiceDef service(std::string name) {
  ServiceDef def;
  def.name = std::move(name);
  return def;
}

inline ContainerView running(std::string id, DockerHealth health = DockerHealth::kNone,
                             std::string image = "sha256:image-1") {
  ContainerView c;
  c.id = std::move(id);
  c.phase = Phase::kRunning;
  c.health = health;
  c.image_id = std::move(image);
  return c;
}

inline ContainerView inPhase(std::string id, Phase phase, int exit_code = 0) {
  ContainerView c = running(std::move(id));
  c.phase = phase;
  c.exit_code = exit_code;
  return c;
}

inline ContainerEvent makeEvent(std::string svc, std::string id, std::string action,
                                std::optional<DockerHealth> health, int exit_code, WallTime when) {
  ContainerEvent e;
  e.service = std::move(svc);
  e.container_id = std::move(id);
  e.action = std::move(action);
  e.health = health;
  e.exit_code = exit_code;
  e.occurred = when;
  return e;
}

class Sim {
 public:
  explicit Sim(std::vector<ServiceDef> services, Options opts = {})
      : sup(
            std::move(services), [this] { return jitter; }, opts) {}

  /// Feeds one observation at the current time; remembers what came out.
  Decision feed(const Observation& o) { return record(sup.observe(o, clock.now)); }

  Decision seen(const std::string& svc, std::optional<ContainerView> c) {
    return feed(ServiceObserved{svc, std::move(c)});
  }
  /// An event that happened `ago` before now (detection latency).
  Decision event(const std::string& svc, const std::string& id, const std::string& action,
                 Millis ago = 0ms, int exit_code = 0,
                 std::optional<DockerHealth> health = std::nullopt) {
    return feed(makeEvent(svc, id, action, health, exit_code, clock.now.wall - ago));
  }
  /// A kill event: `signal` 15 for a stop somebody asked for (docker stop, compose), 9 for a kill.
  Decision kill(const std::string& svc, const std::string& id, int signal) {
    ContainerEvent e = makeEvent(svc, id, "kill", std::nullopt, 0, clock.now.wall);
    e.signal = signal;
    return feed(e);
  }
  /// A create event; `replaces` is Compose v2's com.docker.compose.replace label.
  Decision created(const std::string& svc, const std::string& id, const std::string& replaces) {
    ContainerEvent e = makeEvent(svc, id, "create", std::nullopt, 0, clock.now.wall);
    e.replaces = replaces;
    return feed(e);
  }
  /// A destroy event; `orphan` when the project's compose files no longer declare the service.
  Decision destroyed(const std::string& svc, const std::string& id, bool orphan) {
    ContainerEvent e = makeEvent(svc, id, "destroy", std::nullopt, 0, clock.now.wall);
    e.compose_orphan = orphan;
    return feed(e);
  }
  Decision health(const std::string& svc, const std::string& id, DockerHealth h) {
    return event(svc, id, "health_status", 0ms, 0, h);
  }
  Decision probes(const std::string& svc, const std::string& id, bool passing, bool hung = false,
                  std::vector<std::string> evidence = {}) {
    return feed(ProbesVerdict{svc, id, passing, hung, std::move(evidence)});
  }
  Decision done(const Action& a, bool ok = true, std::string error = "", std::string new_id = "") {
    return feed(ActionDone{a.id, ok, std::move(error), std::move(new_id)});
  }

  /// The shell found the action's container gone or marked for removal: nothing was done.
  Decision gone(const Action& a) {
    ActionDone done{a.id, false, "container is being removed: nothing to start", ""};
    done.target_gone = true;
    return feed(done);
  }
  /// Every service the core retired so far.
  std::vector<std::string> all_retired() const { return all_retired_; }

  /// Advances simulated time by `d`, ticking at every wakeup the core schedules on the way.
  Decision advance(Millis d) {
    const SteadyTime end = clock.now.steady + d;
    Decision all;
    for (int guard = 0; guard < 10000; ++guard) {
      auto wake = sup.nextWakeup();
      if (!wake || *wake > end) break;
      // A wakeup at or before the time just handled would make the shell spin.
      if (*wake <= last_handled_) {
        ADD_FAILURE() << "nextWakeup() is not in the future: the shell would busy-loop";
        break;
      }
      clock.advance(std::chrono::duration_cast<Millis>(*wake - clock.now.steady));
      append(all, record(sup.tick(clock.now)));
    }
    clock.advance(std::chrono::duration_cast<Millis>(end - clock.now.steady));
    append(all, record(sup.tick(clock.now)));
    return all;
  }

  std::string state(const std::string& svc) const { return sup.status(svc)->state; }
  const ServiceStatus& status(const std::string& svc) const { return *sup.status(svc); }

  /// Recovery actions (no snapshots) in a decision.
  static std::vector<Action> recoveries(const Decision& d) {
    std::vector<Action> out;
    for (const Action& a : d.actions) {
      if (a.kind != ActionKind::kSnapshot) out.push_back(a);
    }
    return out;
  }
  static std::vector<Action> snapshots(const Decision& d) {
    std::vector<Action> out;
    for (const Action& a : d.actions) {
      if (a.kind == ActionKind::kSnapshot) out.push_back(a);
    }
    return out;
  }
  static std::vector<std::string> noticeKinds(const Decision& d) {
    std::vector<std::string> out;
    for (const Notice& n : d.notices) out.push_back(n.kind);
    return out;
  }
  static const Notice* notice(const Decision& d, const std::string& kind) {
    for (const Notice& n : d.notices) {
      if (n.kind == kind) return &n;
    }
    return nullptr;
  }

  FakeClock clock;
  double jitter = 0.5;  ///< uniform01 for backoff: 0.5 = no spread
  Supervisor sup;
  std::vector<Action> all_recoveries;  ///< every recovery action ever decided
  std::vector<std::string> all_retired_;

 private:
  SteadyTime last_handled_{};  ///< the time of the last observe/tick

  Decision record(Decision d) {
    last_handled_ = clock.now.steady;
    for (const Action& a : recoveries(d)) all_recoveries.push_back(a);
    all_retired_.insert(all_retired_.end(), d.retired.begin(), d.retired.end());
    return d;
  }
  static void append(Decision& into, Decision d) {
    into.actions.insert(into.actions.end(), d.actions.begin(), d.actions.end());
    into.notices.insert(into.notices.end(), d.notices.begin(), d.notices.end());
    into.retired.insert(into.retired.end(), d.retired.begin(), d.retired.end());
  }
};

}  // namespace medic::supervisor::testing
