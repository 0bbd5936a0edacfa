// MCP dispatch (spec 2025-11-25, and 2025-06-18 for clients that ask for it): lifecycle, tools and
// resources, each answer built from one call to medic's API.
#include "mcp/server.h"

#include <algorithm>

#include "mcp/jsonrpc.h"
#include "mcp/schema.h"
#include "mcp/tools.h"

namespace medic::mcp {
namespace {

using nlohmann::json;
namespace asio = boost::asio;

constexpr const char* kInstructions =
    "medic supervises the Docker services of this host and proves their health with evidence. "
    "Before you state that a service is healthy, serving or gone, call `claim` (or `status`/"
    "`service`) and cite the evidence ids it returns; a claim without fresh evidence is unknown, "
    "never true. `gate` runs a workflow phase's checks on fresh evidence. Subscribe to "
    "medic://services/{name} to wait for a recovery instead of polling. Tools that change the host "
    "(recover, maintenance, deploy, confirm_deploy, reject_deploy) and claim need medic's token.";

json toolResult(const std::string& text, json structured, bool is_error) {
  json r = {{"content", json::array({{{"type", "text"}, {"text", text}}})}, {"isError", is_error}};
  if (!structured.is_null()) r["structuredContent"] = std::move(structured);
  return r;
}

std::string apiMessage(const ApiReply& reply) {
  if (reply.body.is_object() && reply.body.contains("error") && reply.body["error"].is_object()) {
    return reply.body["error"].value("message", "");
  }
  return reply.body.is_null() ? "" : reply.body.dump();
}

/// A tool's refusal or failure, written for the model that called it: what went wrong and what
/// to do next.
json failure(const Tool& tool, const ApiReply& reply, const CallerContext& caller) {
  if (reply.status == 0) {
    return toolResult("cannot reach the medic daemon: " + reply.error, nullptr, true);
  }
  if (reply.status == 401) {
    return toolResult(tool.name + " needs medic's token and this connection has none: " +
                          caller.token_hint,
                      nullptr, true);
  }
  return toolResult(tool.name + " failed: medic answered " + std::to_string(reply.status) + ": " +
                        apiMessage(reply),
                    nullptr, true);
}

asio::awaitable<json> callTool(const json& id, const json& params, Api& api,
                               const CallerContext& caller) {
  if (!params.contains("name") || !params["name"].is_string()) {
    co_return jsonrpc::error(id, jsonrpc::kInvalidParams, "tools/call needs \"name\", a string");
  }
  const auto* tool = findTool(params["name"].get<std::string>());
  if (tool == nullptr) {
    co_return jsonrpc::error(id, jsonrpc::kInvalidParams,
                             "unknown tool '" + params["name"].get<std::string>() +
                                 "': tools/list names the tools medic has");
  }
  const json args = params.contains("arguments") && !params["arguments"].is_null()
                        ? params["arguments"]
                        : json::object();
  if (auto why = schemaViolation(tool->input_schema, args); !why.empty()) {
    co_return jsonrpc::result(
        id, toolResult("invalid arguments for " + tool->name + ": " + why +
                           " (see the tool's inputSchema)",
                       nullptr, true));
  }
  if (tool->needs_token && !caller.authorized) {
    co_return jsonrpc::result(
        id, toolResult(tool->name + " is refused: it " +
                           (tool->read_only ? std::string("records a verdict")
                                            : std::string("changes the host")) +
                           ", so it needs medic's token, and this connection has none. " +
                           caller.token_hint,
                       nullptr, true));
  }
  ApiCall call = tool->request(args);
  ApiReply reply = co_await api.call(call);
  if (reply.status < 200 || reply.status >= 300) {
    co_return jsonrpc::result(id, failure(*tool, reply, caller));
  }
  ToolOutput out;
  try {
    out = tool->answer(args, reply.body);
  } catch (const json::exception& e) {
    co_return jsonrpc::result(
        id, toolResult(tool->name + ": medic's answer had an unexpected shape (" +
                           std::string(e.what()) + "); the raw answer: " + reply.body.dump(),
                       nullptr, true));
  }
  co_return jsonrpc::result(id, toolResult(out.text, std::move(out.structured), false));
}

std::string uriOf(const json& params) {
  return params.contains("uri") && params["uri"].is_string() ? params["uri"].get<std::string>() : "";
}

/// The API path behind a resource URI; "" when the URI names no medic resource.
std::string resourcePath(const std::string& uri) {
  static const std::string kServices = "medic://services/", kEvidence = "medic://evidence/";
  if (uri == "medic://status") return "/api/v1/status";
  for (const auto* prefix : {&kServices, &kEvidence}) {
    if (uri.rfind(*prefix, 0) == 0 && uri.size() > prefix->size()) {
      const auto rest = uri.substr(prefix->size());
      return (prefix == &kServices ? "/api/v1/services/" : "/api/v1/evidence/") + encodeSegment(rest);
    }
  }
  return "";
}

json templates() {
  return {{"resourceTemplates",
           json::array(
               {{{"uriTemplate", "medic://services/{name}"},
                 {"name", "service"},
                 {"title", "A protected service"},
                 {"description",
                  "One service as medic sees it (the API's Service document), with the evidence its "
                  "state rests on. Subscribe to be told when its state changes."},
                 {"mimeType", "application/json"}},
                {{"uriTemplate", "medic://evidence/{id}"},
                 {"name", "evidence"},
                 {"title", "An evidence record"},
                 {"description", "A stored, redacted evidence record, by the id an answer cited."},
                 {"mimeType", "application/json"}}})}};
}

asio::awaitable<json> listResources(const json& id, Api& api) {
  json list = json::array(
      {{{"uri", "medic://status"},
        {"name", "status"},
        {"title", "medic status"},
        {"description", "Health score, every protected service and endpoint, with evidence ids"},
        {"mimeType", "application/json"}}});
  // Named, not a brace-initialized temporary in the co_await: GCC 12 destroys those twice.
  ApiCall status{"GET", "/api/v1/status"};
  auto reply = co_await api.call(std::move(status));
  if (reply.status == 200 && reply.body.is_object()) {
    for (const auto& s : reply.body.value("services", json::array())) {
      const auto name = s.value("name", "");
      list.push_back({{"uri", "medic://services/" + name},
                      {"name", name},
                      {"title", "service " + name},
                      {"description", "state " + s.value("state", "unknown") + " (subscribable)"},
                      {"mimeType", "application/json"}});
    }
  }
  co_return jsonrpc::result(id, {{"resources", list}});
}

asio::awaitable<json> readResource(const json& id, const json& params, Api& api) {
  const auto uri = uriOf(params);
  const auto path = resourcePath(uri);
  if (path.empty()) {
    co_return jsonrpc::error(id, jsonrpc::kResourceNotFound,
                             "no resource '" + uri +
                                 "': medic has medic://status, medic://services/{name}, "
                                 "medic://evidence/{id}",
                             {{"uri", uri}});
  }
  ApiCall read{"GET", path};  // named: see listResources
  auto reply = co_await api.call(std::move(read));
  if (reply.status == 404) {
    co_return jsonrpc::error(id, jsonrpc::kResourceNotFound,
                             "resource not found: " + apiMessage(reply), {{"uri", uri}});
  }
  if (reply.status != 200) {
    co_return jsonrpc::error(
        id, jsonrpc::kInternalError,
        reply.status == 0 ? "cannot reach the medic daemon: " + reply.error
                          : "medic answered " + std::to_string(reply.status) + ": " + apiMessage(reply));
  }
  co_return jsonrpc::result(
      id, {{"contents", json::array({{{"uri", uri},
                                      {"mimeType", "application/json"},
                                      {"text", reply.body.dump(2)}}})}});
}

}  // namespace

bool supportedVersion(const std::string& version) {
  return std::find(kProtocolVersions.begin(), kProtocolVersions.end(), version) !=
         kProtocolVersions.end();
}

void Subscriptions::add(const std::string& uri) {
  std::lock_guard lock(mu_);
  uris_.insert(uri);
}
void Subscriptions::remove(const std::string& uri) {
  std::lock_guard lock(mu_);
  uris_.erase(uri);
}
std::vector<std::string> Subscriptions::matching(const std::vector<std::string>& uris) const {
  std::lock_guard lock(mu_);
  std::vector<std::string> out;
  for (const auto& u : uris) {
    if (uris_.count(u) != 0) out.push_back(u);
  }
  return out;
}
bool Subscriptions::empty() const {
  std::lock_guard lock(mu_);
  return uris_.empty();
}

std::vector<std::string> urisChangedBy(const std::string& service) {
  if (service.empty()) return {"medic://status"};
  return {"medic://services/" + service, "medic://status"};
}

asio::awaitable<std::optional<json>> handleMessage(const json& message, Session& session, Api& api,
                                                   const CallerContext& caller) {
  std::string why;
  const auto kind = jsonrpc::classify(message, why);
  if (kind == jsonrpc::Kind::kInvalid) {
    co_return jsonrpc::error(message.is_object() && message.contains("id") ? message["id"] : json(),
                             jsonrpc::kInvalidRequest, "invalid request: " + why);
  }
  if (kind != jsonrpc::Kind::kRequest) {
    // notifications/initialized, notifications/cancelled, responses: nothing to answer.
    co_return std::nullopt;
  }
  const auto& id = message["id"];
  const auto method = message["method"].get<std::string>();
  const json params = message.value("params", json::object());

  if (method == "initialize") {
    if (!params.contains("protocolVersion") || !params["protocolVersion"].is_string()) {
      co_return jsonrpc::error(id, jsonrpc::kInvalidParams,
                               "initialize needs \"protocolVersion\", e.g. \"" +
                                   kProtocolVersions.front() + "\"");
    }
    // Negotiation: the client's version when medic speaks it, else medic's newest (the client
    // then decides whether it can go on).
    const auto asked = params["protocolVersion"].get<std::string>();
    session.protocol_version = supportedVersion(asked) ? asked : kProtocolVersions.front();
    session.client_info = params.value("clientInfo", json::object());
    session.initialized = true;
    co_return jsonrpc::result(
        id, {{"protocolVersion", session.protocol_version},
             {"capabilities",
              {{"tools", {{"listChanged", false}}},
               {"resources", {{"subscribe", true}, {"listChanged", false}}}}},
             {"serverInfo",
              {{"name", "medic"},
               {"title", "medic: Docker services kept alive, with evidence"},
               {"version", MEDIC_VERSION}}},
             {"instructions", kInstructions}});
  }
  if (method == "ping") co_return jsonrpc::result(id, json::object());
  if (method == "tools/list") {
    json list = json::array();
    for (const auto& t : tools()) list.push_back(t.describe());
    co_return jsonrpc::result(id, {{"tools", list}});
  }
  if (method == "tools/call") co_return co_await callTool(id, params, api, caller);
  if (method == "resources/list") co_return co_await listResources(id, api);
  if (method == "resources/templates/list") co_return jsonrpc::result(id, templates());
  if (method == "resources/read") co_return co_await readResource(id, params, api);
  if (method == "resources/subscribe" || method == "resources/unsubscribe") {
    const auto uri = uriOf(params);
    if (resourcePath(uri).empty()) {
      co_return jsonrpc::error(id, jsonrpc::kResourceNotFound, "no resource '" + uri + "' to " +
                                                                   method.substr(10),
                               {{"uri", uri}});
    }
    if (method == "resources/subscribe") {
      session.subscriptions.add(uri);
    } else {
      session.subscriptions.remove(uri);
    }
    co_return jsonrpc::result(id, json::object());
  }
  co_return jsonrpc::error(id, jsonrpc::kMethodNotFound,
                           "method '" + method + "' not found: medic serves tools and resources");
}

}  // namespace medic::mcp
