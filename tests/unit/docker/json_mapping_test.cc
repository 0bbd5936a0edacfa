#include "docker/json_mapping.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "testdata_path.h"

namespace medic::docker {
namespace {

using nlohmann::json;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(ParseJsonBody, MalformedAndTooDeepAreEngineErrors) {
  auto ok = parseJsonBody(R"({"a":[1,2]})");
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ((*ok)["a"][1], 2);

  auto bad = parseJsonBody("{not json");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().kind, ErrorKind::kEngine);
  EXPECT_THAT(bad.error().message, HasSubstr("malformed JSON"));

  std::string deep = std::string(200, '[') + std::string(200, ']');
  auto too_deep = parseJsonBody(deep, 128);
  ASSERT_FALSE(too_deep.ok());
  EXPECT_THAT(too_deep.error().message, HasSubstr("deeper than 128"));
  EXPECT_TRUE(parseJsonBody(std::string(100, '[') + std::string(100, ']'), 128).ok());
}

TEST(VersionInfoFromJson, ReadsEngineAndApiVersions) {
  auto v = versionInfoFromJson(json::parse(
      R"({"Version":"20.10.24+dfsg1","ApiVersion":"1.41","MinAPIVersion":"1.12","Os":"linux"})"));
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->version, "20.10.24+dfsg1");
  EXPECT_EQ(v->api_version, "1.41");
  EXPECT_EQ(v->min_api_version, "1.12");
  EXPECT_EQ(v->os, "linux");
  EXPECT_FALSE(versionInfoFromJson(json::array()).ok());
}

TEST(ContainerSummariesFromJson, MapsListRows) {
  auto rows = containerSummariesFromJson(json::parse(R"js([
    {"Id":"abc123","Names":["/web/db","/db"],"Image":"postgres:15","ImageID":"sha256:11",
     "Command":"postgres","Created":1700000000,"State":"running","Status":"Up 3 seconds (healthy)",
     "Labels":{"medic.enable":"true","com.docker.compose.service":"db"}},
    {"Id":"def456","Names":["/webui"],"Image":"webui","ImageID":"sha256:22","State":"exited",
     "Status":"Exited (1) 2 minutes ago","Labels":null,"Created":"not a number"}
  ])js"));
  ASSERT_TRUE(rows.ok()) << rows.error().describe();
  ASSERT_EQ(rows->size(), 2u);
  const ContainerSummary& db = (*rows)[0];
  EXPECT_EQ(db.id, "abc123");
  EXPECT_EQ(db.name, "db");  // the primary name, not the legacy link alias
  EXPECT_EQ(db.image, "postgres:15");
  EXPECT_EQ(db.image_id, "sha256:11");
  EXPECT_EQ(db.state, "running");
  EXPECT_EQ(db.status, "Up 3 seconds (healthy)");
  EXPECT_EQ(db.created, 1700000000);
  EXPECT_EQ(db.labels.at("com.docker.compose.service"), "db");
  const ContainerSummary& web = (*rows)[1];
  EXPECT_EQ(web.name, "webui");
  EXPECT_EQ(web.state, "exited");
  EXPECT_TRUE(web.labels.empty());
  EXPECT_EQ(web.created, 0);

  auto not_array = containerSummariesFromJson(json::object());
  ASSERT_FALSE(not_array.ok());
  EXPECT_EQ(not_array.error().kind, ErrorKind::kEngine);
}

TEST(ContainerInfoFromJson, MapsARealInspectDocument) {
  json doc = testdata::json("inspect_user_network.json");
  auto info = containerInfoFromJson(doc);
  ASSERT_TRUE(info.ok()) << info.error().describe();
  EXPECT_EQ(info->id, "956d029f2f1a52d0b2e72749a2ccd9ed30dfdd3b19fde48ef584058e4f4d7e3e");
  EXPECT_EQ(info->name, "medic-test-capture");
  EXPECT_EQ(info->image, "medic-testserver:latest");
  EXPECT_EQ(info->image_id,
            "sha256:7182baed6e0eb35fe8a330083a0e7b2e441b04f9404c68f82a3aef0d64ee6ff8");
  EXPECT_EQ(info->labels.at("app"), "demo");
  EXPECT_EQ(info->state.status, "running");
  EXPECT_TRUE(info->state.running);
  EXPECT_FALSE(info->state.paused);
  EXPECT_EQ(info->state.pid, 17831);
  EXPECT_EQ(info->state.started_at, "2026-11-25T19:46:58.535592106Z");
  ASSERT_TRUE(info->state.health.has_value());
  EXPECT_EQ(*info->state.health, "starting");
  EXPECT_EQ(info->raw, doc);
}

