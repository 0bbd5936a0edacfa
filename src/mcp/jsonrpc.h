#pragma once
/// JSON-RPC 2.0 as MCP uses it: one message per line (stdio) or per POST body (HTTP), no batches
/// (removed from MCP in 2025-06-18).

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace medic::mcp::jsonrpc {

inline constexpr int kParseError = -32700;
inline constexpr int kInvalidRequest = -32600;
inline constexpr int kMethodNotFound = -32601;
inline constexpr int kInvalidParams = -32602;
inline constexpr int kInternalError = -32603;
/// MCP: a resource URI that names nothing.
inline constexpr int kResourceNotFound = -32002;

enum class Kind { kRequest, kNotification, kResponse, kInvalid };

/// What a parsed message is; for kInvalid, `why` says what is wrong with it.
Kind classify(const nlohmann::json& message, std::string& why);

nlohmann::json result(const nlohmann::json& id, nlohmann::json result);
nlohmann::json error(const nlohmann::json& id, int code, const std::string& message,
                     const nlohmann::json& data = nullptr);
nlohmann::json notification(const std::string& method, nlohmann::json params);

/// Parses one message; a parse error or an invalid message comes back as the error response to
/// send (id null when none could be read), nullopt otherwise with `out` set.
std::optional<nlohmann::json> parse(const std::string& text, nlohmann::json& out);

}  // namespace medic::mcp::jsonrpc
