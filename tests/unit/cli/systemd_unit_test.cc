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
       {"Documentation=man:medic(1)", "Type=notify", "WatchdogSec=30", "Restart=always", "After=docker.service",
        "Requires=docker.socket", "NoNewPrivileges=yes", "ProtectSystem=strict",
        "ReadWritePaths=\"/var/lib/medic\"", "ProtectHome=yes", "PrivateTmp=yes",
        "ExecStart=\"/usr/bin/medic\" --config \"/etc/medic/medic.yaml\" --state-dir "
        "\"/var/lib/medic\" watch",
        "WantedBy=multi-user.target"}) {
    EXPECT_NE(unit.find(line), std::string::npos) << line << "\n" << unit;
  }
}

TEST(SystemdUnit, PathsAreQuotedAsOneArgument) {
  UnitOptions o;
  o.state_dir = "/srv/medic state/100%";
  const std::string unit = systemdUnit(o);
  EXPECT_NE(unit.find("--state-dir \"/srv/medic state/100%%\""), std::string::npos) << unit;
  EXPECT_EQ(unit.find("--config"), std::string::npos);  // no config: medic's own search applies
}

}  // namespace
}  // namespace medic::cli
