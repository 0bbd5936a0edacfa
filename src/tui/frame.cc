#include "tui/frame.h"

#include <fmt/format.h>

#include <algorithm>

namespace medic::tui {
namespace {

Style styleOf(Health h) {
  switch (h) {
    case Health::kGood:
      return Style::kGood;
    case Health::kDegraded:
      return Style::kDegraded;
    case Health::kBad:
      return Style::kBad;
    case Health::kNeutral:
      return Style::kDim;
  }
  return Style::kNormal;
}

Style severityStyle(const std::string& severity) {
  if (severity == "critical") return Style::kBad;
  if (severity == "warning") return Style::kDegraded;
  return Style::kNormal;
}

/// Cuts (or pads) to exactly `n` columns.
std::string fit(const std::string& s, size_t n) {
  if (s.size() > n) return n == 0 ? "" : s.substr(0, n - 1) + "~";
  return s + std::string(n - s.size(), ' ');
}

class Builder {
 public:
  explicit Builder(int width) : width_(static_cast<size_t>(std::max(width, 20))) {}
  Builder& add(std::string text, Style style = Style::kNormal) {
    if (lines_.empty()) lines_.emplace_back();
    used_ += text.size();
    lines_.back().push_back({std::move(text), style});
    return *this;
  }
  void newline() {
    if (lines_.empty()) lines_.emplace_back();
    lines_.emplace_back();
    used_ = 0;
  }
  /// A whole line in one style (cut to the width).
  void line(std::string text, Style style = Style::kNormal) {
    add(std::move(text), style);
    newline();
  }
  std::vector<Line> finish() {
    if (!lines_.empty() && lines_.back().empty()) lines_.pop_back();
    // Cut every line to the width, span by span.
    for (auto& l : lines_) {
      size_t col = 0;
      for (auto& span : l) {
        if (col >= width_) {
          span.text.clear();
        } else if (col + span.text.size() > width_) {
          span.text = fit(span.text, width_ - col);
        }
        col += span.text.size();
      }
      std::erase_if(l, [](const Span& s) { return s.text.empty(); });
    }
    return std::move(lines_);
  }
  size_t width() const { return width_; }

