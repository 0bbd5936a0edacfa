#pragma once
/// Requests and responses as plain values, and a router from method + path pattern to handler. The
/// server owns the sockets; handlers run on the daemon's loop and may read its state directly.

#include <functional>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

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

/// Routes "/api/v1/services/{name}/recover"-style patterns. `mutation` routes need the token.
class Router {
 public:
  void add(std::string method, std::string pattern, Handler handler, bool mutation = false);

  struct Match {
    const Handler* handler = nullptr;
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
  };
  std::vector<Route> routes_;
};

/// Splits "/a/b?x=1&y=2" and percent-decodes the query values.
void splitTarget(const std::string& target, std::string& path,
                 std::map<std::string, std::string>& query);

}  // namespace medic::http
