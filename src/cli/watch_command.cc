#include <iostream>
#include <memory>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include "cli/commands.h"
#include "core/log.h"
#include "core/sd_notify.h"
#include "daemon/daemon.h"

namespace medic::cli {
namespace {

struct WatchOptions {
  bool all = false;
  std::string listen;
};

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
  daemon::Daemon daemon(io, d);
  if (auto st = daemon.start(); !st) {
    std::cerr << "medic watch: cannot start: " << st.error().describe() << "\n";
    return kExitError;
  }
  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](boost::system::error_code ec, int sig) {
    if (ec) return;
    spdlog::info("signal {}: shutting down", sig);
    sdNotify("STOPPING=1");
    daemon.stop();
  });
  // systemd: ready once serving; watchdog pings come from a timer on the same loop, so they stop
  // when the loop stops making progress and systemd restarts medic.
  sdNotify("READY=1\nSTATUS=watching " + cfg.docker);
  boost::asio::steady_timer watchdog(io);
  std::function<void()> ping;
  if (auto interval = sdWatchdogInterval()) {
    ping = [&, every = *interval] {
      sdNotify("WATCHDOG=1");
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
      "Serves the API and dashboard on 127.0.0.1:8080 (config `listen:`).");
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
