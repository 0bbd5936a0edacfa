// stack_bench: down-time of a user-facing URL on the real four-service stack
// (tests/support/stack: nginx web UI -> Python API -> PostgreSQL + Redis, Compose v2) per fault,
// with medic and with Docker's own restart policy (`unless-stopped`), measured in one run.
//
// The URL is the web UI's GET /api/items, which answers 200 only when nginx, the API, PostgreSQL
// and Redis all work. Down-time runs from just before the fault command until that URL answers 200
// again from after the fault (polled every 20 ms, 200 ms timeout; at the cap: "never").
//
// medic runs at its defaults: its config only scopes it to the benchmark's own compose projects;
// what it protects and how (probes, depends_on, critical) comes from the stack's medic.* labels.
// Each trial faults a fresh container of the service (`up -d --force-recreate` before it), so every
// trial is a first incident for medic's attempt budget and for Docker's restart back-off alike.
//
// A benchmark, not a test: exits 0 when it measured, 2 when it could not run. Run it with
// bench/run-stack-bench.sh, which builds it, medic and the stack image first.
//
// Network rule: the stack uses the host's network on 127.0.0.1 only; every request goes there.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "bench_util.h"
#include "integration/cli/medic_cli.h"
#include "support/docker_env.h"
#include "support/stack.h"
#include "support/wait.h"

