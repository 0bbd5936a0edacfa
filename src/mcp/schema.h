#pragma once
/// Checks tool arguments against the tool's own input JSON Schema, so the schema an agent reads is
/// the rule medic enforces. Covers the subset medic's schemas use: type (one or a list), properties,
/// required, additionalProperties: false, enum, minimum/maximum, minLength, items.

#include <string>

#include <nlohmann/json.hpp>

namespace medic::mcp {

/// "" when `value` satisfies `schema`, else what is wrong, naming the field ("phase: must be at
/// most 9").
std::string schemaViolation(const nlohmann::json& schema, const nlohmann::json& value,
                            const std::string& where = "");

}  // namespace medic::mcp
