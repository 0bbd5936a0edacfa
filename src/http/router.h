#pragma once
/// Requests and responses as plain values, and a router from method + path pattern to handler. The
/// server owns the sockets; handlers run on the daemon's loop and may read its state directly.

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <nlohmann/json.hpp>

#include "http/event_stream.h"

namespace medic::http {

struct Request {
  std::string method;  ///< GET, POST, ...
  std::string path;    ///< without the query
  std::map<std::string, std::string> query;
  std::map<std::string, std::string> headers;  ///< lower-case names
  std::string body;
  std::map<std::string, std::string> params;   ///< {name} captures from the route pattern

  std::string header(const std::string& lower_name) const;
};

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::map<std::string, std::string> headers;

  static Response json(int status, const nlohmann::json& body);
  /// {"error": {"status": 404, "message": "..."}}
  static Response error(int status, const std::string& message);
  static Response text(int status, std::string body, std::string content_type = "text/plain");
};

using Handler = std::function<Response(const Request&)>;
/// A route that takes over its connection (server-sent events). It answers like a Handler; a 2xx
/// answer sends its headers and body, then whatever is sent on the stream until the stream or the
/// client closes. Any other status is sent as a normal response and the stream is closed.
using StreamHandler =
    std::function<Response(const Request&, const std::shared_ptr<EventStream>& stream)>;

/// A route whose answer needs I/O first (e.g. inspecting containers now): it runs as a coroutine on
/// the server's loop; other connections are served meanwhile.
using AsyncHandler = std::function<boost::asio::awaitable<Response>(Request)>;

/// Routes "/api/v1/services/{name}/recover"-style patterns. `mutation` routes need the token.
class Router {
 public:
  void add(std::string method, const std::string& pattern, Handler handler, bool mutation = false);
  /// A streaming route; the same Host and token checks apply as for add().
  void addStream(std::string method, const std::string& pattern, StreamHandler handler,
                 bool mutation = false);
  /// A coroutine route; the same Host and token checks apply as for add().
  void addAsync(std::string method, const std::string& pattern, AsyncHandler handler,
                bool mutation = false);

  struct Match {
    const Handler* handler = nullptr;       ///< set for add() routes
    const StreamHandler* stream = nullptr;  ///< set for addStream() routes
    const AsyncHandler* async = nullptr;    ///< set for addAsync() routes
    bool mutation = false;
    bool path_known = false;  ///< the path exists for another method (405)
    std::map<std::string, std::string> params;
  };
  Match match(const std::string& method, const std::string& path) const;

 private:
  struct Route {
    std::string method;
    std::vector<std::string> segments;
    Handler handler;
    bool mutation;
    StreamHandler stream;
    AsyncHandler async;
  };
  std::vector<Route> routes_;
};

/// Splits "/a/b?x=1&y=2" and percent-decodes the query values.
void splitTarget(const std::string& target, std::string& path,
                 std::map<std::string, std::string>& query);

}  // namespace medic::http
