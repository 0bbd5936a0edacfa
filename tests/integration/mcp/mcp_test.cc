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
#include <map>
#include <regex>
#include <tuple>
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
        "  recovery:\n    replacement_grace: 10s\n    backoff_initial: 200ms\n    backoff_max: 1s\n"
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

/// Node's version as {major, minor, patch}, or {} when node does not run.
std::vector<int> nodeVersion() {
  auto r = runProcess({"node", "--version"}, 10s);
  std::vector<int> v;
  if (!r.ok() || r.out.size() < 2 || r.out[0] != 'v') return v;
  std::stringstream in(r.out.substr(1));
  std::string part;
  while (std::getline(in, part, '.')) v.push_back(std::atoi(part.c_str()));
  return v;
}

// The scenarios of the MCP conformance suite that test what medic serves. The others call the
// suite's reference server's own tools, resources and prompts (test_simple_text,
// test://watched-resource, ...), or features medic does not offer (logging, completion, prompts,
// sampling, elicitation, server-initiated SSE streams); docs/mcp.md names them and why.
const std::vector<std::string> kApplicableScenarios = {
    "server-initialize", "ping", "tools-list", "resources-list", "dns-rebinding-protection"};

TEST_F(McpTest, ConformanceSuitePassesTheScenariosThatApplyToMedic) {
  const std::string cli =
      npmDir() + "/node_modules/@modelcontextprotocol/conformance/dist/index.js";
  ASSERT_TRUE(std::filesystem::exists(cli)) << cli;
  // 0.1.12 needs node >= 20.18.1 (undici 7, commander 14); Debian 12's own node is 18.
  const auto v = nodeVersion();
  if (v.size() < 3 || std::tie(v[0], v[1], v[2]) < std::make_tuple(20, 18, 1)) {
    GTEST_SKIP() << "the MCP conformance suite needs node >= 20.18.1 (undici 7); this node is "
                 << (v.empty() ? std::string("not runnable") : std::to_string(v[0]) + "." +
                                                                  std::to_string(v[1]));
  }
  const std::string out = dir_.path() + "/conformance";
  auto r = runProcess({"node", cli, "server", "--url", url() + "/mcp", "--suite", "all", "-o", out},
                      240s);
  std::cout << r.out << std::flush;
  // Each scenario writes <out>/<scenario>/checks.json (maybe under a timestamped folder).
  std::map<std::string, std::pair<int, int>> by_scenario;  // scenario -> (passed, failed) checks
  for (const auto& entry : std::filesystem::recursive_directory_iterator(out)) {
    if (entry.path().filename() != "checks.json") continue;
    auto checks = nlohmann::json::parse(readFile(entry.path().string()), nullptr, false);
    if (!checks.is_array()) continue;
    // The folder is "server-<scenario>-<ISO time>".
    std::string scenario = std::regex_replace(entry.path().parent_path().filename().string(),
                                              std::regex("^server-|-[0-9]{4}-[0-9]{2}-[0-9]{2}T.*$"), "");
    auto& [passed, failed] = by_scenario[scenario];
    for (const auto& c : checks) {
      if (c.value("status", "") == "SUCCESS") ++passed;
      if (c.value("status", "") == "FAILURE") ++failed;
    }
  }
  int scenarios_passed = 0;
  for (const auto& [scenario, counts] : by_scenario) {
    std::cout << "conformance " << scenario << ": " << counts.first << " check(s) passed, "
              << counts.second << " failed\n";
    if (counts.second == 0 && counts.first > 0) ++scenarios_passed;
  }
  std::cout << "conformance: " << scenarios_passed << " of " << by_scenario.size()
            << " scenario(s) passed" << std::endl;
  for (const auto& s : kApplicableScenarios) {
    auto it = by_scenario.find(s);
    ASSERT_NE(it, by_scenario.end()) << "scenario " << s << " did not run\n" << r.out << r.err;
    EXPECT_EQ(it->second.second, 0) << "scenario " << s << " failed\n" << r.out;
    EXPECT_GT(it->second.first, 0) << s;
  }
}

}  // namespace
}  // namespace medic::test
