#include "mcp/http_endpoint.h"

#include <openssl/rand.h>

#include <fmt/format.h>

#include <map>

#include "core/log.h"
#include "http/server.h"
#include "mcp/jsonrpc.h"
#include "mcp/server.h"

namespace medic::mcp {
namespace {

namespace asio = boost::asio;
using http::Request;
using http::Response;
using nlohmann::json;

/// Sessions kept at once; the least recently used one goes when another starts.
constexpr size_t kMaxSessions = 128;

constexpr const char* kTokenHint =
    "send the token from medic's state dir (<state-dir>/token) as 'Authorization: Bearer <token>' "
    "on the HTTP requests to /mcp, or run `medic mcp` (stdio), which reads it itself.";

std::string newSessionId() {
  unsigned char bytes[16];
  if (RAND_bytes(bytes, sizeof bytes) != 1) return "";
  std::string id;
  for (unsigned char b : bytes) id += fmt::format("{:02x}", b);
  return id;
}

/// The daemon's routes, called in process: the same handlers and the same token rule as over
/// the socket, without a second trip through it.
class RouterApi : public Api {
 public:
  RouterApi(const http::Router& router, bool authorized) : router_(router), authorized_(authorized) {}

  asio::awaitable<ApiReply> call(ApiCall c) override {
    Request req;
    req.method = c.method;
    http::splitTarget(c.path, req.path, req.query);
    req.headers["host"] = "127.0.0.1";
    if (!c.body.is_null()) {
      req.body = c.body.dump();
      req.headers["content-type"] = "application/json";
    }
    auto m = router_.match(req.method, req.path);
    if (m.handler == nullptr && m.async == nullptr) {
      co_return ApiReply{404, {{"error", {{"status", 404}, {"message", "no such endpoint: " + req.path}}}}, ""};
    }
    if (m.mutation && !authorized_) {
      co_return ApiReply{401, {{"error", {{"status", 401}, {"message", "the token is required"}}}}, ""};
    }
    req.params = std::move(m.params);
    Response res;
    bool failed = false;
    try {
      if (m.async != nullptr) {
        res = co_await (*m.async)(std::move(req));
      } else {
        res = (*m.handler)(req);
      }
    } catch (const std::exception& e) {
      spdlog::error("mcp: {} {} failed: {}", c.method, c.path, e.what());
      failed = true;
    }
    if (failed) co_return ApiReply{500, {{"error", {{"message", "internal error"}}}}, ""};
    auto body = json::parse(res.body, nullptr, false);
    co_return ApiReply{res.status, body.is_discarded() ? json() : body, ""};
  }

 private:
  const http::Router& router_;
  bool authorized_;
};

Response rpcError(int status, int code, const std::string& message) {
  return Response::json(status, jsonrpc::error(nullptr, code, message));
}

}  // namespace

struct HttpEndpoint::State {
  struct HttpSession {
    Session session;
    std::shared_ptr<http::EventStream> stream;  ///< GET /mcp, when open
    uint64_t last_used = 0;
  };
  const http::Router& router;
  std::string token;
  bus::Bus* bus;              ///< null once the endpoint is gone
  uint64_t subscription = 0;  ///< on service_state while any session has its stream open
  std::map<std::string, std::shared_ptr<HttpSession>> sessions;
  uint64_t clock = 0;  ///< a counter, not time: orders sessions by last use

  State(const http::Router& r, std::string t, bus::Bus& b)
      : router(r), token(std::move(t)), bus(&b) {}

  /// The channel is followed only while some session listens, so an idle endpoint holds no
  /// subscriber slot of the bus (its event streams are capped).
  void followChannel(const std::shared_ptr<State>& self) {
    if (subscription != 0 || bus == nullptr) return;
    std::weak_ptr<State> weak = self;
    subscription = bus->subscribe("service_state", [weak](const bus::Message& m) {
      if (auto s = weak.lock()) s->serviceChanged(m.service);
      return true;
    });
  }
  void unfollowIfIdle() {
    for (const auto& [id, s] : sessions) {
      if (s->stream) return;
    }
    if (subscription != 0 && bus != nullptr) bus->unsubscribe(subscription);
    subscription = 0;
  }

  std::shared_ptr<HttpSession> find(const Request& req, Response& refusal) {
    const auto id = req.header("mcp-session-id");
    if (id.empty()) {
      refusal = rpcError(400, jsonrpc::kInvalidRequest,
                         "Bad Request: send the Mcp-Session-Id header that initialize returned");
      return nullptr;
    }
    auto it = sessions.find(id);
    if (it == sessions.end()) {
      refusal = rpcError(404, jsonrpc::kInvalidRequest,
                         "no session '" + id + "' (ended, or the daemon restarted): initialize again");
      return nullptr;
    }
    it->second->last_used = ++clock;
    return it->second;
  }

