// medic watch with its real peers on 127.0.0.1: Prometheus scrapes its /metrics and answers a query
// for medic_health_score, Alertmanager lists the critical alert medic raises for an escalated
// service, and a webhook receiver that fails first gets the alert on the retry.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>

#include "../cli/medic_cli.h"
#include "support/child_process.h"
#include "support/docker_env.h"
#include "support/wait.h"

namespace medic::test {
namespace {

using namespace std::chrono_literals;

/// An HTTP receiver on 127.0.0.1 that answers 503 to its first request and 200 afterwards.
class WebhookReceiver {
 public:
  WebhookReceiver() {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    listen(fd_, 16);
    socklen_t len = sizeof addr;
    getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~WebhookReceiver() {
    stop_ = true;
    shutdown(fd_, SHUT_RDWR);
    close(fd_);
    thread_.join();
  }
  int port() const { return port_; }
  int requests() const { return requests_; }
  std::vector<std::string> bodies() {
    std::lock_guard<std::mutex> lock(mu_);
    return bodies_;
  }

 private:
  void serve() {
    while (!stop_) {
      int c = accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      timeval tv{2, 0};
      setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
      std::string req;
      char buf[4096];
      size_t need = std::string::npos;
      while (true) {
        ssize_t n = recv(c, buf, sizeof buf, 0);
        if (n <= 0) break;
        req.append(buf, static_cast<size_t>(n));
        auto end = req.find("\r\n\r\n");
        if (end != std::string::npos && need == std::string::npos) {
          auto cl = req.find("Content-Length: ");
          if (cl == std::string::npos) cl = req.find("content-length: ");
          size_t length = cl == std::string::npos ? 0 : std::stoul(req.substr(cl + 16));
          need = end + 4 + length;
        }
        if (need != std::string::npos && req.size() >= need) break;
      }
      const int n = ++requests_;
      {
        std::lock_guard<std::mutex> lock(mu_);
        auto end = req.find("\r\n\r\n");
        bodies_.push_back(end == std::string::npos ? "" : req.substr(end + 4));
      }
      const std::string res = n == 1 ? "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n"
                                       "Connection: close\r\n\r\n"
                                     : "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
      send(c, res.data(), res.size(), MSG_NOSIGNAL);
      close(c);
    }
  }
  int fd_ = -1;
  int port_ = 0;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<int> requests_{0};
  std::mutex mu_;
  std::vector<std::string> bodies_;
};

bool installed(const char* path) { return access(path, X_OK) == 0; }

TEST(Peers, PrometheusAlertmanagerAndAWebhookSeeWhatMedicSees) {
  MEDIC_REQUIRE_DOCKER_OR_SKIP();
  for (const char* tool : {"/usr/bin/prometheus", "/usr/bin/prometheus-alertmanager"}) {
    if (!installed(tool)) {
      if (dockerRequired()) GTEST_FAIL() << tool << " missing: run scripts/install-deps.sh";
      GTEST_SKIP() << tool << " missing: run scripts/install-deps.sh";
    }
  }
  TempDir dir;
  WebhookReceiver webhook;

  // Alertmanager.
  const int am_port = freePort();
  dir.write("alertmanager.yml", "route:\n  receiver: blackhole\nreceivers:\n  - name: blackhole\n");
  std::filesystem::create_directories(dir.path() + "/am-data");
  ChildProcess am({"/usr/bin/prometheus-alertmanager",
                   "--config.file=" + dir.path() + "/alertmanager.yml",
                   "--storage.path=" + dir.path() + "/am-data",
                   "--web.listen-address=127.0.0.1:" + std::to_string(am_port),
                   "--cluster.listen-address=", "--log.level=warn"},
                  dir.path() + "/alertmanager.log");
  ASSERT_TRUE(waitFor([&] { return httpGet(am_port, "/-/ready", 500ms).status == 200; }, 30s))
      << am.log();

  // Two services: one healthy, one that exits at every start (escalates: a critical alert).
  auto good = TestContainer::start("peers-good");
  ASSERT_TRUE(good.started()) << good.startError();
  TestContainer bad(uniqueName("peers-bad"), freePort(), {}, "medic-testserver:bad-exit");
  ASSERT_TRUE(bad.started()) << bad.startError();
  ASSERT_TRUE(waitFor([&] { return good.get("/health", 500ms).status == 200; }, 20s));

  const int medic_port = freePort();
  const int dead_port = freePort();  // nothing listens here: a dead webhook
  const std::string config = dir.write(
      "medic.yaml",
      "select:\n  labels: false\nresync_interval: 2s\n"
      "defaults:\n  probe:\n    interval: 250ms\n  recovery:\n    backoff_initial: 200ms\n"
      "    backoff_max: 500ms\n"
      "alerts:\n  sinks:\n"
      "    - type: webhook\n      url: http://127.0.0.1:" + std::to_string(webhook.port()) +
          "/hook\n      min_severity: critical\n"
      "    - type: alertmanager\n      url: http://127.0.0.1:" + std::to_string(am_port) + "\n"
      "    - type: webhook\n      url: http://127.0.0.1:" + std::to_string(dead_port) +
          "/nobody-listens\n      min_severity: critical\n      retries: 1\n"
      "services:\n"
      "  good:\n    match:\n      container: " + good.name() +
          "\n    probes:\n      - http: http://127.0.0.1:" + std::to_string(good.port()) +
          "/health\n"
      "  bad:\n    match:\n      container: " + bad.name() + "\n");
  ChildProcess medic({medicBinary(), "watch", "--config", config, "--state-dir",
                      dir.path() + "/state", "--listen",
                      "127.0.0.1:" + std::to_string(medic_port)},
                     dir.path() + "/watch.log");

  // Prometheus scraping medic every second.
  const int prom_port = freePort();
  dir.write("prometheus.yml", "global:\n  scrape_interval: 1s\nscrape_configs:\n"
                              "  - job_name: medic\n    static_configs:\n      - targets: ['127.0.0.1:" +
                                  std::to_string(medic_port) + "']\n");
  ChildProcess prom({"/usr/bin/prometheus", "--config.file=" + dir.path() + "/prometheus.yml",
                     "--storage.tsdb.path=" + dir.path() + "/prom-data",
                     "--web.listen-address=127.0.0.1:" + std::to_string(prom_port)},
                    dir.path() + "/prometheus.log");

  // Prometheus answers a query for medic_health_score: good is healthy (1), bad is escalated (0).
  nlohmann::json result;
  EXPECT_TRUE(waitFor([&] {
    auto r = httpGet(prom_port, "/api/v1/query?query=medic_health_score", 1s);
    if (r.status != 200) return false;
    auto j = nlohmann::json::parse(r.body, nullptr, false);
    if (j.is_discarded() || j["data"]["result"].empty()) return false;
    result = j["data"]["result"][0];
    return result["value"][1] == "50";
  }, 60s, 500ms)) << result.dump() << "\n" << medic.log() << prom.log();

  // Alertmanager lists medic's critical alert for the escalated service.
  nlohmann::json listed;
  EXPECT_TRUE(waitFor([&] {
    auto r = httpGet(am_port, "/api/v2/alerts", 1s);
    auto j = nlohmann::json::parse(r.body, nullptr, false);
    if (!j.is_array()) return false;
    for (const auto& a : j) {
      if (a["labels"].value("service", "") == "bad" &&
          a["labels"].value("severity", "") == "critical") {
        listed = a;
        return true;
      }
    }
    return false;
  }, 30s, 250ms)) << medic.log();
  EXPECT_EQ(listed["labels"].value("alertname", "") == "MedicServiceEscalated" ||
                listed["annotations"].dump().find("manual intervention") != std::string::npos,
            true)
      << listed.dump(2);

  // The webhook failed once (503) and got the critical alert on the retry.
  EXPECT_TRUE(waitFor([&] { return webhook.requests() >= 2; }, 30s, 100ms)) << medic.log();
  auto bodies = webhook.bodies();
  ASSERT_GE(bodies.size(), 2u);
  EXPECT_EQ(bodies[0], bodies[1]) << "the retry carries the same alert";
  EXPECT_NE(bodies[1].find("manual intervention required"), std::string::npos) << bodies[1];

  // The dead webhook's failure is a metric, and it stalled nothing above.
  EXPECT_TRUE(waitFor([&] {
    auto m = httpGet(medic_port, "/metrics", 2s);
    return m.body.find("medic_alert_sink_failures_total{sink=\"webhook_2\"} 1") !=
           std::string::npos;
  }, 30s, 250ms)) << httpGet(medic_port, "/metrics", 2s).body;
}

}  // namespace
}  // namespace medic::test
