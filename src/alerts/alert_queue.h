#pragma once
/// The alert queue: raises, deduplicates, resolves and acknowledges alerts, persists them through
/// the store, and routes each change to the sinks whose minimum severity it reaches.
///
/// Threading: everything runs on the daemon's loop (the executor given to the constructor); call
/// the methods from that loop only. The store is used synchronously from the loop, as the daemon
/// does. File I/O of the file sinks runs on one private worker thread (SinkContext::blocking).
///
/// Fan-out (DESIGN habit 7): every sink has its own bounded queue (drop oldest, counted) and its
/// own coroutine, so a dead webhook or a hung command delays neither the loop nor another sink.
///
/// When sinks hear about an alert: when it starts firing, when it fires again with a higher
/// severity (that copy carries replaces_severity), and when it resolves. Firing again at the same
/// or lower severity only counts (fire_count): a firing alert keeps the highest severity it
/// reached. Acknowledging changes no sink. Sinks that want it (Alertmanager) are also sent
/// every firing alert at start and every resend_interval.

#include <array>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "alerts/alert.h"
#include "alerts/sink.h"
#include "core/result.h"
#include "core/time.h"

namespace medic::store {
class Store;
}

namespace medic::alerts {

struct AlertQueueOptions {
  size_t sink_queue_capacity = 256;  ///< per sink; when full the oldest waiting alert is dropped
  Millis resend_interval{60'000};    ///< re-send firing alerts to sinks that want it
};

struct SinkCounters {
  std::string name;
  Severity min_severity = Severity::kInfo;
  uint64_t sent = 0;     ///< deliveries that succeeded
  uint64_t failed = 0;   ///< deliveries that failed after the sink's own retries
  uint64_t dropped = 0;  ///< alerts dropped because the sink's queue was full
  size_t queued = 0;     ///< waiting now (not counting the one in flight)
  std::string last_error;
};

struct AlertCounters {
  std::vector<SinkCounters> sinks;
  std::array<int64_t, 3> firing{};  ///< firing alerts per severity, indexed by Severity
  uint64_t raised = 0;              ///< raise() calls
  uint64_t resolved = 0;            ///< alerts resolved
  uint64_t store_failures = 0;      ///< writes the store refused (the alert was still delivered)

  int64_t firingCount(Severity s) const { return firing[static_cast<size_t>(s)]; }
};

class AlertQueue {
 public:
  using Options = AlertQueueOptions;

  /// `store` may be nullptr: alerts then live in memory only (tests, or a store that is unusable).
  /// The store must outlive the queue.
  AlertQueue(boost::asio::any_io_executor loop, store::Store* store, Options options = {});
  ~AlertQueue();
  AlertQueue(const AlertQueue&) = delete;
  AlertQueue& operator=(const AlertQueue&) = delete;

  /// Adds a sink that gets alerts of `min_severity` and above. `name` labels its counters
  /// ("log", "webhook", ...). Call before start().
  void addSink(std::string name, Severity min_severity, std::unique_ptr<Sink> sink);

  /// Loads the firing alerts from the store (nothing is lost across a restart), seeds the sinks,
  /// starts one coroutine per sink and the resend timer. Fails when the store cannot be read.
  Status start();
  /// Stops the sink coroutines after their delivery in flight (each bounded by its deadline) and
  /// joins the file worker. Queued alerts are dropped; they stay in the store. Idempotent.
  void stop();

  /// Raises an alert (title, text and labels are redacted first). While an alert with the same
  /// dedup key fires, this updates it (fire_count + 1) instead of adding one. Returns the alert
  /// as stored. When the store refuses the write the alert is still delivered to the sinks (an
  /// alert about a full disk must get out), counted in store_failures, and gets a negative
  /// in-memory id.
  Result<Alert> raise(const AlertSpec& spec, WallTime now);
  /// Resolves the firing alert with this key and tells the sinks; false when none was firing.
  Result<bool> resolve(std::string_view dedup_key, WallTime now);
  /// Marks an alert acknowledged (idempotent); kNotFound for an unknown id.
  Status ack(int64_t id);
  /// Newest first; only firing ones when `firing_only`.
  Result<std::vector<Alert>> list(bool firing_only) const;

  AlertCounters counters() const;
  /// True when no sink has an alert waiting or in flight (tests, orderly shutdown).
  bool idle() const;

 private:
  struct Worker;
  static boost::asio::awaitable<void> drain(std::shared_ptr<Worker> worker, SinkContext ctx);

  void route(const Alert& alert);
  void enqueue(Worker& worker, const Alert& alert);
  void armResend();

  boost::asio::any_io_executor loop_;
  store::Store* store_;
  Options options_;
  struct Blocking;
  std::unique_ptr<Blocking> blocking_;
  std::vector<std::shared_ptr<Worker>> workers_;
  /// Firing alerts by dedup key: the queue's view of what fires (loaded at start).
  std::map<std::string, Alert, std::less<>> firing_;
  /// Alerts kept when there is no store (newest last), and labels (the store has no column).
  std::vector<Alert> memory_;
  std::map<int64_t, nlohmann::json> labels_;
  int64_t next_memory_id_ = 1;
  int64_t next_unpersisted_id_ = -1;
  uint64_t raised_ = 0;
  uint64_t resolved_ = 0;
  uint64_t store_failures_ = 0;
  bool started_ = false;
  bool stopped_ = false;
  /// Shared with the resend coroutine so it can tell, after stop(), that `this` is gone.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  std::unique_ptr<boost::asio::steady_timer> resend_timer_;
};

}  // namespace medic::alerts
