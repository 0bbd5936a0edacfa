// The daemon's HTTP API against a real `medic watch` on the real engine: every response matches
// docs/openapi.yaml (checked by swagger-parser and ajv from npm), and the security rules hold — the
// token on every mutation, the Host check against DNS rebinding, size limits, status codes, and the
// token never written to the log. Every request goes to 127.0.0.1 only.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <thread>

#include "../cli/medic_cli.h"
#include "support/docker_env.h"
#include "support/wait.h"

namespace medic::test {
namespace {

using namespace std::chrono_literals;
using Headers = std::vector<std::pair<std::string, std::string>>;

struct Raw {
  int status = 0;
  std::string head;  // status line and headers
  std::string body;
  std::string content_type;
  std::string error;
};

/// Sends `request` (raw bytes, so the test controls every header, Host included) to
/// 127.0.0.1:port and reads until the server closes. The request should say Connection: close.
Raw rawExchange(int port, const std::string& request, std::chrono::milliseconds timeout = 5s) {
  Raw r;
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    r.error = "connect failed";
    close(fd);
    return r;
  }
  size_t sent = 0;
  while (sent < request.size()) {
    ssize_t n = send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;  // the server may answer (413) and close before reading everything
    sent += static_cast<size_t>(n);
  }
  std::string in;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  char buf[65536];
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      r.error = "timeout";
      break;
    }
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    in.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  auto end = in.find("\r\n\r\n");
  if (in.rfind("HTTP/1.", 0) != 0 || end == std::string::npos) {
    if (r.error.empty()) r.error = "no HTTP answer: '" + in.substr(0, 200) + "'";
    return r;
  }
  r.status = std::atoi(in.c_str() + 9);
  r.head = in.substr(0, end);
  r.body = in.substr(end + 4);
  std::istringstream hs(r.head);
  std::string line;
  while (std::getline(hs, line)) {
    std::string lower = line;
    for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (lower.rfind("content-type:", 0) == 0) {
      r.content_type = line.substr(13);
      while (!r.content_type.empty() && (r.content_type.front() == ' ')) r.content_type.erase(0, 1);
      while (!r.content_type.empty() && (r.content_type.back() == '\r')) r.content_type.pop_back();
    }
  }
  return r;
}

/// One request with the given Host header ("" = none) and extra headers.
Raw call(int port, const std::string& method, const std::string& path, const std::string& host,
         const Headers& headers = {}, const std::string& body = "") {
  std::string req = method + " " + path + " HTTP/1.1\r\n";
  if (!host.empty()) req += "Host: " + host + "\r\n";
  req += "Connection: close\r\n";
  for (const auto& [k, v] : headers) req += k + ": " + v + "\r\n";
  if (!body.empty() || method == "POST")
    req += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  req += "\r\n" + body;
  return rawExchange(port, req);
}

std::string readFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string describe(const Raw& r) {
  return "status " + std::to_string(r.status) + " " + r.error + "\n" + r.head + "\n\n" + r.body;
}

