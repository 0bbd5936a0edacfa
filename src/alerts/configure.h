#pragma once
/// Builds the sinks that medic.yaml's alerts.sinks asks for (the composition root calls this once).

#include <filesystem>

#include "alerts/alert_queue.h"
#include "config/config.h"
#include "core/result.h"

namespace medic::alerts {

/// Paths of the two file sinks inside the state dir (DESIGN §5).
std::filesystem::path alertLogPath(const std::filesystem::path& state_dir);
std::filesystem::path criticalFilePath(const std::filesystem::path& state_dir);

/// Adds to `queue`: the log sink (alertLogPath, min severity info) and the file sink
/// (criticalFilePath, critical), whose min severity a log/file entry may change; then one sink per
/// webhook, alertmanager and command entry, in order. Counter names are the type, with "_2",
/// "_3", ... for a second and third sink of one type. kConfig for a URL that cannot be used.
Status addConfiguredSinks(AlertQueue& queue, const config::AlertsConfig& alerts,
                          const std::filesystem::path& state_dir);

}  // namespace medic::alerts
