#include "services/compose_file.h"

#include <yaml-cpp/yaml.h>

#include "config/yaml_limits.h"

namespace medic::services {

std::vector<std::string> composeFilesOf(std::string_view label) {
  std::vector<std::string> files;
  size_t start = 0;
  while (start <= label.size()) {
    size_t comma = label.find(',', start);
    if (comma == std::string_view::npos) comma = label.size();
    std::string_view item = label.substr(start, comma - start);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (!item.empty()) files.emplace_back(item);
    start = comma + 1;
  }
  return files;
}

std::optional<bool> declaresService(const std::string& yaml, const std::string& service) {
  try {
    config::checkYamlLimits(yaml, "compose file");  // bounded before it is loaded
    const YAML::Node root = YAML::Load(yaml);
    if (!root.IsMap()) return std::nullopt;
    if (root["include"]) return std::nullopt;  // services may come from files medic did not read
    const YAML::Node services = root["services"];
    if (!services) return false;  // e.g. an override file that only adds networks
    if (!services.IsMap()) return std::nullopt;
    return static_cast<bool>(services[service]);
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

std::optional<bool> isOrphan(const std::vector<std::optional<std::string>>& texts,
                             const std::string& service) {
  if (texts.empty()) return std::nullopt;
  bool declared = false;
  for (const auto& text : texts) {
    if (!text) return std::nullopt;
    auto d = declaresService(*text, service);
    if (!d) return std::nullopt;
    declared = declared || *d;
  }
  return !declared;
}

}  // namespace medic::services