 private:
  size_t width_;
  size_t used_ = 0;
  std::vector<Line> lines_;
};

}  // namespace

const std::vector<std::pair<std::string, std::string>>& keyHelp() {
  static const std::vector<std::pair<std::string, std::string>> kKeys = {
      {"Up/Down, j/k", "select a service (or an alert after Tab)"},
      {"Tab", "switch between the services and the alerts"},
      {"r", "recover the selected service now (needs the token)"},
      {"m", "maintenance window for the selected service: asks a duration, or 'end'"},
      {"a", "acknowledge the selected alert (or the service's first open alert)"},
      {"/", "filter services by name or state (Enter keeps it, Esc clears it)"},
      {"?", "this help (any key closes it)"},
      {"q", "quit"},
  };
  return kKeys;
}

std::vector<Line> layout(const View& v, const Overlay& o, int width, int height) {
  Builder b(width);
  const size_t w = b.width();
  // ---- header ----
  b.add("medic top", Style::kTitle);
  if (!v.header.version.empty()) b.add(" " + v.header.version, Style::kDim);
  if (v.have_status) {
    b.add("  health ");
    b.add(v.header.score, styleOf(v.header.score_health));
    b.add("  engine ");
    b.add(v.header.engine, v.header.engine_reachable ? Style::kGood : Style::kBad);
    b.add("  medic up " + v.header.medic_uptime);
  }
  if (o.interactive) {
    if (!v.connected) {
      b.add("  [DISCONNECTED]", Style::kAlarm);
    } else if (v.streams_up < v.streams_total) {
      b.add(fmt::format("  [streams {}/{}]", v.streams_up, v.streams_total), Style::kDegraded);
    } else {
      b.add("  [live]", Style::kGood);
    }
  }
  b.newline();
  if (!v.connected) {
    b.line("DAEMON UNREACHABLE: " + (v.connection_text.empty() ? "connecting" : v.connection_text) +
               (v.have_status ? "  (showing the last data received)" : ""),
           Style::kAlarm);
  }
  if (v.have_status) {
    std::string counts;
    for (const auto& [state, n] : v.header.counts) {
      counts += fmt::format("{}{} {}", counts.empty() ? "" : ", ", n, state);
    }
    b.add("services: " + (counts.empty() ? std::string("none protected") : counts));
    if (!v.header.score_note.empty()) b.add("  (" + v.header.score_note + ")", Style::kDim);
    b.newline();
    if (v.header.panic)
      b.line("PANIC MODE: too many services failed at once; repairs are slowed", Style::kAlarm);
    if (v.header.observe_only) b.line("OBSERVE-ONLY: " + v.header.store_error, Style::kAlarm);
  }
  if (o.help) {
    b.newline();
    b.line("Keys", Style::kTitle);
    for (const auto& [k, what] : keyHelp()) b.line(fmt::format("  {:<14} {}", k, what));
    b.newline();
    b.line("Live over the daemon's channels (service_state, recovery_coordination,", Style::kDim);
    b.line("deployment_coordination); reconnects on its own when the daemon goes away.",
           Style::kDim);
    return b.finish();
  }
  b.newline();

  // ---- sections, sized to the height ----
  std::vector<Line> services_block, endpoints_block, alerts_block, actions_block;
  {
    Builder s(static_cast<int>(w));
    std::string title = "SERVICES";
    if (!v.filter.empty()) title += " (filter: " + v.filter + ")";
    s.line(title, Style::kTitle);
    s.line(fmt::format("  {:<20} {:<19} {:>6} {:>8} {:>8} {:>6} {:>7} {:>7} {:>8}", "NAME", "STATE",
                       "HEALTH", "UPTIME", "RESTARTS", "CPU", "MEM", "LATENCY", "EVIDENCE"),
           Style::kDim);
    if (v.services.empty()) {
      s.line(v.have_status
                 ? (v.filter.empty() ? "  nothing is protected" : "  no service matches the filter")
                 : "  waiting for the daemon...",
             Style::kDim);
    }
    for (size_t i = 0; i < v.services.size(); ++i) {
      const auto& r = v.services[i];
      const bool sel = o.interactive && static_cast<int>(i) == v.selected_service;
      const Style base = sel ? Style::kSelected : Style::kNormal;
      s.add(sel ? "> " : "  ", base);
      s.add(fit(r.name + (r.critical ? "*" : ""), 20) + " ", base);
      s.add(fit(r.state, 19), sel ? Style::kSelected : styleOf(r.health));
      s.add(fmt::format(" {:>6} {:>8} {:>8} {:>6} {:>7} {:>7} {:>8}", r.health_text, r.uptime,
                        r.restarts, r.cpu, r.memory, r.latency, r.evidence_age),
            base);
      s.newline();
    }
    const auto sel = v.selected_service;
    if (sel >= 0 && static_cast<size_t>(sel) < v.services.size() &&
        !v.services[static_cast<size_t>(sel)].detail.empty() && o.interactive) {
      s.line("  " + v.services[static_cast<size_t>(sel)].name + ": " +
                 v.services[static_cast<size_t>(sel)].detail,
             Style::kDim);
    }
    services_block = s.finish();
  }
  {
    Builder s(static_cast<int>(w));
    s.line("ENDPOINTS", Style::kTitle);
    if (v.endpoints.empty()) s.line("  none reported by the daemon", Style::kDim);
    for (const auto& e : v.endpoints) {
      s.add("  " + fit(e.name, 20) + " ");
      s.add(fit(e.state, 12), styleOf(e.health));
      s.add(" " + e.detail, Style::kDim);
      s.newline();
    }
    endpoints_block = s.finish();
  }
  {
    Builder s(static_cast<int>(w));
    s.line(fmt::format("ALERTS ({} open)", v.alerts.size()), Style::kTitle);
    if (v.alerts.empty()) s.line("  none", Style::kDim);
    for (size_t i = 0; i < v.alerts.size(); ++i) {
      const auto& a = v.alerts[i];
      const bool sel = o.interactive && static_cast<int>(i) == v.selected_alert;
      s.add(sel ? "> " : "  ", sel ? Style::kSelected : Style::kNormal);
      s.add(fit(a.severity, 8), sel ? Style::kSelected : severityStyle(a.severity));
      s.add(
          fmt::format(" {:>6}  {:<16} {}{}", a.age, a.service, a.title, a.acked ? "  [acked]" : ""),
          sel ? Style::kSelected : (a.acked ? Style::kDim : Style::kNormal));
      s.newline();
    }
    alerts_block = s.finish();
  }
  {
    Builder s(static_cast<int>(w));
    s.line("RECENT RECOVERY AND DEPLOY ACTIONS", Style::kTitle);
    if (v.actions.empty()) s.line("  none yet", Style::kDim);
    for (const auto& a : v.actions) {
      s.add(fmt::format("  {}  {:<16} {:<16} ", a.time, a.service, a.type), Style::kNormal);
      s.add(a.text, a.failed ? Style::kBad : Style::kNormal);
      s.newline();
    }
    actions_block = s.finish();
  }

  std::vector<Line> footer;
  if (o.interactive) {
    Builder f(static_cast<int>(w));
    if (!o.prompt.empty()) {
      f.line(o.prompt + o.input + "_", Style::kSelected);
    } else if (!o.message.empty()) {
      f.line(o.message, o.message_is_error ? Style::kAlarm : Style::kGood);
    } else {
      f.line("");
    }
    f.line("j/k select  Tab alerts  r recover  m maintenance  a ack  / filter  ? help  q quit",
           Style::kDim);
    footer = f.finish();
  }

  auto head = b.finish();
  std::vector<Line> out = std::move(head);
  if (height > 0) {
    // Budget: the header and footer always; then services, alerts, actions and endpoints share
    // what is left, each at least its title and one row, the services first.
    int left = height - static_cast<int>(out.size()) - static_cast<int>(footer.size());
    auto take = [&](std::vector<Line>& block, int cap) {
      int n = std::min({static_cast<int>(block.size()), std::max(left, 0), cap});
      block.resize(static_cast<size_t>(std::max(n, 0)));
      left -= n;
    };
    const int min_rest = 2 + 2 + 2;  // alerts, actions and endpoints: title + one row each
    take(services_block, std::max(2, left - min_rest - 1));
    take(alerts_block, std::max(2, std::min(8, left - 4)));
    take(endpoints_block, std::max(2, std::min(4, left - 2)));
    take(actions_block, left);
  }
  auto append = [&](std::vector<Line>& block, bool gap) {
    if (block.empty()) return;
    for (auto& l : block) out.push_back(std::move(l));
    if (gap && (height <= 0 || static_cast<int>(out.size() + footer.size()) < height))
      out.emplace_back();
  };
  append(services_block, true);
  append(alerts_block, true);
  append(endpoints_block, true);
  append(actions_block, false);
  if (height > 0) {
    while (static_cast<int>(out.size() + footer.size()) < height) out.emplace_back();
    while (static_cast<int>(out.size() + footer.size()) > height && !out.empty()) out.pop_back();
  }
  for (auto& l : footer) out.push_back(std::move(l));
  return out;
}

std::string toPlainText(const std::vector<Line>& lines) {
  std::string out;
  for (const auto& l : lines) {
    std::string text;
    for (const auto& s : l) text += s.text;
    while (!text.empty() && text.back() == ' ') text.pop_back();
    out += text + "\n";
  }
  return out;
}

}  // namespace medic::tui
