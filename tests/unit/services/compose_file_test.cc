// Whether a project's compose files still declare a service (services/compose_file.h): what tells
// `docker compose up --remove-orphans` removing a service taken out of the file from a loss.
#include "services/compose_file.h"

#include <gtest/gtest.h>

namespace medic::services {
namespace {

TEST(ComposeFile, TheLabelListsEveryFileInOrder) {
  EXPECT_EQ(composeFilesOf("/srv/shop/compose.yaml"),
            (std::vector<std::string>{"/srv/shop/compose.yaml"}));
  EXPECT_EQ(composeFilesOf("/srv/a.yml,/srv/b.yml, /srv/c.yml"),
            (std::vector<std::string>{"/srv/a.yml", "/srv/b.yml", "/srv/c.yml"}));
  EXPECT_TRUE(composeFilesOf("").empty());
}

TEST(ComposeFile, AServiceIsDeclaredByItsKeyUnderServices) {
  const std::string file =
      "name: shop\nservices:\n  web:\n    image: nginx\n  worker:\n    image: app\n"
      "volumes:\n  data: {}\n";
  EXPECT_EQ(declaresService(file, "web"), true);
  EXPECT_EQ(declaresService(file, "worker"), true);
  EXPECT_EQ(declaresService(file, "data"), false);  // a volume, not a service
  EXPECT_EQ(declaresService(file, "db"), false);
  EXPECT_EQ(declaresService("networks:\n  front: {}\n", "web"), false);  // an override file
}

TEST(ComposeFile, WhatCannotBeReadConcludesNothing) {
  EXPECT_EQ(declaresService("services: [web]\n", "web"), std::nullopt);
  EXPECT_EQ(declaresService("- a\n- b\n", "web"), std::nullopt);
  EXPECT_EQ(declaresService("services:\n  web: {\n", "web"), std::nullopt);  // syntax error
  // Services may come from included files medic did not read.
  EXPECT_EQ(declaresService("include:\n  - other.yaml\nservices:\n  web: {}\n", "db"),
            std::nullopt);
  // Bounded like medic's own config: a billion-laughs document is refused, not expanded.
  std::string bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
  for (char c = 'b'; c <= 'k'; ++c) {
    bomb += std::string(1, c) + ": &" + c + " [";
    for (int i = 0; i < 10; ++i) bomb += std::string(i ? ", *" : "*") + static_cast<char>(c - 1);
    bomb += "]\n";
  }
  EXPECT_EQ(declaresService(bomb + "services:\n  web: {}\n", "web"), std::nullopt);
}

TEST(ComposeFile, AnOrphanIsDeclaredByNoFileOfTheProject) {
  const std::string base = "services:\n  web: {}\n";
  const std::string override_file = "services:\n  worker: {}\n";
  EXPECT_EQ(isOrphan({base, override_file}, "worker"), false);
  EXPECT_EQ(isOrphan({base, override_file}, "web"), false);
  EXPECT_EQ(isOrphan({base, override_file}, "cron"), true);
  EXPECT_EQ(isOrphan({base, std::nullopt}, "cron"), std::nullopt);  // a file gone or unreadable
  EXPECT_EQ(isOrphan({}, "cron"), std::nullopt);
}

}  // namespace
}  // namespace medic::services
