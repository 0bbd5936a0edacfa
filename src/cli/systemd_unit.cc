#include "cli/systemd_unit.h"

#include <fmt/format.h>

namespace medic::cli {
namespace {

/// systemd's quoting for one ExecStart argument: wrap in double quotes, escape \ and ".
std::string quoted(const std::string& arg) {
  std::string out = "\"";
  for (char c : arg) {
    if (c == '\\' || c == '"') out.push_back('\\');
    if (c == '%') {
      out += "%%";  // specifiers
      continue;
    }
    out.push_back(c);
  }
  return out + "\"";
}

}  // namespace

std::string systemdUnit(const UnitOptions& o) {
  std::string exec = quoted(o.binary);
  if (!o.config.empty()) exec += " --config " + quoted(o.config);
  exec += " --state-dir " + quoted(o.state_dir) + " watch";
  return fmt::format(
      R"([Unit]
Description=medic: keeps the services on this Docker host alive, with evidence
Documentation=man:medic(1)
After=docker.service network-online.target
Wants=network-online.target
Requires=docker.socket

[Service]
Type=notify
NotifyAccess=main
ExecStart={exec}
ExecReload=/bin/kill -HUP $MAINPID
Restart=always
RestartSec=2
WatchdogSec={watchdog}
TimeoutStopSec=30
# Hardening: medic needs the Docker socket and its state dir, nothing else writable.
NoNewPrivileges=yes
ProtectSystem=strict
ReadWritePaths={state_dir}
ProtectHome=yes
PrivateTmp=yes
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectControlGroups=yes
RestrictSUIDSGID=yes
LockPersonality=yes
RestrictRealtime=yes
RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6
StateDirectoryMode=0700

[Install]
WantedBy=multi-user.target
)",
      fmt::arg("exec", exec), fmt::arg("watchdog", o.watchdog_seconds),
      fmt::arg("state_dir", quoted(o.state_dir)));
}

}  // namespace medic::cli
