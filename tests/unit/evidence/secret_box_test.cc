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

}  // namespace
}  // namespace medic::evidence
