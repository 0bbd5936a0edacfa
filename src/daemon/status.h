#pragma once
/// Health score from the status document (DESIGN §4). Pure.

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace medic::daemon {

/// 100 × Σ w·h / Σ w (DESIGN §4): h = 1 healthy; 0.5 starting, recovering or verifying; 0
/// otherwise (failed, missing, escalated, unknown, waiting). Weight 3 for critical services.
/// nullopt when nothing is protected.
std::optional<double> healthScore(const nlohmann::json& services);

}  // namespace medic::daemon