/// `medic watch` protecting `web` and `spare` (two test containers), listening on `listen_host`.
class Daemon {
 public:
  explicit Daemon(const std::string& listen_host = "127.0.0.1")
      : web_(TestContainer::start("api-web")),
        spare_(TestContainer::start("api-spare")),
        port_(freePort()) {
    if (!web_.started() || !spare_.started()) return;
    auto probe = [](const TestContainer& c) {
      return "    probes:\n      - http: http://127.0.0.1:" + std::to_string(c.port()) +
             "/health\n";
    };
    config_ = dir_.write(
        "medic.yaml",
        "select:\n  labels: false\nresync_interval: 2s\n"
        "defaults:\n  probe:\n    interval: 250ms\n    timeout: 1s\n    failure_threshold: 2\n"
        "  recovery:\n    replacement_grace: 1s\n    backoff_initial: 200ms\n    backoff_max: 1s\n"
        "    settle_timeout: 20s\n"
        "services:\n  web:\n    match:\n      container: " +
            web_.name() + "\n" + probe(web_) +
            "  spare:\n    match:\n      container: " + spare_.name() + "\n" + probe(spare_));
    const std::string log = dir_.path() + "/watch.log";
    const std::string listen = listen_host + ":" + std::to_string(port_);
    const std::string state = dir_.path() + "/state";
    const std::string bin = medicBinary();
    pid_ = fork();
    if (pid_ == 0) {
      int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      dup2(fd, 1);
      dup2(fd, 2);
      setpgid(0, 0);
      execl(bin.c_str(), bin.c_str(), "watch", "--config", config_.c_str(), "--state-dir",
            state.c_str(), "--listen", listen.c_str(), "--log-level", "debug",
            static_cast<char*>(nullptr));
      _exit(127);
    }
  }
  ~Daemon() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      int status = 0;
      waitpid(pid_, &status, 0);
    }
  }
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  std::string setupError() const {
    if (!web_.started()) return web_.startError();
    if (!spare_.started()) return spare_.startError();
    return "";
  }
  int port() const { return port_; }
  std::string host() const { return "127.0.0.1:" + std::to_string(port_); }
  std::string statePath(const std::string& name) const { return dir_.path() + "/state/" + name; }
  std::string token() const {
    auto t = readFile(statePath("token"));
    while (!t.empty() && (t.back() == '\n' || t.back() == '\r')) t.pop_back();
    return t;
  }
  std::string log() const { return readFile(dir_.path() + "/watch.log"); }
  const TestContainer& spare() const { return spare_; }
  pid_t pid() const { return pid_; }
  nlohmann::json service(const std::string& name) const {
    // The token goes along: on a non-loopback listen reads need it too.
    auto r = call(port_, "GET", "/api/v1/services/" + name, host(),
                  {{"Authorization", "Bearer " + token()}});
    if (r.status != 200) return nullptr;
    auto j = nlohmann::json::parse(r.body, nullptr, false);
    return j.is_discarded() ? nullptr : j;
  }
  bool waitHealthy(std::chrono::milliseconds timeout = 40s) const {
    return waitFor(
        [&] {
          for (const char* n : {"web", "spare"}) {
            auto s = service(n);
            if (!s.is_object() || s.value("state", "") != "healthy") return false;
          }
          return true;
        },
        timeout, 100ms);
  }

 private:
  TempDir dir_;
  TestContainer web_;
  TestContainer spare_;
  int port_;
  std::string config_;
  pid_t pid_ = -1;
};

std::string npmDir() {
  return std::string(MEDIC_BINARY_DIR) + "/npm";
}
std::string validatorScript() {
  return std::string(MEDIC_SOURCE_DIR) + "/tests/integration/http/validate.cjs";
}
std::string specPath() {
  return std::string(MEDIC_SOURCE_DIR) + "/docs/openapi.yaml";
}

/// One daemon for the whole suite (starting medic and two containers per test would dominate).
class ApiTest : public DockerTest {
 protected:
  static void SetUpTestSuite() {
    if (dockerUnavailableReason()) return;
    daemon_ = std::make_unique<Daemon>();
  }
  static void TearDownTestSuite() { daemon_.reset(); }
  void SetUp() override {
    DockerTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    ASSERT_TRUE(daemon_->setupError().empty()) << daemon_->setupError();
    ASSERT_TRUE(daemon_->waitHealthy()) << daemon_->log();
    token_ = daemon_->token();
    ASSERT_GE(token_.size(), 64u);
  }
  int port() const { return daemon_->port(); }
  std::string host() const { return daemon_->host(); }
  Headers auth() const { return {{"Authorization", "Bearer " + token_}}; }
  Headers authJson() const {
    return {{"Authorization", "Bearer " + token_}, {"Content-Type", "application/json"}};
  }

  /// Every mutation route, with a body it would accept.
  struct Mutation {
    std::string path;
    std::string body;
  };
  static std::vector<Mutation> mutations() {
    return {{"/api/v1/services/web/maintenance", R"({"for": "10m"})"},
            {"/api/v1/services/web/recover", ""},
            {"/api/v1/alerts/1/ack", ""},
            {"/api/v1/claims", R"({"service": "web", "text": "web is healthy"})"}};
  }
  /// web was left alone: not in maintenance, no recovery attempt.
  /// (Waits up to 5 s for a maintenance window this test ended itself to show as ended.)
  void expectWebUntouched() const {
    nlohmann::json s;
    waitFor(
        [&] {
          s = daemon_->service("web");
          return s.is_object() && !s["in_maintenance"].get<bool>() && s["state"] == "healthy";
        },
        5s, 100ms);
    ASSERT_TRUE(s.is_object());
    EXPECT_FALSE(s["in_maintenance"].get<bool>()) << s.dump(2);
    EXPECT_EQ(s["state"], "healthy") << s.dump(2);
    EXPECT_TRUE(s["last_incident"].is_null()) << s.dump(2);
  }

