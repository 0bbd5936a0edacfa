#include "mcp/schema.h"

namespace medic::mcp {
namespace {

bool hasType(const nlohmann::json& v, const std::string& type) {
  if (type == "object") return v.is_object();
  if (type == "array") return v.is_array();
  if (type == "string") return v.is_string();
  if (type == "integer") return v.is_number_integer();
  if (type == "number") return v.is_number();
  if (type == "boolean") return v.is_boolean();
  if (type == "null") return v.is_null();
  return false;
}

std::string field(const std::string& where) { return where.empty() ? "arguments" : where; }

}  // namespace

std::string schemaViolation(const nlohmann::json& schema, const nlohmann::json& value,
                            const std::string& where) {
  if (schema.contains("type")) {
    const auto& t = schema["type"];
    bool ok = false;
    std::string names;
    for (const auto& one : t.is_array() ? t : nlohmann::json::array({t})) {
      ok = ok || hasType(value, one.get<std::string>());
      names += (names.empty() ? "" : " or ") + one.get<std::string>();
    }
    if (!ok) return field(where) + ": must be " + names;
  }
  if (schema.contains("enum")) {
    bool found = false;
    for (const auto& e : schema["enum"]) found = found || e == value;
    if (!found) return field(where) + ": must be one of " + schema["enum"].dump();
  }
  if (value.is_number()) {
    if (schema.contains("minimum") && value.get<double>() < schema["minimum"].get<double>()) {
      return field(where) + ": must be at least " + schema["minimum"].dump();
    }
    if (schema.contains("maximum") && value.get<double>() > schema["maximum"].get<double>()) {
      return field(where) + ": must be at most " + schema["maximum"].dump();
    }
  }
  if (value.is_string() && schema.contains("minLength") &&
      value.get<std::string>().size() < schema["minLength"].get<size_t>()) {
    return field(where) + ": must not be empty";
  }
  if (value.is_array() && schema.contains("items")) {
    for (size_t i = 0; i < value.size(); ++i) {
      auto why = schemaViolation(schema["items"], value[i], field(where) + "[" + std::to_string(i) + "]");
      if (!why.empty()) return why;
    }
  }
  if (value.is_object()) {
    const auto props = schema.value("properties", nlohmann::json::object());
    for (const auto& r : schema.value("required", nlohmann::json::array())) {
      if (!value.contains(r.get<std::string>())) {
        return (where.empty() ? "" : where + ".") + r.get<std::string>() + ": is required";
      }
    }
    for (const auto& [k, v] : value.items()) {
      const std::string at = where.empty() ? k : where + "." + k;
      if (props.contains(k)) {
        auto why = schemaViolation(props[k], v, at);
        if (!why.empty()) return why;
      } else if (schema.contains("additionalProperties") &&
                 schema["additionalProperties"] == false) {
        std::string known;
        for (const auto& [name, _] : props.items()) known += (known.empty() ? "" : ", ") + name;
        return at + ": unknown field (known: " + (known.empty() ? "none" : known) + ")";
      }
    }
  }
  return "";
}

}  // namespace medic::mcp
