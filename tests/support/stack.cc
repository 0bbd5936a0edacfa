#include "support/stack.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <sstream>

#include "support/docker_env.h"

namespace medic::test {
namespace {

using namespace std::chrono_literals;

std::string trimmed(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) {
    text.pop_back();
  }
  return text;
}

std::optional<std::string> probeComposeV2() {
  ProcessResult version = dockerCli({"compose", "version", "--short"}, 20s);
  std::string text = trimmed(version.out);
  if (text.starts_with('v')) text.erase(0, 1);
  // "2.26.1-4" (Debian), "2.29.1": the major version is what counts.
  int major = std::atoi(text.c_str());
  if (version.ok() && major >= 2) return std::nullopt;
  std::string seen =
      version.ok() ? "it reports version '" + text + "'" : trimmed(version.describe());
  return "Compose v2 (`docker compose`) is missing: " + seen +
         "; install Debian 13's docker-compose 2.x .deb, or put its docker-compose binary in "
         "/usr/local/lib/docker/cli-plugins/";
}

/// Four ports free a moment ago and distinct from each other.
std::vector<int> freePorts(std::size_t count) {
  std::vector<int> ports;
  while (ports.size() < count) {
    int port = freePort();
    if (port > 0 && std::find(ports.begin(), ports.end(), port) == ports.end()) {
      ports.push_back(port);
    }
  }
  return ports;
}

}  // namespace

std::string stackComposeFile() {
  return MEDIC_STACK_DIR "/docker-compose.yml";
}

std::optional<std::string> composeV2UnavailableReason() {
  static const std::optional<std::string> reason = probeComposeV2();
  return reason;
}

void requireComposeV2OrSkip() {
  requireDockerOrSkip();
  if (::testing::Test::IsSkipped() || ::testing::Test::HasFatalFailure()) return;
  if (auto why = composeV2UnavailableReason()) {
    if (dockerRequired()) {
      GTEST_FAIL() << *why << " [MEDIC_REQUIRE_DOCKER=1, so this is a failure]";
    }
    GTEST_SKIP() << *why;
  }
}

ComposeStack::ComposeStack(Env env, std::chrono::milliseconds up_timeout, std::string compose_file)
    : compose_file_(std::move(compose_file)), project_(uniqueName("stack")) {
  std::vector<int> ports = freePorts(4);
  env_ = {{"WEB_PORT", std::to_string(ports[0])},
          {"API_PORT", std::to_string(ports[1])},
          {"PG_PORT", std::to_string(ports[2])},
          {"REDIS_PORT", std::to_string(ports[3])},
          {"API_MODE", "ok"},
          {"RESTART_POLICY", "no"}};
  for (auto& [name, value] : env) setEnv(std::move(name), std::move(value));
  for (const auto& [name, value] : env_) {
    int* port = name == "WEB_PORT"     ? &web_port_
                : name == "API_PORT"   ? &api_port_
                : name == "PG_PORT"    ? &pg_port_
                : name == "REDIS_PORT" ? &redis_port_
                                       : nullptr;
    if (port != nullptr) *port = std::atoi(value.c_str());
  }
  up_ = run({"up", "-d", "--wait"}, up_timeout);
}

ComposeStack::~ComposeStack() {
  // Runs even when `up` failed half way: it may have created containers, a volume or both.
  run({"down", "--volumes", "--remove-orphans", "--timeout", "5"});
  // Whatever compose did not remove (a container created outside it, a changed compose file).
  const std::string label = "label=com.docker.compose.project=" + project_;
  ProcessResult left = dockerCli({"ps", "-aq", "--filter", label}, 30s);
  std::istringstream containers(left.out);
  for (std::string id; std::getline(containers, id);) {
    if (!id.empty()) dockerCli({"rm", "-f", "-v", id}, 30s);
  }
  ProcessResult volumes = dockerCli({"volume", "ls", "-q", "--filter", label}, 30s);
  std::istringstream names(volumes.out);
  for (std::string name; std::getline(names, name);) {
    if (!name.empty()) dockerCli({"volume", "rm", "-f", name}, 30s);
  }
}

std::string ComposeStack::startError() const {
  std::string hint;
  if (up_.err.find("No such image") != std::string::npos ||
      up_.err.find("pull access denied") != std::string::npos) {
    hint = " (is " + std::string(kStackImage) +
           " built? scripts/build-stack-image.sh, the CTest fixture stackimage)";
  }
  return "docker compose -p " + project_ + " up -d --wait: " + up_.describe() + hint + "\nlogs:\n" +
         logs();
}

std::string ComposeStack::webUrl(std::string_view path) const {
  return "http://127.0.0.1:" + std::to_string(web_port_) + std::string(path);
}

std::string ComposeStack::apiUrl(std::string_view path) const {
  return "http://127.0.0.1:" + std::to_string(api_port_) + std::string(path);
}

void ComposeStack::setEnv(std::string name, std::string value) {
  auto it = std::find_if(env_.begin(), env_.end(),
                         [&name](const auto& entry) { return entry.first == name; });
  if (it != env_.end()) {
    it->second = std::move(value);
  } else {
    env_.emplace_back(std::move(name), std::move(value));
  }
}

ProcessResult ComposeStack::run(const std::vector<std::string>& args,
                                std::chrono::milliseconds timeout) const {
  // env(1) sets the variables for docker alone: no shell, and this process's environment stays
  // as it is.
  std::vector<std::string> argv{"env"};
  for (const auto& [name, value] : env_) argv.push_back(name + "=" + value);
  argv.insert(argv.end(), {"docker", "compose", "-p", project_, "-f", compose_file_});
  argv.insert(argv.end(), args.begin(), args.end());
  return runProcess(argv, timeout);
}

std::string ComposeStack::containerId(std::string_view service) const {
  ProcessResult ps = run({"ps", "--all", "--quiet", std::string(service)}, 30s);
  return ps.ok() ? trimmed(ps.out) : "";
}

std::string ComposeStack::logs(int lines) const {
  ProcessResult result = run({"logs", "--no-color", "--tail", std::to_string(lines)}, 30s);
  return result.out + result.err;
}

}  // namespace medic::test
