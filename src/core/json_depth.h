#pragma once
/// A bound on JSON nesting checked before any parser walks a body (bounded input, DESIGN §4).

#include <string_view>

namespace medic {

/// True when arrays and objects in `text` nest at most `max_depth` deep. Counted without parsing
/// and without recursion, so a hostile body is refused before a parser recurses into it.
/// Brackets inside strings do not count.
bool jsonDepthWithin(std::string_view text, int max_depth);

}  // namespace medic
