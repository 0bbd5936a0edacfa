#pragma once
/// Logging goes through spdlog's default logger, configured once by the app. Never log secrets:
/// anything that may hold one passes through evidence/redact.h first.

#include <spdlog/spdlog.h>

namespace medic {

/// Sets level ("debug", "info", ...) and a readable pattern on stderr.
void setupLogging(const std::string& level);

}  // namespace medic
