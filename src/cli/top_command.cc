// `medic top`: the terminal dashboard, a client of the running daemon's API (DESIGN §5). The
// interactive screen lives in src/tui; `--once` prints one plain-text frame and `--json` the status
// document. Exit status of --once/--json follows `medic check`: 0 all healthy, 1 anything else (or
// nothing protected), 2 when the daemon or its engine cannot be reached.
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <memory>

#include "cli/commands.h"
#include "cli/daemon_client.h"
#include "core/duration.h"
#include "tui/daemon_api.h"
#include "tui/frame.h"
#include "tui/screen.h"

namespace medic::cli {
namespace {

struct TopOptions {
  bool once = false;
  std::string token_file;
  std::string refresh = "10s";
  bool no_color = false;
  int width = 0;
};

int runTop(const GlobalOptions& global, const TopOptions& opt) {
  auto d = connectDaemon(global);
  if (!d) {
    std::cerr << "medic top: " << d.error().message << "\n";
    return kExitError;
  }
  tui::DaemonApi api{d->url, d->token};
  if (!opt.token_file.empty()) {
    std::ifstream in(opt.token_file);
    std::string token;
    if (!in || !std::getline(in, token) || token.empty()) {
      std::cerr << "medic top: cannot read a token from --token-file " << opt.token_file << "\n";
      return kExitError;
    }
    api.token = token;
  }
  if (global.json || opt.once) {
    tui::Model model;
    auto st = tui::fetchStatus(model, api, !global.json);
    if (st && !global.json) st = tui::loadRecentActions(model, api);
    if (!st) {
      std::cerr << "medic top: " << st.error().message << "\n";
      return kExitError;
    }
    if (global.json) {
      std::cout << model.status().dump(2) << "\n";
    } else {
      int width = opt.width;
      if (width <= 0) {
        const char* cols = std::getenv("COLUMNS");
        width = cols != nullptr ? std::atoi(cols) : 0;
      }
      if (width <= 0) width = 120;
      tui::Overlay overlay;
      overlay.interactive = false;
      std::cout << tui::toPlainText(
          tui::layout(model.view(SystemClock().now().wall), overlay, width, 0));
    }
    const auto& s = model.status();
    if (s.contains("engine") && s["engine"].is_object() && !s["engine"].value("reachable", true)) {
      return kExitError;
    }
    return model.exitStatus() == 0 ? kExitOk : kExitUnhealthy;
  }
  tui::ScreenOptions screen;
  auto refresh = opt.refresh == "0" ? std::optional<Millis>(Millis(0)) : parseDuration(opt.refresh);
  if (!refresh || refresh->count() < 0) {
    std::cerr << "medic top: --refresh must be a duration such as 10s (0 disables), got '"
              << opt.refresh << "'\n";
    return kExitError;
  }
  screen.refresh = *refresh;
  const char* no_color = std::getenv("NO_COLOR");
  screen.color = !opt.no_color && (no_color == nullptr || *no_color == '\0');
  return tui::runScreen(api, screen);
}

}  // namespace

void registerTop(CLI::App& root, const GlobalOptions& global, int& exit_status) {
  auto opt = std::make_shared<TopOptions>();
  auto* cmd = root.add_subcommand(
      "top",
      "Terminal dashboard of the running daemon: health score, services (state, uptime,\n"
      "restarts, CPU, memory, probe latency, evidence age), endpoints, open alerts and recent\n"
      "recovery and deploy actions, live over the daemon's channels. Keys: j/k or arrows select,\n"
      "Tab alerts, r recover, m maintenance, a ack, / filter, ? help, q quit. Colour unless\n"
      "NO_COLOR is set or the terminal has none. --once and --json exit like `medic check`:\n"
      "0 all healthy, 1 anything else, 2 daemon or engine unreachable.");
  cmd->footer(
      "Examples:\n  medic top\n"
      "  medic top --url http://127.0.0.1:8080 --token-file ~/medic.token\n"
      "  medic top --once   # one plain-text frame, exit status like medic check\n"
      "  medic top --json | jq .health_score");
  cmd->add_flag("--once", opt->once, "Print one plain-text frame and exit");
  cmd->add_option("--token-file", opt->token_file,
                  "File holding the daemon's token (default: <state-dir>/token)");
  cmd->add_option("--refresh", opt->refresh,
                  "How often to refetch for CPU/memory samples, which change without a message "
                  "(default 10s; 0 = only on messages)");
  cmd->add_flag("--no-color", opt->no_color, "No colours (also: NO_COLOR=1)");
  cmd->add_option("--width", opt->width, "Width of the --once frame (default $COLUMNS, else 120)");
  cmd->callback([&global, &exit_status, opt] { exit_status = runTop(global, *opt); });
}

}  // namespace medic::cli
