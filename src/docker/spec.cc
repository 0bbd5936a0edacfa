#include "docker/spec.h"

#include <string>
#include <string_view>

#include "docker/wire.h"

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

/// The network HostConfig.NetworkMode attaches the container to at create ("default" and "" mean
/// the bridge on Linux); "" for host/none/container: modes, which have no endpoint.
std::string mainNetwork(const json& body) {
  std::string mode = stringOr(objectOrEmpty(body, "HostConfig"), "NetworkMode");
  if (isolatedNetworkMode(mode)) return {};
  if (mode.empty() || mode == "default") return "bridge";
  return mode;
}

bool isZeroOrAbsent(const json& doc, const char* key) {
  if (!doc.is_object()) return true;
  auto it = doc.find(key);
  if (it == doc.end() || it->is_null()) return true;
  if (it->is_number()) return it->get<double>() == 0;
  if (it->is_string()) return it->get<std::string>().empty();
  if (it->is_array() || it->is_object()) return it->empty();
  return false;
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
    const std::string hostname = stringOr(config, "Hostname");
    json endpoints = json::object();
    const json& networks = objectOrEmpty(objectOrEmpty(inspect, "NetworkSettings"), "Networks");
    for (const auto& [net_name, endpoint] : networks.items()) {
      json out = json::object();
      if (auto it = endpoint.find("Aliases"); it != endpoint.end() && it->is_array()) {
        json aliases = json::array();
        for (const auto& alias : *it) {
          // Engines before API 1.45 report the short id and the hostname as aliases; they are
          // the engine's own DNS names, given to the new container again.
          if (alias.is_string() && alias.get<std::string>() != short_id &&
              alias.get<std::string>() != id && alias.get<std::string>() != hostname) {
            aliases.push_back(alias);
          }
        }
        if (!aliases.empty()) out["Aliases"] = std::move(aliases);
      }
      for (const char* key : {"Links", "IPAMConfig", "DriverOpts"}) copyIfSet(endpoint, out, key);
      if (!isZeroOrAbsent(endpoint, "GwPriority")) out["GwPriority"] = endpoint["GwPriority"];
      endpoints[net_name] = std::move(out);
    }
    // A MAC the user chose (reported container-wide up to API 1.51) belongs to the main network's
    // endpoint; the endpoints' own MacAddress is whatever is in use and is not pinned.
    std::string mac = stringOr(config, "MacAddress");
    std::string main_network = mainNetwork(body);
    if (!mac.empty() && !main_network.empty()) {
      if (!endpoints.contains(main_network)) endpoints[main_network] = json::object();
      endpoints[main_network]["MacAddress"] = mac;
    }
    if (!endpoints.empty()) body["NetworkingConfig"] = {{"EndpointsConfig", std::move(endpoints)}};
  }

  spec.body = std::move(body);
  return spec;
}

CreateRequest createRequestFor(const json& spec_body, std::string_view api_version) {
  CreateRequest out;
  out.body = spec_body.is_object() ? spec_body : json::object();
  json& body = out.body;
  auto below = [&](std::string_view version) {
    return compareApiVersions(api_version, version) < 0;
  };
  auto drop = [&](json& doc, const char* key, const std::string& what, std::string_view since) {
    if (!doc.is_object() || !doc.contains(key)) return;
    if (!isZeroOrAbsent(doc, key)) {
      out.dropped.push_back(what + " (needs API " + std::string(since) + ")");
    }
    doc.erase(key);
  };

  json* endpoints = nullptr;
  if (auto nc = body.find("NetworkingConfig"); nc != body.end() && nc->is_object()) {
    if (auto ec = nc->find("EndpointsConfig"); ec != nc->end() && ec->is_object()) {
      endpoints = &*ec;
    }
  }
  const std::string main_network = mainNetwork(body);

  // The chosen MAC: container-wide before 1.44, on the main endpoint from 1.44 (1.52 refuses the
  // container-wide field). Endpoints' MACs elsewhere were never honoured at create.
  std::string mac = stringOr(body, "MacAddress");
  body.erase("MacAddress");
  if (endpoints != nullptr && !main_network.empty()) {
    if (auto ep = endpoints->find(main_network); ep != endpoints->end() && ep->is_object()) {
      std::string on_endpoint = stringOr(*ep, "MacAddress");
      if (mac.empty()) mac = on_endpoint;
    }
  }
  if (!mac.empty() && main_network.empty()) {
    out.dropped.push_back("MacAddress " + mac + " (the network mode has no endpoint)");
    mac.clear();
  }
  if (below("1.44")) {
    if (!mac.empty()) body["MacAddress"] = mac;
    if (endpoints != nullptr) {
      for (auto& [name, ep] : endpoints->items()) {
        if (!ep.is_object() || !ep.contains("MacAddress")) continue;
        if (name != main_network) {
          drop(ep, "MacAddress", "MacAddress on network " + name, "1.44");
        } else {
          ep.erase("MacAddress");
        }
      }
    }
  } else if (!mac.empty()) {
    if (endpoints == nullptr) {
      body["NetworkingConfig"]["EndpointsConfig"] = json::object();
      endpoints = &body["NetworkingConfig"]["EndpointsConfig"];
    }
    (*endpoints)[main_network]["MacAddress"] = mac;
  }

  if (below("1.44")) {
    if (auto hc = body.find("Healthcheck"); hc != body.end() && hc->is_object()) {
      drop(*hc, "StartInterval", "Healthcheck.StartInterval", "1.44");
    }
  }
  if (below("1.48") && endpoints != nullptr) {
    for (auto& [name, ep] : endpoints->items()) {
      drop(ep, "GwPriority", "GwPriority on network " + name, "1.48");
    }
  }
  if (auto host = body.find("HostConfig"); host != body.end() && host->is_object()) {
    if (below("1.43")) drop(*host, "Annotations", "HostConfig.Annotations", "1.43");
    // Ignored by the engine from these versions on (kernel memory limits are gone).
    if (!below("1.42")) host->erase("KernelMemory");
    if (!below("1.52")) host->erase("KernelMemoryTCP");
  }

  // One endpoint at create before 1.44: the main network's (else the first); the rest are
  // connected right after.
  if (below("1.44") && endpoints != nullptr && endpoints->size() > 1) {
    std::string keep = main_network;
    if (keep.empty() || !endpoints->contains(keep)) keep = endpoints->begin().key();
    json kept = json::object();
    for (auto& [name, ep] : endpoints->items()) {
      if (name == keep) {
        kept[name] = ep;
      } else {
        out.connect_after.emplace_back(name, ep);
      }
    }
    *endpoints = std::move(kept);
  }
  return out;
}

}  // namespace medic::docker
