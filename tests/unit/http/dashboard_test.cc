// The dashboard routes on a bare Router: the embedded files are the source files byte for byte,
// with their types and security headers, and revalidation by ETag.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "http/assets.h"

namespace medic::http {
namespace {

std::string sourceFile(const std::string& name) {
  std::ifstream in(std::string(MEDIC_SOURCE_DIR) + "/src/http/web/" + name, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Response get(const Router& router, const std::string& path,
             std::map<std::string, std::string> headers = {}) {
  auto m = router.match("GET", path);
  EXPECT_NE(m.handler, nullptr) << path;
  if (m.handler == nullptr) return Response::error(404, "no route");
  Request req;
  req.method = "GET";
  req.path = path;
  req.headers = std::move(headers);
  req.params = m.params;
  return (*m.handler)(req);
}

TEST(DashboardAssets, EveryWebFileIsEmbeddedByteForByte) {
  for (const char* name : {"index.html", "app.js", "style.css", "favicon.svg"}) {
    const auto* f = findEmbeddedFile(name);
    ASSERT_NE(f, nullptr) << name;
    const std::string embedded(reinterpret_cast<const char*>(f->data), f->size);
    const std::string source = sourceFile(name);
    EXPECT_EQ(embedded.size(), source.size()) << name;
    EXPECT_TRUE(embedded == source) << name << " differs from src/http/web/" << name;
  }
  EXPECT_EQ(findEmbeddedFile("nope.js"), nullptr);
}

TEST(DashboardAssets, ContentTypesFollowTheExtension) {
  EXPECT_EQ(contentTypeFor("index.html"), "text/html; charset=utf-8");
  EXPECT_EQ(contentTypeFor("app.js"), "text/javascript; charset=utf-8");
  EXPECT_EQ(contentTypeFor("style.css"), "text/css; charset=utf-8");
  EXPECT_EQ(contentTypeFor("favicon.svg"), "image/svg+xml");
  EXPECT_EQ(contentTypeFor("blob"), "application/octet-stream");
}

TEST(DashboardRoutes, ThePageAndItsFilesCarryTheSecurityHeaders) {
  Router router;
  addDashboardRoutes(router);
  auto page = get(router, "/");
  EXPECT_EQ(page.status, 200);
  EXPECT_EQ(page.content_type, "text/html; charset=utf-8");
  EXPECT_TRUE(page.body == sourceFile("index.html"));
  EXPECT_EQ(page.headers["Content-Security-Policy"], kDashboardCsp);
  EXPECT_EQ(page.headers["Cache-Control"], "no-cache");
  EXPECT_EQ(page.headers["X-Frame-Options"], "DENY");
  EXPECT_EQ(page.headers["Referrer-Policy"], "no-referrer");
  auto js = get(router, "/ui/app.js");
  EXPECT_EQ(js.status, 200);
  EXPECT_EQ(js.content_type, "text/javascript; charset=utf-8");
  EXPECT_EQ(js.headers["Content-Security-Policy"], kDashboardCsp);
  // The CSP allows nothing inline and nothing from elsewhere.
  const std::string csp = kDashboardCsp;
  EXPECT_NE(csp.find("default-src 'none'"), std::string::npos);
  EXPECT_EQ(csp.find("unsafe"), std::string::npos);
  EXPECT_EQ(csp.find("http"), std::string::npos);
}

TEST(DashboardRoutes, UnknownFilesAre404AndThePageIsOnlyAtTheRoot) {
  Router router;
  addDashboardRoutes(router);
  EXPECT_EQ(get(router, "/ui/nope.js").status, 404);
  EXPECT_EQ(get(router, "/ui/index.html").status, 404);
  EXPECT_EQ(get(router, "/ui/..%2Fserver.cc").status, 404);
}

TEST(DashboardRoutes, AMatchingETagGets304WithoutABody) {
  Router router;
  addDashboardRoutes(router);
  auto first = get(router, "/ui/style.css");
  const auto etag = first.headers["ETag"];
  ASSERT_GE(etag.size(), 3u);
  EXPECT_EQ(etag.front(), '"');
  auto again = get(router, "/ui/style.css", {{"if-none-match", etag}});
  EXPECT_EQ(again.status, 304);
  EXPECT_TRUE(again.body.empty());
  EXPECT_EQ(again.headers["ETag"], etag);
  auto stale = get(router, "/ui/style.css", {{"if-none-match", "\"0\""}});
  EXPECT_EQ(stale.status, 200);
  EXPECT_NE(get(router, "/ui/app.js").headers["ETag"], etag);
}

}  // namespace
}  // namespace medic::http
