#pragma once
/// Bounded YAML input. yaml-cpp shares aliased nodes instead of copying them, so a "billion laughs"
/// document loads cheaply but anything that walks it expands every alias; deep nesting costs
/// stack. This pre-pass streams the parser's events (nothing is built) and refuses a document
/// before it is loaded or walked.

#include <cstddef>
#include <cstdint>
#include <string>

namespace medic::config {

struct YamlLimits {
  size_t max_bytes = size_t{1024} * 1024;  ///< text size
  int max_depth = 32;                      ///< nested maps/lists
  int max_aliases = 100;                   ///< `*name` uses
  uint64_t max_alias_nodes = 100'000;      ///< nodes the aliases would add when expanded
};

/// Throws ConfigError ("<source>:<line>: ...") when `text` is not a single well-formed YAML
/// document within `limits`. Syntax errors are reported here too, with line and column.
void checkYamlLimits(const std::string& text, const std::string& source,
                     const YamlLimits& limits = {});

}  // namespace medic::config
