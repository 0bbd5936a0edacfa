// Alert sinks against real peers, all on 127.0.0.1: a webhook receiver run by the test (and one
// that fails first, one that is dead), and a real prometheus-alertmanager child process.

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <deque>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "alerts/alert_queue.h"
#include "alerts/configure.h"
#include "alerts/sinks/alertmanager_sink.h"
#include "alerts/sinks/webhook_sink.h"
#include "support/docker_env.h"
#include "support/http_client.h"
#include "support/process.h"
#include "support/require_tool.h"
#include "support/wait.h"

namespace medic::alerts {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "medic-alerts-it-XXXXXX").string();
    path_ = ::mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

std::string readFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

bool runUntil(boost::asio::io_context& io, const std::function<bool()>& done,
              milliseconds timeout = std::chrono::seconds(10)) {
  const auto deadline = steady_clock::now() + timeout;
  while (!done() && steady_clock::now() < deadline) {
    io.restart();
    io.run_one_for(milliseconds(5));
  }
  return done();
}

/// A webhook receiver on 127.0.0.1 in its own thread: records each request and answers with the
/// next scripted status (200 once the script is used up), or never answers when told to hang.
class Receiver {
 public:
  struct Request {
    std::string method;
    std::string target;
    std::string content_type;
    std::string body;
  };

