// medic install-service: the unit it writes is one systemd itself accepts.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "medic_cli.h"
#include "support/require_tool.h"

namespace medic::test {
namespace {

using namespace std::chrono_literals;

TEST(InstallService, DryRunPrintsAUnitThatSystemdAnalyzeVerifies) {
  MEDIC_REQUIRE_TOOL_OR_SKIP("/usr/bin/systemd-analyze", "systemd");
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
  // Documentation=man:medic(1) is checked too: `man` must find the page, here the one the build
  // generated (the Debian package installs it into /usr/share/man).
  EXPECT_NE(r.out.find("Documentation=man:medic(1)"), std::string::npos) << r.out;
  auto verify = runProcess({"env", "MANPATH=" + std::string(MEDIC_BINARY_DIR) + "/dist/man:",
                            "systemd-analyze", "verify", unit},
                           60s);
  EXPECT_EQ(verify.exit_code, 0) << verify.describe() << verify.out;
  EXPECT_EQ(verify.err.find("medic.service:"), std::string::npos) << verify.err;
}

TEST(InstallService, BinaryOptionNamesTheExecutableInTheUnit) {
  auto r = runMedic({"install-service", "--dry-run", "--binary", "/usr/bin/medic"});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_NE(r.out.find("ExecStart=\"/usr/bin/medic\" --state-dir \"/var/lib/medic\" watch\n"),
            std::string::npos)
      << r.out;
  // The build's copy (what the Debian package installs) is exactly this text.
  std::ifstream packaged(std::string(MEDIC_BINARY_DIR) + "/dist/medic.service");
  std::stringstream text;
  text << packaged.rdbuf();
  EXPECT_EQ(text.str(), r.out);
}

}  // namespace
}  // namespace medic::test
