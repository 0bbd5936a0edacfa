#include "daemon/status.h"


namespace medic::daemon {
namespace {

double healthValue(const std::string& state) {
  if (state == "healthy") return 1.0;
  if (state == "starting" || state == "recovering" || state == "verifying") return 0.5;
  return 0.0;
}

}  // namespace

std::optional<double> healthScore(const nlohmann::json& services) {
  double num = 0, den = 0;
  for (const auto& s : services) {
    const double w = s.value("critical", false) ? 3.0 : 1.0;
    num += w * healthValue(s.value("state", "unknown"));
    den += w;
  }
  if (den == 0) return std::nullopt;
  return 100.0 * num / den;
}

}  // namespace medic::daemon
