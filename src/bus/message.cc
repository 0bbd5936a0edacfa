#include "bus/message.h"

#include <algorithm>

namespace medic::bus {

bool isChannel(std::string_view name) {
  return std::find(kChannels.begin(), kChannels.end(), name) != kChannels.end();
}

nlohmann::json toJson(const Message& m) {
  return {{"id", m.id},
          {"channel", m.channel},
          {"type", m.type},
          {"service", m.service},
          {"host", m.host},
          {"ts", m.ts},
          {"severity", m.severity},
          {"data", m.data},
          {"evidence", m.evidence}};
}

namespace {

Result<std::string> optionalString(const nlohmann::json& j, const char* key, std::string fallback) {
  if (!j.contains(key) || j[key].is_null()) return fallback;
  if (!j[key].is_string()) {
    return Error::make(ErrorKind::kBadRequest, std::string("'") + key + "' must be a string");
  }
  return j[key].get<std::string>();
}

}  // namespace

Result<Message> messageFromJson(const nlohmann::json& j) {
  if (!j.is_object())
    return Error::make(ErrorKind::kBadRequest, "the message must be a JSON object");
  Message m;
  auto type = optionalString(j, "type", "");
  if (!type) return type.error();
  if (type->empty()) return Error::make(ErrorKind::kBadRequest, "'type' is required");
  m.type = *type;
  auto service = optionalString(j, "service", "");
  if (!service) return service.error();
  m.service = *service;
  auto severity = optionalString(j, "severity", "info");
  if (!severity) return severity.error();
  if (*severity != "info" && *severity != "warning" && *severity != "critical") {
    return Error::make(ErrorKind::kBadRequest, "'severity' must be info, warning or critical");
  }
  m.severity = *severity;
  if (j.contains("data") && !j["data"].is_null()) m.data = j["data"];
  if (j.contains("evidence") && !j["evidence"].is_null()) {
    if (!j["evidence"].is_array()) {
      return Error::make(ErrorKind::kBadRequest, "'evidence' must be an array of ids");
    }
    for (const auto& e : j["evidence"]) {
      if (!e.is_string()) return Error::make(ErrorKind::kBadRequest, "'evidence' ids are strings");
      m.evidence.push_back(e.get<std::string>());
    }
  }
  return m;
}

std::string toSse(const Message& m) {
  // dump() of a JSON value never contains a raw newline, so one data line is enough.
  return "id: " + std::to_string(m.id) +
         "\ndata: " + toJson(m).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) +
         "\n\n";
}

}  // namespace medic::bus
