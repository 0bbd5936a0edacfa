#include "app/main.h"

#include <iostream>

#include <CLI/CLI.hpp>

#include "cli/commands.h"

namespace medic::app {

void buildCli(CLI::App& root, cli::GlobalOptions& global, int& exit_status) {
  root.description(
      "medic keeps the services on a Docker host alive, and proves it.\n"
      "Detects exits, stops, unhealthy, hung and removed containers, repairs them, and backs\n"
      "every health statement with measured evidence.");
  root.footer(
      "Examples:\n"
      "  medic check                       # one pass over the protected services, with evidence\n"
      "  medic watch --config medic.yaml   # the daemon, in the foreground\n"
      "  medic status                      # what the running daemon sees\n"
      "  medic drill webui --fault kill    # prove that webui comes back, with timings\n"
      "  medic COMMAND --help              # a command's options and examples");
  root.require_subcommand(1);
  root.set_help_all_flag("--help-all", "Show help for every command");
  // Type names FILE and DIR make the completions offer file and directory names (help_export.h).
  root.add_option("--config", global.config_path,
                  "Config file (default ./medic.yaml if present, else /etc/medic/medic.yaml, "
                  "else none: labels only)")
      ->type_name("FILE");
  root.add_option("--state-dir", global.state_dir,
                  "State dir (default /var/lib/medic as root, else ~/.local/state/medic)")
      ->type_name("DIR");
  root.add_option("--url", global.url, "The daemon's API, e.g. http://127.0.0.1:8080")
      ->type_name("URL");
  root.add_option("--docker", global.docker,
                  "Docker engine: unix:///var/run/docker.sock or tcp://host:port "
                  "(default: config, else DOCKER_HOST, else the local socket)")
      ->type_name("ADDR");
  root.add_option("--log-level", global.log_level, "trace, debug, info, warn or error")
      ->type_name("LEVEL")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error"}));
  root.add_flag("--json", global.json, "Print data as JSON");
  // Global options may come before or after the subcommand.
  root.fallthrough();

  cli::registerCheck(root, global, exit_status);
  cli::registerWatch(root, global, exit_status);
  cli::registerStatus(root, global, exit_status);
  cli::registerRecover(root, global, exit_status);
  cli::registerMaintenance(root, global, exit_status);
  cli::registerDrill(root, global, exit_status);
  cli::registerEvents(root, global, exit_status);
  cli::registerDeploy(root, global, exit_status);
  cli::registerConfirm(root, global, exit_status);
  cli::registerTop(root, global, exit_status);
  cli::registerReport(root, global, exit_status);
  cli::registerAlert(root, global, exit_status);
  cli::registerEvidence(root, global, exit_status);
  cli::registerClaim(root, global, exit_status);
  cli::registerGate(root, global, exit_status);
  cli::registerBaseline(root, global, exit_status);
  cli::registerMcp(root, global, exit_status);
  cli::registerInstallService(root, global, exit_status);
  cli::registerVersion(root, global, exit_status);
  cli::registerDocs(root, exit_status);  // last: it describes every command registered above
}

int runMain(int argc, char** argv) {
  CLI::App root{"", "medic"};
  cli::GlobalOptions global;
  int exit_status = cli::kExitOk;
  buildCli(root, global, exit_status);
  try {
    root.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = root.exit(e);
    return rc == 0 ? 0 : cli::kExitError;
  }
  return exit_status;
}

}  // namespace medic::app
