#include "docker/spec.h"

#include <string>
#include <string_view>

namespace medic::docker {

namespace {

using nlohmann::json;

const json& objectOrEmpty(const json& doc, const char* key) {
  static const json kEmpty = json::object();
  if (!doc.is_object()) return kEmpty;
  auto it = doc.find(key);
  return it != doc.end() && it->is_object() ? *it : kEmpty;
}

std::string stringOr(const json& doc, const char* key) {
  if (!doc.is_object()) return {};
  auto it = doc.find(key);
  return it != doc.end() && it->is_string() ? it->get<std::string>() : std::string();
}

/// Copies doc[key] into out[key] when it is present and carries information (not null).
void copyIfSet(const json& doc, json& out, const char* key) {
  auto it = doc.find(key);
  if (it != doc.end() && !it->is_null()) out[key] = *it;
}

bool isolatedNetworkMode(std::string_view mode) {
  return mode == "host" || mode == "none" || mode.starts_with("container:");
}

/// "/db:/web/alias" (inspect) -> "db:alias" (create).
std::string createFormLink(std::string link) {
  auto colon = link.find(':');
  if (colon == std::string::npos) {
    if (!link.empty() && link.front() == '/') link.erase(0, 1);
    return link;
  }
  std::string target = link.substr(0, colon);
  std::string alias = link.substr(colon + 1);
  if (!target.empty() && target.front() == '/') target.erase(0, 1);
  if (auto slash = alias.rfind('/'); slash != std::string::npos) alias.erase(0, slash + 1);
  return target + ":" + alias;
}

}  // namespace

ContainerSpec specFromInspect(const json& inspect) {
  ContainerSpec spec;
  std::string name = stringOr(inspect, "Name");
  if (!name.empty() && name.front() == '/') name.erase(0, 1);
  spec.name = name;
  const std::string id = stringOr(inspect, "Id");
  const std::string short_id = id.substr(0, 12);

  const json& config = objectOrEmpty(inspect, "Config");
  const json& host_config = objectOrEmpty(inspect, "HostConfig");
  const std::string network_mode = stringOr(host_config, "NetworkMode");

  json body = json::object();
  std::string image_id = stringOr(inspect, "Image");
  std::string image_name = stringOr(config, "Image");
  body["Image"] = image_id.empty() ? image_name : image_id;

  for (const char* key :
       {"Cmd", "Entrypoint", "Env", "ExposedPorts", "Healthcheck", "WorkingDir", "User",
        "StopSignal", "StopTimeout", "Tty", "OpenStdin", "AttachStdin", "StdinOnce", "Volumes"}) {
    copyIfSet(config, body, key);
  }
  json labels = json::object();
  if (auto it = config.find("Labels"); it != config.end() && it->is_object()) labels = *it;
  if (!image_name.empty()) labels[kSnapshotImageLabel] = image_name;
  body["Labels"] = std::move(labels);

  if (!isolatedNetworkMode(network_mode)) {
    std::string hostname = stringOr(config, "Hostname");
    if (!hostname.empty() && hostname != short_id) body["Hostname"] = hostname;
    std::string domain = stringOr(config, "Domainname");
    if (!domain.empty()) body["Domainname"] = domain;
  }

  json host = host_config.is_object() ? host_config : json::object();
  if (auto it = host.find("Links"); it != host.end() && it->is_array()) {
    json links = json::array();
    for (const auto& link : *it) {
      if (link.is_string()) links.push_back(createFormLink(link.get<std::string>()));
    }
    *it = std::move(links);
  }
  body["HostConfig"] = std::move(host);

  if (!isolatedNetworkMode(network_mode)) {
    json endpoints = json::object();
    const json& networks = objectOrEmpty(objectOrEmpty(inspect, "NetworkSettings"), "Networks");
    for (const auto& [net_name, endpoint] : networks.items()) {
      json out = json::object();
      if (auto it = endpoint.find("Aliases"); it != endpoint.end() && it->is_array()) {
        json aliases = json::array();
        for (const auto& alias : *it) {
          if (alias.is_string() && alias.get<std::string>() != short_id &&
              alias.get<std::string>() != id) {
            aliases.push_back(alias);
          }
        }
        if (!aliases.empty()) out["Aliases"] = std::move(aliases);
      }
      for (const char* key : {"Links", "IPAMConfig", "DriverOpts"}) copyIfSet(endpoint, out, key);
      endpoints[net_name] = std::move(out);
    }
    if (!endpoints.empty()) body["NetworkingConfig"] = {{"EndpointsConfig", std::move(endpoints)}};
  }

  spec.body = std::move(body);
  return spec;
}

}  // namespace medic::docker