  explicit Receiver(std::deque<int> statuses = {}, bool hang = false)
      : statuses_(std::move(statuses)), hang_(hang) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::listen(fd_, 16) != 0) {
      ADD_FAILURE() << "receiver cannot listen on 127.0.0.1";
      return;
    }
    socklen_t len = sizeof addr;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~Receiver() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    for (int c : held_) ::close(c);
    ::close(fd_);
  }

  int port() const { return port_; }
  std::vector<Request> requests() const {
    std::lock_guard lock(mu_);
    return requests_;
  }

 private:
  void serve() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      const int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (c < 0) continue;
      Request r = readRequest(c);
      int status = 200;
      {
        std::lock_guard lock(mu_);
        requests_.push_back(r);
        if (!statuses_.empty()) {
          status = statuses_.front();
          statuses_.pop_front();
        }
      }
      if (hang_) {
        held_.push_back(c);  // never answered; closed when the receiver goes away
        continue;
      }
      const std::string reply = "HTTP/1.1 " + std::to_string(status) +
                                " X\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok";
      (void)::send(c, reply.data(), reply.size(), MSG_NOSIGNAL);
      ::close(c);
    }
  }

  static Request readRequest(int c) {
    std::string data;
    char buf[4096];
    size_t header_end = std::string::npos;
    size_t want = 0;
    const auto deadline = steady_clock::now() + milliseconds(2000);
    while (steady_clock::now() < deadline) {
      pollfd p{c, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      const ssize_t n = ::recv(c, buf, sizeof buf, 0);
      if (n <= 0) break;
      data.append(buf, static_cast<size_t>(n));
      if (header_end == std::string::npos) {
        header_end = data.find("\r\n\r\n");
        if (header_end != std::string::npos) {
          std::string lower = data.substr(0, header_end);
          for (char& ch : lower)
            ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
          const auto cl = lower.find("content-length:");
          want = cl == std::string::npos ? 0 : std::stoul(lower.substr(cl + 15));
        }
      }
      if (header_end != std::string::npos && data.size() >= header_end + 4 + want) break;
    }
    Request r;
    if (header_end == std::string::npos) return r;
    const std::string head = data.substr(0, header_end);
    const auto sp1 = head.find(' ');
    const auto sp2 = head.find(' ', sp1 + 1);
    r.method = head.substr(0, sp1);
    r.target = head.substr(sp1 + 1, sp2 - sp1 - 1);
    std::string lower = head;
    for (char& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    if (auto ct = lower.find("\r\ncontent-type:"); ct != std::string::npos) {
      const auto end = head.find("\r\n", ct + 2);
      r.content_type = head.substr(ct + 15, end - ct - 15);
      while (!r.content_type.empty() && r.content_type.front() == ' ') r.content_type.erase(0, 1);
    }
    r.body = data.substr(header_end + 4, want);
    return r;
  }

  int fd_ = -1;
  int port_ = 0;
  std::deque<int> statuses_;
  bool hang_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  mutable std::mutex mu_;
  std::vector<Request> requests_;
  std::vector<int> held_;
};

const WallTime kT0 = WallTime(std::chrono::seconds(1'800'000'000));

AlertSpec failedWebui() {
  return AlertSpec{"failed:webui",
                   Severity::kCritical,
                   "webui",
                   "webui failed",
                   "exited with code 137; medic restarts it",
                   {{"team", "web"}}};
}

HttpTarget target(int port, const std::string& path = "/hooks/medic") {
  auto t = parseHttpTarget("http://127.0.0.1:" + std::to_string(port) + path);
  EXPECT_TRUE(t);
  return *t;
}

// ---- webhook ----

TEST(Webhook, TheReceiverGetsTheAlertAsJson) {
  Receiver receiver;
  boost::asio::io_context io;
  AlertQueue q(io.get_executor(), nullptr);
  q.addSink("webhook", Severity::kWarning,
            std::make_unique<WebhookSink>(target(receiver.port()), WebhookFormat::kJson,
                                          RetryPolicy{milliseconds(2000), 0}));
  ASSERT_TRUE(q.start());
  ASSERT_TRUE(q.raise(failedWebui(), kT0));
  ASSERT_TRUE(runUntil(io, [&] { return q.counters().sinks[0].sent == 1; }))
      << q.counters().sinks[0].last_error;

  const auto got = receiver.requests();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].method, "POST");
  EXPECT_EQ(got[0].target, "/hooks/medic");
  EXPECT_EQ(got[0].content_type, "application/json");
  const auto body = nlohmann::json::parse(got[0].body);
  EXPECT_EQ(body["source"], "medic");
  EXPECT_EQ(body["alert"]["dedup_key"], "failed:webui");
  EXPECT_EQ(body["alert"]["severity"], "critical");
  EXPECT_EQ(body["alert"]["state"], "firing");
  EXPECT_EQ(body["alert"]["service"], "webui");
  EXPECT_EQ(body["alert"]["labels"]["team"], "web");

  ASSERT_TRUE(q.resolve("failed:webui", kT0 + milliseconds(1000)));
  ASSERT_TRUE(runUntil(io, [&] { return q.counters().sinks[0].sent == 2; }));
  const auto resolved = nlohmann::json::parse(receiver.requests().at(1).body);
  EXPECT_EQ(resolved["alert"]["state"], "resolved");
}

TEST(Webhook, SlackFormatPostsText) {
  Receiver receiver;
  boost::asio::io_context io;
  AlertQueue q(io.get_executor(), nullptr);
  q.addSink("webhook", Severity::kWarning,
            std::make_unique<WebhookSink>(target(receiver.port()), WebhookFormat::kSlack,
                                          RetryPolicy{milliseconds(2000), 0}));
  ASSERT_TRUE(q.start());
  ASSERT_TRUE(q.raise(failedWebui(), kT0));
  ASSERT_TRUE(runUntil(io, [&] { return q.counters().sinks[0].sent == 1; }));
  const auto body = nlohmann::json::parse(receiver.requests().at(0).body);
  EXPECT_EQ(body, nlohmann::json({{"text",
                                   ":red_circle: [CRITICAL] webui: webui failed — exited with "
                                   "code 137; medic restarts it"}}));
}

TEST(Webhook, AReceiverThatFailsFirstGetsTheRetry) {
  Receiver receiver({503});
  boost::asio::io_context io;
  AlertQueue q(io.get_executor(), nullptr);
  q.addSink("webhook", Severity::kWarning,
            std::make_unique<WebhookSink>(target(receiver.port()), WebhookFormat::kJson,
                                          RetryPolicy{milliseconds(2000), 3, milliseconds(100)}));
  ASSERT_TRUE(q.start());
  const auto started = steady_clock::now();
  ASSERT_TRUE(q.raise(failedWebui(), kT0));
  ASSERT_TRUE(runUntil(io, [&] { return q.counters().sinks[0].sent == 1; }))
      << q.counters().sinks[0].last_error;
  const auto took = steady_clock::now() - started;
  const auto got = receiver.requests();
  ASSERT_EQ(got.size(), 2u) << "one 503, then the retry that got 200";
  EXPECT_EQ(got[0].body, got[1].body) << "the retry sends the same alert";
  EXPECT_EQ(q.counters().sinks[0].failed, 0u);
  EXPECT_GE(took, milliseconds(100)) << "the retry waits its backoff";
  std::printf("webhook retry delivered after %lld ms\n",
              static_cast<long long>(std::chrono::duration_cast<milliseconds>(took).count()));
}

TEST(Webhook, ARefusingReceiverIsNotRetried) {
  Receiver receiver({400});
  boost::asio::io_context io;
  AlertQueue q(io.get_executor(), nullptr);
  q.addSink("webhook", Severity::kWarning,
            std::make_unique<WebhookSink>(target(receiver.port()), WebhookFormat::kJson,
                                          RetryPolicy{milliseconds(2000), 3, milliseconds(50)}));
  ASSERT_TRUE(q.start());
  ASSERT_TRUE(q.raise(failedWebui(), kT0));
  ASSERT_TRUE(runUntil(io, [&] { return q.counters().sinks[0].failed == 1; }));
  EXPECT_EQ(receiver.requests().size(), 1u);
  EXPECT_NE(q.counters().sinks[0].last_error.find("HTTP 400"), std::string::npos)
      << q.counters().sinks[0].last_error;
}

/// A dead webhook (refused, or accepting and never answering) keeps retrying while the log sink
/// writes its line at once.
void expectLogNotDelayedBy(const HttpTarget& dead) {
  TempDir dir;
  boost::asio::io_context io;
  AlertQueue q(io.get_executor(), nullptr);
  ASSERT_TRUE(addConfiguredSinks(q, config::AlertsConfig{}, dir.path()));
  q.addSink("webhook", Severity::kWarning,
            std::make_unique<WebhookSink>(dead, WebhookFormat::kJson,
                                          RetryPolicy{milliseconds(1500), 4, milliseconds(500)}));
  ASSERT_TRUE(q.start());
  const auto log = alertLogPath(dir.path());
  for (int i = 0; i < 2; ++i) {
    AlertSpec s = failedWebui();
    s.dedup_key += std::to_string(i);
    const auto started = steady_clock::now();
    auto raised = q.raise(s, kT0);
    ASSERT_TRUE(raised);
    const std::string line = "critical firing webui #" + std::to_string(raised->id) + " ";
    ASSERT_TRUE(runUntil(
        io, [&] { return readFile(log).find(line) != std::string::npos; }, milliseconds(2000)))
        << readFile(log);
    const auto took = std::chrono::duration_cast<milliseconds>(steady_clock::now() - started);
    EXPECT_LT(took, milliseconds(250)) << "the log line waited for the webhook";
    const auto c = q.counters();
    EXPECT_EQ(c.sinks[2].sent, 0u);
    EXPECT_EQ(c.sinks[2].failed, 0u) << "the webhook is still retrying: " << c.sinks[2].last_error;
    std::printf("log line %d written %lld ms after raise while the webhook retried\n", i,
                static_cast<long long>(took.count()));
  }
  const std::string lines = readFile(log);
  EXPECT_EQ(std::count(lines.begin(), lines.end(), '\n'), 2) << lines;
}

TEST(DeadWebhook, ARefusedConnectionDoesNotDelayTheLog) {
  expectLogNotDelayedBy(target(test::freePort()));
}

TEST(DeadWebhook, AReceiverThatNeverAnswersDoesNotDelayTheLog) {
  Receiver silent({}, /*hang=*/true);
  expectLogNotDelayedBy(target(silent.port()));
}

TEST(DeadWebhook, GivesUpAfterItsRetriesAndCountsTheFailure) {
  boost::asio::io_context io;
  AlertQueue q(io.get_executor(), nullptr);
  q.addSink("webhook", Severity::kWarning,
            std::make_unique<WebhookSink>(target(test::freePort()), WebhookFormat::kJson,
                                          RetryPolicy{milliseconds(500), 2, milliseconds(50)}));
  ASSERT_TRUE(q.start());
  ASSERT_TRUE(q.raise(failedWebui(), kT0));
  ASSERT_TRUE(runUntil(io, [&] { return q.counters().sinks[0].failed == 1; }));
  EXPECT_NE(q.counters().sinks[0].last_error.find("after 3 attempt(s)"), std::string::npos)
      << q.counters().sinks[0].last_error;
}

// ---- Alertmanager ----

constexpr const char* kAlertmanager = "/usr/bin/prometheus-alertmanager";

/// prometheus-alertmanager on 127.0.0.1:<free port>, started and stopped (by PID) by the test.
class AlertmanagerProcess {
 public:
  explicit AlertmanagerProcess(const std::filesystem::path& dir) {
    port_ = test::freePort();
    std::ofstream(dir / "alertmanager.yml") << "route:\n  receiver: blackhole\n"
                                               "receivers:\n  - name: blackhole\n";
    std::filesystem::create_directories(dir / "data");
    const std::vector<std::string> argv = {
        kAlertmanager,
        "--config.file=" + (dir / "alertmanager.yml").string(),
        "--storage.path=" + (dir / "data").string(),
        "--web.listen-address=127.0.0.1:" + std::to_string(port_),
        "--cluster.listen-address=",
        "--log.level=warn"};
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    const std::string log = (dir / "alertmanager.log").string();
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
    const int rc = ::posix_spawn(&pid_, kAlertmanager, &actions, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) pid_ = -1;
    log_ = log;
  }
  ~AlertmanagerProcess() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    int status = 0;
    const auto deadline = steady_clock::now() + std::chrono::seconds(5);
    while (::waitpid(pid_, &status, WNOHANG) == 0) {
      if (steady_clock::now() > deadline) {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, &status, 0);
        break;
      }
      std::this_thread::sleep_for(milliseconds(20));
    }
  }
  bool started() const { return pid_ > 0; }
  /// Waits (up to 20 s) for /-/ready to answer 200.
  bool waitReady() const {
    return test::waitFor(
        [&] { return test::httpGet(port_, "/-/ready", milliseconds(500)).status == 200; },
        std::chrono::seconds(20));
  }
  int port() const { return port_; }
  std::string log() const { return readFile(log_); }

 private:
  pid_t pid_ = -1;
  int port_ = 0;
  std::string log_;
};

