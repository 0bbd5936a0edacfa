#include <cstdlib>
#include <functional>
#include <iostream>
#include <memory>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include "cli/commands.h"
#include "core/duration.h"
#include "core/log.h"
#include "core/sd_notify.h"
#include "daemon/daemon.h"

namespace medic::cli {
namespace {

struct WatchOptions {
  bool all = false;
  std::string listen;
};

/// MEDIC_TEST_* variables: hooks for the integration tests only (docs/operations.md says so).
daemon::TestHooks testHooksFromEnvForTest() {
  daemon::TestHooks hooks;
  auto millis = [](const char* name) {
    const char* v = std::getenv(name);
    return Millis(v != nullptr ? std::atoll(v) : 0);
  };
  hooks.wedge_after = millis("MEDIC_TEST_WEDGE_AFTER");
  if (const char* what = std::getenv("MEDIC_TEST_WEDGE"); what != nullptr) {
    hooks.wedge_loop = std::string(what) != "resync";
  }
  hooks.recreate_delay = millis("MEDIC_TEST_RECREATE_DELAY");
  if (hooks.wedge_after.count() > 0 || hooks.recreate_delay.count() > 0) {
    spdlog::warn("test hooks active (MEDIC_TEST_*): wedge after {} ms ({}), recreate delay {} ms",
                 hooks.wedge_after.count(), hooks.wedge_loop ? "loop" : "resync",
                 hooks.recreate_delay.count());
  }
  return hooks;
}

int runWatch(const GlobalOptions& global, const WatchOptions& opts) {
  config::Config cfg;
  try {
    cfg = resolveConfig(global);
  } catch (const config::ConfigError& e) {
    std::cerr << "medic watch: " << e.what() << "\n";
    return kExitError;
  }
  setupLogging(cfg.log_level);
  for (const auto& note : cfg.notes) spdlog::info("config: {}", note);
  boost::asio::io_context io;
  daemon::DaemonOptions d;
  d.config = cfg;
  d.state_dir = resolveStateDir(global, cfg);
  d.all = opts.all;
  d.listen_override = opts.listen;
  d.test_hooks = testHooksFromEnvForTest();
  // systemd: READY once the first resync pass has shown what runs.
  d.on_ready = [docker = cfg.docker] { sdNotify("READY=1\nSTATUS=watching " + docker); };
  daemon::Daemon daemon(io, d);
  // Signals are caught before start, so an early SIGHUP cannot kill the process.
  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](boost::system::error_code ec, int sig) {
    if (ec) return;
    spdlog::info("signal {}: shutting down", sig);
    sdNotify("STOPPING=1");
    daemon.stop();
    // A second signal while actions finish: exit now (their intents stay pending in the store).
    signals.async_wait([&](boost::system::error_code ec2, int sig2) {
      if (ec2) return;
      spdlog::warn("signal {} again: exiting without waiting for actions in flight", sig2);
      io.stop();
    });
  });
  // SIGHUP: reload the config; a config that does not parse or validate is rejected with its
  // file, line and key, and the running one stays.
  boost::asio::signal_set hangups(io, SIGHUP);
  std::function<void()> await_hangup = [&] {
    hangups.async_wait([&](boost::system::error_code ec, int) {
      if (ec) return;
      try {
        auto next = resolveConfig(global);
        for (const auto& note : next.notes) spdlog::info("config: {}", note);
        if (auto st = daemon.reload(std::move(next)); !st) {
          spdlog::error("config reload rejected, the running config stays: {}",
                        st.error().describe());
        }
      } catch (const config::ConfigError& e) {
        spdlog::error("config reload rejected, the running config stays: {}", e.what());
      }
      await_hangup();
    });
  };
  await_hangup();
  if (auto st = daemon.start(); !st) {
    std::cerr << "medic watch: cannot start: " << st.error().describe() << "\n";
    return kExitError;
  }
  // systemd watchdog: each ping is a check that the loop made progress (a resync pass completed
  // within stall_timeout), sent from a timer on that same loop. A blocked loop sends nothing; a
  // loop that runs but no longer gets through a resync withholds the ping. Either way systemd
  // restarts medic after WatchdogSec.
  boost::asio::steady_timer watchdog(io);
  std::function<void()> ping;
  bool withheld = false;
  if (auto interval = sdWatchdogInterval()) {
    ping = [&, every = *interval] {
      if (daemon.makingProgress()) {
        sdNotify("WATCHDOG=1");
        withheld = false;
      } else if (!withheld) {
        withheld = true;
        spdlog::error(
            "no resync pass completed within stall_timeout ({}): withholding the "
            "systemd watchdog ping so that systemd restarts medic",
            formatDuration(cfg.stall_timeout));
      }
      watchdog.expires_after(every);
      watchdog.async_wait([&](boost::system::error_code ec) {
        if (!ec) ping();
      });
    };
    ping();
  }
  io.run();
  return kExitOk;
}

}  // namespace

void registerWatch(CLI::App& root, const GlobalOptions& global, int& exit_status) {
  auto opts = std::make_shared<WatchOptions>();
  auto* cmd = root.add_subcommand(
      "watch",
      "Run the daemon: detect exits, stops, unhealthy, hung and removed containers within a second\n"
      "and repair them (start/restart -> recreate from snapshot -> roll back -> escalate).\n"
      "Serves the API and dashboard on 127.0.0.1:8080 (config `listen:`).\n"
      "SIGHUP reloads the config (a bad one is rejected and logged, the running one stays);\n"
      "SIGTERM/SIGINT stop it, letting an in-flight recreate finish (config `shutdown_timeout`).");
  cmd->footer(
      "Examples:\n"
      "  medic watch                         # protect containers labelled medic.enable=true\n"
      "  medic watch --config medic.yaml\n"
      "  medic watch --all --listen 127.0.0.1:9090 --state-dir /tmp/medic");
  cmd->add_flag("--all", opts->all, "Protect every container on the host");
  cmd->add_option("--listen", opts->listen, "API address host:port (overrides config `listen`)");
  cmd->callback([&global, &exit_status, opts] { exit_status = runWatch(global, *opts); });
}

}  // namespace medic::cli
