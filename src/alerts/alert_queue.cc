#include "alerts/alert_queue.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/thread_pool.hpp>
#include <deque>
#include <exception>

#include "evidence/redact.h"
#include "store/store.h"

namespace medic::alerts {
namespace asio = boost::asio;

namespace {

/// Without a store, resolved alerts beyond this many are forgotten (oldest first).
constexpr size_t kMaxMemoryAlerts = 1000;
/// Bounded input: an alert is a message for a person, not a log dump. The text is redacted before
/// it is cut, so a secret that straddles the cut is not kept as a half.
constexpr size_t kMaxTitleBytes = 256;
constexpr size_t kMaxTextBytes = 4096;
constexpr size_t kMaxLabelBytes = 256;

/// Cuts `text` to at most `max` bytes on a UTF-8 character boundary, marking the cut.
std::string bounded(std::string_view text, size_t max) {
  if (text.size() <= max) return std::string(text);
  constexpr std::string_view kMark = " [truncated]";
  size_t cut = max - kMark.size();
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return std::string(text.substr(0, cut)) + std::string(kMark);
}

WallTime fromMillis(int64_t ms) {
  return WallTime(std::chrono::milliseconds(ms));
}

Alert fromRecord(const store::AlertRecord& r) {
  Alert a;
  a.id = r.id;
  a.dedup_key = r.dedup_key;
  a.severity = parseSeverity(r.severity).value_or(Severity::kWarning);
  a.service = r.service;
  a.title = r.title;
  a.text = r.text;
  a.state = r.state == store::AlertState::kFiring ? AlertState::kFiring : AlertState::kResolved;
  a.created = fromMillis(r.created_at_ms);
  a.updated = fromMillis(r.updated_at_ms);
  if (r.resolved_at_ms) a.resolved = fromMillis(*r.resolved_at_ms);
  a.acked = r.acked;
  a.fire_count = r.fire_count;
  return a;
}

/// Labels are flat name -> text; anything else is dropped, long values are cut.
nlohmann::json redactLabels(const nlohmann::json& labels) {
  nlohmann::json flat = nlohmann::json::object();
  if (!labels.is_object()) return flat;
  for (const auto& [name, value] : labels.items()) {
    if (name.empty() || name.size() > kMaxLabelBytes) continue;
    if (value.is_string()) {
      flat[name] = bounded(value.get<std::string>(), kMaxLabelBytes);
    } else if (value.is_number() || value.is_boolean()) {
      flat[name] = value.dump();
    }
  }
  return evidence::redactJson(flat);
}

}  // namespace

struct AlertQueue::Blocking {
  asio::thread_pool pool{1};
};

/// One sink with its bounded queue and the coroutine that drains it. Shared with that coroutine,
/// so a delivery in flight keeps it alive after the queue is gone.
struct AlertQueue::Worker {
  Worker(const asio::any_io_executor& loop, std::string n, Severity min, std::unique_ptr<Sink> s,
         size_t cap)
      : name(std::move(n)), min_severity(min), sink(std::move(s)), capacity(cap), signal(loop) {}

