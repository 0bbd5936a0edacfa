#include "services/selection.h"

#include <gtest/gtest.h>

namespace medic::services {
namespace {

docker::ContainerSummary container(std::string id, std::string name, docker::Labels labels,
                                   std::string state = "running", int64_t created = 100) {
  docker::ContainerSummary c;
  c.id = std::move(id);
  c.name = std::move(name);
  c.labels = std::move(labels);
  c.state = std::move(state);
  c.created = created;
  return c;
}

const ProtectedService* find(const std::vector<ProtectedService>& v, const std::string& name) {
  for (const auto& s : v) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

TEST(Selection, LabelsProtectAndDescribeTheService) {
  config::Config cfg;
  cfg.defaults.probe.interval = Millis(1500);
  auto out = selectServices(cfg,
                            {container("a", "proj_webui_1",
                                       {{"medic.enable", "true"},
                                        {"medic.critical", "true"},
                                        {"medic.probe.http", "http://127.0.0.1:18080/health"},
                                        {"medic.probe.tcp", "127.0.0.1:18080"},
                                        {"medic.depends_on", "api, db"},
                                        {"com.docker.compose.service", "webui"},
                                        {"com.docker.compose.project", "proj"}}),
                             container("b", "unlabelled", {})},
                            /*all=*/false);
  ASSERT_EQ(out.size(), 1u);
  const auto& s = out[0];
  EXPECT_EQ(s.name, "webui");
  EXPECT_EQ(s.source, "label");
  EXPECT_TRUE(s.critical);
  ASSERT_EQ(s.probes.size(), 2u);
  EXPECT_EQ(s.probes[0].kind, config::ProbeKind::kHttp);
  EXPECT_EQ(s.probes[0].url, "http://127.0.0.1:18080/health");
  EXPECT_EQ(s.probes[0].interval, Millis(1500));  // defaults.probe applies to label probes
  EXPECT_EQ(s.probes[1].kind, config::ProbeKind::kTcp);
  EXPECT_EQ(s.depends_on, (std::vector<std::string>{"api", "db"}));
  EXPECT_EQ(s.match.compose_service, "webui");
  ASSERT_TRUE(s.container);
  EXPECT_EQ(s.container->id, "a");
}

TEST(Selection, EnableMustBeTrueAndLabelSelectionCanBeTurnedOff) {
  config::Config cfg;
  auto c = container("a", "x", {{"medic.enable", "false"}});
  EXPECT_TRUE(selectServices(cfg, {c}, false).empty());
  cfg.select.labels = false;
  EXPECT_TRUE(selectServices(cfg, {container("a", "x", {{"medic.enable", "true"}})}, false).empty());
}

TEST(Selection, AllAdoptsEveryContainer) {
  config::Config cfg;
  auto out = selectServices(cfg, {container("a", "one", {}), container("b", "two", {})}, true);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].source, "all");
}

TEST(Selection, ComposeProjectSelectsItsContainers) {
  config::Config cfg;
  cfg.select.compose_projects = {"shop"};
  auto out = selectServices(
      cfg,
      {container("a", "shop_web_1",
                 {{"com.docker.compose.project", "shop"}, {"com.docker.compose.service", "web"}}),
       container("b", "other_web_1", {{"com.docker.compose.project", "other"}})},
      false);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].name, "web");
  EXPECT_EQ(out[0].source, "project");
}

TEST(Selection, ConfigEntryWithoutContainerIsMissingNotSkipped) {
  config::Config cfg;
  config::ServiceConfig entry;
  entry.name = "webui";
  cfg.services.push_back(entry);
  auto out = selectServices(cfg, {}, false);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].name, "webui");
  EXPECT_FALSE(out[0].container.has_value());
}

TEST(Selection, ConfigEntryWinsOverLabelsForTheSameService) {
  config::Config cfg;
  config::ServiceConfig entry;
  entry.name = "webui";
  entry.critical = false;
  config::ProbeConfig p;
  p.kind = config::ProbeKind::kTcp;
  p.address = "127.0.0.1:1";
  entry.probes.push_back(p);
  cfg.services.push_back(entry);
  auto out = selectServices(cfg,
                            {container("a", "proj_webui_1",
                                       {{"medic.enable", "true"},
                                        {"medic.critical", "true"},
                                        {"medic.probe.http", "http://127.0.0.1:1/"},
                                        {"com.docker.compose.service", "webui"}})},
                            false);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].source, "config");
  EXPECT_FALSE(out[0].critical);
  ASSERT_EQ(out[0].probes.size(), 1u);
  EXPECT_EQ(out[0].probes[0].kind, config::ProbeKind::kTcp);
}

