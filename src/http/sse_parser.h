#pragma once
/// The receiving side of server-sent events (text/event-stream), as `medic events` and `medic top`
/// read the daemon's channels: "id:" and "data:" lines up to a blank line end one event; several
/// data lines join with '\n'; ':' lines are comments; other fields are ignored. Pure: the callers
/// own the socket and hand over one line at a time.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace medic::http {

struct SseEvent {
  std::string data;
  std::optional<int64_t> id;  ///< the event's "id:" when it had a numeric one
};

class SseParser {
 public:
  /// One line without its '\n' (a trailing '\r' is dropped). Returns the event a blank line
  /// completes; nothing for every other line, and for a blank line after no data.
  std::optional<SseEvent> feedLine(std::string_view line);

 private:
  std::string data_;
  bool has_data_ = false;
  std::optional<int64_t> id_;
};

}  // namespace medic::http
