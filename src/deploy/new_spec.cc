#include "deploy/new_spec.h"

#include <algorithm>
#include <vector>

namespace medic::deploy {

nlohmann::json specForImage(const nlohmann::json& snapshot_body,
                            const nlohmann::json& old_image_config, const std::string& image) {
  nlohmann::json body = snapshot_body.is_object() ? snapshot_body : nlohmann::json::object();
  body["Image"] = image;
  const nlohmann::json old =
      old_image_config.is_object() ? old_image_config : nlohmann::json::object();
  if (body.contains("Env") && body["Env"].is_array() && old.contains("Env") &&
      old["Env"].is_array()) {
    nlohmann::json kept = nlohmann::json::array();
    for (const auto& e : body["Env"]) {
      if (std::find(old["Env"].begin(), old["Env"].end(), e) == old["Env"].end()) kept.push_back(e);
    }
    body["Env"] = kept;
  }
  for (const char* key : {"Cmd", "Entrypoint"}) {
    if (body.contains(key) && old.contains(key) && body[key] == old[key]) body.erase(key);
  }
  if (!body.contains("Labels") || !body["Labels"].is_object()) {
    body["Labels"] = nlohmann::json::object();
  }
  body["Labels"]["medic.snapshot.image"] = image;
  return body;
}

bool bindsFixedHostPort(const nlohmann::json& body, std::string& why) {
  const nlohmann::json host = body.value("HostConfig", nlohmann::json::object());
  if (host.value("NetworkMode", "") == "host") {
    why = "it uses the host's network (its ports are the host's)";
    return true;
  }
  const nlohmann::json bindings = host.value("PortBindings", nlohmann::json::object());
  if (!bindings.is_object()) return false;
  for (auto it = bindings.begin(); it != bindings.end(); ++it) {
    if (!it.value().is_array()) continue;
    for (const auto& b : it.value()) {
      const std::string port = b.is_object() ? b.value("HostPort", "") : "";
      if (!port.empty() && port != "0") {
        why = "it publishes the fixed host port " + port + " (" + it.key() + ")";
        return true;
      }
    }
  }
  return false;
}

}  // namespace medic::deploy
