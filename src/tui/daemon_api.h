#pragma once
/// The few API calls `medic top` makes, and loading their answers into the model.

#include <nlohmann/json.hpp>
#include <string>

#include "core/result.h"
#include "core/time.h"
#include "tui/model.h"

namespace medic::tui {

struct DaemonApi {
  std::string url;    ///< http://127.0.0.1:8080
  std::string token;  ///< bearer token for the mutations; may be empty (they then get 401)
  Millis timeout{3000};

  /// JSON in, JSON out; an HTTP error status becomes an Error carrying the daemon's message.
  Result<nlohmann::json> call(const std::string& method, const std::string& path,
                              const nlohmann::json& body = nullptr) const;
};

/// GET /api/v1/status into the model (and /api/v1/alerts when `alerts`).
Status fetchStatus(Model& model, const DaemonApi& api, bool alerts);
/// The newest recovery and deploy messages (GET /api/v1/channels/{name}/messages) into the model.
Status loadRecentActions(Model& model, const DaemonApi& api, int limit = 20);

}  // namespace medic::tui
