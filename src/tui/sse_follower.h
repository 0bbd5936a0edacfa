#pragma once
/// Follows one channel of the daemon (GET /api/v1/channels/{name}/events) on its own thread and
/// hands each message to a callback. After a disconnect it reconnects with backoff (0.25 s doubling
/// to `max_backoff`) and resumes with Last-Event-ID from the last message it delivered, so nothing
/// is lost or delivered twice. stop() ends it at once (it shuts the socket down).

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "core/time.h"

namespace medic::tui {

/// Host, port and path prefix of an "http://host:port" URL; false when it is not one.
bool splitHttpUrl(const std::string& url, std::string& host, std::string& port);

class SseFollower {
 public:
  using OnMessage = std::function<void(const nlohmann::json& message)>;
  /// Called with true when the stream opened, false (and what failed) when it dropped or an
  /// attempt to open it failed.
  using OnConnection = std::function<void(bool connected, const std::string& error)>;

  SseFollower(std::string url, std::string channel, OnMessage on_message,
              OnConnection on_connection, Millis max_backoff = Millis(5000));
  ~SseFollower();
  SseFollower(const SseFollower&) = delete;
  SseFollower& operator=(const SseFollower&) = delete;

  void start();
  void stop();

 private:
  void run();
  /// One connection; returns when it ends (error says why).
  void followOnce(std::string& error);

  std::string url_;
  std::string channel_;
  OnMessage on_message_;
  OnConnection on_connection_;
  Millis max_backoff_;
  int64_t last_id_ = -1;
  std::atomic<bool> stopping_{false};
  std::mutex mu_;
  std::condition_variable cv_;
  int fd_ = -1;  ///< guarded by mu_
  std::thread thread_;
};

}  // namespace medic::tui
