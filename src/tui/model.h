#pragma once
/// The model of `medic top` (DESIGN §5): pure. The status document, the open alerts and the channel
/// messages go in; rows to draw (sorted, filtered, formatted) come out. No I/O, no clock: `now` is
/// handed in, so every rule here is unit-tested (tests/unit/tui).

#include <cstdint>
#include <deque>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/time.h"

namespace medic::tui {

// ---- formatting (pure) ----

/// RFC 3339 (UTC "Z" or an offset, optional fraction) → wall time; nullopt when unparsable.
std::optional<WallTime> parseTime(const std::string& text);
/// A duration for a narrow column: "0s", "42s", "3m05s", "2h07m", "3d04h"; "-" for negative.
std::string formatAge(double seconds);
/// Bytes in binary units: "512B", "1.5K", "12.0M", "2.00G".
std::string formatBytes(uint64_t bytes);

// ---- rows ----

/// Coarse health of a service state: what colour and score weight it gets.
enum class Health { kGood, kDegraded, kBad, kNeutral };
Health healthOf(const std::string& state);
/// The DESIGN §4 weight of a state: 1 healthy, 0.5 starting/recovering/verifying, 0 otherwise.
double healthValue(const std::string& state);

struct ServiceRow {
  std::string name;
  std::string state;
  Health health = Health::kNeutral;
  bool critical = false;
  std::string health_text;   ///< "100%" / "50%" / "0%" (the state's share in the score)
  std::string uptime;        ///< since the container started; "-" when not running
  int restarts = 0;          ///< medic's recovery actions + Docker's restarts of the container
  std::string cpu;           ///< "1.2%" or "-" before the first stats sample
  std::string memory;        ///< "12.0M" or "-"
  std::string latency;       ///< newest probe latency "3ms", or "-" without probes
  std::string evidence_age;  ///< age of the newest probe result, "-" without probes
  std::string detail;        ///< failing probe summary or last incident, for the footer
};

struct AlertRow {
  int64_t id = 0;
  std::string severity;  ///< critical | warning | info
  std::string service;
  std::string title;
  std::string age;  ///< since it was created
  bool acked = false;
  WallTime created;
};

struct ActionRow {
  int64_t id = 0;
  std::string channel;
  std::string time;  ///< HH:MM:SS of the message
  std::string service;
  std::string type;  ///< action_started, action_finished, ...
  std::string text;  ///< action, attempt, result in words
  bool failed = false;
};

struct EndpointRow {
  std::string name;
  std::string state;
  Health health = Health::kNeutral;
  std::string detail;
};

struct Header {
  std::string score;  ///< "87" or "n/a"
  Health score_health = Health::kNeutral;
  std::string score_note;
  std::vector<std::pair<std::string, int>> counts;  ///< state → services in it (non-zero only)
  bool engine_reachable = false;
  std::string engine;  ///< "reachable" / "UNREACHABLE"
  std::string medic_uptime;
  std::string version;
  bool panic = false;
  bool observe_only = false;
  std::string store_error;
};

/// Everything one frame shows.
struct View {
  bool have_status = false;
  bool connected = false;
  int streams_up = 0;           ///< channel streams open now
  int streams_total = 0;        ///< channel streams followed
  std::string connection_text;  ///< "" when connected; else what failed and when it retries
  Header header;
  std::vector<ServiceRow> services;  ///< filtered, in the daemon's order (by name)
  std::vector<EndpointRow> endpoints;
  std::vector<AlertRow> alerts;    ///< severity (critical first), then newest first
  std::vector<ActionRow> actions;  ///< newest first
  std::string filter;
  int selected_service = -1;  ///< index into `services`, -1 when none
  int selected_alert = -1;    ///< index into `alerts`, -1 when none
};

/// Sorts alerts by severity (critical, warning, info, other), then newest first, then id.
void sortAlerts(std::vector<AlertRow>& alerts);
/// True when the filter (case-insensitive substring) matches the service's name or state.
bool matchesFilter(const std::string& filter, const std::string& name, const std::string& state);

/// What the shell should do after a message arrived.
struct Reaction {
  bool refetch_status = false;
  bool refetch_alerts = false;
};

enum class Focus { kServices, kAlerts };

class Model {
 public:
  static constexpr size_t kMaxActions = 50;

  /// A fresh /api/v1/status document (also marks the daemon reachable).
  void setStatus(nlohmann::json status);
  /// A fresh /api/v1/alerts array.
  void setAlerts(const nlohmann::json& alerts);
  /// A channel message (from the SSE stream or the recent-messages replay). Duplicates (same id,
  /// as after a resume) are ignored. Recovery and deploy messages become recent actions.
  Reaction onMessage(const nlohmann::json& message);
  /// The daemon went away (error says why) or came back.
  void setDisconnected(std::string error);
  void setConnected();
  bool connected() const { return connected_; }
  /// How many of the followed channel streams are open (live updates need all of them).
  void setStreams(int up, int total) {
    streams_up_ = up;
    streams_total_ = total;
  }

  // ---- interaction ----
  void setFilter(std::string filter);
  const std::string& filter() const { return filter_; }
  void moveSelection(int delta);
  void toggleFocus();
  Focus focus() const { return focus_; }
  /// The selected service's name ("" when none).
  std::string selectedService() const;
  /// The alert `a` acknowledges: the selected one when the alert list has focus, else the first
  /// unacknowledged alert of the selected service, else none.
  std::optional<int64_t> alertToAck() const;

  /// Builds the rows for `now`.
  View view(WallTime now) const;
  const nlohmann::json& status() const { return status_; }
  /// medic check's verdict on the status: 0 all healthy, 1 anything else or nothing protected.
  int exitStatus() const;

 private:
  std::vector<std::string> visibleServices() const;
  std::vector<AlertRow> alertRows(WallTime now) const;

  nlohmann::json status_;
  bool have_status_ = false;
  std::vector<AlertRow> alerts_;
  std::deque<ActionRow> actions_;
  std::set<int64_t> seen_ids_;
  bool connected_ = false;
  int streams_up_ = 0;
  int streams_total_ = 0;
  std::string disconnect_error_;
  std::string filter_;
  Focus focus_ = Focus::kServices;
  std::string selected_name_;
  int64_t selected_alert_id_ = 0;
};

}  // namespace medic::tui
