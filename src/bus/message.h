#pragma once
/// Channel messages (DESIGN §5): `{"id", "channel", "type", "service", "host", "ts", "severity",
/// "data", "evidence": [ids]}`, and their server-sent-event framing.

#include <array>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace medic::bus {

/// The channels medic knows (issue 4). Publishing on or following any other name is refused.
inline constexpr std::array<std::string_view, 4> kChannels = {
    "service_state", "recovery_coordination", "deployment_coordination", "validation_results"};

bool isChannel(std::string_view name);

struct Message {
  int64_t id = 0;  ///< assigned by the bus; strictly increasing across all channels
  std::string channel;
  std::string type;               ///< e.g. "removed", "failed", "recovered", "action", "confirm"
  std::string service;            ///< "" for host-wide messages
  std::string host;               ///< the machine medic runs on (filled by the bus when empty)
  std::string ts;                 ///< RFC 3339 UTC with milliseconds (filled by the bus when empty)
  std::string severity = "info";  ///< info | warning | critical
  nlohmann::json data = nlohmann::json::object();
  std::vector<std::string> evidence;  ///< evidence ids

  bool operator==(const Message&) const = default;
};

nlohmann::json toJson(const Message& m);
/// Reads a message as published by a client (POST /api/v1/channels/{name}). `type` is required;
/// id, channel, host and ts are the bus's to set and ignored here. kBadRequest names the bad field.
Result<Message> messageFromJson(const nlohmann::json& j);
/// One SSE event: "id: N\ndata: {json}\n\n" (no `event:` line, so EventSource.onmessage sees all).
std::string toSse(const Message& m);

}  // namespace medic::bus
