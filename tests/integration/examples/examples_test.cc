// examples/: the web UI + API + worker + database stack, protected by labels alone and by a config
// file. Each runs under real docker-compose (a project name of its own, `down` at the end) and
// `medic check` must find all four services and call them healthy, with their probes passing.
#include <gtest/gtest.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <sstream>

#include "../cli/medic_cli.h"
#include "support/docker_env.h"
#include "support/wait.h"

namespace medic::test {
namespace {

using namespace std::chrono_literals;

std::string examplePath(const std::string& file) {
  return std::string(MEDIC_SOURCE_DIR) + "/examples/" + file;
}

std::string readFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

bool portFree(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  // As the test server binds: connections the last run left in TIME_WAIT do not count.
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool ok = bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  close(fd);
  return ok;
}

/// A compose project of one example, taken down (with its volumes) when this goes away.
class ComposeProject {
 public:
  ComposeProject(std::string file, std::string base)
      : file_(std::move(file)), name_(uniqueName(base)) {}
  ~ComposeProject() {
    if (up_) compose({"down", "--volumes", "--timeout", "2"});
  }
  ComposeProject(const ComposeProject&) = delete;
  ComposeProject& operator=(const ComposeProject&) = delete;

  ProcessResult up() {
    up_ = true;
    return compose({"up", "--detach"});
  }
  const std::string& name() const { return name_; }
  /// Docker's health of each service's container ("healthy", "starting", ...), by service name.
  std::map<std::string, std::string> health() {
    std::map<std::string, std::string> out;
    auto ids =
        dockerCli({"ps", "--quiet", "--filter", "label=com.docker.compose.project=" + name_});
    std::istringstream in(ids.out);
    for (std::string id; std::getline(in, id);) {
      auto r = dockerCli({"inspect", "--format",
                          "{{index .Config.Labels \"com.docker.compose.service\"}} "
                          "{{if .State.Health}}{{.State.Health.Status}}{{end}}",
                          id});
      std::istringstream fields(r.out);
      std::string service, status;
      fields >> service >> status;
      out[service] = status;
    }
    return out;
  }

 private:
  ProcessResult compose(std::vector<std::string> args) {
    std::vector<std::string> argv{"docker-compose", "--project-name", name_, "--file", file_};
    argv.insert(argv.end(), args.begin(), args.end());
    return runProcess(argv, 120s);
  }
  std::string file_;
  std::string name_;
  bool up_ = false;
};

class ExamplesTest : public DockerTest {
 protected:
  /// Starts the example and waits for Docker's own verdict on all four services, as a user
  /// watching `docker-compose ps` would before checking.
  void startStack(ComposeProject& project, std::vector<int> ports) {
    for (int port : ports) {
      ASSERT_TRUE(portFree(port)) << "127.0.0.1:" << port
                                  << " is taken (is this example already running?)";
    }
    auto up = project.up();
    ASSERT_EQ(up.exit_code, 0) << up.describe();
    const std::map<std::string, std::string> all_healthy{
        {"api", "healthy"}, {"db", "healthy"}, {"webui", "healthy"}, {"worker", "healthy"}};
    std::map<std::string, std::string> last;
    EXPECT_TRUE(waitFor([&] { return (last = project.health()) == all_healthy; }, 40s, 250ms))
        << "docker health: " << ::testing::PrintToString(last);
  }

  /// `medic check --json` with this config; the report's services by name, keeping only those
  /// whose container belongs to `project` (other tests' labelled containers may be about).
  std::map<std::string, nlohmann::json> check(const std::string& config, const std::string& project,
                                              int* exit_code, nlohmann::json* report) {
    auto r = runMedic({"check", "--config", config, "--json"});
    *exit_code = r.exit_code;
    *report = nlohmann::json::parse(r.out, nullptr, false);
    EXPECT_FALSE(report->is_discarded()) << r.describe() << r.out;
    std::map<std::string, nlohmann::json> ours;
    if (report->is_discarded()) return ours;
    for (const auto& s : (*report)["services"]) {
      if (s["container"].is_object() && s["container"]["container_name"].get<std::string>().find(
                                            project + "_") != std::string::npos) {
        ours[s["name"].get<std::string>()] = s;
      }
    }
    return ours;
  }

