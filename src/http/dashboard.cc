#include <cstdint>
#include <string>

#include "http/assets.h"

namespace medic::http {
namespace {

/// FNV-1a of the bytes: a stable ETag for one build's copy of a file.
std::string etagOf(const EmbeddedFile& f) {
  uint64_t h = 1469598103934665603ULL;
  for (size_t i = 0; i < f.size; ++i) {
    h ^= f.data[i];
    h *= 1099511628211ULL;
  }
  static const char* kHex = "0123456789abcdef";
  std::string out = "\"";
  for (int shift = 60; shift >= 0; shift -= 4) out.push_back(kHex[(h >> shift) & 0xf]);
  out.push_back('"');
  return out;
}

bool endsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

Response serve(const Request& req, const EmbeddedFile& f) {
  Response r;
  const std::string etag = etagOf(f);
  if (req.header("if-none-match") == etag) {
    r.status = 304;
    r.content_type = std::string(contentTypeFor(f.path));
  } else {
    r = Response::text(200, std::string(reinterpret_cast<const char*>(f.data), f.size),
                       std::string(contentTypeFor(f.path)));
  }
  r.headers["ETag"] = etag;
  r.headers["Cache-Control"] = "no-cache";
  r.headers["Content-Security-Policy"] = kDashboardCsp;
  r.headers["Referrer-Policy"] = "no-referrer";
  r.headers["X-Frame-Options"] = "DENY";
  return r;
}

}  // namespace

const char* const kDashboardCsp =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const EmbeddedFile* findEmbeddedFile(std::string_view path) {
  for (size_t i = 0; i < kEmbeddedFileCount; ++i) {
    if (path == kEmbeddedFiles[i].path) return &kEmbeddedFiles[i];
  }
  return nullptr;
}

std::string_view contentTypeFor(std::string_view path) {
  if (endsWith(path, ".html")) return "text/html; charset=utf-8";
  if (endsWith(path, ".js")) return "text/javascript; charset=utf-8";
  if (endsWith(path, ".css")) return "text/css; charset=utf-8";
  if (endsWith(path, ".svg")) return "image/svg+xml";
  if (endsWith(path, ".png")) return "image/png";
  if (endsWith(path, ".ico")) return "image/x-icon";
  return "application/octet-stream";
}

void addDashboardRoutes(Router& router) {
  router.add("GET", "/", [](const Request& req) {
    const auto* f = findEmbeddedFile("index.html");
    if (f == nullptr) return Response::error(404, "this build has no web dashboard");
    return serve(req, *f);
  });
  router.add("GET", "/ui/{file}", [](const Request& req) {
    const auto& name = req.params.at("file");
    const auto* f = name == "index.html" ? nullptr : findEmbeddedFile(name);
    if (f == nullptr) return Response::error(404, "no dashboard file named '" + name + "'");
    return serve(req, *f);
  });
}

}  // namespace medic::http
