#pragma once
/// The one boundary of the MCP core: medic's HTTP API (docs/api.md). Every tool and resource is a
/// call to it, so MCP answers are the API's answers, judged by the same code. Two implementations:
/// the daemon calls its own router in process (http_endpoint.h), `medic mcp` calls the daemon
/// over HTTP (stdio_server.h); unit tests use a recording fake.

#include <string>

#include <boost/asio/awaitable.hpp>
#include <nlohmann/json.hpp>

namespace medic::mcp {

struct ApiCall {
  std::string method;              ///< GET or POST
  std::string path;                ///< "/api/v1/services/webui", with the query when any
  nlohmann::json body = nullptr;   ///< null: no body
  bool mutation = false;           ///< the API wants the token for it (docs/api.md)
};

struct ApiReply {
  int status = 0;                  ///< HTTP status; 0 when the daemon could not be reached
  nlohmann::json body = nullptr;   ///< the parsed answer (null when it was not JSON)
  std::string error;               ///< why the daemon could not be reached (status 0)
};

class Api {
 public:
  virtual ~Api() = default;
  /// Never throws; an unreachable daemon is status 0 with `error` saying what to do.
  virtual boost::asio::awaitable<ApiReply> call(ApiCall call) = 0;
};

}  // namespace medic::mcp