TEST(ContainerInfoFromJson, HealthLogAndNoHealthcheck) {
  auto with_log = containerInfoFromJson(json::parse(R"({
    "Id":"x","Name":"/svc","Image":"sha256:1","RestartCount":4,"Config":{"Image":"svc:1"},
    "State":{"Status":"exited","ExitCode":137,"OOMKilled":true,"Health":{"Status":"unhealthy",
      "FailingStreak":3,"Log":[{"Start":"s","End":"e","ExitCode":1,"Output":"boom"}]}}})"));
  ASSERT_TRUE(with_log.ok());
  EXPECT_EQ(with_log->restart_count, 4);
  EXPECT_EQ(with_log->state.exit_code, 137);
  EXPECT_TRUE(with_log->state.oom_killed);
  EXPECT_EQ(with_log->state.health.value_or(""), "unhealthy");
  EXPECT_EQ(with_log->state.failing_streak, 3);
  ASSERT_EQ(with_log->state.health_log.size(), 1u);
  EXPECT_EQ(with_log->state.health_log[0].output, "boom");
  EXPECT_EQ(with_log->state.health_log[0].exit_code, 1);

  auto none = containerInfoFromJson(json::parse(R"({"Id":"y","State":{"Status":"running"}})"));
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->state.health.has_value());
}

TEST(EventFromJson, MapsAContainerDieEvent) {
  auto e = eventFromJson(json::parse(R"({"status":"die","id":"abc","from":"busybox",
    "Type":"container","Action":"die","Actor":{"ID":"abc","Attributes":{"exitCode":"137",
    "name":"medic-test-x","medic.enable":"true"}},"scope":"local","time":1700000001,
    "timeNano":1700000001123456789})"));
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->type, "container");
  EXPECT_EQ(e->action, "die");
  EXPECT_EQ(e->id, "abc");
  EXPECT_EQ(e->attributes.at("exitCode"), "137");
  EXPECT_EQ(e->attributes.at("name"), "medic-test-x");
  EXPECT_EQ(e->time, 1700000001);
  EXPECT_EQ(e->time_nano, 1700000001123456789);

  auto health = eventFromJson(json::parse(
      R"({"Type":"container","Action":"health_status: unhealthy","Actor":{"ID":"q"},"time":5})"));
  ASSERT_TRUE(health.ok());
  EXPECT_EQ(health->action, "health_status: unhealthy");
  EXPECT_EQ(health->time_nano, 5'000'000'000);
}

TEST(ImageAndNetworkFromJson, MapIdsTagsAndLabels) {
  auto img = imageInfoFromJson(json::parse(
      R"({"Id":"sha256:aa","RepoTags":["medic-testserver:latest","medic-testserver:v1"],
          "Config":{"Labels":{"k":"v"}}})"));
  ASSERT_TRUE(img.ok());
  EXPECT_EQ(img->id, "sha256:aa");
  EXPECT_THAT(img->tags, ElementsAre("medic-testserver:latest", "medic-testserver:v1"));
  EXPECT_EQ(img->labels.at("k"), "v");

  json net_doc = json::parse(
      R"({"Name":"proj_default","Id":"n1","Driver":"bridge","Labels":{"com.docker.compose.project":"proj"}})");
  auto net = networkInfoFromJson(net_doc);
  ASSERT_TRUE(net.ok());
  EXPECT_EQ(net->name, "proj_default");
  EXPECT_EQ(net->id, "n1");
  EXPECT_EQ(net->driver, "bridge");
  EXPECT_EQ(net->labels.at("com.docker.compose.project"), "proj");
  EXPECT_EQ(net->raw, net_doc);
}

TEST(StatsFromJson, CpuPercentFromASampledWindow) {
  // Captured with stream=false: precpu is the sample taken ~1 s earlier.
  auto s = statsFromJson(testdata::json("stats_sampled.json"));
  ASSERT_TRUE(s.ok());
  // (64136121 - 51657011) / (1565890000000 - 1563900000000) * 2 cpus * 100
  EXPECT_NEAR(s->cpu_percent, 12479110.0 / 1990000000.0 * 2 * 100, 1e-9);  // ~1.25 %
  // The container's CPU time so far, for medic_container_cpu_seconds_total: total_usage in ns.
  EXPECT_DOUBLE_EQ(s->cpu_seconds_total, 0.064136121);
  EXPECT_EQ(s->memory_bytes, 352256u);  // inactive_file is 0 here
  EXPECT_EQ(s->memory_limit_bytes, 25276063744u);
}

TEST(StatsFromJson, OneShotHasNoWindowSoNoCpuFigure) {
  auto s = statsFromJson(testdata::json("stats_one_shot.json"));
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->cpu_percent, 0.0);
  EXPECT_EQ(s->memory_bytes, 569344u);
}

TEST(StatsFromJson, SubtractsInactiveFileCache) {
  auto v2 = statsFromJson(json::parse(R"({"memory_stats":{"usage":1000,"limit":4000,
      "stats":{"inactive_file":300}},"cpu_stats":{},"precpu_stats":{}})"));
  ASSERT_TRUE(v2.ok());
  EXPECT_EQ(v2->memory_bytes, 700u);
  auto v1 = statsFromJson(json::parse(R"({"memory_stats":{"usage":1000,
      "stats":{"total_inactive_file":400,"inactive_file":1}}})"));
  ASSERT_TRUE(v1.ok());
  EXPECT_EQ(v1->memory_bytes, 600u);
}

TEST(EngineMessage, PrefersTheEnginesMessageField) {
  EXPECT_EQ(engineMessage(R"({"message":"No such container: nope"})"), "No such container: nope");
  EXPECT_EQ(engineMessage("page not found\n"), "page not found");
  EXPECT_EQ(engineMessage(""), "(no message)");
}

}  // namespace
}  // namespace medic::docker
