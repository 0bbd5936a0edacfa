#include "docker/spec.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "testdata_path.h"

namespace medic::docker {
namespace {

using nlohmann::json;

TEST(SpecFromInspect, RecreatesAUserNetworkContainerFaithfully) {
  json inspect = testdata::json("inspect_user_network.json");
  ContainerSpec spec = specFromInspect(inspect);
  const json& body = spec.body;

  EXPECT_EQ(spec.name, "medic-test-capture");
  // The exact image comes back by ID; the human name is kept as a label.
  EXPECT_EQ(body["Image"],
            "sha256:7182baed6e0eb35fe8a330083a0e7b2e441b04f9404c68f82a3aef0d64ee6ff8");
  EXPECT_EQ(body["Labels"][kSnapshotImageLabel], "medic-testserver:latest");
  EXPECT_EQ(body["Labels"]["app"], "demo");
  EXPECT_EQ(body["Env"], json({"FOO=bar", "PATH=/bin", "PORT=8080"}));
  EXPECT_EQ(body["Entrypoint"], json({"/testserver"}));
  EXPECT_FALSE(body.contains("Cmd"));  // null in the inspect: the image's default stays
  EXPECT_EQ(body["ExposedPorts"], json::parse(R"({"8080/tcp":{}})"));
  EXPECT_EQ(body["Healthcheck"]["Test"], json({"CMD", "/testserver", "probe"}));
  EXPECT_EQ(body["Healthcheck"]["Interval"], 1000000000);
  EXPECT_EQ(body["Tty"], false);
  // The engine's default hostname (the short id) must not be pinned onto the new container.
  EXPECT_FALSE(body.contains("Hostname"));

  const json& host = body["HostConfig"];
  EXPECT_EQ(host, inspect["HostConfig"]);
  EXPECT_EQ(host["RestartPolicy"]["Name"], "on-failure");
  EXPECT_EQ(host["RestartPolicy"]["MaximumRetryCount"], 3);
  EXPECT_EQ(host["PortBindings"]["8080/tcp"][0]["HostPort"], "18080");
  EXPECT_EQ(host["NetworkMode"], "medic-test-capnet");

  // Aliases survive, minus the old container's short-id alias; runtime fields are dropped.
  const json& endpoints = body["NetworkingConfig"]["EndpointsConfig"];
  ASSERT_EQ(endpoints.size(), 1u);
  const json& ep = endpoints["medic-test-capnet"];
  EXPECT_EQ(ep["Aliases"], json({"web"}));
  EXPECT_FALSE(ep.contains("IPAddress"));
  EXPECT_FALSE(ep.contains("EndpointID"));
  EXPECT_FALSE(ep.contains("NetworkID"));
  EXPECT_FALSE(ep.contains("MacAddress"));
  EXPECT_FALSE(ep.contains("IPAMConfig"));  // null: the engine assigns again
}

TEST(SpecFromInspect, HostNetworkHasNoEndpointsAndNoHostname) {
  json inspect = testdata::json("inspect_user_network.json");
  inspect["HostConfig"]["NetworkMode"] = "host";
  inspect["Config"]["Hostname"] = "buildhost";  // host mode reports the host's name
  inspect["NetworkSettings"]["Networks"] = json::parse(R"({"host":{"Aliases":null}})");
  ContainerSpec spec = specFromInspect(inspect);
  EXPECT_EQ(spec.body["HostConfig"]["NetworkMode"], "host");
  EXPECT_FALSE(spec.body.contains("NetworkingConfig"));
  EXPECT_FALSE(spec.body.contains("Hostname"));
}

TEST(SpecFromInspect, KeepsUserHostnameStaticIpAndSeveralNetworks) {
  json inspect = testdata::json("inspect_user_network.json");
  inspect["Config"]["Hostname"] = "db-primary";
  inspect["Config"]["Cmd"] = json({"serve", "--port", "80"});
  inspect["Config"]["StopSignal"] = "SIGINT";
  inspect["Config"]["StopTimeout"] = 5;
  inspect["NetworkSettings"]["Networks"]["backend"] = json::parse(
      R"({"IPAMConfig":{"IPv4Address":"198.51.100.5"},"Aliases":["db","956d029f2f1a"],
          "IPAddress":"198.51.100.5","Links":null,"DriverOpts":null})");
  ContainerSpec spec = specFromInspect(inspect);
  EXPECT_EQ(spec.body["Hostname"], "db-primary");
  EXPECT_EQ(spec.body["Cmd"], json({"serve", "--port", "80"}));
  EXPECT_EQ(spec.body["StopSignal"], "SIGINT");
  EXPECT_EQ(spec.body["StopTimeout"], 5);
  const json& endpoints = spec.body["NetworkingConfig"]["EndpointsConfig"];
  ASSERT_EQ(endpoints.size(), 2u);
  EXPECT_EQ(endpoints["backend"]["IPAMConfig"]["IPv4Address"], "198.51.100.5");
  EXPECT_EQ(endpoints["backend"]["Aliases"], json({"db"}));
}

TEST(SpecFromInspect, RewritesLegacyLinksToCreateForm) {
  json inspect = testdata::json("inspect_user_network.json");
  inspect["HostConfig"]["Links"] = json({"/db:/medic-test-capture/database", "/cache"});
  ContainerSpec spec = specFromInspect(inspect);
  EXPECT_EQ(spec.body["HostConfig"]["Links"], json({"db:database", "cache"}));
}

TEST(SpecFromInspect, ToleratesAnEmptyDocument) {
  ContainerSpec spec = specFromInspect(json::object());
  EXPECT_EQ(spec.name, "");
  EXPECT_EQ(spec.body["Image"], "");
  EXPECT_TRUE(spec.body["HostConfig"].is_object());
  ContainerSpec from_array = specFromInspect(json::array());
  EXPECT_TRUE(from_array.body.is_object());
}

}  // namespace
}  // namespace medic::docker
