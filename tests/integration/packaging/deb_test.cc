// The Debian package (issue 8): built by CPack from the already-built tree, it carries the binary,
// the systemd unit, the man page, the completions and the examples with correct Depends; it
// installs with `dpkg -i` on this (throwaway test) machine, `medic version` runs from it, and
// `dpkg -r` removes it again.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "../cli/medic_cli.h"
#include "support/require_tool.h"

namespace medic::test {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

std::string readFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

/// "Field: value" of `dpkg-deb -I` (one line fields only).
std::string controlField(const std::string& info, const std::string& field) {
  std::istringstream in(info);
  for (std::string line; std::getline(in, line);) {
    const auto start = line.find_first_not_of(' ');
    if (start == std::string::npos) continue;
    if (line.compare(start, field.size() + 2, field + ": ") == 0) {
      return line.substr(start + field.size() + 2);
    }
  }
  return {};
}

/// The package names in a Depends line ("libc6 (>= 2.34), libfmt9 (>= 9.1.0+ds1) | x").
std::set<std::string> dependedPackages(const std::string& depends) {
  std::set<std::string> names;
  std::string name;
  bool in_version = false;
  for (char c : depends + ",") {
    if (c == '(') in_version = true;
    if (c == ')') in_version = false;
    if (in_version) continue;
    if (c == ',' || c == '|' || c == ' ') {
      if (!name.empty()) names.insert(name.substr(0, name.find(':')));
      name.clear();
    } else if (c != ')') {
      name.push_back(c);
    }
  }
  return names;
}

bool medicInstalled() {
  auto r = runProcess({"dpkg-query", "--show", "--showformat=${db:Status-Status}", "medic"}, 30s);
  return r.exit_code == 0 && r.out == "installed";
}

/// dpkg itself, retried while another dpkg/apt run holds its lock (other sessions may install
/// packages on this machine at the same time).
ProcessResult dpkg(const std::vector<std::string>& args) {
  std::vector<std::string> argv{"dpkg"};
  argv.insert(argv.end(), args.begin(), args.end());
  ProcessResult r;
  const auto deadline = std::chrono::steady_clock::now() + 90s;
  do {
    r = runProcess(argv, 90s);
    if (r.ok() || r.err.find("lock") == std::string::npos) break;
    std::this_thread::sleep_for(1s);
  } while (std::chrono::steady_clock::now() < deadline);
  return r;
}

class DebPackage : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "installing a .deb needs root";
    MEDIC_REQUIRE_TOOL_OR_SKIP("/usr/bin/cpack", "cmake");
    MEDIC_REQUIRE_TOOL_OR_SKIP("/usr/bin/dpkg-deb", "dpkg");
    MEDIC_REQUIRE_TOOL_OR_SKIP("/usr/bin/dpkg-shlibdeps", "dpkg-dev");
    // One package test at a time on this machine (two build trees testing at once).
    lock_fd_ = open("/tmp/medic-deb-test.lock", O_CREAT | O_RDWR | O_CLOEXEC, 0600);
    ASSERT_GE(lock_fd_, 0);
    ASSERT_EQ(flock(lock_fd_, LOCK_EX), 0);
    installed_before_ = medicInstalled();
  }
  void TearDown() override {
    if (installed_by_test_ && !installed_before_ && medicInstalled()) dpkg({"-r", "medic"});
    if (lock_fd_ >= 0) close(lock_fd_);
  }

  int lock_fd_ = -1;
  bool installed_before_ = false;
  bool installed_by_test_ = false;
};