TEST(Selection, ConfigMatchByContainerNameAndLabels) {
  config::Config cfg;
  config::ServiceConfig entry;
  entry.name = "frontend";
  entry.match.container = "legacy-ui";
  entry.match.labels = {{"tier", ""}};
  cfg.services.push_back(entry);
  auto out = selectServices(cfg,
                            {container("a", "legacy-ui", {}),                  // lacks the label
                             container("b", "legacy-ui", {{"tier", "web"}})},  // matches
                            false);
  ASSERT_EQ(out.size(), 1u);
  ASSERT_TRUE(out[0].container);
  EXPECT_EQ(out[0].container->id, "b");
}

TEST(Selection, RunningThenNewestContainerRepresentsTheService) {
  config::Config cfg;
  docker::Labels l = {{"medic.enable", "true"}, {"com.docker.compose.service", "web"}};
  auto out = selectServices(cfg,
                            {container("old", "p_web_1", l, "exited", 300),
                             container("run", "p_web_2", l, "running", 200),
                             container("older", "p_web_3", l, "running", 100)},
                            false);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].container->id, "run");
  EXPECT_NE(find(out, "web"), nullptr);
}


// ---- identity (issue 12) ------------------------------------------------------------------------

docker::Labels composeLabels(const std::string& project, const std::string& service, int number = 1,
                             docker::Labels extra = {{"medic.enable", "true"}}) {
  extra["com.docker.compose.project"] = project;
  extra["com.docker.compose.service"] = service;
  extra["com.docker.compose.container-number"] = std::to_string(number);
  return extra;
}

TEST(Identity, TheSameServiceNameInTwoProjectsIsTwoServices) {
  config::Config cfg;
  auto out = selectServices(cfg,
                            {container("a", "shop-db-1", composeLabels("shop", "db")),
                             container("b", "billing-db-1", composeLabels("billing", "db")),
                             container("c", "shop-web-1", composeLabels("shop", "web"))},
                            false);
  ASSERT_EQ(out.size(), 3u);
  ASSERT_NE(find(out, "shop/db"), nullptr);
  ASSERT_NE(find(out, "billing/db"), nullptr);
  EXPECT_EQ(find(out, "shop/db")->container->id, "a");
  EXPECT_EQ(find(out, "billing/db")->container->id, "b");
  EXPECT_NE(find(out, "web"), nullptr);  // not ambiguous: the bare name
}

TEST(Identity, NamesAreStableAcrossResyncsWhenAnotherProjectComesAndGoes) {
  config::Config cfg;
  auto first = selectServices(cfg, {container("a", "shop-db-1", composeLabels("shop", "db"))}, false);
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].name, "db");
  std::vector<KnownName> known{{first[0].name, first[0].match}};
  // billing starts later: shop's db keeps its name, billing's is qualified.
  auto both = selectServices(cfg,
                             {container("a2", "shop-db-1", composeLabels("shop", "db")),
                              container("b", "billing-db-1", composeLabels("billing", "db"))},
                             false, known);
  ASSERT_NE(find(both, "db"), nullptr);
  EXPECT_EQ(find(both, "db")->container->id, "a2");
  ASSERT_NE(find(both, "billing/db"), nullptr);
  EXPECT_EQ(find(both, "billing/db")->container->id, "b");
  known.push_back({"billing/db", find(both, "billing/db")->match});
  // shop goes away: billing keeps its qualified name (no silent rename).
  auto later = selectServices(cfg, {container("b", "billing-db-1", composeLabels("billing", "db"))},
                              false, known);
  ASSERT_EQ(later.size(), 1u);
  EXPECT_EQ(later[0].name, "billing/db");
}

TEST(Identity, ScaledReplicasAreEachTheirOwnService) {
  config::Config cfg;
  auto out = selectServices(cfg,
                            {container("a", "p-api-1", composeLabels("p", "api", 1)),
                             container("b", "p-api-2", composeLabels("p", "api", 2)),
                             container("c", "p-api-3", composeLabels("p", "api", 3))},
                            false);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(find(out, "api")->container->id, "a");
  EXPECT_EQ(find(out, "api#2")->container->id, "b");
  EXPECT_EQ(find(out, "api#3")->container->id, "c");
  // Each finds only its own replica again (a replacement of replica 2 keeps number 2).
  auto replacement = container("b2", "p-api-2", composeLabels("p", "api", 2));
  EXPECT_TRUE(matches(find(out, "api#2")->match, "api#2", replacement));
  EXPECT_FALSE(matches(find(out, "api")->match, "api", replacement));
}

