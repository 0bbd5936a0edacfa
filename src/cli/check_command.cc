#include <iostream>
#include <memory>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <fmt/format.h>

#include "check/check_pass.h"
#include "cli/commands.h"
#include "docker/engine_client.h"

namespace medic::cli {
namespace {

struct CheckOptions {
  bool all = false;
};

void printTable(const check::CheckReport& report) {
  if (report.services.empty()) {
    std::cout << "nothing is protected: label containers medic.enable=true, list them under "
                 "services: in medic.yaml, or pass --all\n";
    return;
  }
  std::cout << fmt::format("{:<20} {:<10} {:<12} {:<50} {}\n", "SERVICE", "HEALTH", "CONTAINER",
                           "REASON", "EVIDENCE");
  for (const auto& s : report.services) {
    std::string container = s.container ? s.container->state.status : "-";
    std::string evidence;
    for (const auto& id : s.verdict.evidence_ids) evidence += (evidence.empty() ? "" : ",") + id;
    std::cout << fmt::format("{:<20} {:<10} {:<12} {:<50} {}\n", s.service.name,
                             services::toString(s.verdict.health), container, s.verdict.reason,
                             evidence);
    for (const auto& p : s.probes) {
      std::cout << fmt::format("  {} {}: {}\n", p.ok ? "ok  " : "FAIL", p.name, p.summary);
    }
  }
  std::cout << fmt::format("checked {} service(s) at {}: {}\n", report.services.size(),
                           formatWallTime(report.finished),
                           report.exitStatus() == 0 ? "all healthy" : "NOT all healthy");
}

int runCheck(const GlobalOptions& global, const CheckOptions& opts) {
  config::Config cfg;
  try {
    cfg = resolveConfig(global);
  } catch (const config::ConfigError& e) {
    std::cerr << "medic check: " << e.what() << "\n";
    return kExitError;
  }
  boost::asio::io_context io;
  docker::EngineClient client(io.get_executor(), cfg.docker, cfg.docker_timeout,
                              cfg.docker_api_version);
  SystemClock clock;
  auto future = boost::asio::co_spawn(io, check::runCheckPass(client, cfg, opts.all, clock),
                                      boost::asio::use_future);
  io.run();
  auto result = future.get();
  if (!result) {
    const auto& err = result.error();
    if (global.json) {
      std::cout << nlohmann::json{{"verdict", "error"}, {"error", err.describe()}}.dump(2) << "\n";
    }
    std::cerr << "medic check: cannot check the services: " << err.describe() << "\n";
    return kExitError;
  }
  if (global.json) {
    std::cout << result->toJson().dump(2) << "\n";
  } else {
    printTable(*result);
  }
  return result->exitStatus();
}

}  // namespace

void registerCheck(CLI::App& root, const GlobalOptions& global, int& exit_status) {
  auto opts = std::make_shared<CheckOptions>();
  auto* cmd = root.add_subcommand(
      "check",
      "One pass over the protected services: Docker state and health plus their HTTP/TCP probes.\n"
      "Every verdict cites its evidence. Exit status: 0 all healthy, 1 anything unhealthy or\n"
      "missing (or nothing protected), 2 configuration or engine error.");
  cmd->footer(
      "Examples:\n"
      "  medic check                      # services labelled medic.enable=true or in medic.yaml\n"
      "  medic check --all --json         # every container, as JSON with evidence\n"
      "  medic check --config stack.yaml");
  cmd->add_flag("--all", opts->all, "Protect (check) every container, not only selected ones");
  cmd->callback([&global, &exit_status, opts] { exit_status = runCheck(global, *opts); });
}

void registerVersion(CLI::App& root, const GlobalOptions& global, int& exit_status) {
  auto* cmd = root.add_subcommand("version", "Print medic's version");
  cmd->footer("Examples:\n  medic version\n  medic version --json");
  cmd->callback([&global, &exit_status] {
    if (global.json) {
      std::cout << nlohmann::json{{"version", MEDIC_VERSION}}.dump() << "\n";
    } else {
      std::cout << "medic " << MEDIC_VERSION << "\n";
    }
    exit_status = kExitOk;
  });
}

}  // namespace medic::cli
