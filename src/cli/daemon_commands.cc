// Commands that talk to a running daemon over its API: status, recover, maintenance.
#include <iostream>
#include <memory>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/daemon_client.h"
#include "core/duration.h"
#include "http/client.h"

namespace medic::cli {

Result<DaemonCall> connectDaemon(const GlobalOptions& global) {
  config::Config cfg;
  try {
    cfg = resolveConfig(global);
  } catch (const config::ConfigError& e) {
    return Error::make(ErrorKind::kConfig, e.what());
  }
  auto addr = http::findDaemon(resolveStateDir(global, cfg), global.url);
  if (!addr) return addr.error();
  return DaemonCall{addr->url, addr->token};
}

Result<nlohmann::json> DaemonCall::call(const std::string& method, const std::string& path,
                                        const nlohmann::json& body) const {
  auto res = http::request(url, method, path, body.is_null() ? "" : body.dump(), token);
  if (!res) return res.error();
  auto j = nlohmann::json::parse(res->body, nullptr, false);
  if (res->status >= 400) {
    std::string msg = j.is_object() && j.contains("error") ? j["error"].value("message", res->body)
                                                            : res->body;
    return Error::make(res->status == 404 ? ErrorKind::kNotFound : ErrorKind::kBadRequest,
                       fmt::format("daemon answered {}: {}", res->status, msg), res->status);
  }
  if (j.is_discarded()) return Error::make(ErrorKind::kInternal, "daemon sent invalid JSON");
  return j;
}

namespace {

int fail(const char* cmd, const Error& e) {
  std::cerr << "medic " << cmd << ": " << e.message << "\n";
  return kExitError;
}

std::string seconds(const nlohmann::json& v) {
  return v.is_number() ? fmt::format("{:.2f}s", v.get<double>()) : "-";
}

/// "ev-mi3x9k2-1a2b3c4d +1 (2.1s)": the first evidence id, how many more, and the age of the
/// oldest; "none" when the status rests on nothing yet.
std::string evidenceCell(const nlohmann::json& item) {
  const auto ids = item.value("evidence", nlohmann::json::array());
  if (!ids.is_array() || ids.empty()) return "none";
  std::string cell = ids[0].get<std::string>();
  if (ids.size() > 1) cell += fmt::format(" +{}", ids.size() - 1);
  const auto age = item.value("evidence_age_seconds", nlohmann::json());
  if (age.is_number()) cell += fmt::format(" ({:.1f}s)", age.get<double>());
  return cell;
}

void printStatus(const nlohmann::json& s) {
  std::cout << fmt::format("medic {}  engine {}  health score {}{}\n", s.value("version", ""),
                           s["engine"].value("reachable", false) ? "reachable" : "UNREACHABLE",
                           s["health_score"].is_number()
                               ? fmt::format("{:.0f}", s["health_score"].get<double>())
                               : std::string("n/a (nothing protected)"),
                           s.value("panic", false) ? "  PANIC MODE" : "");
  if (s.value("observe_only", false)) {
    std::cout << "OBSERVE-ONLY: " << s.value("store_error", "") << "\n";
  }
  std::cout << fmt::format("{:<18} {:<20} {:<10} {:>8}  {:<28} {}\n", "SERVICE", "STATE",
                           "DOCKER", "ATTEMPTS", "EVIDENCE (age)",
                           "LAST INCIDENT (detection / recovery)");
  for (const auto& svc : s["services"]) {
    std::string incident = "-";
    if (svc.contains("last_incident") && svc["last_incident"].is_object()) {
      const auto& i = svc["last_incident"];
      incident = fmt::format("{} {} ({} / {})", i.value("kind", ""), i.value("outcome", ""),
                             seconds(i.value("detection_seconds", nlohmann::json())),
                             seconds(i.value("recovery_seconds", nlohmann::json())));
    }
    std::cout << fmt::format("{:<18} {:<20} {:<10} {:>8}  {:<28} {}\n", svc.value("name", ""),
                             svc.value("state", ""), svc.value("docker_state", "-"),
                             svc.value("attempts_in_window", 0), evidenceCell(svc), incident);
  }
  const auto endpoints = s.value("endpoints", nlohmann::json::array());
  if (!endpoints.empty()) {
    std::cout << fmt::format("{:<18} {:<20} {:<10} {:>8}  {:<28} {}\n", "ENDPOINT", "STATE", "",
                             "LATENCY", "EVIDENCE (age)", "LAST RESULT");
    for (const auto& ep : endpoints) {
      const auto latency = ep.value("last_latency_ms", nlohmann::json());
      std::cout << fmt::format("{:<18} {:<20} {:<10} {:>8}  {:<28} {}\n", ep.value("name", ""),
                               ep.value("state", ""), "",
                               latency.is_number() ? std::to_string(latency.get<int64_t>()) + "ms"
                                                   : std::string("-"),
                               evidenceCell(ep), ep.value("summary", ""));
    }
  }
}

}  // namespace

void registerStatus(CLI::App& root, const GlobalOptions& global, int& exit_status) {
  auto* cmd = root.add_subcommand(
      "status",
      "Show what the running daemon sees: every protected service's state, recovery attempts and\n"
      "last incident with its measured detection and recovery seconds.");
  cmd->footer("Examples:\n  medic status\n  medic status --json | jq '.services[].state'");
  cmd->callback([&global, &exit_status] {
    auto d = connectDaemon(global);
    if (!d) {
      exit_status = fail("status", d.error());
      return;
    }
    auto s = d->call("GET", "/api/v1/status");
    if (!s) {
      exit_status = fail("status", s.error());
      return;
    }
    if (global.json) {
      std::cout << s->dump(2) << "\n";
    } else {
      printStatus(*s);
    }
    exit_status = kExitOk;
  });
}

void registerRecover(CLI::App& root, const GlobalOptions& global, int& exit_status) {
  auto service = std::make_shared<std::string>();
  auto* cmd = root.add_subcommand(
      "recover",
      "Ask the daemon to recover SERVICE now: clears an escalation and gives it a fresh attempt\n"
      "budget.");
  cmd->footer(
      "Examples:\n  medic recover webui\n"
      "  medic --state-dir /var/lib/medic recover api   # the token is read from the state dir");
  cmd->add_option("SERVICE", *service, "Service name")->required();
  cmd->callback([&global, &exit_status, service] {
    auto d = connectDaemon(global);
    if (!d) {
      exit_status = fail("recover", d.error());
      return;
    }
    auto r = d->call("POST", "/api/v1/services/" + *service + "/recover", nlohmann::json::object());
    if (!r) {
      exit_status = fail("recover", r.error());
      return;
    }
    if (global.json) {
      std::cout << r->dump(2) << "\n";
    } else {
      std::cout << "recovery of " << *service << " requested; follow it with `medic status`\n";
    }
    exit_status = kExitOk;
  });
}

void registerMaintenance(CLI::App& root, const GlobalOptions& global, int& exit_status) {
  struct Opts {
    std::string service;
    std::string project;
    std::string duration;
    bool end = false;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = root.add_subcommand(
      "maintenance",
      "Declare a maintenance window: medic keeps observing SERVICE (or every protected service of\n"
      "compose project --project P) but repairs nothing until it ends; `docker-compose down` of a\n"
      "project in maintenance is left alone.");
  cmd->footer(
      "Examples:\n  medic maintenance webui --for 10m\n  medic maintenance --project shop --for 30m\n"
      "  medic maintenance webui --end");
  auto* svc = cmd->add_option("SERVICE", o->service, "Service name");
  auto* proj = cmd->add_option("--project", o->project, "A compose project instead of a service");
  svc->excludes(proj);
  auto* f = cmd->add_option("--for", o->duration, "Window length, e.g. 30s, 10m, 1h");
  auto* e = cmd->add_flag("--end", o->end, "End the window now");
  f->excludes(e);
  cmd->callback([&global, &exit_status, o] {
    if (o->service.empty() && o->project.empty()) {
      std::cerr << "medic maintenance: give SERVICE or --project PROJECT\n";
      exit_status = kExitError;
      return;
    }
    nlohmann::json body;
    if (o->end) {
      body = {{"end", true}};
    } else {
      if (!parseDuration(o->duration)) {
        std::cerr << "medic maintenance: give --for DURATION (e.g. 10m) or --end\n";
        exit_status = kExitError;
        return;
      }
      body = {{"for", o->duration}};
    }
    auto d = connectDaemon(global);
    if (!d) {
      exit_status = fail("maintenance", d.error());
      return;
    }
    const std::string what = o->project.empty() ? o->service : "project " + o->project;
    const std::string path = o->project.empty() ? "/api/v1/services/" + o->service + "/maintenance"
                                                : "/api/v1/projects/" + o->project + "/maintenance";
    auto r = d->call("POST", path, body);
    if (!r) {
      exit_status = fail("maintenance", r.error());
      return;
    }
    if (global.json) {
      std::cout << r->dump(2) << "\n";
    } else if (o->end) {
      std::cout << "maintenance of " << what << " ended\n";
    } else {
      std::cout << "maintenance of " << what << " until " << r->value("until", "") << "\n";
    }
    exit_status = kExitOk;
  });
}

}  // namespace medic::cli
