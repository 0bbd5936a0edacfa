#pragma once
/// MCP over Streamable HTTP at /mcp on the daemon's own listener (spec 2025-11-25, "Transports"):
/// POST /mcp carries one JSON-RPC message and is answered with application/json (202 for a
/// notification), GET /mcp opens the session's server-sent-event stream for
/// notifications/resources/updated, DELETE /mcp ends the session. The server's Host and
/// cross-site (Origin) checks apply as to every route; the token, when sent as for the API
/// (`Authorization: Bearer`), allows the tools that need it. Tools call the daemon's own routes in
/// process, so each answer is the API's.

#include <memory>
#include <string>

#include "bus/bus.h"
#include "http/router.h"

namespace medic::mcp {

class HttpEndpoint {
 public:
  /// Adds the /mcp routes to `router` (which must outlive nothing: the routes share the
  /// endpoint's state) and follows `bus`'s service_state channel for subscriptions. Use on the
  /// daemon's loop.
  HttpEndpoint(http::Router& router, std::string token, bus::Bus& bus);
  ~HttpEndpoint();
  HttpEndpoint(const HttpEndpoint&) = delete;
  HttpEndpoint& operator=(const HttpEndpoint&) = delete;

  struct State;

 private:
  std::shared_ptr<State> state_;
};

}  // namespace medic::mcp
