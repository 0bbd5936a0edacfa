// The MCP core without I/O: JSON-RPC errors, version negotiation, the tool table's schemas and
// annotations, token refusal, and what each tool makes of the API's answers (a recording fake
// stands in for the daemon's API).
#include <gtest/gtest.h>

#include <map>
#include <set>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include "mcp/jsonrpc.h"
#include "mcp/schema.h"
#include "mcp/server.h"
#include "mcp/tools.h"

namespace medic::mcp {
namespace {

using nlohmann::json;
namespace asio = boost::asio;

/// Answers by "METHOD path"; records every call.
class FakeApi : public Api {
 public:
  std::map<std::string, ApiReply> replies;
  std::vector<ApiCall> calls;
  asio::awaitable<ApiReply> call(ApiCall c) override {
    calls.push_back(c);
    auto it = replies.find(c.method + " " + c.path);
    if (it == replies.end()) co_return ApiReply{404, {{"error", {{"message", "no such thing"}}}}, ""};
    co_return it->second;
  }
};

struct Harness {
  FakeApi api;
  Session session;
  CallerContext caller{false, "TOKEN-HINT"};

  std::optional<json> send(const json& message) {
    asio::io_context io;
    std::optional<json> out;
    asio::co_spawn(io, handleMessage(message, session, api, caller),
                   [&](std::exception_ptr e, std::optional<json> r) {
                     if (e) std::rethrow_exception(e);
                     out = std::move(r);
                   });
    io.run();
    return out;
  }
  json request(const std::string& method, json params = json::object(), json id = 1) {
    auto r = send({{"jsonrpc", "2.0"}, {"id", id}, {"method", method}, {"params", params}});
    EXPECT_TRUE(r.has_value());
    return r.value_or(json());
  }
  json callTool(const std::string& name, json args = json::object()) {
    return request("tools/call", {{"name", name}, {"arguments", args}})["result"];
  }
};

const std::string kNow = "2026-12-03T10:00:10.000Z";

json serviceJson(const std::string& state, json evidence) {
  return {{"name", "webui"}, {"state", state}, {"critical", false}, {"docker_state", "absent"},
          {"evidence", evidence}, {"evidence_age_seconds", evidence.empty() ? json() : json(0.4)},
          {"probes", json::array()}, {"last_incident", nullptr}};
}

TEST(McpJsonRpc, MalformedMessagesGetTheirErrorCodes) {
  json out;
  auto bad = jsonrpc::parse("{not json", out);
  ASSERT_TRUE(bad);
  EXPECT_EQ((*bad)["error"]["code"], jsonrpc::kParseError);
  EXPECT_TRUE((*bad)["id"].is_null());

  bad = jsonrpc::parse(R"({"id": 3, "method": "ping"})", out);  // no "jsonrpc": "2.0"
  ASSERT_TRUE(bad);
  EXPECT_EQ((*bad)["error"]["code"], jsonrpc::kInvalidRequest);
  EXPECT_EQ((*bad)["id"], 3);

  bad = jsonrpc::parse(R"([{"jsonrpc": "2.0", "id": 1, "method": "ping"}])", out);
  ASSERT_TRUE(bad);
  EXPECT_EQ((*bad)["error"]["code"], jsonrpc::kInvalidRequest);
  EXPECT_NE((*bad)["error"]["message"].get<std::string>().find("batch"), std::string::npos);

  bad = jsonrpc::parse(std::string(1000, '[') + std::string(1000, ']'), out);
  ASSERT_TRUE(bad);
  EXPECT_EQ((*bad)["error"]["code"], jsonrpc::kParseError);

  bad = jsonrpc::parse(R"({"jsonrpc": "2.0", "id": {"x": 1}, "method": "ping"})", out);
  ASSERT_TRUE(bad);
  EXPECT_EQ((*bad)["error"]["code"], jsonrpc::kInvalidRequest);

  EXPECT_FALSE(jsonrpc::parse(R"({"jsonrpc": "2.0", "id": "a", "method": "ping"})", out));
}

TEST(McpJsonRpc, UnknownMethodsAndNotifications) {
  Harness h;
  auto r = h.request("sampling/createMessage", json::object(), "x");
  EXPECT_EQ(r["id"], "x");
  EXPECT_EQ(r["error"]["code"], jsonrpc::kMethodNotFound);
  // Notifications and responses are never answered.
  EXPECT_FALSE(h.send({{"jsonrpc", "2.0"}, {"method", "notifications/initialized"}}));
  EXPECT_FALSE(h.send({{"jsonrpc", "2.0"}, {"id", 9}, {"result", json::object()}}));
  EXPECT_EQ(h.request("ping")["result"], json::object());
}

TEST(McpLifecycle, NegotiatesTheCurrentAndThePreviousVersion) {
  for (const std::string v : {"2025-11-25", "2025-06-18"}) {
    Harness h;
    auto r = h.request("initialize", {{"protocolVersion", v},
                                      {"capabilities", json::object()},
                                      {"clientInfo", {{"name", "t"}, {"version", "1"}}}});
    EXPECT_EQ(r["result"]["protocolVersion"], v);
    EXPECT_EQ(r["result"]["serverInfo"]["name"], "medic");
    EXPECT_EQ(r["result"]["capabilities"]["resources"]["subscribe"], true);
    EXPECT_TRUE(r["result"]["capabilities"].contains("tools"));
    EXPECT_TRUE(h.session.initialized);
  }
  // A version medic does not speak: it answers with its newest; the client decides.
  Harness old;
  auto r = old.request("initialize", {{"protocolVersion", "2024-11-05"}});
  EXPECT_EQ(r["result"]["protocolVersion"], "2025-11-25");
  Harness none;
  EXPECT_EQ(none.request("initialize", json::object())["error"]["code"], jsonrpc::kInvalidParams);
}

TEST(McpTools, EveryToolHasSchemasAndHonestAnnotations) {
  Harness h;
  auto list = h.request("tools/list")["result"]["tools"];
  std::set<std::string> names;
  for (const auto& t : list) {
    const auto name = t["name"].get<std::string>();
    names.insert(name);
    EXPECT_EQ(t["inputSchema"]["type"], "object") << name;
    EXPECT_EQ(t["outputSchema"]["type"], "object") << name;
    EXPECT_TRUE(t["outputSchema"]["required"].is_array()) << name;
    EXPECT_FALSE(t["description"].get<std::string>().empty()) << name;
    for (const char* hint : {"readOnlyHint", "destructiveHint", "idempotentHint"}) {
      EXPECT_TRUE(t["annotations"][hint].is_boolean()) << name << " " << hint;
    }
  }
  EXPECT_EQ(names, (std::set<std::string>{"status", "service", "claim", "gate", "evidence",
                                          "incidents", "baseline_diff", "recover", "maintenance",
                                          "deploy", "confirm_deploy", "reject_deploy"}));
  for (const auto& t : tools()) {
    const bool mutation = t.name == "recover" || t.name == "maintenance" || t.name == "deploy" ||
                          t.name == "confirm_deploy" || t.name == "reject_deploy";
    // A claim and a gate record evidence and their verdict and raise or resolve alerts: the API
    // runs them only as POSTs with the token (no GET changes anything).
    const bool records = t.name == "claim" || t.name == "gate";
    EXPECT_EQ(t.read_only, !mutation && !records) << t.name;
    EXPECT_EQ(t.needs_token, mutation || records) << t.name;
    if (t.read_only) {
      EXPECT_FALSE(t.destructive) << t.name;
    }
  }
  EXPECT_TRUE(findTool("recover")->destructive);
  EXPECT_TRUE(findTool("deploy")->destructive);
  EXPECT_TRUE(findTool("reject_deploy")->destructive);
  EXPECT_FALSE(findTool("maintenance")->destructive);
  EXPECT_FALSE(findTool("recover")->idempotent);
}

TEST(McpTools, MutationsWithoutTheTokenAreRefusedBeforeAnyCall) {
  for (const auto& [name, args] : std::vector<std::pair<std::string, json>>{
           {"recover", {{"service", "webui"}}},
           {"maintenance", {{"service", "webui"}, {"for", "10m"}}},
           {"deploy", {{"service", "webui"}, {"image", "x:2"}}},
           {"confirm_deploy", {{"id", "dep-1"}}},
           {"reject_deploy", {{"id", "dep-1"}, {"reason", "broken"}}},
           {"claim", {{"service", "webui"}}}}) {
    Harness h;
    auto r = h.callTool(name, args);
    EXPECT_EQ(r["isError"], true) << name;
    const auto text = r["content"][0]["text"].get<std::string>();
    EXPECT_NE(text.find("token"), std::string::npos) << text;
    EXPECT_NE(text.find("TOKEN-HINT"), std::string::npos) << text;
    EXPECT_TRUE(h.api.calls.empty()) << name << " reached the API without the token";
  }
}

TEST(McpTools, RecoverWithTheTokenCallsTheApi) {
  Harness h;
  h.caller.authorized = true;
  h.api.replies["POST /api/v1/services/web%2F1/recover"] = {
      202, {{"service", "web/1"}, {"accepted", true}, {"status", serviceJson("failed", {"ev-1"})}}, ""};
  auto r = h.callTool("recover", {{"service", "web/1"}});
  ASSERT_EQ(h.api.calls.size(), 1u);
  EXPECT_TRUE(h.api.calls[0].mutation);
  EXPECT_EQ(r["isError"], false) << r.dump();
  EXPECT_EQ(r["structuredContent"]["accepted"], true);
  EXPECT_EQ(r["structuredContent"]["evidence"], json({"ev-1"}));
  EXPECT_EQ(schemaViolation(findTool("recover")->output_schema, r["structuredContent"]), "");
}

TEST(McpTools, ArgumentsAreCheckedAgainstTheInputSchema) {
  Harness h;
  auto r = h.callTool("gate", {{"phase", 12}});
  EXPECT_EQ(r["isError"], true);
  EXPECT_NE(r["content"][0]["text"].get<std::string>().find("phase: must be at most 9"),
            std::string::npos)
      << r.dump();
  r = h.callTool("service", {{"nmae", "webui"}});
  EXPECT_EQ(r["isError"], true);
  EXPECT_NE(r["content"][0]["text"].get<std::string>().find("name: is required"), std::string::npos);
  r = h.callTool("service", {{"name", "webui"}, {"verbose", true}});
  EXPECT_NE(r["content"][0]["text"].get<std::string>().find("verbose: unknown field"), std::string::npos);
  EXPECT_TRUE(h.api.calls.empty());
  // An unknown tool is a protocol error.
  EXPECT_EQ(h.request("tools/call", {{"name", "rm"}})["error"]["code"], jsonrpc::kInvalidParams);
}

TEST(McpTools, ARejectedClaimCitesTheContradictingRecordAndItsAge) {
  Harness h;
  h.caller.authorized = true;
  json record = {{"id", "ev-9"}, {"service", "webui"}, {"kind", "docker_state"},
                 {"time", "2026-12-03T10:00:08.500Z"}, {"hash", "h"}, {"data", {{"present", false}}}};
  h.api.replies["POST /api/v1/claims"] = {
      200,
      {{"text", "webui is healthy"}, {"service", "webui"}, {"expect", "healthy"},
       {"max_age_seconds", 60}, {"verdict", "rejected"}, {"reason", "webui: no container exists"},
       {"evidence", {"ev-9"}}, {"evidence_records", {record}}, {"time", kNow}},
      ""};
  auto r = h.callTool("claim", {{"text", "webui is healthy"}, {"service", "webui"}, {"max_age", "60s"}});
  ASSERT_EQ(r["isError"], false) << r.dump();
  const auto& s = r["structuredContent"];
  EXPECT_EQ(s["verdict"], "rejected");
  EXPECT_EQ(s["contradicting"]["id"], "ev-9");
  EXPECT_DOUBLE_EQ(s["evidence_ages"][0]["age_seconds"].get<double>(), 1.5);
  EXPECT_EQ(schemaViolation(findTool("claim")->output_schema, s), "");
  EXPECT_NE(r["content"][0]["text"].get<std::string>().find("ev-9"), std::string::npos);
  EXPECT_EQ(h.api.calls[0].body["max_age"], "60s");
}

TEST(McpTools, EachReadToolsAnswerMatchesItsOutputSchema) {
  Harness h;
  h.caller.authorized = true;  // the gate needs the token
  h.api.replies["GET /api/v1/status"] = {
      200,
      {{"time", kNow}, {"health_score", 50}, {"health_score_note", ""},
       {"engine", {{"reachable", true}}}, {"observe_only", false}, {"panic", false},
       {"services", {serviceJson("failed", {"ev-1", "ev-2"}), serviceJson("healthy", json::array())}},
       {"endpoints", json::array()}},
      ""};
  h.api.replies["GET /api/v1/services/webui"] = {200, serviceJson("failed", {"ev-1"}), ""};
  h.api.replies["POST /api/v1/gates/6"] = {
      200,
      {{"phase", 6}, {"name", "infrastructure validation"}, {"verdict", "fail"}, {"pass", false},
       {"reason", "1 of 1 check(s) fail"}, {"max_evidence_age_seconds", 60}, {"time", kNow},
       {"checks", {{{"requirement", "healthy"}, {"subject", "webui"}, {"pass", false},
                    {"reason", "webui: no container exists"}, {"evidence", {"ev-3"}}}}},
       {"evidence", {"ev-3"}},
       {"evidence_records", {{{"id", "ev-3"}, {"kind", "docker_state"}, {"time", kNow}}}}},
      ""};
  h.api.replies["GET /api/v1/evidence/ev-3"] = {
      200, {{"id", "ev-3"}, {"service", "webui"}, {"kind", "docker_state"}, {"time", kNow},
            {"hash", "h"}, {"data", {{"state", "absent"}}}}, ""};
  h.api.replies["GET /api/v1/incidents?since=7d"] = {
      200, json::array({{{"id", 1}, {"service", "webui"}, {"kind", "removed"}, {"outcome", "open"},
                         {"evidence", {"ev-3"}}}}), ""};
  h.api.replies["GET /api/v1/baseline/diff"] = {
      200, {{"baseline_taken", kNow}, {"matches", false},
            {"differences", {{{"service", "webui"}, {"kind", "missing_service"}, {"before", "x"}, {"after", ""}}}},
            {"evidence", {"ev-3"}}, {"evidence_records", json::array()}, {"time", kNow}}, ""};
  const std::vector<std::pair<std::string, json>> calls = {
      {"status", json::object()}, {"service", {{"name", "webui"}}}, {"gate", {{"phase", 6}}},
      {"evidence", {{"id", "ev-3"}}}, {"incidents", {{"since", "7d"}}}, {"baseline_diff", json::object()}};
  for (const auto& [name, args] : calls) {
    auto r = h.callTool(name, args);
    ASSERT_EQ(r["isError"], false) << name << ": " << r.dump();
    EXPECT_EQ(schemaViolation(findTool(name)->output_schema, r["structuredContent"]), "") << name;
    EXPECT_FALSE(r["content"][0]["text"].get<std::string>().empty()) << name;
  }
  // Health is stated with its evidence, and a state without evidence is called unknown.
  const auto status = h.callTool("status")["content"][0]["text"].get<std::string>();
  EXPECT_NE(status.find("webui: failed (docker: absent); evidence ev-1, ev-2, 0.4 s old"),
            std::string::npos) << status;
  EXPECT_NE(status.find("no evidence yet, so its health is unknown"), std::string::npos) << status;
  const auto gate = h.callTool("gate", {{"phase", 6}});
  EXPECT_EQ(gate["structuredContent"]["pass"], false);
  EXPECT_FALSE(gate["structuredContent"].contains("evidence_records"));
  EXPECT_NE(gate["content"][0]["text"].get<std::string>().find("(evidence ev-3)"), std::string::npos);
}

TEST(McpTools, DaemonErrorsBecomeToolErrorsThatSayWhatToDo) {
  Harness h;
  auto r = h.callTool("service", {{"name", "nope"}});
  EXPECT_EQ(r["isError"], true);
  EXPECT_NE(r["content"][0]["text"].get<std::string>().find("404: no such thing"), std::string::npos);
  h.api.replies["GET /api/v1/status"] = {0, nullptr, "connection refused (is `medic watch` running?)"};
  r = h.callTool("status");
  EXPECT_EQ(r["isError"], true);
  EXPECT_NE(r["content"][0]["text"].get<std::string>().find("cannot reach the medic daemon"),
            std::string::npos);
}

TEST(McpResources, ReadListAndSubscribe) {
  Harness h;
  h.api.replies["GET /api/v1/services/webui"] = {200, serviceJson("healthy", {"ev-1"}), ""};
  h.api.replies["GET /api/v1/status"] = {200, {{"services", {serviceJson("healthy", {"ev-1"})}}}, ""};
  auto r = h.request("resources/read", {{"uri", "medic://services/webui"}});
  const auto& c = r["result"]["contents"][0];
  EXPECT_EQ(c["uri"], "medic://services/webui");
  EXPECT_EQ(c["mimeType"], "application/json");
  EXPECT_EQ(json::parse(c["text"].get<std::string>())["evidence"], json({"ev-1"}));
  EXPECT_EQ(h.request("resources/read", {{"uri", "medic://evidence/ev-x"}})["error"]["code"],
            jsonrpc::kResourceNotFound);
  EXPECT_EQ(h.request("resources/read", {{"uri", "file:///etc/passwd"}})["error"]["code"],
            jsonrpc::kResourceNotFound);
  auto list = h.request("resources/list")["result"]["resources"];
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[1]["uri"], "medic://services/webui");
  EXPECT_EQ(h.request("resources/templates/list")["result"]["resourceTemplates"].size(), 2u);