  std::string name;
  Severity min_severity;
  std::unique_ptr<Sink> sink;
  size_t capacity;
  std::deque<Alert> queue;
  asio::steady_timer signal;  ///< waits "forever"; cancelled to wake the coroutine
  bool busy = false;
  bool stopped = false;
  uint64_t sent = 0;
  uint64_t failed = 0;
  uint64_t dropped = 0;
  std::string last_error;
};

asio::awaitable<void> AlertQueue::drain(std::shared_ptr<Worker> w, SinkContext ctx) {
  while (!w->stopped) {
    if (w->queue.empty()) {
      w->signal.expires_at(asio::steady_timer::time_point::max());
      co_await w->signal.async_wait(asio::as_tuple(asio::use_awaitable));
      continue;
    }
    Alert alert = std::move(w->queue.front());
    w->queue.pop_front();
    w->busy = true;
    Status st = co_await w->sink->deliver(alert, ctx);
    w->busy = false;
    if (st) {
      ++w->sent;
    } else {
      ++w->failed;
      w->last_error = st.error().describe();
      spdlog::warn("alert sink {}: alert {} ({}) not delivered: {}", w->name, alert.id,
                   alert.dedup_key, w->last_error);
    }
  }
}

AlertQueue::AlertQueue(asio::any_io_executor loop, store::Store* store, Options options)
    : loop_(std::move(loop)),
      store_(store),
      options_(options),
      blocking_(std::make_unique<Blocking>()) {
  options_.sink_queue_capacity = std::max<size_t>(1, options_.sink_queue_capacity);
  if (options_.resend_interval < Millis(1000)) options_.resend_interval = Millis(1000);
}

AlertQueue::~AlertQueue() {
  stop();
}

void AlertQueue::addSink(std::string name, Severity min_severity, std::unique_ptr<Sink> sink) {
  workers_.push_back(std::make_shared<Worker>(loop_, std::move(name), min_severity, std::move(sink),
                                              options_.sink_queue_capacity));
}

Status AlertQueue::start() {
  if (started_) return okStatus();
  std::vector<Alert> known;
  if (store_ != nullptr) {
    auto rows = store_->listAlerts(false);
    if (!rows) return rows.error();
    for (const auto& r : *rows) {
      Alert a = fromRecord(r);
      if (a.firing()) firing_.emplace(a.dedup_key, a);
      known.push_back(std::move(a));
    }
  } else {
    known.assign(memory_.rbegin(), memory_.rend());
  }
  started_ = true;
  const SinkContext ctx{loop_, blocking_->pool.get_executor()};
  for (auto& w : workers_) {
    w->sink->seed(known);
    asio::co_spawn(loop_, drain(w, ctx), [name = w->name](const std::exception_ptr& e) {
      if (!e) return;
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& ex) {
        spdlog::error("alert sink {} stopped: {}", name, ex.what());
      }
    });
  }
  armResend();
  // Peers that forget (Alertmanager) hear about what fires right away, e.g. after a restart.
  for (auto& w : workers_) {
    if (!w->sink->wantsResend()) continue;
    for (const auto& [key, alert] : firing_) {
      if (alert.severity >= w->min_severity) enqueue(*w, alert);
    }
  }
  return okStatus();
}

void AlertQueue::stop() {
  if (stopped_) return;
  stopped_ = true;
  *alive_ = false;
  if (resend_timer_) resend_timer_->cancel();
  for (auto& w : workers_) {
    w->stopped = true;
    w->queue.clear();
    w->signal.cancel();
  }
  blocking_->pool.join();
}

void AlertQueue::armResend() {
  const bool any = std::any_of(workers_.begin(), workers_.end(),
                               [](const auto& w) { return w->sink->wantsResend(); });
  if (!any || stopped_) return;
  if (!resend_timer_) resend_timer_ = std::make_unique<asio::steady_timer>(loop_);
  resend_timer_->expires_after(options_.resend_interval);
  resend_timer_->async_wait([this, alive = alive_](boost::system::error_code ec) {
    if (ec || !*alive) return;
    for (auto& w : workers_) {
      if (!w->sink->wantsResend()) continue;
      for (const auto& [key, alert] : firing_) {
        if (alert.severity >= w->min_severity) enqueue(*w, alert);
      }
    }
    armResend();
  });
}

void AlertQueue::enqueue(Worker& w, const Alert& alert) {
  if (w.stopped) return;
  if (w.queue.size() >= w.capacity) {
    w.queue.pop_front();
    ++w.dropped;
  }
  w.queue.push_back(alert);
  w.signal.cancel();
}

void AlertQueue::route(const Alert& alert) {
  for (auto& w : workers_) {
    if (alert.severity >= w->min_severity) enqueue(*w, alert);
  }
}

