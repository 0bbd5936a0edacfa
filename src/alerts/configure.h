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

/// The sink one webhook, alertmanager or command entry asks for: https targets get their CA store
/// loaded and header values are read (files, environment) here. kConfig naming the sink, its
/// line and what to fix.
/// `dashboard_url`: where an Alertmanager alert's generatorURL points ("" = none).
Result<std::unique_ptr<Sink>> buildSink(const config::AlertSinkConfig& sink,
                                        const std::string& dashboard_url = "");

/// Adds to `queue`: the log sink (alertLogPath, min severity info) and the file sink
/// (criticalFilePath, critical), whose min severity a log/file entry may change; then one sink per
/// webhook, alertmanager and command entry, in order, named by its config name (`name:`, else the
/// type with "_2", "_3", ...). kConfig (buildSink) for a sink that cannot be built.
Status addConfiguredSinks(AlertQueue& queue, const config::AlertsConfig& alerts,
                          const std::filesystem::path& state_dir);

}  // namespace medic::alerts
