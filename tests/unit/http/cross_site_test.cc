// Requests a browser makes for another site's page are refused (http/server.h crossSiteRefusal):
// an <img src="http://127.0.0.1:8080/api/v1/gates/6"> on any web page must not run a gate.
#include <gtest/gtest.h>

#include "http/server.h"

namespace medic::http {
namespace {

TEST(CrossSite, ABrowserRequestForAnotherSitesPageIsRefused) {
  EXPECT_NE(crossSiteRefusal("cross-site", "", {}), "");
  EXPECT_NE(crossSiteRefusal("Cross-Site", "", {}), "");
  EXPECT_NE(crossSiteRefusal("same-site", "", {}), "");  // another port or subdomain
  EXPECT_NE(crossSiteRefusal("", "https://evil.example", {}), "");
  EXPECT_NE(crossSiteRefusal("", "http://127.0.0.1.evil.example:8080", {}), "");
  EXPECT_NE(crossSiteRefusal("", "null", {}), "");  // a sandboxed frame or a file page
  EXPECT_NE(crossSiteRefusal("", "http://127.0.0.1:8080/path", {}), "");  // not an origin
}

TEST(CrossSite, TheDashboardAndClientsWithoutBrowserHeadersPass) {
  EXPECT_EQ(crossSiteRefusal("", "", {}), "");  // the CLI, curl, Prometheus
  EXPECT_EQ(crossSiteRefusal("same-origin", "http://127.0.0.1:8080", {}), "");
  EXPECT_EQ(crossSiteRefusal("none", "", {}), "");  // typed into the address bar
  EXPECT_EQ(crossSiteRefusal("same-origin", "http://localhost:8080", {}), "");
  EXPECT_EQ(crossSiteRefusal("", "http://[::1]:8080", {}), "");
  EXPECT_EQ(crossSiteRefusal("", "https://medic.example:8443", {"medic.example"}), "");
}

}  // namespace
}  // namespace medic::http
