/// medic's exposition checked by Prometheus's own tools: `promtool check metrics` (parser and
/// lint) and a real Prometheus on 127.0.0.1 that scrapes it and answers queries.

#include <arpa/inet.h>
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
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
#include "../cli/medic_cli.h"
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
        {"webui", "healthy", true, 3.25, 25165824.0, 41.5},
        {"db", "recovering", false, 0.5, 104857600.0, 7.0},
        {"odd \"name\"\\with\nnewline", "unknown", false, std::nullopt, std::nullopt,
         std::nullopt},
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
  /// With `hosts_file`, the child runs in a mount namespace of its own where that file is
  /// /etc/hosts: it resolves the test's names to 127.0.0.1 without touching the machine's
  /// /etc/hosts (needs root; the caller checks canUsePrivateHosts()).
  BackgroundProcess(const std::vector<std::string>& argv, const fs::path& log,
                    const fs::path& hosts_file = {}) {
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
      if (!hosts_file.empty() &&
          (::unshare(CLONE_NEWNS) != 0 ||
           ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0 ||
           ::mount(hosts_file.c_str(), "/etc/hosts", nullptr, MS_BIND, nullptr) != 0)) {
        std::perror("private /etc/hosts");
        ::_exit(126);
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
  void signal(int sig) const {
    if (pid_ > 0) ::kill(pid_, sig);
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

TEST(Promtool, TheExampleRulesPassCheckAndTheirOwnTests) {
  MEDIC_REQUIRE_PROMETHEUS_OR_SKIP();
  const fs::path dir = fs::path(MEDIC_SOURCE_DIR) / "examples" / "prometheus";
  const auto check =
      test::runProcess({kPromtool, "check", "rules", (dir / "medic-rules.yml").string()}, 60s);
  EXPECT_TRUE(check.ok()) << check.describe() << check.out;
  EXPECT_NE(check.out.find("SUCCESS: 5 rules found"), std::string::npos) << check.out;
  // The rule tests name the rules file relative to themselves.
  const auto unit = test::runProcess(
      {kPromtool, "test", "rules", (dir / "medic-rules.test.yml").string()}, 60s);
  EXPECT_TRUE(unit.ok()) << unit.describe() << unit.out;
  EXPECT_NE(unit.out.find("SUCCESS"), std::string::npos) << unit.out;
  // Every metric the rules read is one medic serves (docs/metrics.md lists them).
  const std::string rules = readFile(dir / "medic-rules.yml");
  const std::string docs = readFile(fs::path(MEDIC_SOURCE_DIR) / "docs" / "metrics.md");
  for (const char* metric : {"medic_health_ratio", "medic_service_state",
                             "medic_last_resync_timestamp_seconds", "medic_engine_reachable"}) {
    EXPECT_NE(rules.find(metric), std::string::npos) << metric;
    EXPECT_NE(docs.find(std::string("`") + metric), std::string::npos) << metric;
  }
}

// ---- a central Prometheus scraping medic over https ----

/// True when this process may give a child a private /etc/hosts (root with CAP_SYS_ADMIN).
bool canUsePrivateHosts() {
  const auto r = test::runProcess({"unshare", "--mount", "true"}, 10s);
  return r.ok();
}

/// A private CA and a server certificate for `name` signed by it, made with openssl.
struct TestPki {
  fs::path ca, cert, key;
  std::string error;

  TestPki(const fs::path& dir, const std::string& name, const std::string& tag) {
    ca = dir / "ca.pem";
    cert = dir / (tag + ".crt");
    key = dir / (tag + ".key");
    const fs::path ca_key = dir / "ca.key", csr = dir / (tag + ".csr"), ext = dir / "san.ext";
    std::ofstream(ext) << "subjectAltName=DNS:" << name << "\n";
    std::vector<std::vector<std::string>> steps;
    if (!fs::exists(ca)) {
      steps.push_back({"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                       "-subj", "/CN=medic test CA", "-keyout", ca_key.string(), "-out",
                       ca.string()});
    }
    steps.push_back({"openssl", "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=" + name,
                     "-keyout", key.string(), "-out", csr.string()});
    steps.push_back({"openssl", "x509", "-req", "-in", csr.string(), "-CA", ca.string(), "-CAkey",
                     ca_key.string(), "-CAcreateserial", "-days", "2", "-extfile", ext.string(),
                     "-out", cert.string()});
    for (const auto& argv : steps) {
      const auto r = test::runProcess(argv, 60s);
      if (!r.ok()) {
        error = argv[1] + ": " + r.describe();
        return;
      }
    }
  }
  /// The serial of the certificate the file holds.
  std::string serial() const { return serialOf(test::runProcess({"cat", cert.string()}, 5s).out); }
  static std::string serialOf(const std::string& pem) {
    return test::runProcess({"openssl", "x509", "-noout", "-serial"}, 10s, pem).out;
  }
};

/// curl to https://<name>:<port><path> with every connection to 127.0.0.1 (--resolve): the HTTP
/// status, or -1.
int curlStatus(const std::string& name, int port, const std::string& path, const fs::path& ca,
               const std::string& token, const std::string& host_header = "") {
  std::vector<std::string> argv = {"curl", "-s", "-o", "/dev/null", "-w", "%{http_code}",
                                   "--max-time", "5", "--noproxy", "*", "--cacert", ca.string(),
                                   "--resolve", name + ":" + std::to_string(port) + ":127.0.0.1"};
  if (!token.empty()) argv.insert(argv.end(), {"-H", "Authorization: Bearer " + token});
  if (!host_header.empty()) argv.insert(argv.end(), {"-H", "Host: " + host_header});
  argv.push_back("https://" + name + ":" + std::to_string(port) + path);
  const auto r = test::runProcess(argv, 10s);
  try {
    return std::stoi(r.out);
  } catch (...) {
    return -1;
  }
}

TEST(RemotePrometheus, ScrapesMedicOverHttpsWithAMetricsTokenThroughAnAllowedName) {
  MEDIC_REQUIRE_PROMETHEUS_OR_SKIP();
  MEDIC_REQUIRE_DOCKER_OR_SKIP();
  for (const char* tool : {"/usr/bin/openssl", "/usr/bin/curl"}) {
    if (::access(tool, X_OK) != 0) {
      if (test::dockerRequired()) GTEST_FAIL() << tool << " is missing (scripts/install-deps.sh)";
      GTEST_SKIP() << tool << " is missing";
    }
  }
  if (!canUsePrivateHosts()) {
    if (test::dockerRequired()) GTEST_FAIL() << "needs root to give Prometheus a private /etc/hosts";
    GTEST_SKIP() << "needs root to give Prometheus a private /etc/hosts";
  }
  const std::string name = "medic-scrape.test";
  const TempDir dir;
  ASSERT_TRUE(dir.created());
  TestPki pki(dir.path(), name, "first");
  ASSERT_TRUE(pki.error.empty()) << pki.error;
  const fs::path token_file = dir.path() / "metrics.token";
  std::string metrics_token = test::runProcess({"openssl", "rand", "-hex", "32"}, 10s).out;
  while (!metrics_token.empty() && metrics_token.back() == '\n') metrics_token.pop_back();
  ASSERT_EQ(metrics_token.size(), 64u);
  std::ofstream(token_file) << metrics_token;
  const fs::path served_cert = dir.path() / "tls.crt", served_key = dir.path() / "tls.key";
  fs::copy_file(pki.cert, served_cert);
  fs::copy_file(pki.key, served_key);

  // medic on every interface (traffic still only to 127.0.0.1), TLS, one allowed name.
  const int port = test::freePort();
  const fs::path config = dir.path() / "medic.yaml";
  std::ofstream(config) << "select:\n  labels: false\nresync_interval: 2s\n"
                        << "listen: 0.0.0.0:" << port << "\n"
                        << "allowed_hosts: [" << name << "]\n"
                        << "tls_cert_file: " << served_cert.string() << "\n"
                        << "tls_key_file: " << served_key.string() << "\n"
                        << "metrics_token_file: " << token_file.string() << "\n";
  BackgroundProcess medic({test::medicBinary(), "watch", "--config", config.string(),
                           "--state-dir", (dir.path() / "state").string()},
                          dir.path() / "medic.log");
  ASSERT_TRUE(medic.started());
  ASSERT_TRUE(test::waitFor(
      [&] { return curlStatus(name, port, "/metrics", pki.ca, metrics_token) == 200; }, 30s,
      100ms))
      << readFile(dir.path() / "medic.log");
  std::string state_token = readFile(dir.path() / "state" / "token");
  while (!state_token.empty() && std::isspace(static_cast<unsigned char>(state_token.back()))) {
    state_token.pop_back();
  }

  // Reads need a token beyond loopback; the metrics token opens /metrics and nothing else.
  EXPECT_EQ(curlStatus(name, port, "/metrics", pki.ca, ""), 401);
  EXPECT_EQ(curlStatus(name, port, "/api/v1/status", pki.ca, ""), 401);
  EXPECT_EQ(curlStatus(name, port, "/api/v1/status", pki.ca, metrics_token), 401);
  EXPECT_EQ(curlStatus(name, port, "/api/v1/status", pki.ca, state_token), 200);
  // A rebinding Host is refused, whatever the token.
  EXPECT_EQ(curlStatus(name, port, "/metrics", pki.ca, metrics_token, "evil.example:" +
                                                                           std::to_string(port)),
            403);

  // The real Prometheus: https, the CA made above, the token from a file, the allowed name
  // resolved to 127.0.0.1 by its private /etc/hosts.
  const fs::path hosts = dir.path() / "hosts";
  std::ofstream(hosts) << "127.0.0.1 localhost\n127.0.0.1 " << name << "\n";
  const fs::path prom_config = dir.path() / "prometheus.yml";
  std::ofstream(prom_config) << "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
                                "scrape_configs:\n  - job_name: medic\n    scheme: https\n"
                                "    authorization:\n      type: Bearer\n"
                                "      credentials_file: " << token_file.string() << "\n"
                             << "    tls_config:\n      ca_file: " << pki.ca.string() << "\n"
                             << "    static_configs:\n      - targets: ['" << name << ":" << port
                             << "']\n";
  const int prometheus_port = test::freePort();
  const fs::path prom_log = dir.path() / "prometheus.log";
  BackgroundProcess prometheus(
      {kPrometheus, "--config.file=" + prom_config.string(),
       "--storage.tsdb.path=" + (dir.path() / "data").string(),
       "--web.listen-address=127.0.0.1:" + std::to_string(prometheus_port)},
      prom_log, hosts);
  ASSERT_TRUE(prometheus.started());
  QueryAnswer up;
  ASSERT_TRUE(test::waitFor(
      [&] {
        if (!prometheus.running()) return true;
        up = query(prometheus_port, "up%7Bjob%3D%22medic%22%7D");
        return up.value == "1";
      },
      60s, 250ms))
      << "up=" << up.value << "\nprometheus log:\n" << readFile(prom_log);
  EXPECT_EQ(up.labels.value("instance", ""), name + ":" + std::to_string(port));
  for (const char* family : {"process_cpu_seconds_total", "process_resident_memory_bytes",
                             "process_open_fds", "process_max_fds", "process_start_time_seconds",
                             "medic_last_resync_timestamp_seconds"}) {
    QueryAnswer a;
    EXPECT_TRUE(test::waitFor(
        [&] {
          a = query(prometheus_port, family);
          return !a.value.empty();
        },
        15s, 250ms))
        << family << " never scraped";
  }

  // SIGHUP reloads the certificate: a new one (same name, same CA) is served, and Prometheus
  // keeps scraping.
  const std::string first_serial = pki.serial();
  TestPki second(dir.path(), name, "second");
  ASSERT_TRUE(second.error.empty()) << second.error;
  ASSERT_NE(second.serial(), first_serial);
  fs::copy_file(second.cert, served_cert, fs::copy_options::overwrite_existing);
  fs::copy_file(second.key, served_key, fs::copy_options::overwrite_existing);
  const auto served = [&] {
    const auto r = test::runProcess({"openssl", "s_client", "-connect",
                                     "127.0.0.1:" + std::to_string(port), "-servername", name},
                                    10s, "");
    return TestPki::serialOf(r.out);
  };
  EXPECT_EQ(served(), first_serial) << "the new files are not used before SIGHUP";
  medic.signal(SIGHUP);
  EXPECT_TRUE(test::waitFor([&] { return served() == second.serial(); }, 10s, 100ms))
      << readFile(dir.path() / "medic.log");
  const auto reloaded = std::chrono::steady_clock::now();
  EXPECT_TRUE(test::waitFor(
      [&] {
        return std::chrono::steady_clock::now() > reloaded + 5s &&
               query(prometheus_port, "min_over_time(up%7Bjob%3D%22medic%22%7D%5B5s%5D)").value ==
                   "1";
      },
      20s, 500ms))
      << "Prometheus stopped scraping after the certificate changed:\n"
      << readFile(prom_log);
  prometheus.stop();
}

}  // namespace
}  // namespace medic::metrics