  static void expectProbes(const nlohmann::json& service, std::vector<std::string> kinds) {
    std::vector<std::string> seen;
    for (const auto& p : service["probes"]) {
      seen.push_back(p["kind"].get<std::string>());
      EXPECT_TRUE(p["ok"].get<bool>()) << service["name"] << ": " << p.dump();
    }
    EXPECT_EQ(seen, kinds) << service.dump(2);
  }

  TempDir dir_;
};

TEST_F(ExamplesTest, LabelsAloneProtectAllFourServices) {
  ComposeProject project(examplePath("labels/docker-compose.yml"), "ex-labels");
  startStack(project, {18180, 18181, 18182});
  if (HasFatalFailure()) return;
  // No config file: an empty one is the same as none (labels only), and keeps ./medic.yaml or
  // /etc/medic/medic.yaml of this machine out of the test.
  const auto config = dir_.write("medic.yaml", "");
  int exit_code = -1;
  nlohmann::json report;
  auto services = check(config, project.name(), &exit_code, &report);
  ASSERT_EQ(services.size(), 4u) << report.dump(2);
  for (const char* name : {"webui", "api", "worker", "db"}) {
    ASSERT_TRUE(services.count(name)) << name << " not found: " << report.dump(2);
    const auto& s = services[name];
    EXPECT_EQ(s["health"], "healthy") << s.dump(2);
    EXPECT_EQ(s["source"], "label") << s.dump(2);
    EXPECT_FALSE(s["evidence"].empty()) << s.dump(2);
  }
  EXPECT_EQ(services["webui"]["critical"], true);
  EXPECT_EQ(services["db"]["critical"], true);
  EXPECT_EQ(services["api"]["critical"], false);
  expectProbes(services["webui"], {"http"});
  expectProbes(services["api"], {"http"});
  expectProbes(services["worker"], {});  // Docker's HEALTHCHECK verdict, in the container state
  expectProbes(services["db"], {"tcp"});
  // Others' labelled containers may be checked too; the exit status is the verdict over all.
  bool all_healthy = true;
  for (const auto& s : report["services"]) all_healthy = all_healthy && s["health"] == "healthy";
  EXPECT_EQ(exit_code, all_healthy ? 0 : 1);
}

TEST_F(ExamplesTest, ConfigFileProtectsAllFourServices) {
  ComposeProject project(examplePath("config/docker-compose.yml"), "ex-config");
  // The example's medic.yaml, with the compose project name this test runs it under instead of
  // "shop": the only change.
  std::string yaml = readFile(examplePath("config/medic.yaml"));
  int replaced = 0;
  for (size_t at; (at = yaml.find("compose_project: shop")) != std::string::npos; ++replaced) {
    yaml.replace(at, std::string("compose_project: shop").size(),
                 "compose_project: " + project.name());
  }
  ASSERT_EQ(replaced, 4);
  const auto config = dir_.write("medic.yaml", yaml);
  startStack(project, {18190, 18191, 18192});
  if (HasFatalFailure()) return;
  int exit_code = -1;
  nlohmann::json report;
  auto services = check(config, project.name(), &exit_code, &report);
  // select.labels is false: exactly the four listed services, nothing else on the host.
  EXPECT_EQ(report["services"].size(), 4u) << report.dump(2);
  ASSERT_EQ(services.size(), 4u) << report.dump(2);
  for (const char* name : {"webui", "api", "worker", "db"}) {
    ASSERT_TRUE(services.count(name)) << name << " not found: " << report.dump(2);
    EXPECT_EQ(services[name]["health"], "healthy") << services[name].dump(2);
    EXPECT_EQ(services[name]["source"], "config");
  }
  EXPECT_EQ(exit_code, 0) << report.dump(2);
  EXPECT_EQ(report["verdict"], "healthy");
  expectProbes(services["webui"], {"http", "http"});
  expectProbes(services["api"], {"http"});
  expectProbes(services["worker"], {});  // `docker: true` is the container state's health
  expectProbes(services["db"], {"tcp"});
  EXPECT_NE(services["worker"]["reason"].get<std::string>().find("Docker health check healthy"),
            std::string::npos)
      << services["worker"].dump(2);
}

}  // namespace
}  // namespace medic::test