  EXPECT_EQ(h.request("resources/subscribe", {{"uri", "medic://services/webui"}})["result"], json::object());
  EXPECT_EQ(h.session.subscriptions.matching(urisChangedBy("webui")),
            std::vector<std::string>{"medic://services/webui"});
  EXPECT_TRUE(h.session.subscriptions.matching(urisChangedBy("api")).empty());
  h.request("resources/unsubscribe", {{"uri", "medic://services/webui"}});
  EXPECT_TRUE(h.session.subscriptions.empty());
  EXPECT_EQ(h.request("resources/subscribe", {{"uri", "medic://nope"}})["error"]["code"],
            jsonrpc::kResourceNotFound);
}

TEST(McpSchema, NamesTheFieldThatIsWrong) {
  const json schema = {{"type", "object"},
                       {"properties", {{"n", {{"type", "integer"}, {"minimum", 1}}},
                                       {"e", {{"type", "string"}, {"enum", {"a", "b"}}}}}},
                       {"required", {"n"}},
                       {"additionalProperties", false}};
  EXPECT_EQ(schemaViolation(schema, {{"n", 1}, {"e", "a"}}), "");
  EXPECT_EQ(schemaViolation(schema, {{"n", 0}}), "n: must be at least 1");
  EXPECT_EQ(schemaViolation(schema, {{"n", "1"}}), "n: must be integer");
  EXPECT_EQ(schemaViolation(schema, {{"n", 1}, {"e", "c"}}), "e: must be one of [\"a\",\"b\"]");
  EXPECT_EQ(schemaViolation(schema, json::array()), "arguments: must be object");
}

}  // namespace
}  // namespace medic::mcp
