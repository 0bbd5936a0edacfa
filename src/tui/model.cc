#include "tui/model.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <ctime>
#include <map>

namespace medic::tui {

// ---- formatting ----

std::optional<WallTime> parseTime(const std::string& text) {
  // YYYY-MM-DDTHH:MM:SS[.fff...](Z|+HH:MM|-HH:MM)
  if (text.size() < 20) return std::nullopt;
  std::tm tm{};
  auto digits = [&](size_t pos, size_t n, int& out) {
    out = 0;
    for (size_t i = pos; i < pos + n; ++i) {
      if (i >= text.size() || std::isdigit(static_cast<unsigned char>(text[i])) == 0) return false;
      out = out * 10 + (text[i] - '0');
    }
    return true;
  };
  int year = 0, mon = 0, day = 0, hour = 0, min = 0, sec = 0;
  if (!digits(0, 4, year) || text[4] != '-' || !digits(5, 2, mon) || text[7] != '-' ||
      !digits(8, 2, day) || (text[10] != 'T' && text[10] != 't' && text[10] != ' ') ||
      !digits(11, 2, hour) || text[13] != ':' || !digits(14, 2, min) || text[16] != ':' ||
      !digits(17, 2, sec)) {
    return std::nullopt;
  }
  if (mon < 1 || mon > 12 || day < 1 || day > 31 || hour > 23 || min > 59 || sec > 60) {
    return std::nullopt;
  }
  size_t pos = 19;
  int64_t millis = 0;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    int scale = 100;
    const size_t start = pos;
    while (pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos])) != 0) {
      millis += static_cast<int64_t>(text[pos] - '0') * scale;
      scale /= 10;
      ++pos;
    }
    if (pos == start) return std::nullopt;
  }
  int offset_minutes = 0;
  if (pos < text.size() && (text[pos] == 'Z' || text[pos] == 'z') && pos + 1 == text.size()) {
    offset_minutes = 0;
  } else if (pos + 6 == text.size() && (text[pos] == '+' || text[pos] == '-') &&
             text[pos + 3] == ':') {
    int oh = 0, om = 0;
    if (!digits(pos + 1, 2, oh) || !digits(pos + 4, 2, om)) return std::nullopt;
    offset_minutes = (text[pos] == '+' ? 1 : -1) * (oh * 60 + om);
  } else {
    return std::nullopt;
  }
  tm.tm_year = year - 1900;
  tm.tm_mon = mon - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = min;
  tm.tm_sec = sec;
  const time_t secs = timegm(&tm);
  return WallTime(std::chrono::seconds(secs) - std::chrono::minutes(offset_minutes) +
                  std::chrono::milliseconds(millis));
}

std::string formatAge(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "-";
  const auto s = static_cast<int64_t>(seconds);
  if (s < 60) return fmt::format("{}s", s);
  if (s < 3600) return fmt::format("{}m{:02}s", s / 60, s % 60);
  if (s < 86400) return fmt::format("{}h{:02}m", s / 3600, (s % 3600) / 60);
  return fmt::format("{}d{:02}h", s / 86400, (s % 86400) / 3600);
}

std::string formatBytes(uint64_t bytes) {
  constexpr double kK = 1024.0;
  const auto b = static_cast<double>(bytes);
  if (bytes < 1024) return fmt::format("{}B", bytes);
  if (b < kK * kK) return fmt::format("{:.1f}K", b / kK);
  if (b < kK * kK * kK) return fmt::format("{:.1f}M", b / (kK * kK));
  return fmt::format("{:.2f}G", b / (kK * kK * kK));
}

// ---- rows ----

Health healthOf(const std::string& state) {
  if (state == "healthy") return Health::kGood;
  if (state == "starting" || state == "recovering" || state == "verifying" ||
      state == "waiting_replacement" || state == "waiting_dependency") {
    return Health::kDegraded;
  }
  if (state == "maintenance") return Health::kNeutral;
  return Health::kBad;  // failed, missing, escalated, unknown
}

double healthValue(const std::string& state) {
  if (state == "healthy") return 1.0;
  if (state == "starting" || state == "recovering" || state == "verifying") return 0.5;
  return 0.0;
}

