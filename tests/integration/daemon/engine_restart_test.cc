// The Docker engine restarted under medic: medic notices, reconnects, resyncs, waits its grace and
// starts nothing twice. The test owns a private dockerd (its own socket, data and exec roots, no
// iptables) so restarting it disturbs nothing else on the machine. Not --bridge=none: a dockerd
// started with it deletes the host's docker0, and every later test that publishes a port fails.
#include <signal.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "../cli/medic_cli.h"
#include "support/docker_env.h"
#include "support/wait.h"

namespace medic::test {
namespace {

using namespace std::chrono_literals;

class PrivateEngine {
 public:
  explicit PrivateEngine(std::string root) : root_(std::move(root)) {}
  ~PrivateEngine() {
    stop();
    // dockerd leaves its default network namespace bind-mounted under the exec root.
    umount2((root_ + "/exec/netns/default").c_str(), MNT_DETACH);
  }

  std::string socket() const { return root_ + "/docker.sock"; }
  std::string host() const { return "unix://" + socket(); }

  bool start() {
    pid_ = fork();
    if (pid_ == 0) {
      const std::string log = root_ + "/dockerd.log";
      freopen(log.c_str(), "a", stdout);
      freopen(log.c_str(), "a", stderr);
      setpgid(0, 0);
      const std::string data = "--data-root=" + root_ + "/data";
      const std::string exec = "--exec-root=" + root_ + "/exec";
      const std::string pid = "--pidfile=" + root_ + "/dockerd.pid";
      const std::string host_arg = "--host=" + host();
      execlp("dockerd", "dockerd", data.c_str(), exec.c_str(), pid.c_str(), host_arg.c_str(),
             "--iptables=false", "--ip-masq=false", "--ip6tables=false",
             static_cast<char*>(nullptr));
      _exit(127);
    }
    return waitFor([&] { return docker({"info"}).ok(); }, 60s, 100ms);
  }
  void stop() {
    if (pid_ <= 0) return;
    kill(pid_, SIGTERM);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
  }
  ProcessResult docker(std::vector<std::string> args) const {
    args.insert(args.begin(), {"-H", host()});
    return dockerCli(args, 60s);
  }

 private:
  std::string root_;
  pid_t pid_ = -1;
};

TEST(EngineRestart, MedicReconnectsResyncsAndStartsNothingTwice) {
  MEDIC_REQUIRE_DOCKER_OR_SKIP();
  TempDir dir;
  PrivateEngine engine(dir.path() + "/engine");
  std::filesystem::create_directories(dir.path() + "/engine");
  ASSERT_TRUE(engine.start()) << "private dockerd did not answer";
  // The test image comes from the machine's engine (no registry).
  const std::string tar = dir.path() + "/image.tar";
  ASSERT_TRUE(dockerCli({"save", "-o", tar, kTestImage}).ok());
  ASSERT_TRUE(engine.docker({"load", "-i", tar}).ok());

  const int web_port = freePort(), api_port = freePort();
  const std::string web = uniqueName("engine-web"), api = uniqueName("engine-api");
  ASSERT_TRUE(engine.docker({"run", "-d", "--name", web, "--network", "host", "-e",
                             "PORT=" + std::to_string(web_port), kTestImage})
                  .ok());
  // Docker itself restarts this one when the engine comes back: medic must not start it again.
  ASSERT_TRUE(engine.docker({"run", "-d", "--name", api, "--network", "host", "--restart",
                             "always", "-e", "PORT=" + std::to_string(api_port), kTestImage})
                  .ok());
  auto serving = [](int port) {
    return waitFor([&] { return httpGet(port, "/health", 500ms).status == 200; }, 40s, 50ms);
  };
  ASSERT_TRUE(serving(web_port));
  ASSERT_TRUE(serving(api_port));

  const std::string config = dir.write(
      "medic.yaml", "docker: " + engine.host() +
                        "\nselect:\n  labels: false\nresync_interval: 2s\n"
                        "defaults:\n  probe:\n    interval: 250ms\n    failure_threshold: 2\n"
                        "  recovery:\n    backoff_initial: 200ms\n    settle_timeout: 30s\n"
                        "services:\n  web:\n    match:\n      container: " + web +
                        "\n    probes:\n      - http: http://127.0.0.1:" + std::to_string(web_port) +
                        "/health\n  api:\n    match:\n      container: " + api + "\n");
  const int api_port_http = freePort();
  const std::string url = "http://127.0.0.1:" + std::to_string(api_port_http);
  pid_t medic = fork();
  if (medic == 0) {
    const std::string log = dir.path() + "/watch.log";
    freopen(log.c_str(), "a", stdout);
    freopen(log.c_str(), "a", stderr);
    const std::string bin = medicBinary(), state = dir.path() + "/state",
                      listen = "127.0.0.1:" + std::to_string(api_port_http);
    execl(bin.c_str(), bin.c_str(), "watch", "--config", config.c_str(), "--state-dir",
          state.c_str(), "--listen", listen.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  auto readLog = [&] {
    std::ifstream in(dir.path() + "/watch.log");
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  };
  auto status = [&] {
    auto r = runMedic({"status", "--json", "--url", url}, 10s);
    return nlohmann::json::parse(r.out, nullptr, false);
  };
  auto allHealthy = [&] {
    auto s = status();
    if (!s.is_object() || s["services"].size() != 2) return false;
    for (const auto& svc : s["services"]) {
      if (svc.value("state", "") != "healthy") return false;
    }
    return true;
  };
  EXPECT_TRUE(waitFor(allHealthy, 30s, 200ms)) << readLog();

  // Restart the engine: without live-restore it stops every container on the way down.
  engine.stop();
  EXPECT_TRUE(waitFor([&] {
    auto s = status();
    return s.is_object() && !s["engine"].value("reachable", true);
  }, 15s, 100ms)) << readLog();
  ASSERT_TRUE(engine.start());

  EXPECT_TRUE(serving(web_port)) << readLog();
  EXPECT_TRUE(serving(api_port)) << readLog();
  EXPECT_TRUE(waitFor(allHealthy, 40s, 200ms)) << readLog();
  auto s = status();
  EXPECT_GE(s["engine"].value("reconnects", 0), 1) << s.dump(2);

  // Starts that reached the engine: exactly one for web (its only way back), none for api (Docker
  // brought it back itself). An attempt made while dockerd was already going down never reached
  // it ("unreachable") and is not a start.
  auto starts = [&](const std::string& log, const std::string& service) {
    auto n = [&](const std::string& pattern) {
      std::regex re(pattern);
      return std::distance(std::sregex_iterator(log.begin(), log.end(), re),
                           std::sregex_iterator());
    };
    return n(service + ": (start|restart) \\(attempt") -
           n(service + ": (start|restart) failed: unreachable");
  };
  std::string log = readLog();
  EXPECT_EQ(starts(log, "web"), 1) << log;
  EXPECT_EQ(starts(log, "api"), 0) << log;
  // And no second start sneaks in afterwards.
  std::this_thread::sleep_for(3s);
  log = readLog();
  EXPECT_EQ(starts(log, "web"), 1) << log;
  EXPECT_EQ(starts(log, "api"), 0) << log;

  kill(medic, SIGTERM);
  int st = 0;
  waitpid(medic, &st, 0);
  engine.docker({"rm", "-f", web, api});
  engine.stop();
}

}  // namespace
}  // namespace medic::test