  static std::unique_ptr<Daemon> daemon_;
  std::string token_;
};
std::unique_ptr<Daemon> ApiTest::daemon_;

TEST_F(ApiTest, EveryMutationIsRefusedWithoutTheRightToken) {
  std::string wrong = token_;
  wrong.back() = wrong.back() == '0' ? '1' : '0';
  const std::vector<std::pair<std::string, Headers>> cases = {
      {"no token", {{"Content-Type", "application/json"}}},
      {"wrong token", {{"Authorization", "Bearer " + wrong}, {"Content-Type", "application/json"}}},
      {"token with a suffix",
       {{"Authorization", "Bearer " + token_ + "0"}, {"Content-Type", "application/json"}}},
      {"token prefix",
       {{"Authorization", "Bearer " + token_.substr(0, 32)}, {"Content-Type", "application/json"}}},
      {"not bearer", {{"Authorization", "Basic " + token_}, {"Content-Type", "application/json"}}},
      {"empty bearer", {{"Authorization", "Bearer "}, {"Content-Type", "application/json"}}},
  };
  for (const auto& m : mutations()) {
    for (const auto& [what, headers] : cases) {
      auto r = call(port(), "POST", m.path, host(), headers, m.body);
      EXPECT_EQ(r.status, 401) << what << " " << m.path << "\n" << describe(r);
      EXPECT_NE(r.head.find("WWW-Authenticate: Bearer"), std::string::npos) << describe(r);
      auto j = nlohmann::json::parse(r.body, nullptr, false);
      EXPECT_EQ(j["error"]["status"], 401) << r.body;
    }
  }
  expectWebUntouched();
}

TEST_F(ApiTest, ARebindingHostIsRefusedEvenWithTheToken) {
  const std::string p = std::to_string(port());
  const std::vector<std::string> evil_hosts = {
      "evil.example",     "evil.example:" + p,      "127.0.0.1.evil.example:" + p,
      "127.evil.example", "localhost.evil.example", "[::2]:" + p,
      "0.0.0.0:" + p,     "203.0.113.9:" + p};
  for (const auto& m : mutations()) {
    for (const auto& h : evil_hosts) {
      auto r = call(port(), "POST", m.path, h, authJson(), m.body);
      EXPECT_EQ(r.status, 403) << "Host: " << h << " " << m.path << "\n" << describe(r);
    }
    // HTTP/1.1 without any Host header: no proof the client meant us.
    auto r = call(port(), "POST", m.path, "", authJson(), m.body);
    EXPECT_EQ(r.status, 403) << "no Host " << m.path << "\n" << describe(r);
  }
  // Reads too: a rebinding page must not read the status either.
  for (const char* path : {"/api/v1/status", "/metrics", "/healthz", "/", "/ui/app.js"}) {
    auto r = call(port(), "GET", path, "evil.example:" + p);
    EXPECT_EQ(r.status, 403) << path << "\n" << describe(r);
  }
  expectWebUntouched();
}

TEST_F(ApiTest, ARequestAnotherSitesPageMakesIsRefusedEvenAsAGet) {
  // <img src="http://127.0.0.1:PORT/api/v1/gates/6"> on any page: the browser sends the loopback
  // Host, no token, and says where the request comes from. A gate runs probes, writes evidence
  // and raises alerts, so it must not run for that page, and no read may leak to it either.
  const std::string p = std::to_string(port());
  const std::string host = "127.0.0.1:" + p;
  for (const char* path : {"/api/v1/gates/6", "/api/v1/status", "/metrics", "/"}) {
    auto img = call(port(), "GET", path, host, {{"Sec-Fetch-Site", "cross-site"}});
    EXPECT_EQ(img.status, 403) << path << "\n" << describe(img);
    auto fetched = call(port(), "GET", path, host, {{"Origin", "https://evil.example"}});
    EXPECT_EQ(fetched.status, 403) << path << "\n" << describe(fetched);
  }
  for (const auto& m : mutations()) {
    Headers h = authJson();
    h.push_back({"Origin", "https://evil.example"});
    auto r = call(port(), "POST", m.path, host, h, m.body);
    EXPECT_EQ(r.status, 403) << m.path << "\n" << describe(r);
  }
  // The dashboard's own requests, and clients that send no browser headers, pass.
  auto same = call(port(), "GET", "/api/v1/status", host,
                   {{"Sec-Fetch-Site", "same-origin"}, {"Origin", "http://" + host}});
  EXPECT_EQ(same.status, 200) << describe(same);
  EXPECT_EQ(call(port(), "GET", "/api/v1/status", host).status, 200);
  expectWebUntouched();
}