TEST(Identity, ReplicasAddedByAScaleUpKeepTheBareServiceName) {
  // `docker compose up --scale api=3` after medic has known api (replica 1) for a while.
  config::Config cfg;
  auto first = selectServices(cfg, {container("a", "p-api-1", composeLabels("p", "api", 1))}, false);
  ASSERT_EQ(first.size(), 1u);
  std::vector<KnownName> known{{first[0].name, first[0].match}};
  auto scaled = selectServices(cfg,
                               {container("a", "p-api-1", composeLabels("p", "api", 1)),
                                container("b", "p-api-2", composeLabels("p", "api", 2)),
                                container("c", "p-api-3", composeLabels("p", "api", 3))},
                               false, known);
  ASSERT_EQ(scaled.size(), 3u);
  EXPECT_NE(find(scaled, "api"), nullptr);
  ASSERT_NE(find(scaled, "api#2"), nullptr);
  EXPECT_EQ(find(scaled, "api#2")->container->id, "b");
  ASSERT_NE(find(scaled, "api#3"), nullptr);
  // Another project's api is still told apart.
  auto other = selectServices(cfg,
                              {container("a", "p-api-1", composeLabels("p", "api", 1)),
                               container("d", "q-api-1", composeLabels("q", "api", 1))},
                              false, known);
  EXPECT_NE(find(other, "api"), nullptr);
  EXPECT_NE(find(other, "q/api"), nullptr);
}

TEST(Identity, MedicNameOverridesAndEnableFalseAlwaysOptsOut) {
  config::Config cfg;
  cfg.select.all = true;
  cfg.select.compose_projects = {"p"};
  auto labels = composeLabels("p", "web", 1, {{"medic.name", "storefront"}});
  auto out = selectServices(cfg,
                            {container("a", "p-web-1", labels),
                             container("b", "p-worker-1",
                                       composeLabels("p", "worker", 1, {{"medic.enable", "false"}})),
                             container("c", "loose", {{"medic.enable", "false"}})},
                            true);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].name, "storefront");
}

TEST(Identity, ComposeV2DependsOnLabelAndDependenciesResolveInTheSameProject) {
  config::Config cfg;
  auto api_labels = composeLabels("shop", "api");
  api_labels["com.docker.compose.depends_on"] = "db:service_healthy:false,redis:service_started:false";
  auto out = selectServices(cfg,
                            {container("a", "shop-api-1", api_labels),
                             container("b", "shop-db-1", composeLabels("shop", "db")),
                             container("c", "billing-db-1", composeLabels("billing", "db")),
                             container("d", "shop-redis-1", composeLabels("shop", "redis"))},
                            false);
  const ProtectedService* api = find(out, "api");
  ASSERT_NE(api, nullptr);
  EXPECT_EQ(api->depends_on, (std::vector<std::string>{"shop/db", "redis"}));
}

TEST(Identity, ServiceNamesAsUsersWriteThem) {
  auto p = parseServiceName("shop/db#2");
  EXPECT_EQ(p.project, "shop");
  EXPECT_EQ(p.service, "db");
  EXPECT_EQ(p.number, 2);
  p = parseServiceName("db");
  EXPECT_EQ(p.project, "");
  EXPECT_EQ(p.service, "db");
  EXPECT_EQ(p.number, 0);
  // A config entry (or a CLI argument) named project/service finds that project's container.
  config::MatchConfig any;
  auto shop = container("a", "shop-db-1", composeLabels("shop", "db"));
  auto billing = container("b", "billing-db-1", composeLabels("billing", "db"));
  EXPECT_TRUE(matches(any, "shop/db", shop));
  EXPECT_FALSE(matches(any, "shop/db", billing));
  EXPECT_TRUE(matches(any, "db", billing));
  EXPECT_FALSE(matches(any, "shop/db#2", shop));
}

TEST(Identity, AConfigEntryNamedProjectSlashServiceProtectsThatOneOnly) {
  config::Config cfg;
  config::ServiceConfig entry;
  entry.name = "billing/db";
  cfg.services.push_back(entry);
  auto out = selectServices(cfg,
                            {container("a", "shop-db-1", composeLabels("shop", "db")),
                             container("b", "billing-db-1", composeLabels("billing", "db"))},
                            false);
  ASSERT_NE(find(out, "billing/db"), nullptr);
  EXPECT_EQ(find(out, "billing/db")->container->id, "b");
  EXPECT_EQ(find(out, "billing/db")->source, "config");
  // shop's db is still protected by its labels, under the qualified name
  ASSERT_NE(find(out, "shop/db"), nullptr);
  EXPECT_EQ(find(out, "shop/db")->container->id, "a");
}

}  // namespace
}  // namespace medic::services
