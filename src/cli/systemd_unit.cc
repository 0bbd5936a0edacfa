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

/// "medic" for /var/lib/medic: the StateDirectory= systemd creates and owns (mode 0700) when
/// the state dir lies under /var/lib; "" elsewhere.
std::string stateDirectoryName(const std::string& state_dir) {
  static const std::string kVarLib = "/var/lib/";
  if (state_dir.rfind(kVarLib, 0) != 0 || state_dir.size() == kVarLib.size()) return "";
  std::string rest = state_dir.substr(kVarLib.size());
  while (!rest.empty() && rest.back() == '/') rest.pop_back();
  if (rest.find_first_of(" \t\"'%$") != std::string::npos) return "";
  return rest;
}

}  // namespace

std::string systemdUnit(const UnitOptions& o) {
  std::string exec = quoted(o.binary);
  if (!o.config.empty()) exec += " --config " + quoted(o.config);
  exec += " --state-dir " + quoted(o.state_dir) + " watch";
  // Under /var/lib systemd creates the state dir (0700, root) and makes it writable through
  // ProtectSystem=strict; anywhere else it is named in ReadWritePaths= and medic creates it.
  const std::string state_name = stateDirectoryName(o.state_dir);
  const std::string state_lines =
      state_name.empty() ? "ReadWritePaths=" + quoted(o.state_dir) + "\n"
                         : "StateDirectory=" + state_name + "\nStateDirectoryMode=0700\n";
  return fmt::format(
      R"([Unit]
Description=medic: keeps the services on this Docker host alive, with evidence
Documentation=man:medic(1)
# Wants=, not a hard dependency: when the engine stops, medic stays up to report it
# (engine_unreachable) and reconnects when it is back; without docker.service they order nothing.
Wants=docker.service network-online.target
After=docker.service docker.socket containerd.service network-online.target

[Service]
Type=notify
NotifyAccess=main
ExecStart={exec}
ExecReload=/bin/kill -HUP $MAINPID
Restart=always
RestartSec=2
WatchdogSec={watchdog}
TimeoutStopSec=30
{state_lines}UMask=0077
LimitNOFILE=65536
# Hardening (rated by `systemd-analyze security medic`). medic runs as root to reach the Docker
# socket (owned by root) and writes only its state dir. No capability is kept but binding a port
# below 1024: root still owns the socket, the state dir and its children's files, but cannot
# override permissions, trace or signal other users' processes, or change the system. Command
# probes run inside the same sandbox: read-only system, no devices, no privileged system calls.
NoNewPrivileges=yes
CapabilityBoundingSet=CAP_NET_BIND_SERVICE
AmbientCapabilities=
ProtectSystem=strict
ProtectHome=yes
PrivateTmp=yes
PrivateDevices=yes
PrivateMounts=yes
ProtectClock=yes
ProtectHostname=yes
ProtectKernelLogs=yes
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectControlGroups=yes
RestrictSUIDSGID=yes
RestrictNamespaces=yes
RestrictRealtime=yes
LockPersonality=yes
RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6
SystemCallArchitectures=native
SystemCallFilter=@system-service
SystemCallFilter=~@privileged
SystemCallErrorNumber=EPERM

[Install]
WantedBy=multi-user.target
)",
      fmt::arg("exec", exec), fmt::arg("watchdog", o.watchdog_seconds),
      fmt::arg("state_lines", state_lines));
}

}  // namespace medic::cli