/// CPU seconds (user + system) process `pid` has used so far, from /proc/<pid>/stat.
double cpuSeconds(pid_t pid) {
  std::string stat = readFile("/proc/" + std::to_string(pid) + "/stat");
  auto close = stat.rfind(')');
  if (close == std::string::npos) return -1;
  std::istringstream in(stat.substr(close + 2));
  std::string field;
  long long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && in >> field; ++i) {
    if (i == 14) utime = std::stoll(field);
    if (i == 15) stime = std::stoll(field);
  }
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

class AcceptLoopTest : public DockerTest {};

TEST_F(AcceptLoopTest, DescriptorsRunningOutPauseAcceptsInsteadOfSpinningAndServiceComesBack) {
  // A local user opening connections until medic has no descriptor left: every accept then fails
  // with EMFILE and leaves the connection queued. medic must not spin a core on it (the loop it
  // shares with the repairs), and must serve again once the connections go.
  Daemon d;
  ASSERT_TRUE(d.setupError().empty()) << d.setupError();
  ASSERT_TRUE(d.waitHealthy()) << d.log();
  const std::string pid = std::to_string(d.pid());
  const auto open_fds = std::distance(std::filesystem::directory_iterator("/proc/" + pid + "/fd"),
                                      std::filesystem::directory_iterator{});
  const std::string limit = std::to_string(open_fds + 6);
  // The soft limit only: raising it back needs no privilege (the hard one would).
  auto original = runProcess({"prlimit", "--pid", pid, "--nofile", "--raw", "--noheadings",
                              "--output", "SOFT"},
                             10s);
  ASSERT_TRUE(original.ok()) << original.describe();
  std::string soft = original.out;
  while (!soft.empty() && (soft.back() == '\n' || soft.back() == ' ')) soft.pop_back();
  while (!soft.empty() && soft.front() == ' ') soft.erase(0, 1);
  auto lowered = runProcess({"prlimit", "--pid", pid, "--nofile=" + limit + ":"}, 10s);
  ASSERT_TRUE(lowered.ok()) << lowered.describe();

  std::vector<int> clients;
  for (int i = 0; i < 40; ++i) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(d.port()));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd >= 0 && ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
      clients.push_back(fd);
    } else if (fd >= 0) {
      ::close(fd);
    }
  }
  ASSERT_TRUE(waitFor([&] { return d.log().find("accepting a connection failed") !=
                                   std::string::npos; },
                      10s))
      << d.log();
  // A measurement window, not a synchronisation: the CPU medic burns while accepts fail.
  const double before = cpuSeconds(d.pid());
  std::this_thread::sleep_for(2s);
  const double burnt = cpuSeconds(d.pid()) - before;
  std::cout << "medic CPU over 2 s with its descriptors used up: " << burnt << " s\n";
  EXPECT_LT(burnt, 0.5) << d.log();

  for (int fd : clients) ::close(fd);
  auto raised = runProcess({"prlimit", "--pid", pid, "--nofile=" + soft + ":"}, 10s);
  ASSERT_TRUE(raised.ok()) << raised.describe();
  EXPECT_TRUE(waitFor([&] { return call(d.port(), "GET", "/api/v1/status", d.host()).status ==
                                   200; },
                      10s))
      << d.log();
  EXPECT_NE(d.log().find("accepting connections again"), std::string::npos) << d.log();
}

