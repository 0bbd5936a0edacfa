// Which requests need which token: mutations always the daemon's token; on a listener beyond
// loopback every read too, /metrics also the read-only metrics token.
#include <gtest/gtest.h>

#include "http/server.h"

namespace medic::http {
namespace {

const std::string kToken(64, 'a');
const std::string kMetricsToken(64, 'm');

SecurityPolicy policy() { return SecurityPolicy{kToken, {}, kMetricsToken}; }

std::string bearer(const std::string& t) { return "Bearer " + t; }

TEST(TokenRefusal, OnLoopbackReadsNeedNoTokenAndMutationsNeedTheDaemonsToken) {
  EXPECT_EQ(tokenRefusal(policy(), false, false, "GET", "/api/v1/status", ""), "");
  EXPECT_EQ(tokenRefusal(policy(), false, false, "GET", "/metrics", ""), "");
  EXPECT_NE(tokenRefusal(policy(), false, true, "POST", "/api/v1/claims", ""), "");
  EXPECT_NE(tokenRefusal(policy(), false, true, "POST", "/api/v1/claims", bearer(kMetricsToken)),
            "")
      << "the metrics token changes nothing";
  EXPECT_EQ(tokenRefusal(policy(), false, true, "POST", "/api/v1/claims", bearer(kToken)), "");
}

TEST(TokenRefusal, BeyondLoopbackEveryReadNeedsAToken) {
  for (const char* path : {"/api/v1/status", "/api/v1/alerts", "/healthz", "/metrics",
                           "/api/v1/channels/service_state/events"}) {
    const auto why = tokenRefusal(policy(), true, false, "GET", path, "");
    EXPECT_NE(why.find("reads need a token"), std::string::npos) << path << ": " << why;
    EXPECT_EQ(tokenRefusal(policy(), true, false, "GET", path, bearer(kToken)), "") << path;
    EXPECT_NE(tokenRefusal(policy(), true, false, "GET", path, bearer("wrong")), "") << path;
  }
  // The dashboard's static files hold no data; its data calls need the token.
  EXPECT_EQ(tokenRefusal(policy(), true, false, "GET", "/", ""), "");
  EXPECT_EQ(tokenRefusal(policy(), true, false, "GET", "/ui/app.js", ""), "");
}

TEST(TokenRefusal, TheMetricsTokenOpensMetricsAndNothingElse) {
  EXPECT_EQ(tokenRefusal(policy(), true, false, "GET", "/metrics", bearer(kMetricsToken)), "");
  EXPECT_NE(tokenRefusal(policy(), true, false, "GET", "/api/v1/status", bearer(kMetricsToken)),
            "");
  EXPECT_NE(tokenRefusal(policy(), true, false, "GET", "/metricsx", bearer(kMetricsToken)), "");
  // No metrics token configured: an empty bearer is no token.
  SecurityPolicy none{kToken, {}, ""};
  EXPECT_NE(tokenRefusal(none, true, false, "GET", "/metrics", "Bearer "), "");
}

TEST(HostAllowed, ConfiguredNamesJoinTheLoopbackOnesAndNothingElse) {
  const std::vector<std::string> allowed = {"medic.example.net"};
  EXPECT_TRUE(hostAllowed("medic.example.net:9443", allowed));
  EXPECT_TRUE(hostAllowed("MEDIC.example.net", allowed));
  EXPECT_TRUE(hostAllowed("127.0.0.1:9443", allowed));
  EXPECT_FALSE(hostAllowed("evil.example:9443", allowed));
  EXPECT_FALSE(hostAllowed("medic.example.net.evil.example", allowed));
  EXPECT_FALSE(hostAllowed("medic.example.net:9443", {}));
}

}  // namespace
}  // namespace medic::http
