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

// ---- One snapshot, fitted to each API version (docs/operations.md, "Docker API versions") ----
// inspect_api_1_41.json is dockerd 20.10's answer (captured, runtime fields as when running);
// inspect_api_1_52.json is shaped like Docker 29's: no top-level NetworkSettings addresses, no
// Config.MacAddress, aliases exactly as submitted plus DNSNames, GwPriority, StartInterval.

const json& endpointsOf(const json& body) {
  return body["NetworkingConfig"]["EndpointsConfig"];
}

TEST(CreateRequestFor, SnapshotAt141RecreatesAt141) {
  json inspect = testdata::json("inspect_api_1_41.json");
  ContainerSpec spec = specFromInspect(inspect);
  CreateRequest req = createRequestFor(spec.body, "1.41");
  const json& body = req.body;
  EXPECT_TRUE(req.dropped.empty()) << json(req.dropped).dump();
  EXPECT_EQ(spec.name, "medic-test-apicap");
  EXPECT_EQ(body["Image"], inspect["Image"]);
  EXPECT_EQ(body["Hostname"], "apihost");
  // The chosen MAC: container-wide, the only place 1.41 reads it at create.
  EXPECT_EQ(body["MacAddress"], "02:42:ac:11:00:99");
  EXPECT_EQ(body["Healthcheck"], inspect["Config"]["Healthcheck"]);
  EXPECT_EQ(body["HostConfig"], inspect["HostConfig"]);
  // One endpoint at create (the NetworkMode's); the other is connected right after.
  const json& endpoints = endpointsOf(body);
  ASSERT_EQ(endpoints.size(), 1u) << endpoints.dump();
  EXPECT_EQ(endpoints["medic-test-apinet-a"], json::parse(R"({"Aliases":["web"]})"));
  ASSERT_EQ(req.connect_after.size(), 1u);
  EXPECT_EQ(req.connect_after[0].first, "medic-test-apinet-b");
  // The engine's own aliases (short id, hostname) and the MAC in use are not pinned.
  EXPECT_EQ(req.connect_after[0].second, json::parse(R"({"Aliases":["web-b"]})"));
}

TEST(CreateRequestFor, SnapshotAt152RecreatesAt152) {
  json inspect = testdata::json("inspect_api_1_52.json");
  ContainerSpec spec = specFromInspect(inspect);
  CreateRequest req = createRequestFor(spec.body, "1.52");
  const json& body = req.body;
  EXPECT_TRUE(req.dropped.empty()) << json(req.dropped).dump();
  EXPECT_FALSE(body.contains("MacAddress"));  // 1.52 refuses the container-wide field
  EXPECT_EQ(body["Healthcheck"]["StartInterval"], 500000000);
  EXPECT_EQ(body["Healthcheck"]["StartPeriod"], 5000000000LL);
  EXPECT_EQ(body["HostConfig"], inspect["HostConfig"]);
  EXPECT_EQ(body["HostConfig"]["Annotations"]["org.example.owner"], "ops");
  EXPECT_EQ(body["HostConfig"]["Mounts"][0]["VolumeOptions"]["Subpath"], "web");
  // Every endpoint at create; aliases as submitted; runtime fields (DNSNames, the MACs and
  // addresses in use) left to the engine; gateway priority kept.
  EXPECT_TRUE(req.connect_after.empty());
  const json& endpoints = endpointsOf(body);
  ASSERT_EQ(endpoints.size(), 2u) << endpoints.dump();
  EXPECT_EQ(endpoints["medic-test-apinet-a"], json::parse(R"({"Aliases":["web"]})"));
  EXPECT_EQ(endpoints["medic-test-apinet-b"],
            json::parse(R"({"Aliases":["web-b"],"GwPriority":10})"));
}

TEST(CreateRequestFor, ChosenMacReportedUpTo151GoesOnTheMainEndpoint) {
  json inspect = testdata::json("inspect_api_1_52.json");
  inspect["Config"]["MacAddress"] = "02:42:ac:11:00:99";  // what 1.44..1.51 add to the inspect
  ContainerSpec spec = specFromInspect(inspect);
  for (const char* version : {"1.44", "1.51"}) {
    CreateRequest req = createRequestFor(spec.body, version);
    EXPECT_FALSE(req.body.contains("MacAddress")) << version;
    EXPECT_EQ(endpointsOf(req.body)["medic-test-apinet-a"]["MacAddress"], "02:42:ac:11:00:99")
        << version;
    EXPECT_FALSE(endpointsOf(req.body)["medic-test-apinet-b"].contains("MacAddress")) << version;
  }
}

