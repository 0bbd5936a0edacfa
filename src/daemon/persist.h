#pragma once
/// JSON form of protected-service definitions kept in the store, so a service protected only by
/// its labels stays protected after its container is removed.

#include <nlohmann/json.hpp>

#include "evidence/secret_box.h"
#include "services/selection.h"

namespace medic::daemon {

/// With a `secrets` box, a password in a probe URL is sealed (it never reaches the store in clear).
nlohmann::json serviceToJson(const services::ProtectedService& s,
                             const evidence::SecretBox* secrets = nullptr);
/// Inverse of serviceToJson; the container is left empty (a resync fills it). A sealed URL password
/// that does not open leaves the URL sealed (the probe then fails, saying so) until a resync.
services::ProtectedService serviceFromJson(const nlohmann::json& j,
                                           const evidence::SecretBox* secrets = nullptr);

}  // namespace medic::daemon
