// The /mcp endpoint on a router, without sockets: sessions (Mcp-Session-Id), the HTTP statuses of
// the Streamable HTTP transport, the token deciding what the in-process API call may do, and
// service_state messages on the bus becoming notifications on a subscribed session's stream.
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include "bus/bus.h"
#include "http/router.h"
#include "mcp/http_endpoint.h"

namespace medic::mcp {
namespace {

using nlohmann::json;
namespace asio = boost::asio;

const std::string kToken(64, 'a');

class EndpointTest : public ::testing::Test {
 protected:
  EndpointTest() : bus_(nullptr, "host-1") {
    router_.add("GET", "/api/v1/services/{name}", [](const http::Request& r) {
      return http::Response::json(200, {{"name", r.params.at("name")}, {"state", "healthy"},
                                        {"evidence", {"ev-1"}}, {"evidence_age_seconds", 0.5}});
    });
    router_.add(
        "POST", "/api/v1/services/{name}/recover",
        [this](const http::Request& r) {
          ++recovers_;
          return http::Response::json(
              202, {{"service", r.params.at("name")}, {"accepted", true},
                    {"status", {{"name", r.params.at("name")}, {"state", "recovering"}, {"evidence", {"ev-2"}}}}});
        },
        /*mutation=*/true);
    endpoint_ = std::make_unique<HttpEndpoint>(router_, kToken, bus_);
  }

  http::Response post(const json& body, std::map<std::string, std::string> headers = {}) {
    http::Request req;
    req.method = "POST";
    req.path = "/mcp";
    req.body = body.dump();
    req.headers = std::move(headers);
    if (!req.headers.count("content-type")) req.headers["content-type"] = "application/json";
    auto m = router_.match("POST", "/mcp");
    EXPECT_NE(m.async, nullptr);
    asio::io_context io;
    http::Response out;
    asio::co_spawn(io, (*m.async)(req), [&](std::exception_ptr e, http::Response r) {
      if (e) std::rethrow_exception(e);
      out = std::move(r);
    });
    io.run();
    return out;
  }

  std::string initialize() {
    auto r = post({{"jsonrpc", "2.0"}, {"id", 1}, {"method", "initialize"},
                   {"params", {{"protocolVersion", "2025-11-25"}}}});
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(json::parse(r.body)["result"]["protocolVersion"], "2025-11-25");
    return r.headers["Mcp-Session-Id"];
  }

  static json call(const std::string& tool, json args) {
    return {{"jsonrpc", "2.0"}, {"id", 2}, {"method", "tools/call"},
            {"params", {{"name", tool}, {"arguments", std::move(args)}}}};
  }

  bus::Bus bus_;
  http::Router router_;
  std::unique_ptr<HttpEndpoint> endpoint_;
  int recovers_ = 0;
};

TEST_F(EndpointTest, SessionsAreRequiredAfterInitialize) {
  const auto id = initialize();
  EXPECT_EQ(id.size(), 32u);
  auto ping = json{{"jsonrpc", "2.0"}, {"id", 5}, {"method", "ping"}};
  EXPECT_EQ(post(ping).status, 400);
  EXPECT_EQ(post(ping, {{"mcp-session-id", "nope"}}).status, 404);
  EXPECT_EQ(post(ping, {{"mcp-session-id", id}}).status, 200);
  EXPECT_EQ(post(ping, {{"mcp-session-id", id}, {"mcp-protocol-version", "1999-01-01"}}).status, 400);
  EXPECT_EQ(post(ping, {{"mcp-session-id", id}, {"mcp-protocol-version", "2025-06-18"}}).status, 200);
  // A notification is accepted without a body.
  auto note = post({{"jsonrpc", "2.0"}, {"method", "notifications/initialized"}}, {{"mcp-session-id", id}});
  EXPECT_EQ(note.status, 202);
  EXPECT_TRUE(note.body.empty());
  EXPECT_EQ(post(ping, {{"mcp-session-id", id}, {"content-type", "text/plain"}}).status, 415);
  auto bad = post(json::array({ping}), {{"mcp-session-id", id}});
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(json::parse(bad.body)["error"]["code"], -32600);
  // DELETE ends the session.
  http::Request del;
  del.method = "DELETE";
  del.headers["mcp-session-id"] = id;
  auto m = router_.match("DELETE", "/mcp");
  ASSERT_NE(m.handler, nullptr);
  EXPECT_EQ((*m.handler)(del).status, 204);
  EXPECT_EQ(post(ping, {{"mcp-session-id", id}}).status, 404);
}

TEST_F(EndpointTest, TheTokenDecidesWhetherAMutationRuns) {
  const auto id = initialize();
  auto refused = json::parse(post(call("recover", {{"service", "webui"}}), {{"mcp-session-id", id}}).body);
  EXPECT_EQ(refused["result"]["isError"], true);
  EXPECT_NE(refused["result"]["content"][0]["text"].get<std::string>().find("Authorization: Bearer"),
            std::string::npos);
  auto wrong = json::parse(post(call("recover", {{"service", "webui"}}),
                                {{"mcp-session-id", id}, {"authorization", "Bearer " + std::string(64, 'b')}})
                               .body);
  EXPECT_EQ(wrong["result"]["isError"], true);
  EXPECT_EQ(recovers_, 0);
  auto done = json::parse(post(call("recover", {{"service", "webui"}}),
                               {{"mcp-session-id", id}, {"authorization", "Bearer " + kToken}})
                              .body);
  EXPECT_EQ(done["result"]["isError"], false) << done.dump();
  EXPECT_EQ(done["result"]["structuredContent"]["state"], "recovering");
  EXPECT_EQ(recovers_, 1);
  // Reads need no token and are the route's own answer.
  auto read = json::parse(post(call("service", {{"name", "webui"}}), {{"mcp-session-id", id}}).body);
  EXPECT_EQ(read["result"]["structuredContent"]["evidence"], json({"ev-1"}));
}

TEST_F(EndpointTest, ASubscribedSessionIsToldWhenItsServiceChangesState) {
  const auto id = initialize();
  auto sub = post({{"jsonrpc", "2.0"}, {"id", 3}, {"method", "resources/subscribe"},
                   {"params", {{"uri", "medic://services/webui"}}}},
                  {{"mcp-session-id", id}});
  ASSERT_EQ(sub.status, 200);
  http::Request get;
  get.method = "GET";
  get.headers["mcp-session-id"] = id;
  auto m = router_.match("GET", "/mcp");
  ASSERT_NE(m.stream, nullptr);
  auto stream = std::make_shared<http::EventStream>();
  ASSERT_EQ((*m.stream)(get, stream).status, 200);
  EXPECT_EQ(bus_.subscriberCount("service_state"), 1u);

  bus::Message other;
  other.channel = "service_state";
  other.type = "failed";
  other.service = "api";
  ASSERT_TRUE(bus_.publish(other));
  EXPECT_EQ(stream->take(), "");  // not subscribed to api
  auto changed = other;
  changed.service = "webui";
  changed.type = "recovered";
  ASSERT_TRUE(bus_.publish(changed));
  const auto sent = stream->take();
  EXPECT_NE(sent.find("\"method\":\"notifications/resources/updated\""), std::string::npos) << sent;
  EXPECT_NE(sent.find("\"uri\":\"medic://services/webui\""), std::string::npos) << sent;
  // An idle endpoint holds no subscriber slot of the bus.
  stream->close();
  EXPECT_EQ(bus_.subscriberCount("service_state"), 0u);
}

}  // namespace
}  // namespace medic::mcp
