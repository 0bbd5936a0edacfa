#include "http/router.h"

#include <sstream>

namespace medic::http {
namespace {

std::vector<std::string> segmentsOf(const std::string& path) {
  std::vector<std::string> out;
  std::stringstream in(path);
  std::string seg;
  while (std::getline(in, seg, '/')) {
    if (!seg.empty()) out.push_back(seg);
  }
  return out;
}

std::string percentDecode(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      out.push_back(static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16)));
      i += 2;
    } else if (s[i] == '+') {
      out.push_back(' ');
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

}  // namespace

std::string Request::header(const std::string& lower_name) const {
  auto it = headers.find(lower_name);
  return it == headers.end() ? std::string() : it->second;
}

Response Response::json(int status, const nlohmann::json& body) {
  Response r;
  r.status = status;
  r.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  r.body.push_back('\n');
  return r;
}

Response Response::error(int status, const std::string& message) {
  return json(status, {{"error", {{"status", status}, {"message", message}}}});
}

Response Response::text(int status, std::string body, std::string content_type) {
  Response r;
  r.status = status;
  r.body = std::move(body);
  r.content_type = std::move(content_type);
  return r;
}

void Router::add(std::string method, const std::string& pattern, Handler handler, bool mutation) {
  routes_.push_back(
      Route{std::move(method), segmentsOf(pattern), std::move(handler), mutation, {}, {}});
}

void Router::addAsync(std::string method, const std::string& pattern, AsyncHandler handler,
                      bool mutation) {
  routes_.push_back(
      Route{std::move(method), segmentsOf(pattern), Handler{}, mutation, {}, std::move(handler)});
}

void Router::addStream(std::string method, const std::string& pattern, StreamHandler handler,
                       bool mutation) {
  routes_.push_back(
      Route{std::move(method), segmentsOf(pattern), Handler{}, mutation, std::move(handler), {}});
}

Router::Match Router::match(const std::string& method, const std::string& path) const {
  Match result;
  const auto segs = segmentsOf(path);
  for (const auto& route : routes_) {
    if (route.segments.size() != segs.size()) continue;
    std::map<std::string, std::string> params;
    bool ok = true;
    for (size_t i = 0; i < segs.size() && ok; ++i) {
      const auto& p = route.segments[i];
      if (p.size() > 2 && p.front() == '{' && p.back() == '}') {
        params[p.substr(1, p.size() - 2)] = percentDecode(segs[i]);
      } else {
        ok = p == segs[i];
      }
    }
    if (!ok) continue;
    if (route.method != method) {
      result.path_known = true;
      continue;
    }
    if (route.stream) {
      result.stream = &route.stream;
    } else if (route.async) {
      result.async = &route.async;
    } else {
      result.handler = &route.handler;
    }
    result.mutation = route.mutation;
    result.params = std::move(params);
    result.path_known = true;
    return result;
  }
  return result;
}

void splitTarget(const std::string& target, std::string& path,
                 std::map<std::string, std::string>& query) {
  auto q = target.find('?');
  path = target.substr(0, q);
  if (q == std::string::npos) return;
  std::stringstream in(target.substr(q + 1));
  std::string pair;
  while (std::getline(in, pair, '&')) {
    auto eq = pair.find('=');
    if (eq == std::string::npos) {
      query[percentDecode(pair)] = "";
    } else {
      query[percentDecode(pair.substr(0, eq))] = percentDecode(pair.substr(eq + 1));
    }
  }
}

}  // namespace medic::http