namespace medic::bench {
namespace {

using namespace std::chrono_literals;
using test::ComposeStack;
using test::dockerCli;
using test::TempDir;
using test::waitFor;

/// kDbKill and friends are `docker kill` (SIGKILL through Docker's API), which Docker counts as a
/// manual stop; kDbCrash and friends are a SIGKILL to the container's main process from outside
/// Docker, as the kernel's OOM killer delivers it, which Docker's restart policy does act on.
enum class Fault {
  kDbKill,
  kApiKill,
  kRedisKill,
  kWebuiRemove,
  kBrokenDeploy,
  kDbCrash,
  kApiCrash,
  kRedisCrash
};

constexpr Fault kAllFaults[] = {Fault::kDbKill,      Fault::kApiKill,      Fault::kRedisKill,
                                Fault::kWebuiRemove, Fault::kBrokenDeploy, Fault::kDbCrash,
                                Fault::kApiCrash,    Fault::kRedisCrash};

const char* name(Fault f) {
  switch (f) {
    case Fault::kDbKill:
      return "db-kill";
    case Fault::kApiKill:
      return "api-kill";
    case Fault::kRedisKill:
      return "redis-kill";
    case Fault::kWebuiRemove:
      return "webui-remove";
    case Fault::kBrokenDeploy:
      return "broken-deploy";
    case Fault::kDbCrash:
      return "db-crash";
    case Fault::kApiCrash:
      return "api-crash";
    case Fault::kRedisCrash:
      return "redis-crash";
  }
  return "?";
}

/// The compose service the fault hits.
const char* target(Fault f) {
  switch (f) {
    case Fault::kDbKill:
    case Fault::kDbCrash:
      return "db";
    case Fault::kApiKill:
    case Fault::kApiCrash:
    case Fault::kBrokenDeploy:
      return "api";
    case Fault::kRedisKill:
    case Fault::kRedisCrash:
      return "redis";
    case Fault::kWebuiRemove:
      return "webui";
  }
  return "?";
}

/// How the fault is injected, as the table shows it.
const char* how(Fault f) {
  switch (f) {
    case Fault::kDbKill:
    case Fault::kApiKill:
    case Fault::kRedisKill:
      return "docker kill";
    case Fault::kWebuiRemove:
      return "docker rm -f";
    case Fault::kBrokenDeploy:
      return "API_MODE=broken docker compose up -d --no-deps api";
    case Fault::kDbCrash:
    case Fault::kApiCrash:
    case Fault::kRedisCrash:
      return "kill -KILL <main pid> from the host";
  }
  return "?";
}

bool isCrash(Fault f) {
  return f == Fault::kDbCrash || f == Fault::kApiCrash || f == Fault::kRedisCrash;
}

/// Why Docker's policy cannot bring the URL back after this fault ("" for a crash, where it can).
const char* dockerNote(Fault f) {
  switch (f) {
    case Fault::kDbKill:
    case Fault::kApiKill:
    case Fault::kRedisKill:
      return "Docker counts docker kill as a manual stop";
    case Fault::kWebuiRemove:
      return "nothing to restart";
    case Fault::kBrokenDeploy:
      return "it restarts the broken container forever";
    default:
      return "";
  }
}

constexpr const char* kServices[] = {"webui", "api", "db", "redis"};

struct Options {
  int trials = 5;
  std::chrono::milliseconds cap = 60s;
  std::chrono::milliseconds poll = 20ms;
  std::string medic = test::medicBinary();
  std::vector<Fault> faults{std::begin(kAllFaults), std::end(kAllFaults)};
};

struct Trial {
  std::optional<double> down_s;  ///< fault -> /api/items 200 again; empty = not within the cap
  std::string problem;           ///< set when the trial could not be measured (not counted)
  // medic's own view of the trial, from its API.
  std::optional<double> detection_s;  ///< the faulted service's incident: detection_seconds
  std::optional<double> recovery_s;   ///< and recovery_seconds
  std::string incident;               ///< "<kind> -> <outcome>"
  std::vector<std::string> actions;   ///< "<service> <action> <outcome>" taken after the fault
  std::vector<std::string> failed_actions;  ///< those not ok, with medic's reason and error
};

struct Row {
  Fault fault{};
  std::string note;  ///< why the row stopped early, when it did
  std::vector<Trial> trials;
};

// ---------------------------------------------------------------------------------------------
// The stack

std::string containerName(const ComposeStack& stack, const char* service) {
  // Compose v2 names a service's only replica <project>-<service>-1; medic recreates it by name.
  return stack.project() + "-" + service + "-1";
}

/// The container before the fault, to tell a 200 from after the fault from one before it.
struct Before {
  std::string id;
  std::string started_at;
};

Before before(const std::string& container) {
  auto both = test::inspectField(container, "{{.Id}} {{.State.StartedAt}}");
  auto space = both.find(' ');
  if (space == std::string::npos) return {};
  return {both.substr(0, space), both.substr(space + 1)};
}

bool itemsOk(const ComposeStack& stack) {
  return stack.web("/api/items", 200ms).status == 200;
}

/// True once GET /api/items has answered 200 on every poll for a whole second (within `timeout`).
bool steadilyServing(const ComposeStack& stack, std::chrono::milliseconds timeout) {
  auto since = Clock::now();
  return waitFor(
      [&] {
        if (!itemsOk(stack)) since = Clock::now();
        return Clock::now() - since >= 1s;
      },
      timeout, 50ms);
}

/// Every service's container runs and Docker calls it healthy.
bool dockerHealthy(const ComposeStack& stack) {
  for (const char* s : kServices) {
    if (test::inspectField(containerName(stack, s), "{{.State.Health.Status}}") != "healthy") {
      return false;
    }
  }
  return true;
}

/// Injects the fault; "" on success, else what failed.
std::string inject(Fault f, ComposeStack& stack) {
  const std::string c = containerName(stack, target(f));
  test::ProcessResult r;
  switch (f) {
    case Fault::kDbKill:
    case Fault::kApiKill:
    case Fault::kRedisKill:
      r = dockerCli({"kill", c}, 20s);
      break;
    case Fault::kWebuiRemove:
      r = dockerCli({"rm", "-f", c}, 20s);
      break;
    case Fault::kBrokenDeploy:
      stack.setEnv("API_MODE", "broken");
      r = stack.run({"up", "-d", "--no-deps", "api"});
      break;
    case Fault::kDbCrash:
    case Fault::kApiCrash:
    case Fault::kRedisCrash: {
      const int pid = std::atoi(test::inspectField(c, "{{.State.Pid}}").c_str());
      if (pid <= 0) return "no main process for " + c;
      if (kill(pid, SIGKILL) != 0) {
        return "kill -KILL " + std::to_string(pid) + ": " + std::strerror(errno) +
               " (the crash faults need root, as the OOM killer has)";
      }
      return "";
    }
  }
  return r.ok() ? "" : std::string(how(f)) + ": " + r.describe();
}

/// Brings the stack back to "every service up" and gives the next trial a fresh container of the
/// faulted service. "" on success.
std::string freshTarget(Fault f, ComposeStack& stack) {
  stack.setEnv("API_MODE", "ok");
  auto r = stack.run({"up", "-d", "--wait", "--no-deps", "--force-recreate", target(f)}, 3min);
  if (!r.ok()) return "compose up --force-recreate " + std::string(target(f)) + ": " + r.describe();
  return "";
}

/// Polls /api/items from t0 until it answers 200 from after the fault (the faulted container was
/// restarted or replaced: docker inspect, after the time is taken), or until t0 + cap.
std::optional<double> waitServing(const ComposeStack& stack, Fault f, const Before& b,
                                  Clock::time_point t0, const Options& o) {
  const std::string c = containerName(stack, target(f));
  while (Clock::now() - t0 < o.cap) {
    if (itemsOk(stack)) {
      const double at = seconds(Clock::now() - t0);
      const Before now = before(c);
      if (!now.id.empty() && (now.id != b.id || now.started_at != b.started_at)) return at;
    }
    std::this_thread::sleep_for(o.poll);
  }
  return std::nullopt;
}

// ---------------------------------------------------------------------------------------------
// medic

/// medic at its defaults, scoped to the benchmark's projects. `select.labels` stays false only
/// because other stacks on this host (concurrent tests) carry medic.enable=true too and must not
/// be touched; a project-selected container is read from its medic.* labels exactly as a
/// label-selected one (services/selection.cc, fromLabels).
std::string medicConfig(const std::string& project) {
  return "select:\n  labels: false\n  compose_projects: [" + project + "]\n";
}

/// medic's status lists all four services as healthy.
bool medicAllHealthy(const MedicDaemon& medic) {
  auto status = medic.api("/api/v1/status");
  if (!status.is_object() || !status["services"].is_array()) return false;
  std::set<std::string> healthy;
  for (const auto& s : status["services"]) {
    if (s.value("state", "") == "healthy") healthy.insert(s.value("name", ""));
  }
  return std::all_of(std::begin(kServices), std::end(kServices),
                     [&](const char* s) { return healthy.count(s) > 0; });
}

/// One line per service that is not healthy, for notes.
std::string medicStates(const MedicDaemon& medic) {
  auto status = medic.api("/api/v1/status");
  if (!status.is_object() || !status["services"].is_array()) return "no status";
  std::string out;
  for (const auto& s : status["services"]) {
    out += s.value("name", "?") + "=" + s.value("state", "?") +
           (s.value("escalated", false) ? " (escalated)" : "") + " ";
  }
  return out;
}

/// The trial's incident of the faulted service and every action medic took from t0 on.
void readMedicRecord(const MedicDaemon& medic, Fault f, int64_t t0_wall, Trial& t) {
  auto incidents = medic.api("/api/v1/incidents");
  if (incidents.is_array()) {
    for (const auto& inc : incidents) {
      auto at = parseWallMillis(inc.value("detected_at", ""));
      if (!at || *at < t0_wall || inc.value("service", "") != target(f)) continue;
      if (inc["detection_seconds"].is_number())
        t.detection_s = inc["detection_seconds"].get<double>();
      if (inc["recovery_seconds"].is_number()) t.recovery_s = inc["recovery_seconds"].get<double>();
      t.incident = inc.value("kind", "?") + " -> " + inc.value("outcome", "?");
      break;  // oldest first: the fault's own
    }
  }
  auto actions = medic.api("/api/v1/actions?limit=200");
  if (actions.is_array()) {
    for (auto it = actions.rbegin(); it != actions.rend(); ++it) {  // oldest first
      auto at = parseWallMillis(it->value("started_at", ""));
      if (!at || *at < t0_wall) continue;
      t.actions.push_back(it->value("service", "?") + " " + it->value("action", "?") + " " +
                          it->value("outcome", "?"));
      if (it->value("outcome", "") != "ok") {
        t.failed_actions.push_back(t.actions.back() + " (reason: " + it->value("reason", "") +
                                   "; error: " + it->value("error", "") + ")");
      }
    }
  }
}

void progress(Fault f, const char* supervisor, size_t n, const Trial& t) {
  std::cerr << "  " << name(f) << " / " << supervisor << " trial " << n << ": "
            << (t.problem.empty() ? fmtSeconds(t.down_s) : "not measured: " + t.problem);
  if (!t.incident.empty()) std::cerr << "; medic incident " << t.incident;
  if (t.detection_s) std::cerr << ", detection " << fmtSeconds(t.detection_s);
  if (t.recovery_s) std::cerr << ", recovery " << fmtSeconds(t.recovery_s);
  if (!t.actions.empty()) {
    std::cerr << "; actions:";
    for (const auto& a : t.actions) std::cerr << " [" << a << "]";
  }
  std::cerr << "\n";
}

/// A stack medic protects, with its own `medic watch`.
struct MedicStack {
  explicit MedicStack(const Options& o)
      : stack(ComposeStack::Env{{"RESTART_POLICY", "no"}}),
        medic(o.medic, dir, dir.write("medic.yaml", medicConfig(stack.project()))) {}
  ComposeStack stack;
  TempDir dir;
  MedicDaemon medic;
};

/// "" once the stack serves steadily and medic calls every service healthy; else why not.
std::string medicReady(MedicStack& m) {
  if (!waitFor([&] { return !m.medic.alive() || medicAllHealthy(m.medic); }, 120s, 100ms)) {
    return "medic never called all four services healthy: " + medicStates(m.medic) +
           "; medic log tail: " + m.medic.logTail();
  }
  if (!m.medic.alive()) return "medic exited; log tail: " + m.medic.logTail();
  if (!steadilyServing(m.stack, 60s)) return "/api/items not steadily 200 before the fault";
  return "";
}

/// One medic trial on `m`: fault, time the URL, then wait for medic to call everything healthy
/// and read its incident and actions.
Trial medicTrial(Fault f, MedicStack& m, const Options& o) {
  Trial t;
  if (auto why = medicReady(m); !why.empty()) {
    t.problem = why;
    return t;
  }
  const Before b = before(containerName(m.stack, target(f)));
  const int64_t t0_wall = wallMillisNow();
  const auto t0 = Clock::now();
  if (auto err = inject(f, m.stack); !err.empty()) {
    t.problem = err;
    return t;
  }
  t.down_s = waitServing(m.stack, f, b, t0, o);
  // medic's record is complete once it calls everything healthy again (or gives up waiting).
  waitFor([&] { return medicAllHealthy(m.medic); }, t.down_s ? 60s : 5s, 100ms);
  readMedicRecord(m.medic, f, t0_wall, t);
  return t;
}

// ---------------------------------------------------------------------------------------------
// Docker's restart policy

ComposeStack::Env dockerEnv() {
  return {{"RESTART_POLICY", "unless-stopped"}};
}

std::string dockerReady(const ComposeStack& stack) {
  if (!waitFor([&] { return dockerHealthy(stack); }, 120s, 200ms)) {
    return "Docker never called all four services healthy";
  }
  if (!steadilyServing(stack, 60s)) return "/api/items not steadily 200 before the fault";
  return "";
}

Trial dockerTrial(Fault f, ComposeStack& stack, const Options& o) {
  Trial t;
  if (auto why = dockerReady(stack); !why.empty()) {
    t.problem = why;
    return t;
  }
  const Before b = before(containerName(stack, target(f)));
  const auto t0 = Clock::now();
  if (auto err = inject(f, stack); !err.empty()) {
    t.problem = err;
    return t;
  }
  t.down_s = waitServing(stack, f, b, t0, o);
  return t;
}

/// The faults where Docker's policy has no mechanism: their trials run concurrently (one stack
/// per fault, all faulted at once, each watched for the full cap) to keep the run short. A
/// recovery would still be measured, under the load of the other stacks.
std::vector<Row> runDockerPassive(const std::vector<Fault>& faults, const Options& o) {
  std::vector<Row> rows;
  std::vector<std::unique_ptr<ComposeStack>> stacks;
  for (Fault f : faults) {
    rows.push_back(Row{f, "", {}});
    stacks.push_back(std::make_unique<ComposeStack>(dockerEnv()));
    if (!stacks.back()->started()) rows.back().note = stacks.back()->startError();
  }
  std::cerr << "docker unless-stopped, " << faults.size() << " faults at once, one stack each, "
            << o.cap.count() / 1000 << " s cap:\n";
  for (int i = 0; i < o.trials; ++i) {
    std::vector<Trial> trials(faults.size());
    std::vector<std::thread> threads;
    for (size_t k = 0; k < faults.size(); ++k) {
      if (!rows[k].note.empty()) continue;
      threads.emplace_back([&, k] { trials[k] = dockerTrial(faults[k], *stacks[k], o); });
    }
    for (auto& th : threads) th.join();
    for (size_t k = 0; k < faults.size(); ++k) {
      if (!rows[k].note.empty()) continue;
      rows[k].trials.push_back(trials[k]);
      progress(faults[k], "docker", rows[k].trials.size(), trials[k]);
      if (auto err = freshTarget(faults[k], *stacks[k]); !err.empty()) rows[k].note = err;
    }
  }
  return rows;
}

// ---------------------------------------------------------------------------------------------
// The run

struct Result {
  Row medic;
  Row docker;
};

struct Summary {
  int n = 0;
  int recovered = 0;
  std::optional<double> median, p95;
};

Summary summarize(const Row& row) {
  Summary s;
  std::vector<std::optional<double>> v;
  for (const auto& t : row.trials) {
    if (!t.problem.empty()) continue;
    ++s.n;
    if (t.down_s) ++s.recovered;
    v.push_back(t.down_s);
  }
  s.median = percentile(v, 50);
  s.p95 = percentile(v, 95);
  return s;
}

std::string cell(const Row& row, const char* why_never = "") {
  const Summary s = summarize(row);
  if (s.n == 0) return "not measured" + (row.note.empty() ? "" : ": " + row.note.substr(0, 200));
  std::string out;
  if (s.recovered == 0) {
    out = "never (0/" + std::to_string(s.n) + ")";
    if (*why_never) out += ": " + std::string(why_never);
    return out;
  }
  out = fmtSeconds(s.median) + " / " + fmtSeconds(s.p95);
  if (s.recovered < s.n) {
    out += " (" + std::to_string(s.recovered) + "/" + std::to_string(s.n) + " within the cap)";
  }
  return out;
}

/// "db start ×5; api none" style: every action medic took over the row's trials, by service.
std::string actionsCell(const Row& row) {
  std::map<std::string, int> counts;
  for (const auto& t : row.trials) {
    for (const auto& a : t.actions) {
      // "<service> <action> <outcome>": count "<service> <action>", keep failures visible.
      auto last = a.rfind(' ');
      std::string key = a.substr(0, last);
      if (a.substr(last + 1) != "ok") key += " (" + a.substr(last + 1) + ")";
      ++counts[key];
    }
  }
  if (counts.empty()) return "none";
  std::string out;
  for (const auto& [k, n] : counts) out += (out.empty() ? "" : ", ") + k + " ×" + std::to_string(n);
  return out;
}

/// Services other than the faulted one that got an action, over the row's trials.
std::string othersCell(const Row& row) {
  std::set<std::string> others;
  for (const auto& t : row.trials) {
    for (const auto& a : t.actions) {
      const std::string service = a.substr(0, a.find(' '));
      if (service != target(row.fault)) others.insert(service);
    }
  }
  if (others.empty()) return "no";
  std::string out = "yes:";
  for (const auto& s : others) out += " " + s;
  return out;
}

std::string medianCell(const Row& row, std::optional<double> Trial::*field) {
  std::vector<std::optional<double>> v;
  for (const auto& t : row.trials) {
    if (t.problem.empty() && t.*field) v.push_back(t.*field);
  }
  return v.empty() ? "-" : fmtSeconds(percentile(v, 50));
}

int run(const Options& o) {
  if (auto why = test::composeV2UnavailableReason()) {
    std::cerr << "stack_bench: " << *why << "\n";
    return 2;
  }
  if (cannotRun("stack_bench", o.medic, test::kStackImage, "scripts/build-stack-image.sh"))
    return 2;
  const auto started = Clock::now();
  std::map<Fault, Result> results;
  for (Fault f : o.faults) results[f] = Result{Row{f, "", {}}, Row{f, "", {}}};

  // medic on one stack for every fault but broken-deploy; Docker's crash trials interleaved with
  // medic's on a stack of their own, so load changes hit both alike.
  std::unique_ptr<MedicStack> shared;
  std::unique_ptr<ComposeStack> docker_crash;
  for (Fault f : o.faults) {
    Result& r = results[f];
    std::cerr << name(f) << " (" << how(f) << "):\n";
    if (f == Fault::kBrokenDeploy) {
      // A medic restore leaves the compose project's idea of api behind (API_MODE=broken in its
      // config hash): a fresh stack and a fresh medic per trial.
      for (int i = 0; i < o.trials; ++i) {
        MedicStack m(o);
        Trial t;
        if (!m.stack.started()) {
          t.problem = m.stack.startError().substr(0, 500);
        } else {
          t = medicTrial(f, m, o);
        }
        r.medic.trials.push_back(t);
        progress(f, "medic", r.medic.trials.size(), t);
      }
      continue;
    }
    if (!shared) {
      shared = std::make_unique<MedicStack>(o);
      if (!shared->stack.started()) {
        std::cerr << "stack_bench: " << shared->stack.startError() << "\n";
        return 2;
      }
    }
    if (isCrash(f) && !docker_crash) {
      docker_crash = std::make_unique<ComposeStack>(dockerEnv());
      if (!docker_crash->started()) {
        std::cerr << "stack_bench: " << docker_crash->startError() << "\n";
        return 2;
      }
    }
    for (int i = 0; i < o.trials && r.medic.note.empty(); ++i) {
      if (auto err = freshTarget(f, shared->stack); !err.empty()) {
        r.medic.note = err;
        break;
      }
      Trial t = medicTrial(f, *shared, o);
      r.medic.trials.push_back(t);
      progress(f, "medic", r.medic.trials.size(), t);
      if (isCrash(f) && r.docker.note.empty()) {
        if (auto err = freshTarget(f, *docker_crash); !err.empty()) {
          r.docker.note = err;
          continue;
        }
        Trial d = dockerTrial(f, *docker_crash, o);
        r.docker.trials.push_back(d);
        progress(f, "docker", r.docker.trials.size(), d);
      }
    }
  }
  if (shared && !medicAllHealthy(shared->medic)) {
    std::cerr << "medic's states at the end: " << medicStates(shared->medic) << "\n";
  }
  shared.reset();
  docker_crash.reset();

  std::vector<Fault> passive;
  for (Fault f : o.faults) {
    if (!isCrash(f)) passive.push_back(f);
  }
  if (!passive.empty()) {
    for (auto& row : runDockerPassive(passive, o)) results[row.fault].docker = std::move(row);
  }

  std::cout << "\nstack: fault -> GET /api/items on the web UI answers 200 again (polled every "
            << o.poll.count() << " ms; cap " << o.cap.count() / 1000
            << " s, \"never\" = not within it)\n\n";
  std::cout << "| fault | how | medic median / p95 | Docker `unless-stopped` median / p95 | "
               "medic's incident: detection / recovery (median) | medic's actions (all trials) | "
               "another service spent an attempt | trials |\n";
  std::cout << "| --- | --- | --- | --- | --- | --- | --- | --- |\n";
  std::vector<std::string> notes;
  for (Fault f : o.faults) {
    const Result& r = results[f];
    const Summary m = summarize(r.medic);
    const Summary d = summarize(r.docker);
    std::cout << "| " << name(f) << " | " << how(f) << " | " << cell(r.medic) << " | "
              << cell(r.docker, dockerNote(f)) << " | " << medianCell(r.medic, &Trial::detection_s)
              << " / " << medianCell(r.medic, &Trial::recovery_s) << " | " << actionsCell(r.medic)
              << " | " << othersCell(r.medic) << " | " << m.n << " + " << d.n << " |\n";
    for (const Row* row : {&r.medic, &r.docker}) {
      const char* who = row == &r.medic ? "medic" : "docker";
      if (!row->note.empty())
        notes.push_back(std::string(name(f)) + " / " + who + ": " + row->note);
      for (size_t i = 0; i < row->trials.size(); ++i) {
        if (!row->trials[i].problem.empty()) {
          notes.push_back(std::string(name(f)) + " / " + who + " trial " + std::to_string(i + 1) +
                          " not counted: " + row->trials[i].problem);
        }
      }
    }
    std::set<std::string> incidents;
    for (const auto& t : r.medic.trials) {
      if (!t.incident.empty()) incidents.insert(t.incident);
      for (const auto& a : t.failed_actions) {
        notes.push_back(std::string(name(f)) + " / medic action not ok: " + a);
      }
    }
    std::string kinds;
    for (const auto& k : incidents) kinds += (kinds.empty() ? "" : ", ") + k;
    if (!kinds.empty()) notes.push_back(std::string(name(f)) + " / medic incidents: " + kinds);
  }
  if (!notes.empty()) {
    std::cout << "\nnotes:\n";
    for (const auto& n : notes) std::cout << "- " << n << "\n";
  }
  std::cout << "\nwhole run: " << static_cast<int>(seconds(Clock::now() - started)) << " s, "
            << o.trials << " trials per row\n";
  return 0;
}

[[noreturn]] void usage(int status) {
  (status == 0 ? std::cout : std::cerr)
      << "usage: stack_bench [--trials N] [--cap SECONDS] [--medic PATH]\n"
         "                   [--faults db-kill,api-kill,redis-kill,webui-remove,broken-deploy,\n"
         "                             db-crash,api-crash,redis-crash]\n"
         "Measures fault -> GET /api/items on the stack's web UI answering 200 again, with medic\n"
         "(defaults, protection from the stack's labels) and with Docker's unless-stopped policy.\n"
         "Needs a Docker engine, Compose v2 and the image medic-stack:latest\n"
         "(scripts/build-stack-image.sh); the crash faults need root. Stacks are compose projects\n"
         "medic-test-stack-*, on the host network, contacted only on 127.0.0.1.\n";
  std::exit(status);
}

Options parse(int argc, char** argv) {
  return parseArgs<Options>(argc, argv, kAllFaults, name, usage);
}

}  // namespace
}  // namespace medic::bench

int main(int argc, char** argv) {
  return medic::bench::run(medic::bench::parse(argc, argv));
}
