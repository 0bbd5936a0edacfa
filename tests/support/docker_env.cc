#include "support/docker_env.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <random>

namespace medic::test {
namespace {

std::string trimmed(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) {
    text.pop_back();
  }
  return text;
}

std::optional<std::string> probeEngine() {
  const char* host = std::getenv("DOCKER_HOST");
  std::string where = (host != nullptr && *host != '\0') ? std::string(host) + " (DOCKER_HOST)"
                                                         : "/var/run/docker.sock";
  ProcessResult info =
      dockerCli({"info", "--format", "{{.ServerVersion}}"}, std::chrono::seconds(20));
  std::string version = trimmed(info.out);
  if (info.ok() && !version.empty()) return std::nullopt;
  return "no Docker engine answers at " + where + " (docker info: " + trimmed(info.describe()) +
         "); start dockerd (scripts/test does), or run only the unit tests: ./scripts/test -L unit";
}

}  // namespace

std::optional<std::string> dockerUnavailableReason() {
  static const std::optional<std::string> reason = probeEngine();
  return reason;
}

std::string engineAddress() {
  const char* host = std::getenv("DOCKER_HOST");
  return (host != nullptr && *host != '\0') ? host : "unix:///var/run/docker.sock";
}

bool dockerRequired() {
  const char* value = std::getenv("MEDIC_REQUIRE_DOCKER");
  return value != nullptr && std::string_view(value) == "1";
}

void requireDockerOrSkip() {
  if (auto why = dockerUnavailableReason()) {
    if (dockerRequired()) {
      GTEST_FAIL() << *why << " [MEDIC_REQUIRE_DOCKER=1, so this is a failure]";
    }
    GTEST_SKIP() << *why;
  }
}

std::string uniqueName(std::string_view base) {
  static thread_local std::mt19937_64 random{std::random_device{}()};
  char suffix[9];
  std::snprintf(suffix, sizeof suffix, "%08x", static_cast<unsigned>(random() & 0xffffffffu));
  return "medic-test-" + std::string(base) + "-" + suffix;
}

int freePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return 0;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  int port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  ::close(fd);
  return port;
}

std::string inspectField(std::string_view name, std::string_view format) {
  ProcessResult result = dockerCli(
      {"inspect", "--type", "container", "--format", std::string(format), std::string(name)},
      std::chrono::seconds(20));
  if (!result.ok()) return "";
  return trimmed(result.out);
}

bool containerExists(std::string_view name) {
  return dockerCli({"inspect", "--type", "container", "--format", "{{.Id}}", std::string(name)},
                   std::chrono::seconds(20))
      .ok();
}

TestContainer::TestContainer(std::string name, int port, std::vector<std::string> run_args,
                             std::string image, std::vector<std::string> command)
    : name_(std::move(name)), port_(port) {
  // --pull never: no registry is reachable, and tests contact nothing but 127.0.0.1.
  std::vector<std::string> args{"run",    "-d",  "--pull",    "never",
                                "--name", name_, "--network", "host"};
  args.insert(args.end(), {"--label", "medic.test=true", "-e", "PORT=" + std::to_string(port_)});
  args.insert(args.end(), run_args.begin(), run_args.end());
  args.push_back(std::move(image));
  args.insert(args.end(), command.begin(), command.end());
  run_ = dockerCli(args);
}

TestContainer TestContainer::start(std::string_view base, std::vector<std::string> run_args,
                                   std::string image) {
  return TestContainer(uniqueName(base), freePort(), std::move(run_args), std::move(image));
}

TestContainer::TestContainer(TestContainer&& other) noexcept
    : name_(std::move(other.name_)),
      port_(other.port_),
      run_(std::move(other.run_)),
      owned_(other.owned_) {
  other.owned_ = false;
}

TestContainer::~TestContainer() {
  // Removed even when `docker run` failed: it may have created the container before failing.
  if (owned_) dockerCli({"rm", "-f", "-v", name_}, std::chrono::seconds(30));
}

std::string TestContainer::id() const {
  return trimmed(run_.out);
}

int TestContainer::exitCode() const {
  std::string code = inspect("{{.State.ExitCode}}");
  return code.empty() ? -1 : std::atoi(code.c_str());
}

}  // namespace medic::test