TEST(CreateRequestFor, SnapshotAt141RecreatesAfterAnUpgradeTo152) {
  json inspect = testdata::json("inspect_api_1_41.json");
  ContainerSpec spec = specFromInspect(inspect);
  CreateRequest req = createRequestFor(spec.body, "1.52");
  EXPECT_TRUE(req.dropped.empty()) << json(req.dropped).dump();
  EXPECT_FALSE(req.body.contains("MacAddress"));
  EXPECT_TRUE(req.connect_after.empty());
  const json& endpoints = endpointsOf(req.body);
  ASSERT_EQ(endpoints.size(), 2u);
  EXPECT_EQ(endpoints["medic-test-apinet-a"]["MacAddress"], "02:42:ac:11:00:99");
  EXPECT_EQ(endpoints["medic-test-apinet-b"], json::parse(R"({"Aliases":["web-b"]})"));
  // Kernel memory limits are ignored by these engines: not sent.
  EXPECT_FALSE(req.body["HostConfig"].contains("KernelMemory"));
  EXPECT_FALSE(req.body["HostConfig"].contains("KernelMemoryTCP"));
  // A stored snapshot from an older medic kept the MAC container-wide: moved too.
  json legacy = spec.body;
  legacy["MacAddress"] = "02:42:ac:11:00:77";
  legacy["NetworkingConfig"]["EndpointsConfig"]["medic-test-apinet-a"].erase("MacAddress");
  CreateRequest moved = createRequestFor(legacy, "1.52");
  EXPECT_FALSE(moved.body.contains("MacAddress"));
  EXPECT_EQ(endpointsOf(moved.body)["medic-test-apinet-a"]["MacAddress"], "02:42:ac:11:00:77");
}

TEST(CreateRequestFor, SnapshotAt152SpokenAt141SaysWhatItLeavesOut) {
  json inspect = testdata::json("inspect_api_1_52.json");
  ContainerSpec spec = specFromInspect(inspect);
  CreateRequest req = createRequestFor(spec.body, "1.41");
  EXPECT_FALSE(req.body["Healthcheck"].contains("StartInterval"));
  EXPECT_EQ(req.body["Healthcheck"]["StartPeriod"], 5000000000LL);
  EXPECT_FALSE(req.body["HostConfig"].contains("Annotations"));
  EXPECT_THAT(req.dropped,
              ::testing::UnorderedElementsAre("Healthcheck.StartInterval (needs API 1.44)",
                                              "GwPriority on network medic-test-apinet-b (needs "
                                              "API 1.48)",
                                              "HostConfig.Annotations (needs API 1.43)"));
  // A subpath mount cannot be expressed before 1.45 and is not silently widened: the engine
  // refuses it with its own message.
  EXPECT_EQ(req.body["HostConfig"]["Mounts"][0]["VolumeOptions"]["Subpath"], "web");
  ASSERT_EQ(endpointsOf(req.body).size(), 1u);
  ASSERT_EQ(req.connect_after.size(), 1u);
  EXPECT_EQ(req.connect_after[0].second, json::parse(R"({"Aliases":["web-b"]})"));
}

TEST(CreateRequestFor, DefaultNetworkModeMeansTheBridgeAndIsolatedModesHaveNoMac) {
  json body = json::parse(R"({"Image":"x","MacAddress":"02:42:ac:11:00:05",
      "HostConfig":{"NetworkMode":"default"},
      "NetworkingConfig":{"EndpointsConfig":{"extra":{"Aliases":["a"]},"bridge":{}}}})");
  CreateRequest old = createRequestFor(body, "1.41");
  EXPECT_EQ(old.body["MacAddress"], "02:42:ac:11:00:05");
  EXPECT_EQ(endpointsOf(old.body), json::parse(R"({"bridge":{}})"));
  ASSERT_EQ(old.connect_after.size(), 1u);
  EXPECT_EQ(old.connect_after[0].first, "extra");
  CreateRequest fresh = createRequestFor(body, "1.52");
  EXPECT_EQ(endpointsOf(fresh.body)["bridge"]["MacAddress"], "02:42:ac:11:00:05");
  EXPECT_FALSE(fresh.body.contains("MacAddress"));

  json host = json::parse(R"({"Image":"x","MacAddress":"02:42:ac:11:00:05",
      "HostConfig":{"NetworkMode":"host"}})");
  CreateRequest req = createRequestFor(host, "1.52");
  EXPECT_FALSE(req.body.contains("MacAddress"));
  EXPECT_FALSE(req.body.contains("NetworkingConfig"));
  ASSERT_EQ(req.dropped.size(), 1u);
  EXPECT_THAT(req.dropped[0], ::testing::HasSubstr("network mode has no endpoint"));
}

TEST(CreateRequestFor, ToleratesBodiesWithoutNetworking) {
  CreateRequest req = createRequestFor(json::object(), "1.41");
  EXPECT_TRUE(req.body.is_object());
  EXPECT_TRUE(req.connect_after.empty());
  CreateRequest from_array = createRequestFor(json::array(), "1.52");
  EXPECT_TRUE(from_array.body.is_object());
}

}  // namespace
}  // namespace medic::docker
