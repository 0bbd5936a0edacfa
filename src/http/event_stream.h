#pragma once
/// The sending side of one server-sent-events connection. Handlers and publishers call send();
/// the server drains the queue to the socket at the client's pace. The queue is bounded (messages
/// and bytes): when a client reads too slowly for it to drain, send() refuses, the stream closes
/// and the server drops the connection (DESIGN §4: a slow client never slows anyone else).
///
/// Threading: everything on the daemon's loop.

#include <cstddef>
#include <deque>
#include <functional>
#include <string>
#include <vector>

namespace medic::http {

class EventStream {
 public:
  static constexpr size_t kDefaultMaxMessages = 256;
  static constexpr size_t kDefaultMaxBytes = 262'144;  ///< 256 KiB

  explicit EventStream(size_t max_messages = kDefaultMaxMessages,
                       size_t max_bytes = kDefaultMaxBytes);
  ~EventStream();
  EventStream(const EventStream&) = delete;
  EventStream& operator=(const EventStream&) = delete;

  /// Queues text for the client. False when the stream is closed, or when the queue is full — then
  /// the stream closes as overflowed and the client is disconnected.
  bool send(std::string text);
  /// Ends the stream: the server sends what is queued (unless overflowed) and closes.
  void close();
  bool closed() const { return closed_; }
  bool overflowed() const { return overflowed_; }
  size_t queuedMessages() const { return queue_.size(); }
  /// Called once when the stream ends for any reason (client gone, overflow, close()).
  void onClose(std::function<void()> fn);

  // ---- for the server ----
  /// `wake` is called when text is queued or the stream closes; `abort` when it overflows (the
  /// server closes the socket so a blocked write ends). Cleared with detach().
  void attach(std::function<void()> wake, std::function<void()> abort);
  void detach();
  /// Everything queued, concatenated (empty when nothing is).
  std::string take();

 private:
  void finish();

  size_t max_messages_;
  size_t max_bytes_;
  size_t bytes_ = 0;
  std::deque<std::string> queue_;
  bool closed_ = false;
  bool overflowed_ = false;
  std::vector<std::function<void()>> on_close_;
  std::function<void()> wake_;
  std::function<void()> abort_;
};

}  // namespace medic::http
