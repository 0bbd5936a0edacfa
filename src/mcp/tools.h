#pragma once
/// The tool table: every MCP tool medic offers, with its input and output JSON Schemas, its
/// annotations, whether it needs the token, the API call it makes and how the API's answer becomes
/// the tool's structured result and short text. Pure: no I/O, no clock (ages are computed against
/// the time the daemon's answer carries).

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "mcp/api.h"

namespace medic::mcp {

struct ToolOutput {
  nlohmann::json structured;  ///< matches the tool's output schema
  std::string text;           ///< a few lines for a person or a model reading the transcript
};

struct Tool {
  std::string name;
  std::string title;
  std::string description;
  nlohmann::json input_schema;
  nlohmann::json output_schema;
  bool read_only = true;    ///< annotations.readOnlyHint: changes nothing on the host
  bool destructive = false; ///< annotations.destructiveHint: may stop, replace or roll back containers
  bool idempotent = true;   ///< annotations.idempotentHint: calling it twice does no more than once
  bool needs_token = false; ///< refused without medic's token (the API's rule for its route)
  /// The API call for arguments that passed the input schema.
  std::function<ApiCall(const nlohmann::json& args)> request;
  /// The tool's result from the API's 2xx answer.
  std::function<ToolOutput(const nlohmann::json& args, const nlohmann::json& answer)> answer;

  /// The tools/list entry.
  nlohmann::json describe() const;
};

const std::vector<Tool>& tools();
const Tool* findTool(const std::string& name);

/// Percent-encodes one path segment ("project/web" -> "project%2Fweb").
std::string encodeSegment(const std::string& s);
/// Seconds from RFC 3339 time `at` to `now` (both "2026-11-25T20:52:58.123Z"); nullopt when
/// either does not parse.
std::optional<double> secondsBetween(const std::string& at, const std::string& now);

}  // namespace medic::mcp
