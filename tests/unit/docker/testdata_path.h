#pragma once
/// Canned engine documents captured from dockerd 20.10 (API 1.41) for the mapping tests.

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

namespace medic::docker::testdata {

inline std::string read(const std::string& name) {
  std::ifstream in(std::string(MEDIC_SOURCE_DIR) + "/tests/unit/docker/testdata/" + name);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

inline nlohmann::json json(const std::string& name) {
  return nlohmann::json::parse(read(name));
}

}  // namespace medic::docker::testdata
