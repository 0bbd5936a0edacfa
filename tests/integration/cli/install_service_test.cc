// medic install-service: the unit it writes is one systemd itself accepts.
#include <gtest/gtest.h>

#include <unistd.h>

#include "medic_cli.h"

namespace medic::test {
namespace {

using namespace std::chrono_literals;

TEST(InstallService, DryRunPrintsAUnitThatSystemdAnalyzeVerifies) {
  if (access("/usr/bin/systemd-analyze", X_OK) != 0) {
    GTEST_SKIP() << "systemd-analyze is not installed";
  }
  TempDir dir;
  auto config = dir.write("medic.yaml", "listen: 127.0.0.1:8080\n");
  auto r = runMedic({"--config", config, "--state-dir", dir.path() + "/state", "install-service",
                     "--dry-run"});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_NE(r.out.find("Type=notify"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(config), std::string::npos) << r.out;
  // Write it where systemd-analyze can read it; it checks syntax, directives and the ExecStart
  // binary (which must exist: it is the medic under test).
  const std::string unit = dir.path() + "/medic.service";
  auto written = runMedic({"--config", config, "--state-dir", dir.path() + "/state",
                           "install-service", "--unit-path", unit});
  ASSERT_EQ(written.exit_code, 0) << written.describe();
  auto verify = runProcess({"systemd-analyze", "verify", unit}, 60s);
  EXPECT_EQ(verify.exit_code, 0) << verify.describe() << verify.out;
  EXPECT_EQ(verify.err.find("medic.service:"), std::string::npos) << verify.err;
}

}  // namespace
}  // namespace medic::test
