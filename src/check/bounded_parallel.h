#pragma once
/// Fan-out over many services (inspects, probes, checks) with a bound: at most `width` calls run
/// at once, so 1,000 services neither flood the engine with 1,000 connections nor take 1,000 times
/// one call; the results come back in the order they were asked for.

#include <algorithm>
#include <cstddef>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/experimental/parallel_group.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace medic::check {

/// Runs `make(i)` (a boost::asio::awaitable<T>) for i in [0, n), `width` at a time, in groups:
/// a group ends when its slowest call does. T must be default-constructible: the slot of a call
/// that threw keeps T{}.
template <class T, class Make>
boost::asio::awaitable<std::vector<T>> boundedParallel(size_t n, size_t width, Make make) {
  namespace asio = boost::asio;
  std::vector<T> out(n);
  if (n == 0) co_return out;
  width = std::max<size_t>(width, 1);
  auto ex = co_await asio::this_coro::executor;
  using Op = decltype(asio::co_spawn(ex, make(size_t{0}), asio::deferred));
  for (size_t first = 0; first < n; first += width) {
    const size_t last = std::min(n, first + width);
    std::vector<Op> ops;
    ops.reserve(last - first);
    for (size_t i = first; i < last; ++i) ops.push_back(asio::co_spawn(ex, make(i), asio::deferred));
    auto [order, errors, results] =
        co_await asio::experimental::make_parallel_group(std::move(ops))
            .async_wait(asio::experimental::wait_for_all(), asio::use_awaitable);
    (void)order;
    for (size_t k = 0; k < results.size(); ++k) {
      if (!errors[k]) out[first + k] = std::move(results[k]);
    }
  }
  co_return out;
}

}  // namespace medic::check
