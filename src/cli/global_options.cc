#include "cli/global_options.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "docker/wire.h"

namespace medic::cli {

config::Config resolveConfig(const GlobalOptions& options) {
  namespace fs = std::filesystem;
  config::Config cfg;
  if (!options.config_path.empty()) {
    if (!fs::exists(options.config_path)) {
      throw config::ConfigError(options.config_path +
                                ": no such file (given with --config; omit it to run on labels only)");
    }
    cfg = config::loadConfigFile(options.config_path);
  } else if (fs::exists("medic.yaml")) {
    cfg = config::loadConfigFile("medic.yaml");
  } else if (fs::exists("/etc/medic/medic.yaml")) {
    cfg = config::loadConfigFile("/etc/medic/medic.yaml");
  } else {
    cfg = config::defaultConfig();
  }
  if (!options.docker.empty()) {
    cfg.docker = options.docker;
  } else if (const char* host = std::getenv("DOCKER_HOST");
             host != nullptr && *host != '\0' && cfg.docker == config::Config{}.docker) {
    cfg.docker = host;
  }
  // DOCKER_API_VERSION fixes the Docker API version as it does for the docker CLI (no
  // negotiation). Checked here so a typo stops every command with a clear message.
  if (const char* api = std::getenv("DOCKER_API_VERSION"); api != nullptr && *api != '\0') {
    auto fixed = docker::parseFixedApiVersion(api);
    if (!fixed) throw config::ConfigError(fixed.error().message);
    cfg.docker_api_version = *fixed;
  }
  if (!options.log_level.empty()) cfg.log_level = options.log_level;
  return cfg;
}

std::string resolveStateDir(const GlobalOptions& options, const config::Config& config) {
  if (!options.state_dir.empty()) return options.state_dir;
  if (!config.state_dir.empty()) return config.state_dir;
  if (geteuid() == 0) return "/var/lib/medic";
  const char* home = std::getenv("HOME");
  return std::string(home != nullptr ? home : ".") + "/.local/state/medic";
}

}  // namespace medic::cli
