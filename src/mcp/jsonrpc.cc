#include "mcp/jsonrpc.h"

#include "core/json_depth.h"

namespace medic::mcp::jsonrpc {
namespace {

constexpr int kMaxDepth = 64;

bool validId(const nlohmann::json& id) { return id.is_string() || id.is_number_integer(); }

}  // namespace

Kind classify(const nlohmann::json& m, std::string& why) {
  if (m.is_array()) {
    why = "batches are not supported (MCP removed them in 2025-06-18): send one message at a time";
    return Kind::kInvalid;
  }
  if (!m.is_object()) {
    why = "a JSON-RPC message is a JSON object";
    return Kind::kInvalid;
  }
  if (m.value("jsonrpc", "") != "2.0") {
    why = "\"jsonrpc\" must be \"2.0\"";
    return Kind::kInvalid;
  }
  if (m.contains("method")) {
    if (!m["method"].is_string()) {
      why = "\"method\" must be a string";
      return Kind::kInvalid;
    }
    if (m.contains("params") && !m["params"].is_object()) {
      why = "\"params\" must be an object";
      return Kind::kInvalid;
    }
    if (!m.contains("id")) return Kind::kNotification;
    if (!validId(m["id"])) {
      why = "\"id\" must be a string or an integer";
      return Kind::kInvalid;
    }
    return Kind::kRequest;
  }
  if (m.contains("id") && (m.contains("result") || m.contains("error"))) return Kind::kResponse;
  why = "a message needs \"method\" (request, notification) or \"result\"/\"error\" (response)";
  return Kind::kInvalid;
}

nlohmann::json result(const nlohmann::json& id, nlohmann::json r) {
  return {{"jsonrpc", "2.0"}, {"id", id}, {"result", std::move(r)}};
}

nlohmann::json error(const nlohmann::json& id, int code, const std::string& message,
                     const nlohmann::json& data) {
  nlohmann::json e = {{"code", code}, {"message", message}};
  if (!data.is_null()) e["data"] = data;
  return {{"jsonrpc", "2.0"}, {"id", id}, {"error", std::move(e)}};
}

nlohmann::json notification(const std::string& method, nlohmann::json params) {
  return {{"jsonrpc", "2.0"}, {"method", method}, {"params", std::move(params)}};
}

std::optional<nlohmann::json> parse(const std::string& text, nlohmann::json& out) {
  if (!jsonDepthWithin(text, kMaxDepth)) {
    return error(nullptr, kParseError,
                 "the message nests deeper than " + std::to_string(kMaxDepth) + " levels");
  }
  out = nlohmann::json::parse(text, nullptr, false);
  if (out.is_discarded()) return error(nullptr, kParseError, "the message is not valid JSON");
  std::string why;
  if (classify(out, why) == Kind::kInvalid) {
    const auto id = out.is_object() && out.contains("id") && validId(out["id"]) ? out["id"]
                                                                                 : nlohmann::json();
    return error(id, kInvalidRequest, "invalid request: " + why);
  }
  return std::nullopt;
}

}  // namespace medic::mcp::jsonrpc
