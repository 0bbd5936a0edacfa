#include "evidence/baseline.h"

#include <gtest/gtest.h>

namespace medic::evidence {
namespace {

BaselineService svc(const std::string& name, const std::string& image,
                    const std::string& image_id) {
  BaselineService s;
  s.name = name;
  s.present = true;
  s.container_name = name;
  s.image = image;
  s.image_id = image_id;
  s.env_hash = hashSorted({"A=1", "B=2"});
  s.labels_hash = hashSorted({"app=x"});
  s.ports = {"8080/tcp->127.0.0.1:18080"};
  s.networks = {"host"};
  s.health = "healthy";
  return s;
}

Baseline of(std::vector<BaselineService> services) {
  Baseline b;
  b.taken = WallTime(Millis(1'764'000'000'000));
  b.services = std::move(services);
  return b;
}

std::vector<std::string> kinds(const std::vector<BaselineDifference>& diffs) {
  std::vector<std::string> out;
  for (const auto& d : diffs) out.push_back(d.service + ":" + d.kind);
  return out;
}

TEST(Baseline, SameHostHasNoDifferences) {
  auto b = of({svc("web", "medic-testserver:v1", "sha256:1111"), svc("db", "db:1", "sha256:2222")});
  EXPECT_TRUE(diffBaseline(b, b).empty());
}

TEST(Baseline, ReportsChangedImageMissingAndNewServicesAndHealth) {
  auto before =
      of({svc("web", "medic-testserver:v1", "sha256:1111aaaa"), svc("db", "db:1", "sha256:2222")});
  auto web2 = svc("web", "medic-testserver:v2", "sha256:9999bbbb");
  auto cache = svc("cache", "cache:1", "sha256:3333");
  auto db = svc("db", "db:1", "sha256:2222");
  db.present = false;
  db.health = "missing";
  auto after = of({web2, db, cache});
  auto diffs = diffBaseline(before, after);
  EXPECT_EQ(kinds(diffs), (std::vector<std::string>{"cache:new_service", "db:missing_service",
                                                    "web:changed_image"}));
  const auto& img = diffs.back();
  EXPECT_EQ(img.before, "medic-testserver:v1 (1111aaaa)");
  EXPECT_EQ(img.after, "medic-testserver:v2 (9999bbbb)");
  EXPECT_NE(img.describe().find("web: changed_image: medic-testserver:v1"), std::string::npos);

  auto sick = svc("web", "medic-testserver:v1", "sha256:1111aaaa");
  sick.health = "unhealthy";
  sick.env_hash = hashSorted({"A=1", "B=3"});
  sick.ports = {};
  EXPECT_EQ(
      kinds(diffBaseline(before, of({sick, svc("db", "db:1", "sha256:2222")}))),
      (std::vector<std::string>{"web:changed_env", "web:changed_ports", "web:health_changed"}));
}

TEST(Baseline, RoundTripsThroughJsonAndRejectsOtherDocuments) {
  auto b = of({svc("web", "medic-testserver:v1", "sha256:1111")});
  auto back = Baseline::fromJson(b.toJson());
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->taken, b.taken);
  EXPECT_TRUE(diffBaseline(b, *back).empty());
  EXPECT_EQ(back->services.at(0).ports, b.services.at(0).ports);
  EXPECT_FALSE(Baseline::fromJson(nlohmann::json{{"services", nlohmann::json::array()}}));
  EXPECT_FALSE(Baseline::fromJson(nlohmann::json::parse("[1,2]")));
}

TEST(Baseline, EnvHashIgnoresOrderButNotValues) {
  EXPECT_EQ(hashSorted({"A=1", "B=2"}), hashSorted({"B=2", "A=1"}));
  EXPECT_NE(hashSorted({"A=1", "B=2"}), hashSorted({"A=1", "B=20"}));
}

}  // namespace
}  // namespace medic::evidence