/// Our alert in GET /api/v2/alerts, or null.
nlohmann::json findAlert(int port, const std::string& key) {
  const auto res = test::httpGet(port, "/api/v2/alerts", milliseconds(2000));
  if (res.status != 200) return nullptr;
  const auto list = nlohmann::json::parse(res.body, nullptr, false);
  if (!list.is_array()) return nullptr;
  for (const auto& a : list) {
    if (a.contains("labels") && a["labels"].value("medic_key", "") == key) return a;
  }
  return nullptr;
}

TEST(Amtool, TheExampleAlertmanagerConfigIsValidAndRoutesMedicsAlerts) {
  constexpr const char* kAmtool = "/usr/bin/amtool";
  MEDIC_REQUIRE_TOOL_OR_SKIP(kAmtool, "prometheus-alertmanager");
  const std::string config =
      std::string(MEDIC_SOURCE_DIR) + "/examples/alertmanager/alertmanager.yml";
  const auto check = test::runProcess({kAmtool, "check-config", config}, std::chrono::seconds(60));
  EXPECT_TRUE(check.ok()) << check.describe() << check.out;
  EXPECT_NE(check.out.find("2 inhibit rules"), std::string::npos) << check.out;
  // The labels medic sends pick the route an operator expects.
  auto route = [&](std::vector<std::string> labels) {
    std::vector<std::string> argv = {kAmtool, "config", "routes", "test", "--config.file",
                                     config};
    argv.insert(argv.end(), labels.begin(), labels.end());
    std::string out = test::runProcess(argv, std::chrono::seconds(60)).out;
    while (!out.empty() && std::isspace(static_cast<unsigned char>(out.back()))) out.pop_back();
    return out;
  };
  EXPECT_EQ(route({"alertname=MedicServiceEscalated", "severity=critical", "service=webui"}),
            "ops-pager");
  EXPECT_EQ(route({"alertname=MedicServiceFailed", "severity=warning", "service=webui"}),
            "ops-chat");
  EXPECT_EQ(route({"alertname=MedicDeployRolledBack", "severity=warning", "project=shop"}),
            "ops-chat");
}

