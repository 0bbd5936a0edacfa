#pragma once
/// Options every command takes (DESIGN §5) and how they resolve to a config and a state dir.

#include <string>

#include "config/config.h"

namespace medic::cli {

struct GlobalOptions {
  std::string config_path;  ///< --config; "" = ./medic.yaml, else /etc/medic/medic.yaml, else none
  std::string state_dir;    ///< --state-dir; "" = config's, else /var/lib/medic (root) or ~/.local/state/medic
  std::string url;          ///< --url: the daemon's API
  std::string docker;       ///< --docker: engine address, overrides config and DOCKER_HOST
  std::string log_level;    ///< --log-level
  bool json = false;        ///< --json: data on stdout as JSON
};

/// Loads the config the options name (throws config::ConfigError with file/line/key). An explicit
/// --config that does not exist is an error; the implicit defaults are optional.
config::Config resolveConfig(const GlobalOptions& options);

/// --state-dir, else the config's state_dir, else the per-user default.
std::string resolveStateDir(const GlobalOptions& options, const config::Config& config);

/// Exit statuses shared by every command.
inline constexpr int kExitOk = 0;
inline constexpr int kExitUnhealthy = 1;
inline constexpr int kExitError = 2;  ///< configuration, engine or usage error

}  // namespace medic::cli
