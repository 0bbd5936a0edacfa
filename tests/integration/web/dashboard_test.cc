// The web dashboard served by a real `medic watch` protecting a real container: its assets and
// their headers (CSP, types, caching), and the page itself in headless Chromium driven by
// Playwright (dashboard.cjs): it renders the service, follows a `docker rm -f` and the recovery
// without a reload, refuses actions without the token and performs them with it. Every request
// goes to 127.0.0.1.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "../cli/medic_cli.h"
#include "support/child_process.h"
#include "support/docker_env.h"
#include "support/wait.h"

namespace medic::test {
namespace {

using namespace std::chrono_literals;

std::string readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string npmDir() {
  return std::string(MEDIC_BINARY_DIR) + "/npm-web";
}

class DashboardTest : public DockerTest {
 protected:
  void SetUp() override {
    DockerTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    web_.emplace(TestContainer::start("dash-web"));
    ASSERT_TRUE(web_->started()) << web_->startError();
    port_ = freePort();
    config_ = dir_.write(
        "medic.yaml",
        "select:\n  labels: false\nresync_interval: 2s\n"
        "defaults:\n  probe:\n    interval: 250ms\n    timeout: 1s\n    failure_threshold: 2\n"
        "  recovery:\n    replacement_grace: 1s\n    backoff_initial: 200ms\n    backoff_max: 1s\n"
        "    settle_timeout: 20s\n"
        "services:\n  web:\n    match:\n      container: " +
            web_->name() +
            "\n    probes:\n      - http: http://127.0.0.1:" + std::to_string(web_->port()) +
            "/health\n"
            "endpoints:\n  - name: storefront\n    url: http://127.0.0.1:" +
            std::to_string(web_->port()) + "/health\n    interval: 500ms\n");
    startMedic();
    ASSERT_TRUE(medic_->started());
    ASSERT_TRUE(waitFor(
        [&] {
          auto r = httpGet(port_, "/api/v1/services/web");
          return r.status == 200 && r.body.find("\"state\":\"healthy\"") != std::string::npos;
        },
        40s, 100ms))
        << medic_->log();
  }

  void startMedic() {
    medic_.emplace(std::vector<std::string>{medicBinary(), "watch", "--config", config_,
                                            "--state-dir", dir_.path() + "/state", "--listen",
                                            "127.0.0.1:" + std::to_string(port_)},
                   dir_.path() + "/watch.log");
  }

  static nlohmann::json getJson(int port, const std::string& path) {
    auto r = httpGet(port, path);
    if (r.status != 200) return nullptr;
    auto j = nlohmann::json::parse(r.body, nullptr, false);
    return j.is_discarded() ? nullptr : j;
  }

  std::string token() const {
    auto t = readFile(dir_.path() + "/state/token");
    while (!t.empty() && (t.back() == '\n' || t.back() == '\r')) t.pop_back();
    return t;
  }

