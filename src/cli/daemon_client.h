#pragma once
/// How CLI commands reach the running daemon: its URL and token from the state dir (or --url).

#include <nlohmann/json.hpp>

#include "cli/global_options.h"
#include "core/result.h"

namespace medic::cli {

struct DaemonCall {
  std::string url;
  std::string token;
  /// JSON in, JSON out; an HTTP error status becomes an Error with the daemon's message.
  Result<nlohmann::json> call(const std::string& method, const std::string& path,
                              const nlohmann::json& body = nullptr) const;
};

Result<DaemonCall> connectDaemon(const GlobalOptions& global);

}  // namespace medic::cli
