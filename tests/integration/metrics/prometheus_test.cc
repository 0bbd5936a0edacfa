/// medic's exposition checked by Prometheus's own tools: `promtool check metrics` (parser and
/// lint) and a real Prometheus on 127.0.0.1 that scrapes it and answers queries.

#include <arpa/inet.h>
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "metrics/medic_metrics.h"
#include "support/docker_env.h"
#include "support/http_client.h"
#include "support/process.h"
#include "support/wait.h"

namespace medic::metrics {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

constexpr const char* kPromtool = "/usr/bin/promtool";
constexpr const char* kPrometheus = "/usr/bin/prometheus";

/// Skips when Prometheus is not installed, except in CI (CI or MEDIC_REQUIRE_DOCKER=1), where the
/// project's install-deps.sh has installed it and its absence is a failure.
#define MEDIC_REQUIRE_PROMETHEUS_OR_SKIP()                                                 \
  do {                                                                                     \
    if (::access(kPromtool, X_OK) != 0 || ::access(kPrometheus, X_OK) != 0) {              \
      const char* medic_ci = std::getenv("CI");                                            \
      const std::string medic_why = std::string(kPromtool) + " or " + kPrometheus +        \
                                    " is missing: install the Debian package prometheus "  \
                                    "(scripts/install-deps.sh does)";                      \
      if (::medic::test::dockerRequired() || (medic_ci != nullptr && *medic_ci != '\0')) { \
        GTEST_FAIL() << medic_why;                                                         \
      }                                                                                    \
      GTEST_SKIP() << medic_why;                                                           \
    }                                                                                      \
  } while (0)

/// A registry as the daemon fills it: every family with samples, including awkward label values.
struct RealisticMetrics {
  MedicMetrics metrics{{.version = "0.1.0-test"}};
  Snapshot snapshot;

  RealisticMetrics() {
    snapshot.health_score = 87.5;
    snapshot.engine_reachable = true;
    snapshot.alerts_firing = {{"warning", 2}};
    snapshot.services = {
        {"webui", "healthy", true, 3.25, 25165824.0},
        {"db", "recovering", false, 0.5, 104857600.0},
        {"odd \"name\"\\with\nnewline", "unknown", false, std::nullopt, std::nullopt},
    };
    metrics.setSnapshotSource([this] { return snapshot; });
    metrics.recordDetection(0.04);
    metrics.recordDetection(0.8);
    metrics.recordRecovery("db", "restart", false, 12);
    metrics.recordRecovery("db", "recreate", true, 3.2);
    metrics.recordRestart("db");
    metrics.recordRestart("db");
    metrics.recordProbe("webui", "health", "http", 0.003, true);
    metrics.recordProbe("db", "port", "tcp", 0.0004, false);
    metrics.recordProbe("db", "ready", "exec", 1.7, false);
    metrics.recordAlertSinkFailure("webhook");
    metrics.recordAlertSinkDropped("webhook", 4);
    metrics.recordEventStreamReconnect();
  }
};

/// A fresh directory under $TMPDIR, removed with everything in it when this goes away.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "medic-test-metrics-XXXXXX").string();
    if (::mkdtemp(pattern.data()) != nullptr) path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    if (!path_.empty()) fs::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  bool created() const { return !path_.empty(); }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

std::string readFile(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(Promtool, ChecksMedicsExpositionWithoutProblems) {
  MEDIC_REQUIRE_PROMETHEUS_OR_SKIP();
  RealisticMetrics realistic;
  const std::string text = realistic.metrics.render();
  const TempDir dir;
  ASSERT_TRUE(dir.created());
  const fs::path file = dir.path() / "metrics.txt";
  std::ofstream(file) << text;

  // `promtool check metrics < file`: parses the text format and lints names, HELP, units and
  // counter suffixes; prints every problem and exits non-zero on any.
  const auto result = test::runProcess({kPromtool, "check", "metrics"}, 30s, readFile(file));
  EXPECT_EQ(result.exit_code, 0) << result.describe() << "\n" << result.out << "\n" << text;
  EXPECT_EQ(result.out, "") << text;
  EXPECT_EQ(result.err, "") << text;
}

TEST(Promtool, RejectsBrokenExposition) {
  // The check above can fail: promtool does complain about what medic must not produce.
  MEDIC_REQUIRE_PROMETHEUS_OR_SKIP();
  const auto result = test::runProcess(
      {kPromtool, "check", "metrics"}, 30s,
      "# HELP restarts Restarts.\n# TYPE restarts counter\nrestarts{service=\"a\"} 1\n");
  EXPECT_NE(result.exit_code, 0);
  EXPECT_THAT(result.out + result.err, ::testing::HasSubstr("_total"));
}

/// Serves `GET <anything>` with the registry's render() on 127.0.0.1, one connection at a time,
/// from its own thread. `render` is called under `mutex`, so the test can change the metrics.
class TinyMetricsServer {
 public:
  TinyMetricsServer(std::mutex& mutex, std::function<std::string()> render)
      : mutex_(mutex), render_(std::move(render)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::listen(fd_, 16) != 0) {
      ::close(fd_);
      fd_ = -1;
      return;
    }
    socklen_t len = sizeof addr;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { loop(); });
  }
  ~TinyMetricsServer() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    if (fd_ >= 0) ::close(fd_);
  }
  int port() const { return port_; }
  int scrapes() const { return scrapes_; }

 private:
  void loop() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) continue;
      const int conn = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (conn < 0) continue;
      serve(conn);
      ::close(conn);
    }
  }

  void serve(int conn) {
    std::string request;
    char buf[4096];
    const auto deadline = std::chrono::steady_clock::now() + 2s;
    while (request.find("\r\n\r\n") == std::string::npos &&
           std::chrono::steady_clock::now() < deadline) {
      pollfd p{conn, POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) continue;
      const ssize_t n = ::recv(conn, buf, sizeof buf, 0);
      if (n <= 0) return;
      request.append(buf, static_cast<std::size_t>(n));
    }
    std::string body;
    {
      std::lock_guard lock(mutex_);
      body = render_();
    }
    const std::string response = std::string("HTTP/1.1 200 OK\r\nContent-Type: ") +
                                 Registry::kContentType +
                                 "\r\nContent-Length: " + std::to_string(body.size()) +
                                 "\r\nConnection: close\r\n\r\n" + body;
    std::size_t sent = 0;
    while (sent < response.size()) {
      const ssize_t n = ::send(conn, response.data() + sent, response.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) return;
      sent += static_cast<std::size_t>(n);
    }
    ++scrapes_;
  }

  std::mutex& mutex_;
  std::function<std::string()> render_;
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> scrapes_{0};
  std::thread thread_;
};

