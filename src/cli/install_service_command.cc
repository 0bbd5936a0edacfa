// medic install-service: writes the systemd unit for `medic watch`.
#include <unistd.h>

#include <filesystem>
#include <iostream>
#include <memory>

#include "cli/commands.h"
#include "cli/systemd_unit.h"
#include "core/atomic_file.h"

namespace medic::cli {
namespace {

struct InstallOptions {
  std::string unit_path = "/etc/systemd/system/medic.service";
  std::string binary;  ///< "" = this executable
  bool dry_run = false;
};

std::string selfPath() {
  std::error_code ec;
  auto p = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? "/usr/bin/medic" : p.string();
}

int runInstall(const GlobalOptions& global, const InstallOptions& o) {
  UnitOptions unit;
  unit.binary = o.binary.empty() ? selfPath() : std::filesystem::absolute(o.binary).string();
  if (!global.config_path.empty()) {
    unit.config = std::filesystem::absolute(global.config_path).string();
  }
  if (!global.state_dir.empty()) {
    unit.state_dir = std::filesystem::absolute(global.state_dir).string();
  }
  const std::string text = systemdUnit(unit);
  if (o.dry_run) {
    std::cout << text;
    return kExitOk;
  }
  if (auto st = writeFileAtomic(o.unit_path, text, 0644); !st) {
    std::cerr << "medic install-service: " << st.error().message
              << (geteuid() != 0 ? " (run as root, or use --dry-run to print the unit)" : "")
              << "\n";
    return kExitError;
  }
  std::cout << "wrote " << o.unit_path << "\nnext:\n  systemctl daemon-reload\n"
            << "  systemctl enable --now medic\n";
  return kExitOk;
}

}  // namespace

void registerInstallService(CLI::App& root, const GlobalOptions& global, int& exit_status) {
  auto o = std::make_shared<InstallOptions>();
  auto* cmd = root.add_subcommand(
      "install-service",
      "Write a systemd unit for `medic watch` (Type=notify, watchdog, Restart=always, after Docker,\n"
      "hardened so only the state dir is writable). --config and --state-dir are carried into it.");
  cmd->footer(
      "Examples:\n  medic install-service --dry-run\n"
      "  sudo medic --config /etc/medic/medic.yaml install-service && sudo systemctl enable --now "
      "medic");
  cmd->add_flag("--dry-run", o->dry_run, "Print the unit instead of writing it");
  cmd->add_option("--unit-path", o->unit_path, "Where to write it (default /etc/systemd/system/medic.service)")
      ->type_name("FILE");
  cmd->add_option("--binary", o->binary,
                  "The medic executable the unit runs (default: this one; the Debian package's "
                  "unit is made with --binary /usr/bin/medic)")
      ->type_name("FILE");
  cmd->callback([&global, &exit_status, o] { exit_status = runInstall(global, *o); });
}

}  // namespace medic::cli
