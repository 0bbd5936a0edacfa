#pragma once
/// logs/monitoring-alerts.log: one line per alert change, appended, for people and for grep.

#include <filesystem>
#include <string>

#include "alerts/sink.h"

namespace medic::alerts {

/// "<updated> <severity> <state> <service|-> #<id> <title>: <text>", newlines in title and text
/// turned into spaces so one alert is always one line. No trailing newline.
std::string formatLogLine(const Alert& alert);

class LogSink final : public Sink {
 public:
  /// `path` is created (with its directory) on the first alert; lines are appended (O_APPEND).
  explicit LogSink(std::filesystem::path path) : path_(std::move(path)) {}

  boost::asio::awaitable<Status> deliver(const Alert& alert, const SinkContext& ctx) override;

 private:
  std::filesystem::path path_;
};

}  // namespace medic::alerts