/// A program started in the background (argv, no shell), output to a log file, stopped by its PID:
/// SIGTERM, then SIGKILL if it has not exited within 10 s; always reaped.
class BackgroundProcess {
 public:
  BackgroundProcess(const std::vector<std::string>& argv, const fs::path& log) {
    std::vector<char*> args;
    args.reserve(argv.size() + 1);
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    const int log_fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    pid_ = ::fork();
    if (pid_ == 0) {
      if (log_fd >= 0) {
        ::dup2(log_fd, STDOUT_FILENO);
        ::dup2(log_fd, STDERR_FILENO);
      }
      ::execv(args[0], args.data());
      ::_exit(127);
    }
    if (log_fd >= 0) ::close(log_fd);
  }
  ~BackgroundProcess() { stop(); }
  BackgroundProcess(const BackgroundProcess&) = delete;
  BackgroundProcess& operator=(const BackgroundProcess&) = delete;

  bool started() const { return pid_ > 0; }
  /// True while the process has not exited (reaps it when it has).
  bool running() {
    if (pid_ <= 0) return false;
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return false;
    }
    return true;
  }
  void stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    const bool exited = test::waitFor(
        [&] {
          int status = 0;
          return ::waitpid(pid_, &status, WNOHANG) == pid_;
        },
        10s);
    if (!exited) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    pid_ = -1;
  }

 private:
  pid_t pid_ = -1;
};

/// The value of an instant query's first sample as Prometheus returns it ("87.5"), with its
/// labels; empty when there is none yet.
struct QueryAnswer {
  std::string value;
  nlohmann::json labels = nlohmann::json::object();
};

