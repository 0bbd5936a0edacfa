#pragma once
/// The systemd unit `medic install-service` writes (DESIGN §5, issue 8): Type=notify with a
/// watchdog, restarted always, after Docker, and hardened so medic can write only its state dir.
/// Pure: builds text from options.

#include <string>

namespace medic::cli {

struct UnitOptions {
  std::string binary = "/usr/bin/medic";  ///< absolute path of the medic executable
  std::string config;                     ///< --config for medic watch ("" = its default search)
  std::string state_dir = "/var/lib/medic";
  std::string docker_socket = "/var/run/docker.sock";
  int watchdog_seconds = 30;
};

/// The unit file text. Every path is absolute (systemd requires it); arguments are quoted so a
/// path with spaces stays one argument.
std::string systemdUnit(const UnitOptions& options);

}  // namespace medic::cli
