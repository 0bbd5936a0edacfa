// medic as an MCP server against real clients: the official TypeScript SDK (mcp_client.cjs) over
// stdio (`medic mcp`) and Streamable HTTP (/mcp on the daemon's listener), and the MCP conformance
// suite, against a real `medic watch` protecting a real container. Also the HTTP transport's
// security rules (Host, Origin, sessions), which a browser-less client would not exercise.
// Every request goes to 127.0.0.1.
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
#include "support/http_client.h"
#include "support/process.h"
#include "support/wait.h"

namespace medic::test {
namespace {

using namespace std::chrono_literals;

std::string npmDir() { return std::string(MEDIC_BINARY_DIR) + "/npm-mcp"; }

std::string readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class McpTest : public DockerTest {
 protected:
  void SetUp() override {
    DockerTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    if (!std::filesystem::exists(npmDir() + "/node_modules/@modelcontextprotocol/sdk")) {
      if (dockerRequired()) FAIL() << "the MCP SDK is missing: run the mcp_clients_setup fixture";
      GTEST_SKIP() << "@modelcontextprotocol/sdk not installed in " << npmDir();
    }
    web_.emplace(TestContainer::start("mcp-webui"));
    ASSERT_TRUE(web_->started()) << web_->startError();
    port_ = freePort();
    // replacement_grace is long enough for both transports to see the removal (claim, gate)
    // before medic recreates the container.
    config_ = dir_.write(
        "medic.yaml",
        "select:\n  labels: false\nresync_interval: 2s\n"
        "defaults:\n  probe:\n    interval: 250ms\n    timeout: 1s\n    failure_threshold: 2\n"
        "  recovery:\n    replacement_grace: 8s\n    backoff_initial: 200ms\n    backoff_max: 1s\n"
        "    settle_timeout: 20s\n"
        "services:\n  webui:\n    match:\n      container: " +
            web_->name() + "\n    probes:\n      - http: http://127.0.0.1:" +
            std::to_string(web_->port()) + "/health\n");
    medic_.emplace(std::vector<std::string>{medicBinary(), "watch", "--config", config_,
                                            "--state-dir", dir_.path() + "/state", "--listen",
                                            "127.0.0.1:" + std::to_string(port_)},
                   dir_.path() + "/watch.log");
    ASSERT_TRUE(medic_->started());
    ASSERT_TRUE(waitFor(
        [&] {
          auto r = httpGet(port_, "/api/v1/services/webui");
          return r.status == 200 && r.body.find("\"state\":\"healthy\"") != std::string::npos;
        },
        40s, 100ms))
        << medic_->log();
  }

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::string token() const {
    auto t = readFile(dir_.path() + "/state/token");
    while (!t.empty() && (t.back() == '\n' || t.back() == '\r')) t.pop_back();
    return t;
  }

  HttpResponse postMcp(const nlohmann::json& body,
                       std::vector<std::pair<std::string, std::string>> headers = {}) const {
    headers.emplace_back("Content-Type", "application/json");
    headers.emplace_back("Accept", "application/json, text/event-stream");
    return httpRequest("POST", port_, "/mcp", 10s, body.dump(), headers);
  }

  TempDir dir_;
  std::string config_;
  std::optional<TestContainer> web_;
  std::optional<ChildProcess> medic_;
  int port_ = 0;
};

TEST_F(McpTest, TheOfficialSdkSeesTheOutageAndTheRecoveryOverStdioAndHttp) {
  auto r = runProcess({"node", std::string(MEDIC_SOURCE_DIR) + "/tests/integration/mcp/mcp_client.cjs",
                       npmDir(), medicBinary(), dir_.path() + "/state", url(), token(), "webui",
                       web_->name()},
                      200s);
  std::cout << r.out << std::flush;
  EXPECT_EQ(r.exit_code, 0) << r.describe() << "\n" << r.out << "\n" << r.err << "\n" << medic_->log();
  EXPECT_NE(r.out.find("all mcp checks passed"), std::string::npos);
}

TEST_F(McpTest, HttpTransportKeepsTheApiSecurityRules) {
  const nlohmann::json init = {{"jsonrpc", "2.0"}, {"id", 1}, {"method", "initialize"},
                               {"params", {{"protocolVersion", "2025-06-18"},
                                           {"capabilities", nlohmann::json::object()},
                                           {"clientInfo", {{"name", "t"}, {"version", "1"}}}}}};
  // DNS rebinding and cross-site pages are refused as for the API.
  EXPECT_EQ(postMcp(init, {{"Host", "evil.example"}}).status, 403);
  EXPECT_EQ(postMcp(init, {{"Origin", "http://evil.example"}}).status, 403);
  EXPECT_EQ(postMcp(init, {{"Sec-Fetch-Site", "cross-site"}}).status, 403);
  EXPECT_EQ(postMcp(init, {{"Origin", url()}}).status, 200);

  auto ok = postMcp(init);
  ASSERT_EQ(ok.status, 200) << ok.body;
  auto answer = nlohmann::json::parse(ok.body);
  EXPECT_EQ(answer["result"]["protocolVersion"], "2025-06-18");
  const auto session = ok.header("mcp-session-id");
  ASSERT_EQ(session.size(), 32u);
  // Without a session (or with one that does not exist) nothing is served.
  const nlohmann::json list = {{"jsonrpc", "2.0"}, {"id", 2}, {"method", "tools/list"}};
  EXPECT_EQ(postMcp(list).status, 400);
  EXPECT_EQ(postMcp(list, {{"Mcp-Session-Id", std::string(32, '0')}}).status, 404);
  EXPECT_EQ(httpRequest("GET", port_, "/mcp", 2s).status, 400);
  auto tools = postMcp(list, {{"Mcp-Session-Id", session}});
  ASSERT_EQ(tools.status, 200);
  EXPECT_EQ(nlohmann::json::parse(tools.body)["result"]["tools"].size(), 12u);
  // A mutation with a wrong token is refused, and the service was not touched.
  const nlohmann::json recover = {{"jsonrpc", "2.0"}, {"id", 3}, {"method", "tools/call"},
                                  {"params", {{"name", "recover"}, {"arguments", {{"service", "webui"}}}}}};
  auto refused = postMcp(recover, {{"Mcp-Session-Id", session}, {"Authorization", "Bearer nope"}});
  ASSERT_EQ(refused.status, 200);
  EXPECT_EQ(nlohmann::json::parse(refused.body)["result"]["isError"], true) << refused.body;
  const auto actions = httpGet(port_, "/api/v1/actions");
  EXPECT_EQ(nlohmann::json::parse(actions.body).size(), 0u) << actions.body;
  // The baseline tool's route: no baseline recorded yet, said plainly.
  const nlohmann::json diff = {{"jsonrpc", "2.0"}, {"id", 4}, {"method", "tools/call"},
                               {"params", {{"name", "baseline_diff"}, {"arguments", nlohmann::json::object()}}}};
  auto none = nlohmann::json::parse(postMcp(diff, {{"Mcp-Session-Id", session}}).body);
  EXPECT_EQ(none["result"]["isError"], true);
  EXPECT_NE(none["result"]["content"][0]["text"].get<std::string>().find("medic baseline"),
            std::string::npos);
  // DELETE ends the session.
  EXPECT_EQ(httpRequest("DELETE", port_, "/mcp", 2s, "", {{"Mcp-Session-Id", session}}).status, 204);
  EXPECT_EQ(postMcp(list, {{"Mcp-Session-Id", session}}).status, 404);
}

}  // namespace
}  // namespace medic::test
