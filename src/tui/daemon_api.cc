#include "tui/daemon_api.h"

#include <fmt/format.h>

#include "http/client.h"

namespace medic::tui {

Result<nlohmann::json> DaemonApi::call(const std::string& method, const std::string& path,
                                       const nlohmann::json& body) const {
  auto res = http::request(url, method, path, body.is_null() ? "" : body.dump(), token, timeout);
  if (!res) return res.error();
  auto j = nlohmann::json::parse(res->body, nullptr, false);
  if (res->status >= 400) {
    std::string msg = j.is_object() && j.contains("error") && j["error"].is_object()
                          ? j["error"].value("message", res->body)
                          : res->body;
    if (res->status == 401)
      msg += " (pass --token-file, or run as the user whose state dir has it)";
    return Error::make(res->status == 404 ? ErrorKind::kNotFound : ErrorKind::kBadRequest,
                       fmt::format("daemon answered {}: {}", res->status, msg), res->status);
  }
  if (j.is_discarded()) {
    return Error::make(ErrorKind::kInternal, "the daemon at " + url + " sent invalid JSON");
  }
  return j;
}

Status fetchStatus(Model& model, const DaemonApi& api, bool alerts) {
  auto status = api.call("GET", "/api/v1/status");
  if (!status) return status.error();
  model.setStatus(std::move(*status));
  if (alerts) {
    auto list = api.call("GET", "/api/v1/alerts");
    if (!list) return list.error();
    model.setAlerts(*list);
  }
  return Ok{};
}

Status loadRecentActions(Model& model, const DaemonApi& api, int limit) {
  for (const char* channel : {"recovery_coordination", "deployment_coordination"}) {
    auto r = api.call("GET", fmt::format("/api/v1/channels/{}/messages?limit={}", channel, limit));
    if (!r) return r.error();
    if (r->contains("messages") && (*r)["messages"].is_array()) {
      for (const auto& m : (*r)["messages"]) (void)model.onMessage(m);
    }
  }
  return Ok{};
}

}  // namespace medic::tui