TEST(Alertmanager, ARealAlertmanagerListsMedicsAlertAndItsResolution) {
  MEDIC_REQUIRE_TOOL_OR_SKIP(kAlertmanager, "prometheus-alertmanager");
  TempDir dir;
  AlertmanagerProcess am(dir.path());
  ASSERT_TRUE(am.started());
  ASSERT_TRUE(am.waitReady()) << "alertmanager did not become ready:\n" << am.log();

  boost::asio::io_context io;
  AlertQueue q(io.get_executor(), nullptr);
  auto base = parseHttpTarget("http://127.0.0.1:" + std::to_string(am.port()));
  ASSERT_TRUE(base);
  q.addSink("alertmanager", Severity::kWarning,
            std::make_unique<AlertmanagerSink>(*base, RetryPolicy{milliseconds(3000), 2},
                                               AlertmanagerOrigin{"medic-test-host", ""}));
  ASSERT_TRUE(q.start());
  // Alertmanager keeps an alert whose startsAt is in the past; use the real time.
  const WallTime now = std::chrono::system_clock::now();
  ASSERT_TRUE(q.raise(failedWebui(), now));
  ASSERT_TRUE(runUntil(io, [&] { return q.counters().sinks[0].sent == 1; }))
      << q.counters().sinks[0].last_error << "\n"
      << am.log();

  nlohmann::json listed;
  ASSERT_TRUE(test::waitFor(
      [&] {
        listed = findAlert(am.port(), "failed:webui");
        return !listed.is_null();
      },
      std::chrono::seconds(5)))
      << "GET /api/v2/alerts does not list medic's alert";
  EXPECT_EQ(listed["labels"]["alertname"], "MedicServiceFailed");
  EXPECT_EQ(listed["labels"]["kind"], "failed");
  EXPECT_EQ(listed["labels"]["severity"], "critical");
  EXPECT_EQ(listed["labels"]["service"], "webui");
  EXPECT_EQ(listed["labels"]["instance"], "medic-test-host");
  EXPECT_EQ(listed["labels"]["team"], "web");
  EXPECT_EQ(listed["annotations"]["summary"], "webui failed");
  EXPECT_EQ(listed["annotations"]["description"], "exited with code 137; medic restarts it");
  EXPECT_EQ(listed["status"]["state"], "active");

  ASSERT_TRUE(q.resolve("failed:webui", std::chrono::system_clock::now()));
  ASSERT_TRUE(runUntil(io, [&] { return q.counters().sinks[0].sent == 2; }))
      << q.counters().sinks[0].last_error;
  EXPECT_TRUE(test::waitFor([&] { return findAlert(am.port(), "failed:webui").is_null(); },
                            std::chrono::seconds(5)))
      << "the resolved alert is still listed as active: "
      << findAlert(am.port(), "failed:webui").dump();
}

