// `medic deploy`, `medic confirm`, `medic reject`: guarded deploys run by the daemon (DESIGN §4
// "Deploy guard"). `deploy` starts one and follows it to its outcome; the exit status says how it
// ended (0 succeeded, 1 rolled back or refused, 2 error).
#include <fmt/format.h>

#include <chrono>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "cli/commands.h"
#include "cli/daemon_client.h"
#include "core/duration.h"

namespace medic::cli {
namespace {

int fail(const char* cmd, const std::string& message) {
  std::cerr << "medic " << cmd << ": " << message << "\n";
  return kExitError;
}

std::string num(const nlohmann::json& v) {
  return v.is_number() ? fmt::format("{:.2f}s", v.get<double>()) : "-";
}

void printStep(const nlohmann::json& s) {
  const auto ok = s.value("ok", nlohmann::json());
  std::cout << fmt::format("  {:<18} {:<7} {:>8}  {}\n", s.value("step", ""),
                           ok.is_boolean() ? (ok.get<bool>() ? "ok" : "FAILED") : "...",
                           num(s.value("seconds", nlohmann::json())), s.value("error", ""));
}

void printReport(const nlohmann::json& r) {
  std::cout << fmt::format("deploy {}  {} -> {} ({})\n", r.value("id", ""), r.value("service", ""),
                           r.value("image", ""), r.value("strategy", ""));
  std::cout << fmt::format("outcome: {}{}\n", r.value("outcome", ""),
                           r.value("reason", "").empty() ? "" : " — " + r.value("reason", ""));
  std::cout << "steps:\n";
  for (const auto& s : r.value("steps", nlohmann::json::array())) printStep(s);
  std::cout << "validators:\n";
  for (const auto& v : r.value("validators", nlohmann::json::array())) {
    std::cout << fmt::format("  {:<18} {:<10} {}\n", v.value("name", ""), v.value("answer", ""),
                             v.value("reason", ""));
  }
  std::cout << fmt::format("downtime: {} (budget {}){}\n",
                           num(r.value("downtime_seconds", nlohmann::json())),
                           num(r.value("downtime_budget_seconds", nlohmann::json())),
                           r.value("over_budget", false) ? "  OVER BUDGET" : "");
  const auto ev = r.value("evidence", nlohmann::json::array());
  if (!ev.empty()) {
    std::cout << fmt::format("evidence: {} record(s), last {}\n", ev.size(),
                             ev.back().get<std::string>());
  }
}

int exitFor(const nlohmann::json& r) {
  return r.value("outcome", "") == "succeeded" ? kExitOk : kExitUnhealthy;
}

}  // namespace

void registerDeploy(CLI::App& root, const GlobalOptions& global, int& exit_status) {
  struct Opts {
    std::string service;
    std::string image;
    std::string strategy = "recreate";
    std::string timeout;
    std::string show;
    bool no_wait = false;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = root.add_subcommand(
      "deploy",
      "Deploy IMAGE to SERVICE, guarded: preflight (the service is healthy), snapshot, replace,\n"
      "validate (its probes pass, every validator in deploy.validators confirms), and on any\n"
      "failure roll back to the snapshot. Follows the deploy and prints its report; exit status\n"
      "0 when it succeeded, 1 when it was rolled back or refused, 2 on error.");
  cmd->footer(
      "Examples:\n  medic deploy webui --image registry.local/webui:2.4\n"
      "  medic deploy api --image api:v2 --strategy start-first --timeout 90s\n"
      "  medic deploy --show dep-1764110000000-1a2b");
  cmd->add_option("SERVICE", o->service, "Service name");
  cmd->add_option("--image", o->image, "The new image (must be on this host)");
  cmd->add_option("--strategy", o->strategy,
                  "recreate (stop, then start the new one) or start-first (new beside old, "
                  "switch after it validates; only without a fixed host port)")
      ->check(CLI::IsMember({"recreate", "start-first"}));
  cmd->add_option("--timeout", o->timeout,
                  "Time for the new container to pass its probes (default deploy.timeout)");
  cmd->add_option("--show", o->show, "Print the report of deploy ID and exit");
  cmd->add_flag("--no-wait", o->no_wait, "Print the deploy id and return at once");
  cmd->callback([&global, &exit_status, o] {
    auto d = connectDaemon(global);
    if (!d) {
      exit_status = fail("deploy", d.error().message);
      return;
    }
    if (!o->show.empty()) {
      auto r = d->call("GET", "/api/v1/deploys/" + o->show);
      if (!r) {
        exit_status = fail("deploy", r.error().message);
        return;
      }
      if (global.json) {
        std::cout << r->dump(2) << "\n";
      } else {
        printReport(*r);
      }
      exit_status = r->value("finished", false) ? exitFor(*r) : kExitOk;
      return;
    }
    if (o->service.empty() || o->image.empty()) {
      exit_status = fail("deploy", "give SERVICE and --image IMAGE (or --show ID)");
      return;
    }
    if (!o->timeout.empty() && !parseDuration(o->timeout)) {
      exit_status = fail("deploy", "--timeout: '" + o->timeout + "' is not a duration (e.g. 90s)");
      return;
    }
    nlohmann::json body{{"service", o->service}, {"image", o->image}, {"strategy", o->strategy}};
    if (!o->timeout.empty()) body["timeout"] = o->timeout;
    auto started = d->call("POST", "/api/v1/deploys", body);
    if (!started) {
      exit_status = fail("deploy", started.error().message);
      return;
    }
    const std::string id = started->value("id", "");
    if (!global.json) std::cout << "deploy " << id << " started\n";
    if (o->no_wait) {
      if (global.json) std::cout << started->dump(2) << "\n";
      exit_status = kExitOk;
      return;
    }
    // Follow it: print each step once it is done.
    size_t printed = 0;
    int errors = 0;
    nlohmann::json report = *started;
    for (;;) {
      auto r = d->call("GET", "/api/v1/deploys/" + id);
      if (!r) {
        if (++errors > 120) {
          exit_status = fail(
              "deploy", "lost the daemon while following deploy " + id + ": " + r.error().message);
          return;
        }
      } else {
        errors = 0;
        report = *r;
        const auto steps = report.value("steps", nlohmann::json::array());
        while (!global.json && printed < steps.size() &&
               steps[printed].value("finished_at", nlohmann::json()).is_string()) {
          printStep(steps[printed++]);
        }
        if (report.value("finished", false)) break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
    if (global.json) {
      std::cout << report.dump(2) << "\n";
    } else {
      printReport(report);
    }
    exit_status = exitFor(report);
  });
}

void registerConfirm(CLI::App& root, const GlobalOptions& global, int& exit_status) {
  for (const bool confirm : {true, false}) {
    struct Opts {
      std::string id;
      std::string validator;
      std::string reason;
    };
    auto o = std::make_shared<Opts>();
    auto* cmd = root.add_subcommand(
        confirm ? "confirm" : "reject",
        confirm ? "Confirm deploy DEPLOY_ID as validator --validator (needed only when several\n"
                  "validators are configured). Every configured validator must confirm within\n"
                  "deploy.confirm_timeout, or the deploy is rolled back."
                : "Reject deploy DEPLOY_ID: it is rolled back at once.");
    cmd->footer(confirm ? "Examples:\n  medic confirm dep-1764110000000-1a2b --validator ci"
                        : "Examples:\n  medic reject dep-1764110000000-1a2b --reason 'checkout fails'");
    cmd->add_option("DEPLOY_ID", o->id, "The deploy id (medic deploy prints it)")->required();
    cmd->add_option("--validator", o->validator, "Which validator answers");
    auto* reason = cmd->add_option("--reason", o->reason, "Why (kept in the deploy report)");
    if (!confirm) reason->required();
    cmd->callback([&global, &exit_status, o, confirm] {
      const char* name = confirm ? "confirm" : "reject";
      auto d = connectDaemon(global);
      if (!d) {
        exit_status = fail(name, d.error().message);
        return;
      }
      nlohmann::json body = nlohmann::json::object();
      if (!o->validator.empty()) body["validator"] = o->validator;
      if (!o->reason.empty()) body["reason"] = o->reason;
      auto r = d->call("POST", "/api/v1/deploys/" + o->id + "/" + name, body);
      if (!r) {
        exit_status = fail(name, r.error().message);
        return;
      }
      if (global.json) {
        std::cout << r->dump(2) << "\n";
      } else {
        std::cout << fmt::format("deploy {}: {} {}\n", o->id, r->value("validator", ""),
                                 r->value("answer", ""));
      }
      exit_status = kExitOk;
    });
  }
}

}  // namespace medic::cli
