#pragma once
/// JSON form of protected-service definitions kept in the store, so a service protected only by
/// its labels stays protected after its container is removed.

#include <nlohmann/json.hpp>

#include "services/selection.h"

namespace medic::daemon {

nlohmann::json serviceToJson(const services::ProtectedService& s);
/// Inverse of serviceToJson; the container is left empty (a resync fills it).
services::ProtectedService serviceFromJson(const nlohmann::json& j);

}  // namespace medic::daemon