namespace {

int severityRank(const std::string& s) {
  if (s == "critical") return 0;
  if (s == "warning") return 1;
  if (s == "info") return 2;
  return 3;
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

double secondsBetween(WallTime from, WallTime to) {
  return std::chrono::duration<double>(to - from).count();
}

std::string str(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

/// Recovery and deploy messages in words: "restart #1 ok (230 ms)", "recreate failed: ...".
std::string actionText(const nlohmann::json& m) {
  const auto& d =
      m.contains("data") && m["data"].is_object() ? m["data"] : nlohmann::json::object();
  const std::string type = str(m, "type");
  std::string action = str(d, "action");
  std::string text = action;
  if (d.contains("attempt") && d["attempt"].is_number()) {
    text += fmt::format(" #{}", d["attempt"].get<int64_t>());
  }
  if (type == "action_finished") {
    const bool ok = d.value("ok", false);
    text += ok ? " ok" : " FAILED";
    if (d.contains("result") && d["result"].is_object()) {
      const auto& r = d["result"];
      if (r.contains("duration_ms") && r["duration_ms"].is_number()) {
        text += fmt::format(" ({} ms)", r["duration_ms"].get<int64_t>());
      }
      if (!ok) text += ": " + str(r, "error");
    }
  } else if (type == "action_started" || type == "recovering") {
    const auto reason = str(d, "reason");
    if (!reason.empty()) text += (text.empty() ? "" : ": ") + reason;
  }
  if (text.empty()) text = str(d, "text");
  if (text.empty() && !d.empty()) text = d.dump();
  return text;
}

}  // namespace

void sortAlerts(std::vector<AlertRow>& alerts) {
  std::stable_sort(alerts.begin(), alerts.end(), [](const AlertRow& a, const AlertRow& b) {
    const int ra = severityRank(a.severity), rb = severityRank(b.severity);
    if (ra != rb) return ra < rb;
    if (a.created != b.created) return a.created > b.created;
    return a.id > b.id;
  });
}

bool matchesFilter(const std::string& filter, const std::string& name, const std::string& state) {
  if (filter.empty()) return true;
  const auto f = lower(filter);
  return lower(name).find(f) != std::string::npos || lower(state).find(f) != std::string::npos;
}

// ---- Model ----

void Model::setStatus(nlohmann::json status) {
  if (!status.is_object()) return;
  status_ = std::move(status);
  have_status_ = true;
  setConnected();
}

void Model::setAlerts(const nlohmann::json& alerts) {
  alerts_.clear();
  if (!alerts.is_array()) return;
  for (const auto& a : alerts) {
    if (!a.is_object() || str(a, "state") == "resolved") continue;
    AlertRow row;
    row.id = a.value("id", int64_t{0});
    row.severity = str(a, "severity");
    row.service = str(a, "service");
    row.title = str(a, "title");
    row.acked = a.value("acked", false);
    row.created = parseTime(str(a, "created")).value_or(WallTime{});
    alerts_.push_back(std::move(row));
  }
  sortAlerts(alerts_);
}

Reaction Model::onMessage(const nlohmann::json& m) {
  Reaction r;
  if (!m.is_object()) return r;
  const int64_t id = m.value("id", int64_t{0});
  if (id > 0 && !seen_ids_.insert(id).second) return r;  // a replay after a resume
  if (seen_ids_.size() > 4 * kMaxActions) seen_ids_.erase(seen_ids_.begin());
  const std::string channel = str(m, "channel");
  r.refetch_status = true;
  r.refetch_alerts = channel == "service_state" || channel == "recovery_coordination" ||
                     channel == "deployment_coordination";
  if (channel == "recovery_coordination" || channel == "deployment_coordination") {
    ActionRow row;
    row.id = id;
    row.channel = channel;
    const auto ts = str(m, "ts");
    row.time = ts.size() >= 19 ? ts.substr(11, 8) : ts;
    row.service = str(m, "service");
    row.type = str(m, "type");
    row.text = actionText(m);
    row.failed = str(m, "severity") != "info" && !str(m, "severity").empty();
    // Keep newest first by id (a replay may arrive after live messages of another channel).
    auto pos = std::find_if(actions_.begin(), actions_.end(),
                            [&](const ActionRow& a) { return a.id < row.id; });
    actions_.insert(pos, std::move(row));
    while (actions_.size() > kMaxActions) actions_.pop_back();
  }
  return r;
}

void Model::setDisconnected(std::string error) {
  connected_ = false;
  disconnect_error_ = std::move(error);
}

void Model::setConnected() {
  connected_ = true;
  disconnect_error_.clear();
}

void Model::setFilter(std::string filter) {
  filter_ = std::move(filter);
  auto names = visibleServices();
  if (std::find(names.begin(), names.end(), selected_name_) == names.end()) {
    selected_name_ = names.empty() ? "" : names.front();
  }
}

std::vector<std::string> Model::visibleServices() const {
  std::vector<std::string> names;
  if (!status_.contains("services") || !status_["services"].is_array()) return names;
  for (const auto& s : status_["services"]) {
    if (matchesFilter(filter_, str(s, "name"), str(s, "state"))) names.push_back(str(s, "name"));
  }
  return names;
}

void Model::moveSelection(int delta) {
  if (focus_ == Focus::kAlerts) {
    if (alerts_.empty()) return;
    auto it = std::find_if(alerts_.begin(), alerts_.end(),
                           [&](const AlertRow& a) { return a.id == selected_alert_id_; });
    int idx = (it == alerts_.end() ? 0 : static_cast<int>(it - alerts_.begin())) + delta;
    idx = std::clamp(idx, 0, static_cast<int>(alerts_.size()) - 1);
    selected_alert_id_ = alerts_[static_cast<size_t>(idx)].id;
    return;
  }
  auto names = visibleServices();
  if (names.empty()) return;
  // No selection yet (or it was filtered away): the first row is the one shown selected.
  auto it = std::find(names.begin(), names.end(), selectedService());
  int idx = static_cast<int>(it - names.begin()) + delta;
  idx = std::clamp(idx, 0, static_cast<int>(names.size()) - 1);
  selected_name_ = names[static_cast<size_t>(idx)];
}

void Model::toggleFocus() {
  focus_ = focus_ == Focus::kServices && !alerts_.empty() ? Focus::kAlerts : Focus::kServices;
  if (focus_ == Focus::kAlerts) {
    auto it = std::find_if(alerts_.begin(), alerts_.end(),
                           [&](const AlertRow& a) { return a.id == selected_alert_id_; });
    if (it == alerts_.end()) selected_alert_id_ = alerts_.front().id;
  }
}

std::string Model::selectedService() const {
  auto names = visibleServices();
  if (names.empty()) return "";
  if (std::find(names.begin(), names.end(), selected_name_) != names.end()) return selected_name_;
  return names.front();
}

std::optional<int64_t> Model::alertToAck() const {
  if (focus_ == Focus::kAlerts) {
    for (const auto& a : alerts_) {
      if (a.id == selected_alert_id_) return a.id;
    }
    if (!alerts_.empty()) return alerts_.front().id;
    return std::nullopt;
  }
  const auto service = selectedService();
  for (const auto& a : alerts_) {
    if (!a.acked && a.service == service) return a.id;
  }
  return std::nullopt;
}

std::vector<AlertRow> Model::alertRows(WallTime now) const {
  auto rows = alerts_;
  for (auto& a : rows) {
    a.age = a.created == WallTime{} ? "-" : formatAge(secondsBetween(a.created, now));
  }
  return rows;
}

View Model::view(WallTime now) const {
  View v;
  v.connected = connected_;
  v.streams_up = streams_up_;
  v.streams_total = streams_total_;
  v.connection_text = connected_ ? "" : disconnect_error_;
  v.have_status = have_status_;
  v.filter = filter_;
  v.alerts = alertRows(now);
  v.actions.assign(actions_.begin(), actions_.end());
  if (!have_status_) return v;
  const auto& s = status_;
  auto& h = v.header;
  h.version = str(s, "version");
  if (s.contains("health_score") && s["health_score"].is_number()) {
    const double score = s["health_score"].get<double>();
    h.score = fmt::format("{:.0f}", score);
    h.score_health = score >= 99.5 ? Health::kGood : score >= 50 ? Health::kDegraded : Health::kBad;
  } else {
    h.score = "n/a";
    h.score_note = str(s, "health_score_note");
  }
  if (s.contains("engine") && s["engine"].is_object()) {
    h.engine_reachable = s["engine"].value("reachable", false);
  }
  h.engine = h.engine_reachable ? "reachable" : "UNREACHABLE";
  h.medic_uptime = s.contains("uptime_seconds") && s["uptime_seconds"].is_number()
                       ? formatAge(s["uptime_seconds"].get<double>())
                       : "-";
  h.panic = s.value("panic", false);
  h.observe_only = s.value("observe_only", false);
  h.store_error = str(s, "store_error");
  std::map<std::string, int> counts;
  const auto& services =
      s.contains("services") && s["services"].is_array() ? s["services"] : nlohmann::json::array();
  for (const auto& svc : services) {
    const auto name = str(svc, "name");
    const auto state = str(svc, "state");
    ++counts[state];
    if (!matchesFilter(filter_, name, state)) continue;
    ServiceRow row;
    row.name = name;
    row.state = state;
    row.health = healthOf(state);
    row.critical = svc.value("critical", false);
    row.health_text = fmt::format("{:.0f}%", 100 * healthValue(state));
    const auto started = parseTime(str(svc, "started_at"));
    const bool running = str(svc, "docker_state") == "running";
    row.uptime = started && running ? formatAge(secondsBetween(*started, now)) : "-";
    row.restarts = svc.value("recovery_actions", 0) + svc.value("restart_count", 0);
    row.cpu = "-";
    row.memory = "-";
    if (svc.contains("resources") && svc["resources"].is_object() && running) {
      const auto& r = svc["resources"];
      row.cpu = fmt::format("{:.1f}%", r.value("cpu_percent", 0.0));
      row.memory = formatBytes(r.value("memory_bytes", uint64_t{0}));
    }
    row.latency = "-";
    std::string failing;
    std::optional<WallTime> evidence_at;  // the newest probe round: how fresh the state shown is
    if (svc.contains("probes") && svc["probes"].is_array()) {
      double worst = -1;
      for (const auto& p : svc["probes"]) {
        if (p.contains("latency_ms") && p["latency_ms"].is_number()) {
          worst = std::max(worst, p["latency_ms"].get<double>());
        }
        if (auto t = parseTime(str(p, "checked_at")); t && (!evidence_at || *t > *evidence_at)) {
          evidence_at = t;
        }
        if (!p.value("ok", true) && failing.empty()) {
          failing = str(p, "name") + ": " + str(p, "summary");
        }
      }
      if (worst >= 0) row.latency = fmt::format("{:.0f}ms", worst);
    }
    row.evidence_age =
        evidence_at ? formatAge(std::max(0.0, secondsBetween(*evidence_at, now))) : "-";
    if (!failing.empty()) {
      row.detail = failing;
    } else if (svc.contains("last_incident") && svc["last_incident"].is_object()) {
      const auto& i = svc["last_incident"];
      row.detail = fmt::format("last incident: {} {}", str(i, "kind"), str(i, "outcome"));
      if (i.contains("recovery_seconds") && i["recovery_seconds"].is_number()) {
        row.detail += fmt::format(" in {:.2f}s", i["recovery_seconds"].get<double>());
      }
    }
    v.services.push_back(std::move(row));
  }
  static const char* kOrder[] = {
      "healthy", "starting", "verifying", "recovering",  "waiting_replacement",
      "waiting_dependency", "failed",  "missing",  "escalated", "maintenance", "unknown"};
  for (const char* st : kOrder) {
    if (auto it = counts.find(st); it != counts.end()) h.counts.emplace_back(st, it->second);
  }
  for (const auto& [st, n] : counts) {
    if (std::find(std::begin(kOrder), std::end(kOrder), st) == std::end(kOrder)) {
      h.counts.emplace_back(st, n);
    }
  }
  if (s.contains("endpoints") && s["endpoints"].is_array()) {
    for (const auto& e : s["endpoints"]) {
      EndpointRow row;
      row.name = str(e, "name");
      row.state = str(e, "state");
      row.health = healthOf(row.state);
      row.detail = str(e, "summary");
      if (row.detail.empty()) row.detail = str(e, "url");
      v.endpoints.push_back(std::move(row));
    }
  }
  const auto selected = selectedService();
  for (size_t i = 0; i < v.services.size(); ++i) {
    if (v.services[i].name == selected) v.selected_service = static_cast<int>(i);
  }
  if (focus_ == Focus::kAlerts) {
    for (size_t i = 0; i < v.alerts.size(); ++i) {
      if (v.alerts[i].id == selected_alert_id_) v.selected_alert = static_cast<int>(i);
    }
    if (v.selected_alert < 0 && !v.alerts.empty()) v.selected_alert = 0;
  }
  return v;
}

int Model::exitStatus() const {
  if (!have_status_ || !status_.contains("services") || !status_["services"].is_array() ||
      status_["services"].empty()) {
    return 1;
  }
  for (const auto& s : status_["services"]) {
    if (str(s, "state") != "healthy") return 1;
  }
  return 0;
}

}  // namespace medic::tui