TEST_F(ApiTest, ReadsNeedNoTokenAndLoopbackNamesAreAccepted) {
  const std::string p = std::to_string(port());
  const std::vector<std::string> loopback = {"127.0.0.1:" + p, "localhost:" + p, "LOCALHOST",
                                             "[::1]:" + p, "127.0.0.1"};
  for (const auto& h : loopback) {
    for (const char* path : {"/healthz", "/api/v1/status", "/api/v1/services",
                             "/api/v1/services/web", "/api/v1/alerts", "/metrics"}) {
      auto r = call(port(), "GET", path, h);
      EXPECT_EQ(r.status, 200) << "Host: " << h << " " << path << "\n" << describe(r);
    }
  }
}

TEST_F(ApiTest, UnknownPathsAre404AndWrongMethods405) {
  for (const char* path : {"/api", "/api/v2/status", "/api/v1/nothing", "/api/v1/status/x",
                           "/metrics/x", "/api/v1/services/web/restart"}) {
    auto r = call(port(), "GET", path, host());
    EXPECT_EQ(r.status, 404) << path << "\n" << describe(r);
  }
  EXPECT_EQ(call(port(), "GET", "/api/v1/services/nope", host()).status, 404);
  EXPECT_EQ(call(port(), "POST", "/api/v1/services/nope/recover", host(), auth()).status, 404);
  const std::vector<std::pair<std::string, std::string>> wrong = {
      {"GET", "/api/v1/services/web/recover"},
      {"GET", "/api/v1/services/web/maintenance"},
      {"GET", "/api/v1/alerts/1/ack"},
      {"POST", "/api/v1/status"},
      {"DELETE", "/api/v1/services/web"},
      {"PUT", "/api/v1/services/web/maintenance"},
      {"POST", "/metrics"},
      {"POST", "/healthz"}};
  for (const auto& [method, path] : wrong) {
    auto r = call(port(), method, path, host(), authJson(), method == "GET" ? "" : "{}");
    EXPECT_EQ(r.status, 405) << method << " " << path << "\n" << describe(r);
  }
  expectWebUntouched();
}

TEST_F(ApiTest, ABodyOverOneMebibyteIs413) {
  // Announce 2 MiB: refused from Content-Length alone, before any body is read. (Only the head is
  // sent, so the server closes a socket with nothing unread and the answer is not lost to a RST.)
  std::string req =
      "POST /api/v1/services/web/maintenance HTTP/1.1\r\nHost: " + host() +
      "\r\nConnection: close\r\nAuthorization: Bearer " + token_ +
      "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(2 << 20) +
      "\r\n\r\n";
  auto r = rawExchange(port(), req);
  EXPECT_EQ(r.status, 413) << describe(r);
  // Chunked, without a length: a chunk announced past 1 MiB is refused at its size line.
  std::string chunked = "POST /api/v1/services/web/maintenance HTTP/1.1\r\nHost: " + host() +
                        "\r\nConnection: close\r\nAuthorization: Bearer " + token_ +
                        "\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
                        "200000\r\n";
  auto c = rawExchange(port(), chunked);
  EXPECT_EQ(c.status, 413) << describe(c);
  // Just under the limit is accepted as a body (and then judged on its content).
  std::string near = R"({"for": "10m", "pad": ")" + std::string((1 << 20) - 64, 'x') + "\"}";
  ASSERT_LT(near.size(), 1u << 20);
  auto ok = call(port(), "POST", "/api/v1/services/web/maintenance", host(), authJson(), near);
  EXPECT_EQ(ok.status, 200) << describe(ok).substr(0, 500);
  auto end = call(port(), "POST", "/api/v1/services/web/maintenance", host(), authJson(),
                  R"({"end": true})");
  EXPECT_EQ(end.status, 200) << describe(end);
  // Headers over 16 KiB: refused as well.
  auto big = call(port(), "GET", "/api/v1/status", host(), {{"X-Pad", std::string(20 << 10, 'a')}});
  EXPECT_EQ(big.status, 431) << describe(big);
  expectWebUntouched();
}

