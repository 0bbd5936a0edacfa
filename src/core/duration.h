#pragma once
/// Durations as operators write them: "500ms", "10s", "5m", "1h30m", "2d". A bare number is an error
/// (units are never guessed).

#include <optional>
#include <string>
#include <string_view>

#include "core/time.h"

namespace medic {

/// Parses a duration; nullopt when the text is not one. Accepts units ms, s, m, h, d, combined
/// in descending order ("1h30m"). Negative values are rejected.
std::optional<Millis> parseDuration(std::string_view text);

/// Shortest exact rendering: 1500ms -> "1.5s", 600000ms -> "10m".
std::string formatDuration(Millis d);

}  // namespace medic
