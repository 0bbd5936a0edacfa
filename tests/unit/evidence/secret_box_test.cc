// Secrets medic has to keep are sealed before they are stored, and open only with the state dir's
// key.
#include "evidence/secret_box.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>

namespace medic::evidence {
namespace {

TEST(SecretBox, SealsAndOpensAndTheSealedTextHidesTheValue) {
  auto box = SecretBox::withKeyForTest("k1");
  const std::string secret = "canary-Pa55w0rd-7f3a9";
  auto sealed = box.seal(secret);
  EXPECT_TRUE(SecretBox::isSealed(sealed));
  EXPECT_EQ(sealed.find(secret), std::string::npos);
  EXPECT_EQ(sealed, box.seal(secret));  // deterministic: an unchanged spec stays equal
  EXPECT_NE(sealed, box.seal(secret + "x"));
  EXPECT_EQ(box.open(sealed).value(), secret);
  EXPECT_EQ(box.open(box.seal("")).value(), "");

  auto other = SecretBox::withKeyForTest("k2");
  auto wrong = other.open(sealed);
  ASSERT_FALSE(wrong.ok());
  EXPECT_NE(wrong.error().message.find("secret.key"), std::string::npos);
  std::string tampered = sealed;
  tampered[tampered.size() - 3] = tampered[tampered.size() - 3] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(box.open(tampered).ok());
  EXPECT_FALSE(box.open("plain").ok());
}

TEST(SecretBox, EnvSealsOnlySecretNamesAndOpensThemBack) {
  auto box = SecretBox::withKeyForTest("k");
  const std::vector<std::string> env = {"DB_PASSWORD=hunter2-canary", "API_TOKEN=tok-canary",
                                        "PATH=/usr/bin", "AWS_SECRET_ACCESS_KEY=k=v=canary",
                                        "EMPTY="};
  auto sealed = box.sealEnv(env);
  ASSERT_EQ(sealed.size(), env.size());
  EXPECT_EQ(sealed[2], "PATH=/usr/bin");
  EXPECT_EQ(sealed[4], "EMPTY=");
  for (const auto& e : sealed) EXPECT_EQ(e.find("canary"), std::string::npos) << e;
  EXPECT_EQ(sealed[0].rfind("DB_PASSWORD=medic-sealed:v1:", 0), 0u);
  EXPECT_EQ(box.sealEnv(sealed), sealed);  // sealing twice changes nothing
  EXPECT_EQ(box.openEnv(sealed).value(), env);
  auto broken = SecretBox::withKeyForTest("other").openEnv(sealed);
  ASSERT_FALSE(broken.ok());
  EXPECT_NE(broken.error().message.find("DB_PASSWORD"), std::string::npos);
}

TEST(SecretBox, UrlPasswordIsSealedAndTheRestOfTheUrlKept) {
  auto box = SecretBox::withKeyForTest("k");
  const std::string url = "http://probe:s3cret-canary@127.0.0.1:8080/health?x=1";
  auto sealed = box.sealUrl(url);
  EXPECT_EQ(sealed.find("s3cret-canary"), std::string::npos);
  EXPECT_EQ(sealed.rfind("http://probe:medic-sealed:v1:", 0), 0u) << sealed;
  EXPECT_NE(sealed.find("@127.0.0.1:8080/health?x=1"), std::string::npos) << sealed;
  EXPECT_EQ(box.openUrl(sealed).value(), url);
  EXPECT_EQ(box.sealUrl("http://127.0.0.1:8080/a@b"), "http://127.0.0.1:8080/a@b");
  EXPECT_EQ(box.sealUrl("http://user@127.0.0.1/"), "http://user@127.0.0.1/");
}

TEST(SecretBox, KeyFileIsMadeOnceWithMode0600AndReused) {
  std::string dir_pattern = (std::filesystem::temp_directory_path() / "medic-box-XXXXXX").string();
  ASSERT_NE(::mkdtemp(dir_pattern.data()), nullptr);
  const std::filesystem::path key = std::filesystem::path(dir_pattern) / "secret.key";
  auto first = SecretBox::loadOrCreate(key);
  ASSERT_TRUE(first.ok()) << first.error().message;
  struct stat st {};
  ASSERT_EQ(::stat(key.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(std::filesystem::file_size(key), 32u);
  auto again = SecretBox::loadOrCreate(key);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->open(first->seal("v")).value(), "v");
  std::filesystem::resize_file(key, 5);
  auto bad = SecretBox::loadOrCreate(key);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("not a 32-byte key"), std::string::npos);
  std::filesystem::remove_all(dir_pattern);
}

TEST(SecretBox, AKeyThatExistsButCannotBeReadIsAnErrorNeverReplaced) {
  std::string dir_pattern = (std::filesystem::temp_directory_path() / "medic-box-XXXXXX").string();
  ASSERT_NE(::mkdtemp(dir_pattern.data()), nullptr);
  const std::filesystem::path dir(dir_pattern);
  // The key kept on a volume that is not mounted now: the link is there, its target is not.
  const std::filesystem::path key = dir / "secret.key";
  std::filesystem::create_symlink(dir / "unmounted" / "medic.key", key);
  auto box = SecretBox::loadOrCreate(key);
  ASSERT_FALSE(box.ok());
  EXPECT_NE(box.error().message.find(key.string()), std::string::npos) << box.error().message;
  EXPECT_NE(box.error().message.find("cannot be read"), std::string::npos) << box.error().message;
  // Nothing was written in its place: the link still points where it did.
  EXPECT_TRUE(std::filesystem::is_symlink(key));
  EXPECT_EQ(std::filesystem::read_symlink(key), dir / "unmounted" / "medic.key");
  std::filesystem::remove_all(dir);
}

TEST(SecretBox, ASpecKeepsNothingARedactedViewWouldHideAndOpensBackExactly) {
  auto box = SecretBox::withKeyForTest("k");
  const std::string token = "ghpA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7";  // token-shaped, plain name
  const nlohmann::json body = {
      {"Image", "web:v2"},
      {"Env", {"PATH=/usr/bin", "DB_PASSWORD=pw-canary", "APP_VERSION=" + token, "EMPTY="}},
      {"Cmd", {"serve", "--upstream", "https://user:url-canary@db.local/x"}},
      {"Labels", {{"com.docker.compose.service", "web"}, {"auth.secret", "label-canary"}}},
      {"Healthcheck", {{"Test", {"CMD", "wget", "-q", "http://127.0.0.1/health"}}}},
      {"StopTimeout", 10}};
  const auto sealed = box.sealSpec(body);
  const auto text = sealed.dump();
  for (const std::string& canary : {token, std::string("pw-canary"), std::string("url-canary"),
                                   std::string("label-canary")}) {
    EXPECT_EQ(text.find(canary), std::string::npos) << canary << " in " << text;
  }
  // What holds no secret stays readable (and a snapshot diff stays meaningful).
  EXPECT_EQ(sealed["Image"], "web:v2");
  EXPECT_EQ(sealed["Env"][0], "PATH=/usr/bin");
  EXPECT_EQ(sealed["Env"][3], "EMPTY=");
  EXPECT_EQ(sealed["Env"][1].get<std::string>().rfind("DB_PASSWORD=medic-sealed:v1:", 0), 0u);
  EXPECT_EQ(sealed["Labels"]["com.docker.compose.service"], "web");
  EXPECT_EQ(sealed["Healthcheck"], body["Healthcheck"]);
  EXPECT_EQ(sealed["StopTimeout"], 10);
  EXPECT_EQ(box.sealSpec(sealed), sealed);  // sealing twice changes nothing

  auto opened = box.openSpec(sealed);
  ASSERT_TRUE(opened.ok()) << opened.error().message;
  EXPECT_EQ(*opened, body);
  // The env helpers follow the same rule.
  const auto env = body["Env"].get<std::vector<std::string>>();
  EXPECT_EQ(box.sealEnv(env), sealed["Env"].get<std::vector<std::string>>());
  EXPECT_EQ(box.openEnv(box.sealEnv(env)).value(), env);

  auto wrong = SecretBox::withKeyForTest("other").openSpec(sealed);
  ASSERT_FALSE(wrong.ok());
  // It names the field (the first sealed one in key order) and what to check.
  EXPECT_EQ(wrong.error().message.rfind("Cmd: ", 0), 0u) << wrong.error().message;
  EXPECT_NE(wrong.error().message.find("secret.key"), std::string::npos) << wrong.error().message;
}

}  // namespace
}  // namespace medic::evidence