TEST_F(ApiTest, AMutationBodyMustBeJson) {
  const std::string path = "/api/v1/services/web/maintenance";
  auto text =
      call(port(), "POST", path, host(),
           {{"Authorization", "Bearer " + token_}, {"Content-Type", "text/plain"}}, "for=10m");
  EXPECT_EQ(text.status, 415) << describe(text);
  auto none = call(port(), "POST", path, host(), auth(), R"({"for": "10m"})");
  EXPECT_EQ(none.status, 415) << describe(none);
  auto form = call(port(), "POST", path, host(),
                   {{"Authorization", "Bearer " + token_},
                    {"Content-Type", "application/x-www-form-urlencoded"}},
                   "for=10m");
  EXPECT_EQ(form.status, 415) << describe(form);
  for (const std::string& bad : std::vector<std::string>{"not json", "{\"for\": ", "{'for': '10m'}",
                                                         "{\"for\": \"10m\"} x"}) {
    auto r = call(port(), "POST", path, host(), authJson(), bad);
    EXPECT_EQ(r.status, 400) << bad << "\n" << describe(r);
  }
  auto dur = call(port(), "POST", path, host(), authJson(), R"({"for": "soon"})");
  EXPECT_EQ(dur.status, 400) << describe(dur);
  expectWebUntouched();
}

// Valid JSON of the wrong shape is the client's mistake (400), not the server's (500).
TEST_F(ApiTest, AMutationBodyOfTheWrongShapeIs400) {
  const std::string path = "/api/v1/services/web/maintenance";
  for (const std::string& bad : std::vector<std::string>{"[1]", "\"10m\"", "42", "null",
                                                         R"({"for": 10})", R"({"end": "yes"})"}) {
    auto r = call(port(), "POST", path, host(), authJson(), bad);
    EXPECT_EQ(r.status, 400) << bad << "\n" << describe(r);
  }
  expectWebUntouched();
}

// The JSON depth limit: a deeply nested body is refused before anything reads it.
TEST_F(ApiTest, ADeeplyNestedBodyIs400) {
  const int depth = 10000;
  std::string nested =
      R"({"for": "10m", "x": )" + std::string(depth, '[') + std::string(depth, ']') + "}";
  auto r = call(port(), "POST", "/api/v1/services/web/maintenance", host(), authJson(), nested);
  EXPECT_EQ(r.status, 400) << describe(r).substr(0, 500);
  call(port(), "POST", "/api/v1/services/web/maintenance", host(), authJson(), R"({"end": true})");
  expectWebUntouched();
}

