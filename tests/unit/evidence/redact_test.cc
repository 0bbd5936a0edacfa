#include "evidence/redact.h"

#include <gtest/gtest.h>

#include "evidence/evidence.h"

namespace medic::evidence {
namespace {

// Canary secrets: if any of these strings reaches a record, redaction failed.
constexpr const char* kCanaryPassword = "hunter2-CANARY-pw";
constexpr const char* kCanaryToken = "tok_9f8e7d6c5b4a3f2e1d0c9b8a7f6e5d4cCANARY";

TEST(Redact, SecretNamedEnvValuesAreReplaced) {
  auto out = redactEnv({std::string("DB_PASSWORD=") + kCanaryPassword, "API_TOKEN=abc",
                        "AWS_SECRET_ACCESS_KEY=xyz", "PATH=/usr/bin", "PORT=8080"});
  ASSERT_EQ(out.size(), 5u);
  EXPECT_EQ(out[0], "DB_PASSWORD=[REDACTED]");
  EXPECT_EQ(out[1], "API_TOKEN=[REDACTED]");
  EXPECT_EQ(out[2], "AWS_SECRET_ACCESS_KEY=[REDACTED]");
  EXPECT_EQ(out[3], "PATH=/usr/bin");
  EXPECT_EQ(out[4], "PORT=8080");
}

TEST(Redact, UrlPasswordsBearerTokensAndJwtsInText) {
  EXPECT_EQ(redactText("postgres://app:s3cret@db:5432/x"), "postgres://app:[REDACTED]@db:5432/x");
  EXPECT_EQ(redactText("Authorization: Bearer abc.def.ghi"), "Authorization: Bearer [REDACTED]");
  EXPECT_EQ(redactText("password=hunter2 user=bob"), "password=[REDACTED] user=bob");
  EXPECT_EQ(redactText("x eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig123 y"), "x [REDACTED] y");
  EXPECT_EQ(redactText(std::string("key ") + kCanaryToken), "key [REDACTED]");
}

TEST(Redact, LongTextIsRedactedWithoutExhaustingTheStack) {
  std::string body;
  for (int i = 0; i < 4000; ++i) body += "line " + std::to_string(i) + " of a long health log\n";
  body += std::string("password=") + kCanaryPassword + "\n";
  body += std::string(70000, 'x');  // one long word, no whitespace to cut at
  const std::string out = redactText(body);
  EXPECT_EQ(out.find("CANARY"), std::string::npos);
  EXPECT_NE(out.find("line 3999 of a long health log"), std::string::npos);
}

TEST(Redact, SecretKeysInJsonTextAreCovered) {
  // A response body or command output that is JSON text (not parsed): quotes sit between the key,
  // the colon and the value.
  EXPECT_EQ(redactText(std::string(R"({"password":")") + kCanaryPassword + R"("})"),
            R"({"password":"[REDACTED]"})");
  EXPECT_EQ(redactText(std::string(R"({"user": "bob", "api_token": ")") + kCanaryPassword + R"("})"),
            R"({"user": "bob", "api_token": "[REDACTED]"})");
}

TEST(Redact, ATokenAcrossThe1024thByteIsStillOneToken) {
  // No whitespace to cut at before the token: it must not be split into two short, harmless-looking
  // halves.
  const std::string text = std::string(1010, ',') + kCanaryToken + " end";
  const std::string out = redactText(text);
  EXPECT_EQ(out.find("CANARY"), std::string::npos);
  EXPECT_EQ(out.find("tok_9f8e7d6c5b"), std::string::npos);
  EXPECT_EQ(out, std::string(1010, ',') + "[REDACTED] end");
}

TEST(Redact, KeepsIdentifiersPeopleNeed) {
  const std::string digest =
      "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
  EXPECT_EQ(redactText(digest), digest);
  const std::string id = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
  EXPECT_EQ(redactText(id), id);
  EXPECT_EQ(redactText("HTTP 200 in 3 ms"), "HTTP 200 in 3 ms");
  // Container names are long and mix letters and digits too; tokens and UUIDs still go.
  EXPECT_EQ(redactText("checked medic-test-command-check-1a2b3c4d"),
            "checked medic-test-command-check-1a2b3c4d");
  EXPECT_EQ(redactText("id 123e4567-e89b-12d3-a456-426614174000"), "id [REDACTED]");
  EXPECT_EQ(redactText(std::string("key ") + kCanaryToken), "key [REDACTED]");
  EXPECT_EQ(redactText("http://127.0.0.1:8080/health"), "http://127.0.0.1:8080/health");
}

TEST(Redact, JsonWalksKeysArraysAndStrings) {
  nlohmann::json doc = {
      {"Config", {{"Env", {std::string("DB_PASSWORD=") + kCanaryPassword, "PORT=1"}}}},
      {"headers", {{"Authorization", "Bearer x"}, {"Cookie", "sid=1"}, {"Content-Type", "a"}}},
      {"url", std::string("https://u:") + kCanaryPassword + "@example.test/"},
      {"nested", {{"client_secret", 42}}},
  };
  const std::string dumped = redactJson(doc).dump();
  EXPECT_EQ(dumped.find("CANARY"), std::string::npos) << dumped;
  EXPECT_NE(dumped.find("PORT=1"), std::string::npos);
  EXPECT_NE(dumped.find("\"Content-Type\":\"a\""), std::string::npos);
}

TEST(Evidence, RecordIsRedactedHashedAndIdentified) {
  auto t = WallTime(Millis(1'764'000'000'000));
  auto e = makeEvidence(kDockerState, "webui",
                        {{"env", {std::string("TOKEN=") + kCanaryToken}}, {"status", "running"}}, t);
  EXPECT_EQ(e.toJson().dump().find("CANARY"), std::string::npos);
  EXPECT_EQ(e.hash.size(), 64u);
  EXPECT_EQ(e.id.rfind("ev-", 0), 0u);
  EXPECT_NE(e.id.find(e.hash.substr(0, 8)), std::string::npos);
  // Same content, same hash; a different observation, a different id.
  EXPECT_EQ(makeEvidence(kDockerState, "webui", e.data, t).hash, e.hash);
  EXPECT_NE(makeEvidence(kDockerState, "webui", {{"status", "exited"}}, t).id, e.id);
  auto round = Evidence::fromJson(e.toJson());
  EXPECT_EQ(round.id, e.id);
  EXPECT_EQ(round.hash, e.hash);
  EXPECT_EQ(round.time, e.time);
}

}  // namespace
}  // namespace medic::evidence