  TempDir dir_;
  std::string config_;
  std::optional<TestContainer> web_;
  std::optional<ChildProcess> medic_;
  int port_ = 0;
};

TEST_F(DashboardTest, AssetsAreServedFromTheBinaryWithStrictHeaders) {
  auto page = httpGet(port_, "/");
  ASSERT_EQ(page.status, 200) << page.error;
  EXPECT_EQ(page.header("content-type"), "text/html; charset=utf-8");
  EXPECT_NE(page.body.find("<script src=\"/ui/app.js\""), std::string::npos);
  const auto csp = page.header("content-security-policy");
  EXPECT_NE(csp.find("default-src 'none'"), std::string::npos) << csp;
  EXPECT_NE(csp.find("script-src 'self'"), std::string::npos) << csp;
  EXPECT_NE(csp.find("connect-src 'self'"), std::string::npos) << csp;
  EXPECT_EQ(csp.find("unsafe-inline"), std::string::npos) << csp;
  EXPECT_EQ(page.header("cache-control"), "no-cache");
  EXPECT_EQ(page.header("x-content-type-options"), "nosniff");
  EXPECT_EQ(page.header("x-frame-options"), "DENY");
  // Nothing from another origin: no absolute URLs in the page, its script or its style.
  for (const char* path : {"/", "/ui/app.js", "/ui/style.css"}) {
    auto r = httpGet(port_, path);
    ASSERT_EQ(r.status, 200) << path;
    EXPECT_EQ(r.body.find("http://"), std::string::npos) << path;
    EXPECT_EQ(r.body.find("https://"), std::string::npos) << path;
    // The byte-for-byte copy of the source file (embedded at build time).
    const std::string name = std::string(path) == "/" ? "index.html" : std::string(path).substr(4);
    EXPECT_TRUE(r.body == readFile(std::string(MEDIC_SOURCE_DIR) + "/src/http/web/" + name))
        << path << " is not src/http/web/" << name;
  }
  EXPECT_EQ(httpGet(port_, "/ui/app.js").header("content-type"), "text/javascript; charset=utf-8");
  EXPECT_EQ(httpGet(port_, "/ui/style.css").header("content-type"), "text/css; charset=utf-8");
  EXPECT_EQ(httpGet(port_, "/ui/favicon.svg").header("content-type"), "image/svg+xml");
  EXPECT_EQ(httpGet(port_, "/ui/nope.js").status, 404);
  EXPECT_EQ(httpGet(port_, "/ui/index.html").status, 404);
  // Revalidation: the same ETag gets 304 and no body.
  const auto etag = page.header("etag");
  ASSERT_FALSE(etag.empty());
  auto again = httpRequest("GET", port_, "/", 2s, "", {{"If-None-Match", etag}});
  EXPECT_EQ(again.status, 304);
  EXPECT_TRUE(again.body.empty());
}

TEST_F(DashboardTest, PageFollowsARemovalAndItsRecoveryAndGuardsActionsWithTheToken) {
  if (!std::filesystem::exists(npmDir() + "/node_modules/playwright-core")) {
    if (dockerRequired()) FAIL() << "playwright-core missing: run the web_playwright_setup fixture";
    GTEST_SKIP() << "playwright-core not installed in " << npmDir();
  }
  if (!std::filesystem::exists("/usr/bin/chromium")) {
    if (dockerRequired()) FAIL() << "/usr/bin/chromium missing: scripts/install-deps.sh";
    GTEST_SKIP() << "/usr/bin/chromium missing (scripts/install-deps.sh installs it)";
  }
  const std::string shot = std::string(MEDIC_BINARY_DIR) + "/artifacts/dashboard.png";
  std::filesystem::create_directories(std::filesystem::path(shot).parent_path());
  std::filesystem::remove(shot);
  auto r = runProcess(
      {"node", std::string(MEDIC_SOURCE_DIR) + "/tests/integration/web/dashboard.cjs", npmDir(),
       "http://127.0.0.1:" + std::to_string(port_), token(), "web", web_->name(), shot},
      180s);
  std::cout << r.out << std::flush;
  EXPECT_EQ(r.exit_code, 0) << r.describe() << "\n" << r.out << "\n" << medic_->log();
  EXPECT_NE(r.out.find("all dashboard checks passed"), std::string::npos);
  // The screenshot is a PNG (signature and IHDR chunk).
  const auto png = readFile(shot);
  ASSERT_GT(png.size(), 1000u) << "no screenshot at " << shot;
  EXPECT_EQ(png.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
  EXPECT_EQ(png.substr(12, 4), "IHDR");
  std::cout << "dashboard screenshot: " << shot << std::endl;
}

// The timeline's data is the store's, not the supervisor's memory: an incident and the action
// that ended it are still there, with the same times, after medic restarts.
TEST_F(DashboardTest, TheIncidentHistoryOutlivesARestart) {
  ASSERT_EQ(dockerCli({"kill", web_->name()}).exit_code, 0);
  nlohmann::json incident;
  ASSERT_TRUE(waitFor(
      [&] {
        auto list = getJson(port_, "/api/v1/incidents");
        for (const auto& i : list.is_array() ? list : nlohmann::json::array()) {
          if (i.value("service", "") == "web" && i.value("outcome", "") == "recovered") {
            incident = i;
            return true;
          }
        }
        return false;
      },
      40s, 100ms))
      << medic_->log();
  EXPECT_EQ(incident["state"], "closed");
  EXPECT_TRUE(incident["detection_seconds"].is_number());
  EXPECT_GT(incident["recovery_seconds"].get<double>(), 0.0);
  auto actions = getJson(port_, "/api/v1/actions");
  ASSERT_TRUE(actions.is_array() && !actions.empty()) << actions.dump(2);

  medic_->stop();
  startMedic();
  ASSERT_TRUE(waitFor([&] { return getJson(port_, "/api/v1/incidents").is_array(); }, 20s, 100ms))
      << medic_->log();
  bool same = false;
  for (const auto& i : getJson(port_, "/api/v1/incidents")) {
    if (i["id"] == incident["id"]) {
      same = i == incident;
      EXPECT_EQ(i, incident);
    }
  }
  EXPECT_TRUE(same) << "incident " << incident.dump() << " is gone after a restart";
  EXPECT_EQ(getJson(port_, "/api/v1/actions"), actions);
  // A window that ends before it was detected does not list it.
  auto narrow = getJson(port_, "/api/v1/incidents?since=1ms");
  ASSERT_TRUE(narrow.is_array());
  for (const auto& i : narrow) EXPECT_NE(i["id"], incident["id"]);
}

}  // namespace
}  // namespace medic::test