TEST_F(ApiTest, TheTokenFileIsPrivateAndTheTokenNeverLogged) {
  struct stat st {};
  ASSERT_EQ(stat(daemon_->statePath("token").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_GE(token_.size(), 64u);
  EXPECT_EQ(token_.find_first_not_of("0123456789abcdef"), std::string::npos) << token_.size();
  // Use it, misuse it (a wrong token that shares its first half), then read the debug log.
  auto ok = call(port(), "POST", "/api/v1/services/web/maintenance", host(), authJson(),
                 R"({"for": "1m"})");
  EXPECT_EQ(ok.status, 200) << describe(ok);
  EXPECT_EQ(call(port(), "POST", "/api/v1/services/web/maintenance", host(), authJson(),
                 R"({"end": true})")
                .status,
            200);
  call(port(), "POST", "/api/v1/services/web/recover", host(),
       {{"Authorization", "Bearer " + token_.substr(0, 32) + std::string(32, '0')}});
  call(port(), "POST", "/api/v1/services/web/recover", "evil.example", auth());
  const auto log = daemon_->log();
  ASSERT_FALSE(log.empty());
  EXPECT_EQ(log.find(token_), std::string::npos);
  EXPECT_EQ(log.find(token_.substr(0, 32)), std::string::npos);
}

// Every response body the daemon gives, checked against docs/openapi.yaml by swagger-parser and
// ajv.
TEST_F(ApiTest, EveryResponseMatchesTheOpenApiSpec) {
  if (!std::filesystem::exists(npmDir() + "/node_modules/ajv")) {
    if (dockerRequired()) FAIL() << "validators missing: run tests/integration/http/npm-setup.sh";
    GTEST_SKIP() << "validators not installed in " << npmDir() << " (npm-setup.sh)";
  }
  // Make an incident, an alert and evidence: `spare` turns unhealthy (its probe fails, with
  // evidence), medic restarts it; wait for the recovery.
  ASSERT_EQ(daemon_->spare().get("/control/unhealthy").status, 200);
  nlohmann::json spare;
  ASSERT_TRUE(waitFor(
      [&] {
        spare = daemon_->service("spare");
        return spare.is_object() && spare["last_incident"].is_object() &&
               spare["last_incident"].value("outcome", "") == "recovered";
      },
      40s, 100ms))
      << daemon_->log();
  std::string evidence;
  for (const auto& id : spare["last_incident"]["evidence"]) {
    if (evidence.empty()) evidence = id.get<std::string>();
  }
  for (const auto& p : spare.value("probes", nlohmann::json::array())) {
    if (evidence.empty()) evidence = p.value("evidence", "");
  }
  ASSERT_FALSE(evidence.empty()) << "no evidence id to fetch\n" << spare.dump(2);
  auto alerts =
      nlohmann::json::parse(call(port(), "GET", "/api/v1/alerts?all", host()).body, nullptr, false);
  ASSERT_TRUE(alerts.is_array() && !alerts.empty()) << alerts.dump(2);
  const std::string alert_id = std::to_string(alerts[0]["id"].get<int64_t>());

  nlohmann::json manifest = nlohmann::json::array();
  auto record = [&](const std::string& method, const std::string& path, int expect,
                    const Headers& headers = {}, const std::string& body = "",
                    const std::string& host_header = "") {
    auto r = call(port(), method, path, host_header.empty() ? host() : host_header, headers, body);
    EXPECT_EQ(r.status, expect) << method << " " << path << "\n" << describe(r);
    manifest.push_back({{"method", method},
                        {"path", path},
                        {"status", r.status},
                        {"content_type", r.content_type},
                        {"body", r.body}});
  };
  record("GET", "/healthz", 200);
  record("GET", "/api/v1/status", 200);
  record("GET", "/api/v1/services", 200);
  record("GET", "/api/v1/services/web", 200);
  record("GET", "/api/v1/services/spare", 200);
  record("GET", "/api/v1/services/nope", 404);
  record("GET", "/api/v1/alerts", 200);
  record("GET", "/api/v1/alerts?all", 200);
  record("GET", "/api/v1/evidence/" + evidence, 200);
  record("GET", "/api/v1/evidence/nope", 404);
  record("GET", "/metrics", 200);
  record("GET", "/api/v1/incidents", 200);
  record("GET", "/api/v1/incidents?since=7d", 200);
  record("GET", "/api/v1/incidents?since=soon", 400);
  record("GET", "/api/v1/actions", 200);
  record("GET", "/api/v1/actions?limit=1", 200);
  record("GET", "/api/v1/actions?limit=0", 400);
  record("GET", "/", 200);
  record("GET", "/ui/app.js", 200);
  record("GET", "/ui/style.css", 200);
  record("GET", "/ui/nope.js", 404);
  record("GET", "/api/v1/status", 403, {}, "", "evil.example");
  record("POST", "/api/v1/services/spare/maintenance", 200, authJson(), R"({"for": "10m"})");
  record("GET", "/api/v1/services/spare", 200);
  record("POST", "/api/v1/services/spare/maintenance", 200, authJson(), R"({"end": true})");
  record("POST", "/api/v1/services/spare/maintenance", 400, authJson(), R"({"for": "x"})");
  record("POST", "/api/v1/services/spare/maintenance", 415, auth(), R"({"end": true})");
  record("POST", "/api/v1/services/spare/maintenance", 401, {}, "");
  record("POST", "/api/v1/services/nope/maintenance", 404, authJson(), R"({"end": true})");
  record("POST", "/api/v1/alerts/" + alert_id + "/ack", 200, auth());
  record("POST", "/api/v1/alerts/999999/ack", 404, auth());
  record("POST", "/api/v1/alerts/abc/ack", 400, auth());
  record("GET", "/api/v1/evidence?service=spare&limit=5", 200);
  record("GET", "/api/v1/evidence?limit=0", 400);
  record("POST", "/api/v1/claims", 200, authJson(),
         R"({"text": "web is healthy", "service": "web", "max_age": "60s"})");
  record("POST", "/api/v1/claims", 200, authJson(), R"({"service": "web", "expect": "absent"})");
  record("POST", "/api/v1/claims", 400, authJson(), R"({"service": "web", "expect": "fine"})");
  record("POST", "/api/v1/claims", 404, authJson(), R"({"service": "nope"})");
  record("POST", "/api/v1/gates/0", 200, auth());
  record("POST", "/api/v1/gates/7", 404, auth());
  record("POST", "/api/v1/gates/0", 401, {}, "");
  record("GET", "/api/v1/gates/0", 405);  // a GET changes nothing: it never runs a gate
  record("POST", "/api/v1/services/spare/recover", 202, auth());
  record("POST", "/api/v1/services/spare/recover", 403, auth(), "", "evil.example");
  record("GET", "/api/v1/channels/recovery_coordination/messages?limit=5", 200);
  record("GET", "/api/v1/channels/service_state/messages", 200);
  record("GET", "/api/v1/channels/service_state/messages?limit=0", 400);
  record("GET", "/api/v1/channels/nope/messages", 404);

  // The recovered incident is in the history with its times, and so is the restart that fixed it.
  auto incidents = nlohmann::json::parse(call(port(), "GET", "/api/v1/incidents", host()).body,
                                         nullptr, false);
  bool found_incident = false;
  for (const auto& i : incidents) {
    if (i.value("service", "") == "spare" && i.value("outcome", "") == "recovered" &&
        i["recovery_seconds"].is_number() && i["detection_seconds"].is_number()) {
      found_incident = true;
    }
  }
  EXPECT_TRUE(found_incident) << incidents.dump(2);
  auto actions =
      nlohmann::json::parse(call(port(), "GET", "/api/v1/actions", host()).body, nullptr, false);
  bool found_action = false;
  for (const auto& a : actions) {
    if (a.value("service", "") == "spare" && a.value("action", "") == "restart" &&
        a.value("outcome", "") == "ok") {
      found_action = true;
    }
  }
  EXPECT_TRUE(found_action) << actions.dump(2);

  TempDir tmp;
  const auto manifest_path = tmp.write("manifest.json", manifest.dump());
  auto v = runProcess({"node", validatorScript(), npmDir(), specPath(), manifest_path}, 60s);
  EXPECT_EQ(v.exit_code, 0) << v.describe() << "\n" << v.out;
  EXPECT_NE(v.out.find("ok   spec"), std::string::npos) << v.out;
  EXPECT_NE(v.out.find(std::to_string(manifest.size()) + "/" + std::to_string(manifest.size()) +
                       " responses match"),
            std::string::npos)
      << v.out;
}

// `listen: 0.0.0.0:PORT` works (medic always has a token) and then needs the token for every
// read too, not only for mutations. Traffic goes to 127.0.0.1 only.
TEST(ApiListenTest, AllInterfacesStartsAndStillNeedsTheToken) {
  MEDIC_REQUIRE_DOCKER_OR_SKIP();
  Daemon d("0.0.0.0");
  ASSERT_TRUE(d.setupError().empty()) << d.setupError();
  ASSERT_TRUE(d.waitHealthy()) << d.log();
  const Headers auth = {{"Authorization", "Bearer " + d.token()}};
  for (const char* path : {"/healthz", "/metrics", "/api/v1/status", "/api/v1/alerts"}) {
    const auto without = call(d.port(), "GET", path, d.host());
    EXPECT_EQ(without.status, 401) << path << ": " << describe(without);
    EXPECT_EQ(call(d.port(), "GET", path, d.host(), auth).status, 200) << path;
  }
  // The dashboard page itself holds no data.
  EXPECT_EQ(call(d.port(), "GET", "/", d.host()).status, 200);
  auto r = call(d.port(), "POST", "/api/v1/services/web/maintenance", d.host(),
                {{"Content-Type", "application/json"}}, R"({"for": "10m"})");
  EXPECT_EQ(r.status, 401) << describe(r);
  auto rebound =
      call(d.port(), "POST", "/api/v1/services/web/maintenance", "evil.example",
           {{"Authorization", "Bearer " + d.token()}, {"Content-Type", "application/json"}},
           R"({"for": "10m"})");
  EXPECT_EQ(rebound.status, 403) << describe(rebound);
  auto s = d.service("web");
  ASSERT_TRUE(s.is_object());
  EXPECT_FALSE(s["in_maintenance"].get<bool>()) << s.dump(2);
}

}  // namespace
}  // namespace medic::test