/// Every active alert Alertmanager lists for one incident (medic_key), as {severity...}.
std::vector<std::string> activeSeverities(int port, const std::string& key) {
  const auto res = test::httpGet(port, "/api/v2/alerts?active=true", milliseconds(2000));
  std::vector<std::string> out;
  if (res.status != 200) return {"<HTTP " + std::to_string(res.status) + ">"};
  const auto list = nlohmann::json::parse(res.body, nullptr, false);
  if (!list.is_array()) return {"<not a list>"};
  for (const auto& a : list) {
    if (a.contains("labels") && a["labels"].value("medic_key", "") == key &&
        a.value("/status/state"_json_pointer, "") == "active") {
      out.push_back(a["labels"].value("severity", ""));
    }
  }
  return out;
}

// A warning that turns critical, then repeats as a warning, then is re-sent: Alertmanager lists
// exactly one alert for the incident at every moment it polls, the critical one once raised.
TEST(Alertmanager, AnIncidentThatGetsLouderIsOneActiveAlertAtEveryMoment) {
  MEDIC_REQUIRE_TOOL_OR_SKIP(kAlertmanager, "prometheus-alertmanager");
  TempDir dir;
  AlertmanagerProcess am(dir.path());
  ASSERT_TRUE(am.started());
  ASSERT_TRUE(am.waitReady()) << "alertmanager did not become ready:\n" << am.log();

  boost::asio::io_context io;
  AlertQueue q(io.get_executor(), nullptr, AlertQueueOptions{256, milliseconds(1000)});
  auto base = parseHttpTarget("http://127.0.0.1:" + std::to_string(am.port()));
  ASSERT_TRUE(base);
  q.addSink("alertmanager", Severity::kWarning,
            std::make_unique<AlertmanagerSink>(
                *base, RetryPolicy{milliseconds(3000), 2},
                AlertmanagerOrigin{"medic-test-host", "http://127.0.0.1:8080/"}));
  ASSERT_TRUE(q.start());

  // A poller that records what Alertmanager lists, as fast as it answers.
  std::atomic<bool> stop{false};
  std::atomic<bool> seen{false};
  std::mutex mu;
  std::vector<std::vector<std::string>> polls;
  std::thread poller([&] {
    while (!stop) {
      auto got = activeSeverities(am.port(), "failed:webui");
      if (!got.empty()) seen = true;
      if (seen) {
        std::lock_guard lock(mu);
        polls.push_back(std::move(got));
      }
    }
  });
  struct Joiner {
    std::atomic<bool>& stop;
    std::thread& thread;
    ~Joiner() {
      stop = true;
      if (thread.joinable()) thread.join();
    }
  } joiner{stop, poller};
  auto last = [&] {
    std::lock_guard lock(mu);
    return polls.empty() ? std::vector<std::string>{} : polls.back();
  };
  auto raise = [&](Severity severity) {
    AlertSpec s = failedWebui();
    s.severity = severity;
    s.labels = {{"project", "shop"}};
    ASSERT_TRUE(q.raise(s, std::chrono::system_clock::now()));
  };

  raise(Severity::kWarning);
  ASSERT_TRUE(runUntil(io, [&] { return last() == std::vector<std::string>{"warning"}; }))
      << q.counters().sinks[0].last_error << "\n" << am.log();
  const auto listed = findAlert(am.port(), "failed:webui");
  EXPECT_EQ(listed["labels"]["alertname"], "MedicServiceFailed");
  EXPECT_EQ(listed["labels"]["project"], "shop");
  EXPECT_EQ(listed["labels"]["service"], "webui");
  EXPECT_EQ(listed["labels"]["instance"], "medic-test-host");
  EXPECT_EQ(listed["generatorURL"], "http://127.0.0.1:8080/");

  raise(Severity::kCritical);
  ASSERT_TRUE(runUntil(io, [&] { return last() == std::vector<std::string>{"critical"}; }))
      << q.counters().sinks[0].last_error;
  // Quieter again, then at least two re-sends (every second): still the one critical alert.
  raise(Severity::kWarning);
  const auto sent = q.counters().sinks[0].sent;
  ASSERT_TRUE(runUntil(
      io, [&] { return q.counters().sinks[0].sent >= sent + 2; }, std::chrono::seconds(10)));
  io.restart();
  io.run_for(milliseconds(300));  // Alertmanager has taken the last re-send in
  stop = true;
  poller.join();

  size_t zero = 0, one = 0, more = 0;
  bool critical_seen = false, warning_after_critical = false;
  for (const auto& p : polls) {
    if (p.empty()) ++zero;
    if (p.size() == 1) ++one;
    if (p.size() > 1) ++more;
    if (p.size() == 1 && p[0] == "critical") critical_seen = true;
    if (critical_seen && p.size() == 1 && p[0] == "warning") warning_after_critical = true;
  }
  std::printf("Alertmanager polled %zu times during the incident: one alert %zu, none %zu, "
              "several %zu\n",
              polls.size(), one, zero, more);
  EXPECT_GT(polls.size(), 10u);
  EXPECT_EQ(more, 0u) << "two identities were active at once";
  EXPECT_EQ(zero, 0u) << "the incident vanished from Alertmanager for a moment";
  EXPECT_TRUE(critical_seen);
  EXPECT_FALSE(warning_after_critical) << "the quieter repeat split the identity again";
  EXPECT_EQ(last(), std::vector<std::string>{"critical"});

  ASSERT_TRUE(q.resolve("failed:webui", std::chrono::system_clock::now()));
  EXPECT_TRUE(runUntil(io, [&] { return activeSeverities(am.port(), "failed:webui").empty(); }))
      << "still active after the resolution";
}

}  // namespace
}  // namespace medic::alerts
