#pragma once
/// Helpers for the alerts unit tests: a temp dir, stepping the loop until a condition holds, and a
/// recording sink that can be held shut to fill its queue.

#include <stdlib.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <string>
#include <vector>

#include "alerts/sink.h"

namespace medic::alerts::testing {

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "medic-alerts-XXXXXX").string();
    path_ = ::mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

inline std::string readFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

/// Runs handlers on `io` until `done()` holds or `timeout` passes; returns done().
inline bool runUntil(boost::asio::io_context& io, const std::function<bool()>& done,
                     std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done() && std::chrono::steady_clock::now() < deadline) {
    io.restart();
    io.run_one_for(std::chrono::milliseconds(10));
  }
  return done();
}

/// Records every alert it is given. While held, deliveries wait (the sink is "slow") until
/// release(); `fail` makes deliveries fail.
class RecordingSink final : public Sink {
 public:
  struct State {
    std::vector<Alert> delivered;
    bool held = false;
    bool fail = false;
    std::vector<boost::asio::steady_timer*> waiting;
    std::vector<Alert> seeded;
  };

  explicit RecordingSink(std::shared_ptr<State> state, bool resend = false)
      : state_(std::move(state)), resend_(resend) {}

  boost::asio::awaitable<Status> deliver(const Alert& alert, const SinkContext& ctx) override {
    if (state_->held) {
      boost::asio::steady_timer gate(ctx.loop, boost::asio::steady_timer::time_point::max());
      state_->waiting.push_back(&gate);
      co_await gate.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
    }
    state_->delivered.push_back(alert);
    if (state_->fail) co_return Error::make(ErrorKind::kUnreachable, "recording sink told to fail");
    co_return okStatus();
  }
  void seed(const std::vector<Alert>& alerts) override { state_->seeded = alerts; }
  bool wantsResend() const override { return resend_; }

  static void release(State& s) {
    s.held = false;
    for (auto* t : s.waiting) t->cancel();
    s.waiting.clear();
  }

 private:
  std::shared_ptr<State> state_;
  bool resend_;
};

}  // namespace medic::alerts::testing
