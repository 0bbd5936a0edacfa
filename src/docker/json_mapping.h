#pragma once
/// The engine's JSON documents mapped to the plain values in docker/types.h. Pure and tolerant:
/// missing or mistyped fields take their defaults; only a document of the wrong shape (not an
/// object/array where one is required) is an error (kEngine, naming what was expected).

#include <nlohmann/json.hpp>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "docker/types.h"

namespace medic::docker {

/// Parses a response body. kEngine error on malformed JSON or nesting deeper than `max_depth`
/// (bounded input: a hostile peer cannot make us build arbitrarily deep documents).
Result<nlohmann::json> parseJsonBody(std::string_view body, int max_depth = 128);

Result<VersionInfo> versionInfoFromJson(const nlohmann::json& doc);
Result<ContainerSummary> containerSummaryFromJson(const nlohmann::json& doc);
/// GET /containers/json: an array of summaries.
Result<std::vector<ContainerSummary>> containerSummariesFromJson(const nlohmann::json& doc);
/// GET /containers/{id}/json; keeps the whole document in ContainerInfo::raw.
Result<ContainerInfo> containerInfoFromJson(const nlohmann::json& doc);
/// One line of GET /events.
Result<Event> eventFromJson(const nlohmann::json& doc);
Result<ImageInfo> imageInfoFromJson(const nlohmann::json& doc);
Result<NetworkInfo> networkInfoFromJson(const nlohmann::json& doc);

/// GET /containers/{id}/stats?stream=false. CPU percent is of one core over the window between
/// precpu_stats and cpu_stats, computed as the docker CLI does:
///   (Δ container cpu / Δ system cpu) × online cpus × 100.
/// When precpu_stats is empty (a one-shot sample) there is no window and cpu_percent is 0.
/// Memory excludes the reclaimable page cache (inactive_file on cgroup v2, total_inactive_file
/// on v1), again as the CLI does.
Result<Stats> statsFromJson(const nlohmann::json& doc);

/// The engine's own error text from an error body ({"message": "..."}); the raw body (trimmed,
/// bounded) when it is not that shape.
std::string engineMessage(std::string_view body);

}  // namespace medic::docker
