#include "daemon/status.h"

#include <fmt/format.h>

namespace medic::daemon {
namespace {

double healthValue(const std::string& state) {
  if (state == "healthy") return 1.0;
  if (state == "starting" || state == "recovering" || state == "verifying") return 0.5;
  return 0.0;
}

std::string escapeLabel(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out.push_back('\\');
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out.push_back(c);
  }
  return out;
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

std::string metricsText(const nlohmann::json& status) {
  std::string out;
  out += "# HELP medic_health_score Weighted health of the protected services, 0-100.\n";
  out += "# TYPE medic_health_score gauge\n";
  if (status["health_score"].is_number()) {
    out += fmt::format("medic_health_score {}\n", status["health_score"].get<double>());
  }
  out += "# HELP medic_engine_reachable 1 when the Docker engine answers.\n";
  out += "# TYPE medic_engine_reachable gauge\n";
  out += fmt::format("medic_engine_reachable {}\n", status["engine"]["reachable"].get<bool>() ? 1 : 0);
  out += "# HELP medic_event_stream_reconnects_total Reconnects of the Docker event stream.\n";
  out += "# TYPE medic_event_stream_reconnects_total counter\n";
  out += fmt::format("medic_event_stream_reconnects_total {}\n", status["engine"]["reconnects"].get<int>());
  out += "# HELP medic_panic_mode 1 while more than half of the protected services fail.\n";
  out += "# TYPE medic_panic_mode gauge\n";
  out += fmt::format("medic_panic_mode {}\n", status["panic"].get<bool>() ? 1 : 0);
  out += "# HELP medic_service_up 1 when the service is healthy.\n";
  out += "# TYPE medic_service_up gauge\n";
  for (const auto& s : status["services"]) {
    out += fmt::format("medic_service_up{{service=\"{}\"}} {}\n", escapeLabel(s.value("name", "")),
                       s.value("state", "") == "healthy" ? 1 : 0);
  }
  out += "# HELP medic_service_attempts Recovery attempts in the current window.\n";
  out += "# TYPE medic_service_attempts gauge\n";
  for (const auto& s : status["services"]) {
    out += fmt::format("medic_service_attempts{{service=\"{}\"}} {}\n",
                       escapeLabel(s.value("name", "")), s.value("attempts_in_window", 0));
  }
  return out;
}

}  // namespace medic::daemon
