// medic install-service: the unit it writes is one systemd itself accepts.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cctype>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "medic_cli.h"
#include "support/docker_env.h"
#include "support/require_tool.h"
#include "support/wait.h"

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


TEST(InstallService, TheUnitWantsTheEngineInsteadOfRequiringIt) {
  auto r = runMedic({"install-service", "--dry-run", "--binary", "/usr/bin/medic"});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  // medic must outlive the engine to report engine_unreachable, and start where no docker.socket
  // unit exists.
  EXPECT_EQ(r.out.find("Requires="), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\nWants=docker.service network-online.target\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\nAfter=docker.service docker.socket"), std::string::npos) << r.out;
  // StateDirectoryMode= means nothing without StateDirectory=.
  EXPECT_NE(r.out.find("\nStateDirectory=medic\nStateDirectoryMode=0700\n"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("\nLimitNOFILE=65536\n"), std::string::npos) << r.out;
  // A state dir outside /var/lib is made writable by path instead.
  auto other = runMedic({"--state-dir", "/srv/medic", "install-service", "--dry-run"});
  ASSERT_EQ(other.exit_code, 0) << other.describe();
  EXPECT_EQ(other.out.find("StateDirectory="), std::string::npos) << other.out;
  EXPECT_NE(other.out.find("\nReadWritePaths=\"/srv/medic\"\n"), std::string::npos) << other.out;
}

/// systemd's own score of the sandbox (0 = locked down, 10 = exposed); the README prints it.
TEST(InstallService, SystemdAnalyzeSecurityRatesTheUnitAtMost3) {
  MEDIC_REQUIRE_TOOL_OR_SKIP("/usr/bin/systemd-analyze", "systemd");
  TempDir dir;
  const std::string unit = dir.path() + "/medic.service";
  auto written = runMedic({"install-service", "--unit-path", unit});
  ASSERT_EQ(written.exit_code, 0) << written.describe();
  auto r = runProcess({"systemd-analyze", "security", "--offline=yes", unit}, 60s);
  const std::regex overall(R"(Overall exposure level for medic\.service: ([0-9]+\.[0-9]+))");
  std::smatch m;
  ASSERT_TRUE(std::regex_search(r.out, m, overall)) << r.describe() << r.out;
  const double exposure = std::stod(m[1]);
  std::printf("systemd-analyze security --offline=yes: exposure %.1f\n", exposure);
  EXPECT_LE(exposure, 3.0) << r.out;
}

/// The capabilities the unit keeps (CapabilityBoundingSet=) are enough for what medic does as
/// root: reach the Docker socket, write its state dir, run a command probe. Run under setpriv with
/// the same bounding set and no new privileges.
TEST(InstallService, MedicWorksWithOnlyTheCapabilitiesTheUnitKeeps) {
  MEDIC_REQUIRE_TOOL_OR_SKIP("/usr/bin/setpriv", "util-linux");
  if (::geteuid() != 0) GTEST_SKIP() << "needs root (the unit runs medic as root)";
  MEDIC_REQUIRE_DOCKER_OR_SKIP();
  auto unit = runMedic({"install-service", "--dry-run"});
  ASSERT_EQ(unit.exit_code, 0) << unit.describe();
  std::smatch m;
  ASSERT_TRUE(std::regex_search(unit.out, m, std::regex(R"(\nCapabilityBoundingSet=([^\n]*)\n)")))
      << unit.out;
  std::string bounding = "-all";
  std::istringstream caps(m[1].str());
  for (std::string cap; caps >> cap;) {
    for (char& c : cap) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    bounding += ",+" + cap.substr(cap.rfind("cap_", 0) == 0 ? 4 : 0);
  }
  auto c = TestContainer::start("unit-caps");
  ASSERT_TRUE(c.started()) << c.startError();
  TempDir dir;
  const std::string state = dir.path() + "/state";
  const std::string marker = dir.path() + "/probe-ran";
  auto config = dir.write("medic.yaml", "select:\n  labels: false\nservices:\n  web:\n    match:\n"
                                        "      container: " + c.name() +
                                        "\n    probes:\n      - command: [/bin/touch, " + marker +
                                        "]\n");
  const std::vector<std::string> sandbox = {"setpriv", "--bounding-set=" + bounding,
                                            "--inh-caps=-all", "--no-new-privs", "--",
                                            medicBinary(), "--config", config, "--state-dir", state};
  auto with = [&](std::vector<std::string> args) {
    auto argv = sandbox;
    argv.insert(argv.end(), args.begin(), args.end());
    return runProcess(argv, 60s);
  };
  auto baseline = with({"baseline"});
  EXPECT_EQ(baseline.exit_code, 0) << bounding << ": " << baseline.describe() << baseline.out;
  EXPECT_TRUE(std::filesystem::exists(state)) << "the state dir was not written";
  ASSERT_TRUE(waitFor([&] { return c.health() == "healthy"; }, 20s, 100ms)) << c.health();
  auto check = with({"check"});
  EXPECT_EQ(check.exit_code, 0) << bounding << ": " << check.describe() << check.out;
  EXPECT_TRUE(std::filesystem::exists(marker)) << "the command probe did not run";
}

}  // namespace
}  // namespace medic::test