QueryAnswer query(int prometheus_port, const std::string& promql_urlencoded) {
  const auto response =
      test::httpGet(prometheus_port, "/api/v1/query?query=" + promql_urlencoded, 2s);
  if (response.status != 200) return {};
  const auto doc = nlohmann::json::parse(response.body, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object() || doc.value("status", "") != "success") return {};
  const auto result = doc.value("/data/result"_json_pointer, nlohmann::json::array());
  if (!result.is_array() || result.empty()) return {};
  return {result[0].at("value").at(1).get<std::string>(), result[0].at("metric")};
}

TEST(Prometheus, ScrapesMedicAndAnswersAQueryForTheHealthScore) {
  MEDIC_REQUIRE_PROMETHEUS_OR_SKIP();
  std::mutex mutex;
  RealisticMetrics realistic;
  TinyMetricsServer server(mutex, [&] { return realistic.metrics.render(); });
  ASSERT_GT(server.port(), 0) << "could not listen on 127.0.0.1";

  const TempDir dir;
  ASSERT_TRUE(dir.created());
  const fs::path config = dir.path() / "prometheus.yml";
  std::ofstream(config) << "global:\n"
                           "  scrape_interval: 1s\n"
                           "  evaluation_interval: 1s\n"
                           "scrape_configs:\n"
                           "  - job_name: medic\n"
                           "    static_configs:\n"
                           "      - targets: ['127.0.0.1:"
                        << server.port() << "']\n";
  const int prometheus_port = test::freePort();
  const fs::path log = dir.path() / "prometheus.log";
  const auto started_at = std::chrono::steady_clock::now();
  BackgroundProcess prometheus(
      {kPrometheus, "--config.file=" + config.string(),
       "--storage.tsdb.path=" + (dir.path() / "data").string(),
       "--web.listen-address=127.0.0.1:" + std::to_string(prometheus_port)},
      log);
  ASSERT_TRUE(prometheus.started());

  // Prometheus starts, scrapes every second, and answers the query with the served score.
  QueryAnswer score;
  const bool answered = test::waitFor(
      [&] {
        if (!prometheus.running()) return true;  // exited: stop waiting, fail below with its log
        score = query(prometheus_port, "medic_health_score");
        return !score.value.empty();
      },
      60s, 250ms);
  const double seconds_to_answer =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started_at).count();
  ASSERT_TRUE(answered && prometheus.running())
      << "no answer for medic_health_score; scrapes served: " << server.scrapes()
      << "\nprometheus log:\n"
      << readFile(log);
  EXPECT_EQ(score.value, "87.5");
  EXPECT_EQ(score.labels.value("job", ""), "medic");
  EXPECT_EQ(score.labels.value("instance", ""), "127.0.0.1:" + std::to_string(server.port()));
  std::cout << "[ measured ] Prometheus answered medic_health_score " << seconds_to_answer
            << " s after start, after " << server.scrapes() << " scrape(s)\n";

  // The scrape itself is healthy (a parse error would make up 0), and Prometheus understood the
  // other families: labels with escapes, histograms, counters.
  EXPECT_EQ(query(prometheus_port, "up%7Bjob%3D%22medic%22%7D").value, "1");
  EXPECT_EQ(query(prometheus_port,
                  "medic_service_state%7Bservice%3D%22db%22%2Cstate%3D%22"
                  "recovering%22%7D")
                .value,
            "1");
  EXPECT_EQ(query(prometheus_port, "medic_recovery_seconds_count").value, "1");
  EXPECT_EQ(query(prometheus_port, "medic_restarts_total%7Bservice%3D%22db%22%7D").value, "2");
  // medic_service_up{service=~"(?s)odd.*"}: the escaped label value arrives intact.
  const auto odd = query(prometheus_port, "medic_service_up%7Bservice%3D~%22(%3Fs)odd.*%22%7D");
  EXPECT_EQ(odd.labels.value("service", ""), "odd \"name\"\\with\nnewline");

  // Scraping is live: a new score is seen on a later scrape.
  {
    std::lock_guard lock(mutex);
    realistic.snapshot.health_score = 40;
  }
  QueryAnswer later;
  EXPECT_TRUE(test::waitFor(
      [&] {
        later = query(prometheus_port, "medic_health_score");
        return later.value == "40";
      },
      15s, 250ms))
      << "still " << later.value;

  prometheus.stop();
  EXPECT_FALSE(prometheus.running());
}

}  // namespace
}  // namespace medic::metrics