  std::string create() {
    if (sessions.size() >= kMaxSessions) {
      auto oldest = sessions.begin();
      for (auto it = sessions.begin(); it != sessions.end(); ++it) {
        if (it->second->last_used < oldest->second->last_used) oldest = it;
      }
      if (oldest->second->stream) oldest->second->stream->close();
      sessions.erase(oldest);
    }
    auto id = newSessionId();
    if (id.empty()) return id;
    auto s = std::make_shared<HttpSession>();
    s->last_used = ++clock;
    sessions[id] = s;
    return id;
  }

  asio::awaitable<Response> post(Request req) {
    const auto ct = req.header("content-type");
    if (ct.rfind("application/json", 0) != 0) {
      co_return rpcError(415, jsonrpc::kInvalidRequest,
                         "send the JSON-RPC message as Content-Type: application/json");
    }
    json message;
    if (auto bad = jsonrpc::parse(req.body, message)) co_return Response::json(400, *bad);
    const bool initialize = message.contains("method") && message["method"] == "initialize" &&
                            message.contains("id");
    std::shared_ptr<HttpSession> session;
    std::string new_id;
    if (initialize) {
      new_id = create();
      if (new_id.empty()) co_return rpcError(500, jsonrpc::kInternalError, "no random session id");
      session = sessions[new_id];
    } else {
      Response refusal;
      session = find(req, refusal);
      if (!session) co_return refusal;
      const auto version = req.header("mcp-protocol-version");
      if (!version.empty() && !supportedVersion(version)) {
        co_return rpcError(400, jsonrpc::kInvalidRequest,
                           "MCP-Protocol-Version '" + version + "' is not supported (medic speaks " +
                               kProtocolVersions[0] + " and " + kProtocolVersions[1] + ")");
      }
    }
    const CallerContext caller{http::tokenMatches(req.header("authorization"), token), kTokenHint};
    RouterApi api(router, caller.authorized);
    auto answer = co_await handleMessage(message, session->session, api, caller);
    if (!answer) co_return Response::text(202, "", "application/json");
    auto res = Response::json(200, *answer);
    if (!new_id.empty()) res.headers["Mcp-Session-Id"] = new_id;
    co_return res;
  }

  Response stream(const std::shared_ptr<State>& self, const Request& req,
                  const std::shared_ptr<http::EventStream>& events) {
    Response refusal;
    auto session = find(req, refusal);
    if (!session) return refusal;
    if (session->stream) session->stream->close();  // one stream per session: the newest wins
    session->stream = events;
    followChannel(self);
    std::weak_ptr<HttpSession> weak = session;
    std::weak_ptr<State> weak_state = self;
    http::EventStream* raw = events.get();
    events->onClose([weak, weak_state, raw] {
      auto s = weak.lock();
      if (s && s->stream.get() == raw) s->stream.reset();
      if (auto st = weak_state.lock()) st->unfollowIfIdle();
    });
    auto r = Response::text(200, "", "text/event-stream");
    r.headers["X-Accel-Buffering"] = "no";
    return r;
  }

  Response end(const Request& req) {
    Response refusal;
    auto session = find(req, refusal);
    if (!session) return refusal;
    sessions.erase(req.header("mcp-session-id"));
    if (session->stream) session->stream->close();
    unfollowIfIdle();
    return Response::text(204, "", "application/json");
  }

  /// A service changed state: every session subscribed to what that changes is told.
  void serviceChanged(const std::string& service) {
    const auto uris = urisChangedBy(service);
    for (auto& [id, s] : sessions) {
      if (!s->stream) continue;
      for (const auto& uri : s->session.subscriptions.matching(uris)) {
        auto note = jsonrpc::notification("notifications/resources/updated", {{"uri", uri}});
        s->stream->send("event: message\ndata: " + note.dump() + "\n\n");
      }
    }
  }
};

HttpEndpoint::HttpEndpoint(http::Router& router, std::string token, bus::Bus& bus)
    : state_(std::make_shared<State>(router, std::move(token), bus)) {
  auto state = state_;
  router.addAsync("POST", "/mcp", [state](Request req) { return state->post(std::move(req)); });
  router.addStream("GET", "/mcp",
                   [state](const Request& req, const std::shared_ptr<http::EventStream>& events) {
                     return state->stream(state, req, events);
                   });
  router.add("DELETE", "/mcp", [state](const Request& req) { return state->end(req); });
}

HttpEndpoint::~HttpEndpoint() {
  for (auto& [id, s] : state_->sessions) {
    if (s->stream) s->stream->close();
  }
  if (state_->subscription != 0 && state_->bus != nullptr) state_->bus->unsubscribe(state_->subscription);
  state_->subscription = 0;
  state_->bus = nullptr;
}

}  // namespace medic::mcp
