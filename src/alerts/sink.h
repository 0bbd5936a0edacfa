#pragma once
/// The boundary between the alert queue and the places alerts go. Each sink is fed by the queue
/// through its own bounded queue and its own coroutine (alert_queue.h), so a dead or slow sink
/// delays nothing but itself.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "alerts/alert.h"
#include "core/result.h"

namespace medic::alerts {

/// Where a delivery runs. deliver() runs on `loop`; blocking work (files, fsync) goes to
/// `blocking` through runBlocking() and its result comes back to the loop.
struct SinkContext {
  boost::asio::any_io_executor loop;
  boost::asio::any_io_executor blocking;
};

/// How one delivery went, for `medic alert test`.
struct DeliveryReport {
  Status status = okStatus();
  int attempts = 1;
  int http_status = 0;  ///< the receiver's last HTTP status; 0 when there was none
};

class Sink {
 public:
  virtual ~Sink() = default;

  /// Delivers one alert (firing or resolved). Called from the sink's own coroutine, one delivery
  /// at a time, in queue order. Must finish within the sink's own deadline (timeouts and retries
  /// included), must never block the loop, and reports failure as an error value (never throws).
  virtual boost::asio::awaitable<Status> deliver(const Alert& alert, const SinkContext& ctx) = 0;

  /// Delivers like deliver() and reports the attempts and the receiver's answer (`medic alert
  /// test`). The default reports deliver()'s status.
  virtual boost::asio::awaitable<DeliveryReport> deliverTest(const Alert& alert,
                                                             const SinkContext& ctx) {
    DeliveryReport report;
    report.status = co_await deliver(alert, ctx);
    co_return report;
  }

  /// Called once by AlertQueue::start(), before any delivery, with the alerts the store holds
  /// (firing and recently resolved, newest first). Sinks that render a whole view (the critical
  /// file) rebuild it from these; others ignore them.
  virtual void seed(const std::vector<Alert>& /*alerts*/) {}

  /// True for a peer that forgets a firing alert unless it is told again (Alertmanager resolves
  /// alerts it has not heard of for resolve_timeout). The queue then re-sends every firing alert
  /// at start and every AlertQueueOptions::resend_interval.
  virtual bool wantsResend() const { return false; }
};

/// Runs `fn` (blocking) on ctx.blocking and resumes the awaiting coroutine on its own executor
/// with fn's result. `fn` must not throw. Not a coroutine itself (GCC 12 mishandles temporaries in
/// nested co_await chains); callers should pass a named lambda, moved in.
template <class F>
boost::asio::awaitable<std::invoke_result_t<F&>> runBlocking(const SinkContext& ctx, F fn) {
  namespace asio = boost::asio;
  using R = std::invoke_result_t<F&>;
  return asio::async_initiate<const asio::use_awaitable_t<>&, void(R)>(
      [](auto handler, asio::any_io_executor blocking, F work) {
        asio::post(blocking, [handler = std::move(handler), work = std::move(work)]() mutable {
          R result = work();
          auto home = asio::get_associated_executor(handler);
          asio::post(home, [handler = std::move(handler), result = std::move(result)]() mutable {
            std::move(handler)(std::move(result));
          });
        });
      },
      asio::use_awaitable, ctx.blocking, std::move(fn));
}

}  // namespace medic::alerts
