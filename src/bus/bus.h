#pragma once
/// The embedded message bus (DESIGN §5 channels): publish assigns an id, persists the message in
/// the store (or keeps it in a bounded in-memory history when there is none) and hands it to every
/// subscriber of its channel. Subscribers own bounded queues: delivery never blocks the publisher,
/// and a subscriber whose queue is full refuses the message and is dropped (counted), so a slow
/// client cannot slow the others (DESIGN §4).
///
/// Threading: not thread-safe; use it on the daemon's loop (like the store it wraps). Because
/// replay (since) and subscribe happen in the same turn of the loop as any publish, a client that
/// replays then subscribes misses nothing and sees nothing twice.

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "bus/message.h"
#include "core/result.h"
#include "core/time.h"
#include "store/store.h"

namespace medic::bus {

struct BusCounters {
  uint64_t published = 0;
  uint64_t dropped_subscribers = 0;  ///< subscribers dropped because their queue was full
  uint64_t persist_failures = 0;
};

class Bus {
 public:
  /// `store` may be null (in-memory history of `memory_history` messages). `host` defaults to
  /// this machine's hostname.
  explicit Bus(store::Store* store, std::string host = "", size_t memory_history = 1000,
               const Clock* clock = nullptr);

  /// Assigns id (and host/ts when empty), persists, delivers. kBadRequest for an unknown channel;
  /// a store failure is returned and nothing is delivered (a message without an id cannot be
  /// resumed from).
  Result<Message> publish(Message m);

  /// Messages on `channel` with id > after_id, oldest first, at most `limit`.
  Result<std::vector<Message>> since(std::string_view channel, int64_t after_id, int limit) const;
  /// The newest `limit` messages on `channel`, oldest first.
  Result<std::vector<Message>> latest(std::string_view channel, int limit) const;
  /// The highest id ever assigned (0 when none).
  int64_t lastId() const;

  /// The subscriber returns false when it cannot take the message (queue full or gone): it is
  /// then unsubscribed and counted in dropped_subscribers.
  using Deliver = std::function<bool(const Message&)>;
  uint64_t subscribe(std::string channel, Deliver deliver);
  void unsubscribe(uint64_t id);
  size_t subscriberCount(std::string_view channel = {}) const;
  const BusCounters& counters() const { return counters_; }

 private:
  struct Sub {
    std::string channel;
    Deliver deliver;
  };
  store::Store* store_;
  std::string host_;
  size_t memory_history_;
  const Clock* clock_;
  int64_t last_id_ = 0;
  std::deque<Message> memory_;
  std::map<uint64_t, Sub> subs_;
  uint64_t next_sub_ = 1;
  BusCounters counters_;
};

std::string localHostname();

}  // namespace medic::bus
