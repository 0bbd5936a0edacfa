#pragma once
/// alerts/critical-failures.json: every firing critical alert and the recently resolved ones, as
/// one JSON array rewritten atomically (temp file + rename) on every change, so a reader (a
/// person, a monitoring agent) never sees a torn file.

#include <filesystem>
#include <map>
#include <vector>

#include "alerts/sink.h"

namespace medic::alerts {

struct CriticalFileOptions {
  Millis keep_resolved{24 * 60 * 60 * 1000};  ///< resolved alerts stay this long ...
  size_t max_resolved = 100;                  ///< ... and at most this many of them
};

/// The file's content: firing alerts first, then resolved ones, each newest first (toJson shape).
std::string renderCriticalFile(const std::vector<Alert>& alerts);

class CriticalFileSink final : public Sink {
 public:
  /// Only critical alerts are kept; route only critical alerts here (min severity critical).
  explicit CriticalFileSink(std::filesystem::path path, CriticalFileOptions options = {})
      : path_(std::move(path)), options_(options) {}

  boost::asio::awaitable<Status> deliver(const Alert& alert, const SinkContext& ctx) override;
  void seed(const std::vector<Alert>& alerts) override;

 private:
  void remember(const Alert& alert);
  /// Forgets resolved alerts older than keep_resolved before `newest` and beyond max_resolved.
  void prune(WallTime newest);

  std::filesystem::path path_;
  CriticalFileOptions options_;
  std::map<int64_t, Alert> alerts_;  ///< by id
};

}  // namespace medic::alerts