TEST_F(DebPackage, BuildsInstallsRunsAndRemoves) {
  const auto started = std::chrono::steady_clock::now();
  auto version_out = runMedic({"version"});
  ASSERT_EQ(version_out.exit_code, 0) << version_out.describe();
  const std::string version =
      version_out.out.substr(6, version_out.out.find('\n') - 6);  // "medic X"
  ASSERT_FALSE(version.empty());

  // 1. Build it from the built tree (what scripts/package.sh does after building).
  TempDir out;
  auto cpack = runProcess({"cpack", "-G", "DEB", "--config",
                           std::string(MEDIC_BINARY_DIR) + "/CPackConfig.cmake", "-B", out.path()},
                          120s);
  ASSERT_EQ(cpack.exit_code, 0) << cpack.describe() << cpack.out;
  const std::string deb = out.path() + "/medic_" + version + "_amd64.deb";
  ASSERT_TRUE(fs::exists(deb)) << "no " << deb << "\n" << cpack.out;

  // 2. Its control data: name, version, architecture, and a Depends that names the package of
  // every shared library the binary needs.
  auto info = runProcess({"dpkg-deb", "-I", deb}, 30s);
  ASSERT_EQ(info.exit_code, 0) << info.describe();
  EXPECT_EQ(controlField(info.out, "Package"), "medic");
  EXPECT_EQ(controlField(info.out, "Version"), version);
  EXPECT_EQ(controlField(info.out, "Architecture"), "amd64");
  EXPECT_NE(controlField(info.out, "Recommends").find("docker.io"), std::string::npos) << info.out;
  const auto depends = dependedPackages(controlField(info.out, "Depends"));
  auto needed = runProcess({"objdump", "-p", medicBinary()}, 30s);
  ASSERT_EQ(needed.exit_code, 0) << needed.describe();
  std::istringstream needed_lines(needed.out);
  int libraries = 0;
  for (std::string line; std::getline(needed_lines, line);) {
    std::istringstream words(line);
    std::string tag, soname;
    words >> tag >> soname;
    if (tag != "NEEDED") continue;
    ++libraries;
    // Which packages ship a file of that name (libm.so.6: libc6, and libc6-i386 too); Depends
    // must name one of them (or what one of them provides).
    auto owners = runProcess({"dpkg", "-S", "*/" + soname}, 30s);
    ASSERT_EQ(owners.exit_code, 0) << soname << ": " << owners.describe();
    std::set<std::string> packages;
    std::istringstream owner_lines(owners.out);
    for (std::string owner; std::getline(owner_lines, owner);) {
      std::istringstream names(owner.substr(0, owner.find(": ")));
      for (std::string name; std::getline(names, name, ',');) {
        const auto first = name.find_first_not_of(' ');
        if (first != std::string::npos) packages.insert(name.substr(first, name.find(':') - first));
      }
    }
    // A package may be named by what it provides (libspdlog1.10 provides libspdlog1.10-fmt9, the
    // name its shlibs file gives).
    bool named = false;
    for (const auto& p : packages) {
      auto provides = runProcess({"dpkg-query", "--show", "--showformat=${Provides}", p}, 30s);
      auto names = dependedPackages(provides.out);
      names.insert(p);
      for (const auto& n : names) named = named || depends.count(n) > 0;
    }
    EXPECT_TRUE(named) << soname << " comes from " << ::testing::PrintToString(packages)
                       << ", none of which Depends names: " << info.out;
  }
  EXPECT_GE(libraries, 5);  // libstdc++, libc, libyaml-cpp, libsqlite3, libssl, ...
  for (const char* script : {"postinst", "prerm", "postrm"}) {
    EXPECT_NE(info.out.find(script), std::string::npos) << script << "\n" << info.out;
  }

  // 3. Its files.
  auto contents = runProcess({"dpkg-deb", "-c", deb}, 30s);
  ASSERT_EQ(contents.exit_code, 0) << contents.describe();
  for (const char* path :
       {"./usr/bin/medic", "./lib/systemd/system/medic.service", "./usr/share/man/man1/medic.1.gz",
        "./usr/share/bash-completion/completions/medic",
        "./usr/share/zsh/vendor-completions/_medic", "./usr/share/doc/medic/examples/medic.yaml",
        "./usr/share/doc/medic/examples/labels/docker-compose.yml",
        "./usr/share/doc/medic/examples/config/medic.yaml", "./usr/share/doc/medic/config.md",
        "./usr/share/doc/medic/operations.md"}) {
    EXPECT_NE(contents.out.find(std::string(" ") + path + "\n"), std::string::npos)
        << path << " is not in the package:\n"
        << contents.out;
  }
  EXPECT_EQ(contents.out.find("/usr/local"), std::string::npos) << contents.out;
  // Owned by root; the binary executable, the rest read-only data.
  auto modeOf = [&](const std::string& path) {
    std::istringstream lines(contents.out);
    for (std::string line; std::getline(lines, line);) {
      if (line.size() > path.size() &&
          line.compare(line.size() - path.size(), path.size(), path) == 0) {
        return line.substr(0, line.find(' ', line.find(' ') + 1));  // "-rwxr-xr-x root/root"
      }
    }
    return std::string("missing");
  };
  EXPECT_EQ(modeOf(" ./usr/bin/medic"), "-rwxr-xr-x root/root");
  EXPECT_EQ(modeOf(" ./lib/systemd/system/medic.service"), "-rw-r--r-- root/root");
  EXPECT_EQ(modeOf(" ./usr/share/man/man1/medic.1.gz"), "-rw-r--r-- root/root");

  // 4. Install it as an operator would.
  auto install = dpkg({"-i", deb});
  installed_by_test_ = true;
  ASSERT_EQ(install.exit_code, 0) << install.describe() << install.out;
  ASSERT_TRUE(medicInstalled());
  auto run = runProcess({"/usr/bin/medic", "version"}, 30s);
  ASSERT_EQ(run.exit_code, 0) << run.describe();
  EXPECT_EQ(run.out, "medic " + version + "\n");
  // The packaged unit is what the installed medic's install-service prints.
  auto unit = runProcess({"/usr/bin/medic", "install-service", "--dry-run"}, 30s);
  ASSERT_EQ(unit.exit_code, 0) << unit.describe();
  EXPECT_EQ(readFile("/lib/systemd/system/medic.service"), unit.out);
  // systemd accepts it, Documentation=man:medic(1) included: the page is installed now.
  auto where = runProcess({"man", "-w", "medic"}, 30s);
  EXPECT_EQ(where.out, "/usr/share/man/man1/medic.1.gz\n") << where.describe();
  auto verify = runProcess({"systemd-analyze", "verify", "/lib/systemd/system/medic.service"}, 60s);
  EXPECT_EQ(verify.exit_code, 0) << verify.describe();
  // The state dir the hardened unit makes writable exists, private to root.
  struct stat st {};
  ASSERT_EQ(stat("/var/lib/medic", &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0700u);
  auto completion =
      runProcess({"bash", "--noprofile", "--norc", "-c",
                  "source /usr/share/bash-completion/completions/medic && complete -p medic"},
                 30s);
  EXPECT_EQ(completion.out, "complete -F _medic medic\n") << completion.describe();

  // 5. And remove it.
  auto remove = dpkg({"-r", "medic"});
  ASSERT_EQ(remove.exit_code, 0) << remove.describe();
  EXPECT_FALSE(fs::exists("/usr/bin/medic"));
  EXPECT_FALSE(fs::exists("/lib/systemd/system/medic.service"));
  EXPECT_FALSE(medicInstalled());

  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::cout << "package built, checked, installed and removed in " << seconds << " s\n";
  EXPECT_LT(seconds, 120.0);
}

}  // namespace
}  // namespace medic::test
