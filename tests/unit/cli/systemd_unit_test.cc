#include "cli/systemd_unit.h"

#include <gtest/gtest.h>

namespace medic::cli {
namespace {

TEST(SystemdUnit, NotifyWatchdogRestartAndHardening) {
  UnitOptions o;
  o.binary = "/usr/bin/medic";
  o.config = "/etc/medic/medic.yaml";
  const std::string unit = systemdUnit(o);
  for (const char* line :
       {"Documentation=man:medic(1)", "Type=notify", "WatchdogSec=30", "Restart=always",
        "\nWants=docker.service", "\nAfter=docker.service", "NoNewPrivileges=yes",
        "ProtectSystem=strict", "\nStateDirectory=medic\nStateDirectoryMode=0700\n",
        "\nUMask=0077\n", "\nLimitNOFILE=65536\n", "ProtectHome=yes", "PrivateTmp=yes",
        "\nPrivateDevices=yes\n", "\nProtectClock=yes\n", "\nProtectHostname=yes\n",
        "\nProtectKernelLogs=yes\n", "\nSystemCallArchitectures=native\n",
        "\nSystemCallFilter=@system-service\n", "\nCapabilityBoundingSet=CAP_NET_BIND_SERVICE\n",
        "ExecStart=\"/usr/bin/medic\" --config \"/etc/medic/medic.yaml\" --state-dir "
        "\"/var/lib/medic\" watch",
        "WantedBy=multi-user.target"}) {
    EXPECT_NE(unit.find(line), std::string::npos) << line << "\n" << unit;
  }
  // medic outlives the engine to report engine_unreachable: never Requires= it.
  EXPECT_EQ(unit.find("Requires="), std::string::npos) << unit;
  // Under /var/lib systemd makes the state dir writable; no ReadWritePaths= needed.
  EXPECT_EQ(unit.find("ReadWritePaths="), std::string::npos) << unit;
}

TEST(SystemdUnit, PathsAreQuotedAsOneArgument) {
  UnitOptions o;
  o.state_dir = "/srv/medic state/100%";
  const std::string unit = systemdUnit(o);
  EXPECT_NE(unit.find("--state-dir \"/srv/medic state/100%%\""), std::string::npos) << unit;
  // Outside /var/lib: writable by path, and no StateDirectory= (it would be another dir).
  EXPECT_NE(unit.find("\nReadWritePaths=\"/srv/medic state/100%%\"\n"), std::string::npos) << unit;
  EXPECT_EQ(unit.find("StateDirectory="), std::string::npos) << unit;
  EXPECT_EQ(unit.find("--config"), std::string::npos);  // no config: medic's own search applies
}

}  // namespace
}  // namespace medic::cli
