#pragma once
/// JSON forms of what the daemon keeps in the store and serves: protected-service definitions (so a
/// service protected only by its labels stays protected after its container is removed) and alerts.

#include <nlohmann/json.hpp>

#include "services/selection.h"
#include "store/records.h"

namespace medic::daemon {

nlohmann::json serviceToJson(const services::ProtectedService& s);
/// Inverse of serviceToJson; the container is left empty (a resync fills it).
services::ProtectedService serviceFromJson(const nlohmann::json& j);
nlohmann::json alertToJson(const store::AlertRecord& a);

}  // namespace medic::daemon
