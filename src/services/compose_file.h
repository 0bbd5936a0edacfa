#pragma once
/// What a project's compose files declare, as far as medic needs it: whether a compose service is
/// still in the model. Compose labels every container with the files it came from
/// (`com.docker.compose.project.config_files`); `docker compose up --remove-orphans` removes the
/// containers of services no longer declared there, which is the operator's intent, not a loss.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace medic::services {

/// The label com.docker.compose.project.config_files: the files compose read, in order.
inline constexpr const char* kLabelComposeConfigFiles = "com.docker.compose.project.config_files";

/// The comma-separated paths of that label.
std::vector<std::string> composeFilesOf(std::string_view label);

/// Whether one compose file's text declares `service` under its top-level `services:` map.
/// nullopt when the text is not a YAML map medic can read within bounds (then nothing is
/// concluded from it).
std::optional<bool> declaresService(const std::string& yaml, const std::string& service);

/// Over every file of the project (texts in the label's order; nullopt for a file that could not
/// be read): true when the service is declared by none of them (an orphan), false when one
/// declares it, nullopt when any file is unreadable or unparseable (then medic assumes a loss).
std::optional<bool> isOrphan(const std::vector<std::optional<std::string>>& texts,
                             const std::string& service);

}  // namespace medic::services
