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

}  // namespace
}  // namespace medic::services