Result<Alert> AlertQueue::raise(const AlertSpec& spec, WallTime now) {
  if (spec.dedup_key.empty()) {
    return Error::make(ErrorKind::kBadRequest, "an alert needs a dedup key (e.g. failed:webui)");
  }
  ++raised_;
  Alert next;
  next.dedup_key = spec.dedup_key;
  next.severity = spec.severity;
  next.service = spec.service;
  next.title = bounded(evidence::redactText(spec.title), kMaxTitleBytes);
  next.text = bounded(evidence::redactText(spec.text), kMaxTextBytes);
  next.labels = redactLabels(spec.labels);
  next.created = now;
  next.updated = now;

  const auto previous = firing_.find(spec.dedup_key);
  const bool was_firing = previous != firing_.end();
  const bool louder = was_firing && next.severity > previous->second.severity;
  const Severity was_severity = was_firing ? previous->second.severity : next.severity;
  if (was_firing) {
    // An alert keeps the highest severity it reached until it resolves: a quieter repeat must
    // not split its identity in sinks that label by severity (Alertmanager).
    next.severity = std::max(next.severity, was_severity);
    next.id = previous->second.id;
    next.created = previous->second.created;
    next.acked = previous->second.acked;
    next.fire_count = previous->second.fire_count + 1;
  }

  bool persisted = false;
  if (store_ != nullptr) {
    store::AlertRecord r;
    r.dedup_key = next.dedup_key;
    r.severity = toString(next.severity);
    r.service = next.service;
    r.title = next.title;
    r.text = next.text;
    r.created_at_ms = toUnixMillis(now);
    r.updated_at_ms = r.created_at_ms;
    auto up = store_->upsertAlert(r);
    if (up) {
      auto row = store_->getAlert(up->id);
      if (row && *row) {
        const nlohmann::json labels = next.labels;
        next = fromRecord(**row);
        next.labels = labels;
        persisted = true;
      }
    }
    if (!persisted) {
      ++store_failures_;
      spdlog::warn(
          "alert {} is delivered but not stored: {}", spec.dedup_key,
          up ? std::string("the stored row could not be read back") : up.error().describe());
    }
  }
  if (!persisted) {
    if (!was_firing) {
      next.id = store_ != nullptr ? next_unpersisted_id_-- : next_memory_id_++;
    } else if (store_ == nullptr) {
      // Keep the in-memory copy in step with the firing view.
      for (auto& m : memory_) {
        if (m.id == next.id) m = next;
      }
    }
    if (store_ == nullptr && !was_firing) {
      memory_.push_back(next);
      if (memory_.size() > kMaxMemoryAlerts) {
        auto oldest_resolved = std::find_if(memory_.begin(), memory_.end(),
                                            [](const Alert& a) { return !a.firing(); });
        if (oldest_resolved != memory_.end()) memory_.erase(oldest_resolved);
      }
    }
  }
  if (!next.labels.empty()) labels_[next.id] = next.labels;
  firing_[next.dedup_key] = next;
  if (!was_firing) route(next);
  if (louder) {
    Alert routed = next;
    routed.replaces_severity = was_severity;
    route(routed);
  }
  return next;
}

Result<bool> AlertQueue::resolve(std::string_view dedup_key, WallTime now) {
  const auto it = firing_.find(dedup_key);
  bool stored = false;
  if (store_ != nullptr) {
    auto r = store_->resolveAlert(dedup_key, toUnixMillis(now));
    if (!r) {
      ++store_failures_;
      spdlog::warn("alert {} resolved but not stored: {}", dedup_key, r.error().describe());
    } else {
      stored = *r;
    }
  }
  if (it == firing_.end()) return stored;
  Alert done = it->second;
  firing_.erase(it);
  done.state = AlertState::kResolved;
  done.updated = now;
  done.resolved = now;
  for (auto& m : memory_) {
    if (m.id == done.id) m = done;
  }
  ++resolved_;
  route(done);
  return true;
}

Status AlertQueue::ack(int64_t id) {
  bool found = false;
  if (store_ != nullptr && id > 0) {
    if (auto st = store_->ackAlert(id); !st) return st;
    found = true;
  }
  for (auto& [key, alert] : firing_) {
    if (alert.id == id) alert.acked = found = true;
  }
  for (auto& m : memory_) {
    if (m.id == id) m.acked = found = true;
  }
  if (!found) {
    return Error::make(ErrorKind::kNotFound,
                       "no alert with id " + std::to_string(id) + " (list them with medic alerts)");
  }
  return okStatus();
}

Result<std::vector<Alert>> AlertQueue::list(bool firing_only) const {
  std::vector<Alert> out;
  if (store_ != nullptr) {
    auto rows = store_->listAlerts(firing_only);
    if (!rows) return rows.error();
    for (const auto& r : *rows) {
      Alert a = fromRecord(r);
      if (auto l = labels_.find(a.id); l != labels_.end()) a.labels = l->second;
      out.push_back(std::move(a));
    }
    // Alerts the store refused are still news; show them first.
    for (const auto& [key, alert] : firing_) {
      if (alert.id < 0) out.insert(out.begin(), alert);
    }
    return out;
  }
  for (auto it = memory_.rbegin(); it != memory_.rend(); ++it) {
    if (!firing_only || it->firing()) out.push_back(*it);
  }
  return out;
}

AlertCounters AlertQueue::counters() const {
  AlertCounters c;
  for (const auto& w : workers_) {
    c.sinks.push_back(SinkCounters{w->name, w->min_severity, w->sent, w->failed, w->dropped,
                                   w->queue.size(), w->last_error});
  }
  for (const auto& [key, alert] : firing_) ++c.firing[static_cast<size_t>(alert.severity)];
  c.raised = raised_;
  c.resolved = resolved_;
  c.store_failures = store_failures_;
  return c;
}

bool AlertQueue::idle() const {
  return std::all_of(workers_.begin(), workers_.end(),
                     [](const auto& w) { return w->queue.empty() && !w->busy; });
}

}  // namespace medic::alerts
