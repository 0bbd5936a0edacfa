#pragma once
/// A real four-service stack for tests: tests/support/stack/docker-compose.yml (nginx web UI ->
/// Python API -> PostgreSQL + Redis, the image medic-stack:latest that the CTest fixture
/// `stackimage` builds) run by Compose v2 as a project of its own, protected by medic labels alone.
///
/// Network rule: every service uses the host's network and listens on 127.0.0.1 only, on four free
/// ports picked per stack, so stacks of several tests run side by side.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "support/http_client.h"
#include "support/process.h"

namespace medic::test {

/// The image built by scripts/build-stack-image.sh (the CTest fixture `stackimage`).
inline constexpr const char* kStackImage = "medic-stack:latest";

/// tests/support/stack/docker-compose.yml in the source tree.
std::string stackComposeFile();

/// Empty when `docker compose version` reports Compose v2 or newer; otherwise what is missing and
/// how to install it. Asked once per process.
std::optional<std::string> composeV2UnavailableReason();

/// For SetUp() of a fixture: requireDockerOrSkip(), then the same for Compose v2: skips the test
/// when it is missing, or fails it when MEDIC_REQUIRE_DOCKER=1.
void requireComposeV2OrSkip();

/// One stack, brought up in the constructor and taken down (`down -v --remove-orphans`, then a
/// sweep of anything still labelled with its project) in the destructor, whatever the test did.
///
/// Every compose command runs as `env NAME=VALUE... docker compose -p <project> -f <file> ...`
/// (argv only): the four ports, API_MODE=ok and RESTART_POLICY=no unless told otherwise, plus what
/// the constructor or setEnv() adds. See the compose file's header for every knob.
class ComposeStack {
 public:
  using Env = std::vector<std::pair<std::string, std::string>>;

  /// Picks four distinct free ports and the project uniqueName("stack"), then runs `up -d --wait`
  /// with `env` on top of the defaults (an entry there overrides a default, the ports included).
  /// Check started() before using the stack; startError() says why it did not start.
  explicit ComposeStack(Env env = {},
                        std::chrono::milliseconds up_timeout = std::chrono::minutes(3),
                        std::string compose_file = stackComposeFile());
  ~ComposeStack();
  ComposeStack(const ComposeStack&) = delete;
  ComposeStack& operator=(const ComposeStack&) = delete;

  bool started() const { return up_.ok(); }
  /// The failed `up` with the tail of every service's log.
  std::string startError() const;

  const std::string& project() const { return project_; }
  int webPort() const { return web_port_; }
  int apiPort() const { return api_port_; }
  int pgPort() const { return pg_port_; }
  int redisPort() const { return redis_port_; }
  /// http://127.0.0.1:<port><path> of the web UI (nginx) and of the API.
  std::string webUrl(std::string_view path = "/") const;
  std::string apiUrl(std::string_view path = "/") const;

  /// Sets (or replaces) a variable for every later compose command, e.g. setEnv("API_MODE",
  /// "broken") then run({"up", "-d", "--no-deps", "api"}) rolls out a broken API container.
  void setEnv(std::string name, std::string value);
  const Env& env() const { return env_; }

  /// `docker compose -p <project> -f <file> <args...>` with the stack's environment.
  ProcessResult run(const std::vector<std::string>& args,
                    std::chrono::milliseconds timeout = std::chrono::minutes(2)) const;

  /// The full id of the service's container in any state; "" when it has none.
  std::string containerId(std::string_view service) const;
  /// The last `lines` lines of every service's log, for assertion messages.
  std::string logs(int lines = 30) const;

  /// GET <path> from the web UI (nginx) or straight from the API.
  HttpResponse web(std::string_view path,
                   std::chrono::milliseconds timeout = std::chrono::seconds(5)) const {
    return httpGet(web_port_, path, timeout);
  }
  HttpResponse api(std::string_view path,
                   std::chrono::milliseconds timeout = std::chrono::seconds(5)) const {
    return httpGet(api_port_, path, timeout);
  }

 private:
  std::string compose_file_;
  std::string project_;
  int web_port_ = 0;
  int api_port_ = 0;
  int pg_port_ = 0;
  int redis_port_ = 0;
  Env env_;
  ProcessResult up_;
};

}  // namespace medic::test
