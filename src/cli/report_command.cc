// `medic report [--since 7d] [--json]`: the weekly review. It reads the store file in the state
// dir directly — SQLite's WAL lets it read while a daemon writes, and it works when no daemon runs
// (the review of a host whose medic is down is when it matters) — and never changes a row.
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>

#include "cli/commands.h"
#include "core/duration.h"
#include "report/report.h"
#include "store/store.h"

namespace medic::cli {

void registerReport(CLI::App& root, const GlobalOptions& global, int& exit_status) {
  auto* cmd = root.add_subcommand(
      "report",
      "The weekly review: incidents with detection and recovery times (median, p95), services by "
      "incident count, flapping services, false alarms, escalations, alerts by severity");
  cmd->footer(
      "Examples:\n  medic report\n  medic report --since 30d --json\n"
      "  medic report --since 24h --state-dir /var/lib/medic");
  auto since = std::make_shared<std::string>("7d");
  auto flap_window = std::make_shared<std::string>();
  cmd->add_option("--since", *since, "How far back to look, as a duration (default 7d)");
  cmd->add_option("--flap-window", *flap_window,
                  "A failure this soon after a recovery is a flap (default: the config's "
                  "defaults.recovery.flap_window, 5m)");
  cmd->callback([&global, &exit_status, since, flap_window] {
    auto fail = [&](const std::string& message) {
      std::cerr << "medic report: " << message << "\n";
      exit_status = kExitError;
    };
    auto span = parseDuration(*since);
    if (!span || span->count() <= 0) {
      return fail("--since '" + *since + "' is not a duration (use e.g. 24h, 7d, 30d)");
    }
    config::Config cfg;
    try {
      cfg = resolveConfig(global);
    } catch (const config::ConfigError& e) {
      return fail(e.what());
    }
    report::ReportWindow window;
    window.flap_window = cfg.defaults.recovery.flap_window;
    if (!flap_window->empty()) {
      auto fw = parseDuration(*flap_window);
      if (!fw || fw->count() <= 0) {
        return fail("--flap-window '" + *flap_window + "' is not a duration (use e.g. 5m)");
      }
      window.flap_window = *fw;
    }
    const auto db = std::filesystem::path(resolveStateDir(global, cfg)) / "medic.db";
    if (!std::filesystem::exists(db)) {
      return fail("no store at " + db.string() +
                  ": medic has not run with this state dir (pass --state-dir or --config)");
    }
    auto store = store::Store::open(db);
    if (!store) return fail(store.error().message);
    window.until_ms = toUnixMillis(SystemClock().now().wall);
    window.since_ms = window.until_ms - span->count();
    auto built = report::reportFromStore(**store, window);
    if (!built) return fail(built.error().message);
    if (global.json) {
      std::cout << built->toJson().dump(2) << "\n";
    } else {
      std::cout << built->toText();
    }
    exit_status = kExitOk;
  });
}

}  // namespace medic::cli
