#include "app/main.h"

#include <iostream>

#include <CLI/CLI.hpp>

#include "cli/commands.h"

namespace medic::app {

int runMain(int argc, char** argv) {
  CLI::App root{
      "medic keeps the services on a Docker host alive, and proves it.\n"
      "Detects exits, stops, unhealthy, hung and removed containers, repairs them, and backs\n"
      "every health statement with measured evidence.",
      "medic"};
  root.require_subcommand(1);
  root.set_help_all_flag("--help-all", "Show help for every command");
  cli::GlobalOptions global;
  root.add_option("--config", global.config_path,
                  "Config file (default ./medic.yaml if present, else /etc/medic/medic.yaml, "
                  "else none: labels only)");
  root.add_option("--state-dir", global.state_dir,
                  "State dir (default /var/lib/medic as root, else ~/.local/state/medic)");
  root.add_option("--url", global.url, "The daemon's API, e.g. http://127.0.0.1:8080");
  root.add_option("--docker", global.docker,
                  "Docker engine: unix:///var/run/docker.sock or tcp://host:port "
                  "(default: config, else DOCKER_HOST, else the local socket)");
  root.add_option("--log-level", global.log_level, "trace, debug, info, warn or error");
  root.add_flag("--json", global.json, "Print data as JSON");
  // Global options may come before or after the subcommand.
  root.fallthrough();

  int exit_status = cli::kExitOk;
  cli::registerCheck(root, global, exit_status);
  cli::registerWatch(root, global, exit_status);
  cli::registerStatus(root, global, exit_status);
  cli::registerRecover(root, global, exit_status);
  cli::registerMaintenance(root, global, exit_status);
  cli::registerDrill(root, global, exit_status);
  cli::registerEvents(root, global, exit_status);
  cli::registerDeploy(root, global, exit_status);
  cli::registerConfirm(root, global, exit_status);
  cli::registerInstallService(root, global, exit_status);
  cli::registerVersion(root, global, exit_status);
  try {
    root.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = root.exit(e);
    return rc == 0 ? 0 : cli::kExitError;
  }
  return exit_status;
}

}  // namespace medic::app
