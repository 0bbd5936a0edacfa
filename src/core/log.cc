#include "core/log.h"

#include <spdlog/sinks/stdout_color_sinks.h>

namespace medic {

void setupLogging(const std::string& level) {
  auto logger = spdlog::stderr_color_mt("medic");
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%-5l%$ %v");
  logger->set_level(spdlog::level::from_str(level));
  spdlog::set_default_logger(logger);
}

}  // namespace medic
