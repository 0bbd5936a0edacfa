#pragma once
/// Helpers for tests against the real Docker engine: engine presence, unique names, free ports and
/// containers that clean up after themselves.
///
/// Network rule: containers run with --network host and tests contact only 127.0.0.1.

#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "support/http_client.h"
#include "support/process.h"

namespace medic::test {

/// The image built by scripts/build-test-image.sh (the CTest fixture `testimage`).
inline constexpr const char* kTestImage = "medic-testserver:latest";

/// Empty when a Docker engine answers `docker info`; otherwise what failed and what to do. Asked
/// once per process.
std::optional<std::string> dockerUnavailableReason();

/// The engine the tests (and the `docker` CLI they run) talk to: $DOCKER_HOST when set, else
/// unix:///var/run/docker.sock. CTest's engine26 suites set DOCKER_HOST to a second engine.
std::string engineAddress();

/// True when env MEDIC_REQUIRE_DOCKER=1 (CI): a missing engine is then a failure, not a skip.
bool dockerRequired();

/// For SetUp() of a fixture: skips the test when no engine answers, or fails it when
/// MEDIC_REQUIRE_DOCKER=1. GoogleTest does not run the body after a skip or fatal failure in
/// SetUp(). In a test body use MEDIC_REQUIRE_DOCKER_OR_SKIP(), which also returns from the body.
void requireDockerOrSkip();

#define MEDIC_REQUIRE_DOCKER_OR_SKIP()                                 \
  do {                                                                 \
    if (auto medic_why = ::medic::test::dockerUnavailableReason()) {   \
      if (::medic::test::dockerRequired()) GTEST_FAIL() << *medic_why; \
      GTEST_SKIP() << *medic_why;                                      \
    }                                                                  \
  } while (0)

/// A fixture whose tests need the engine.
class DockerTest : public ::testing::Test {
 protected:
  void SetUp() override { requireDockerOrSkip(); }
};

/// `medic-test-<base>-<8 random hex digits>`: the prefix marks what tests may clean up.
std::string uniqueName(std::string_view base);

/// A TCP port that was free on 127.0.0.1 a moment ago (bound to port 0 and released).
int freePort();

/// `docker inspect --format <format> <name>`, trimmed; "" when the container does not exist.
std::string inspectField(std::string_view name, std::string_view format);

/// True when a container with this name or id exists (in any state).
bool containerExists(std::string_view name);

/// A container of the test image (or any image) that is removed (`docker rm -f`) when this object
/// goes away. Runs `docker run -d --pull never --name <name> --network host --label medic.test=true
/// -e PORT=<port> [run_args] <image> [command]`. Check started() before using it; startError() says
/// why it did not start.
class TestContainer {
 public:
  TestContainer(std::string name, int port, std::vector<std::string> run_args = {},
                std::string image = kTestImage, std::vector<std::string> command = {});
  /// A uniqueName(base) on a freePort().
  static TestContainer start(std::string_view base, std::vector<std::string> run_args = {},
                             std::string image = kTestImage);
  ~TestContainer();
  TestContainer(TestContainer&& other) noexcept;
  TestContainer& operator=(TestContainer&&) = delete;
  TestContainer(const TestContainer&) = delete;
  TestContainer& operator=(const TestContainer&) = delete;

  bool started() const { return run_.ok(); }
  std::string startError() const { return "docker run " + name_ + ": " + run_.describe(); }
  const std::string& name() const { return name_; }
  int port() const { return port_; }
  /// The full container id printed by `docker run -d`.
  std::string id() const;

  std::string inspect(std::string_view format) const { return inspectField(name_, format); }
  std::string status() const { return inspect("{{.State.Status}}"); }
  /// Docker's health verdict: starting, healthy or unhealthy ("" without a healthcheck).
  std::string health() const {
    return inspect("{{if .State.Health}}{{.State.Health.Status}}{{end}}");
  }
  /// -1 when unknown.
  int exitCode() const;

  /// GET http://127.0.0.1:<port><path>.
  HttpResponse get(std::string_view path,
                   std::chrono::milliseconds timeout = std::chrono::seconds(2)) const {
    return httpGet(port_, path, timeout);
  }

 private:
  std::string name_;
  int port_;
  ProcessResult run_;
  bool owned_ = true;
};

}  // namespace medic::test
