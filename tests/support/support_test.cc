// The support library itself, without Docker: process running and the HTTP client's failure modes.

#include <gtest/gtest.h>

#include <chrono>

#include "support/docker_env.h"
#include "support/http_client.h"
#include "support/process.h"
#include "support/wait.h"

namespace medic::test {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

TEST(RunProcess, CapturesOutputAndExitCode) {
  ProcessResult r = runProcess({"sh", "-c", "echo out; echo err >&2; exit 7"}, seconds(10));
  EXPECT_EQ(r.exit_code, 7);
  EXPECT_EQ(r.out, "out\n");
  EXPECT_EQ(r.err, "err\n");
  EXPECT_FALSE(r.timed_out);
}

TEST(RunProcess, PassesArgvWithoutAShell) {
  ProcessResult r = runProcess({"printf", "%s|", "a b", "$HOME", ";echo x"}, seconds(10));
  EXPECT_TRUE(r.ok()) << r.describe();
  EXPECT_EQ(r.out, "a b|$HOME|;echo x|");
}

TEST(RunProcess, FeedsStdin) {
  ProcessResult r = runProcess({"cat"}, seconds(10), "line one\nline two\n");
  EXPECT_TRUE(r.ok()) << r.describe();
  EXPECT_EQ(r.out, "line one\nline two\n");
}

TEST(RunProcess, KillsTheChildAtTheDeadline) {
  auto before = std::chrono::steady_clock::now();
  ProcessResult r = runProcess({"sleep", "30"}, milliseconds(300));
  EXPECT_LT(std::chrono::steady_clock::now() - before, seconds(5));
  EXPECT_TRUE(r.timed_out);
  EXPECT_EQ(r.exit_code, 128 + 9);
}

TEST(RunProcess, ReportsAProgramThatDoesNotExist) {
  ProcessResult r = runProcess({"medic-no-such-program"}, seconds(5));
  EXPECT_EQ(r.exit_code, -1) << r.describe();
  EXPECT_NE(r.err.find("cannot start medic-no-such-program"), std::string::npos) << r.err;
}

TEST(RunProcess, DoesNotWaitForGrandchildrenHoldingItsOutput) {
  auto before = std::chrono::steady_clock::now();
  ProcessResult r = runProcess({"sh", "-c", "sleep 20 & echo started"}, seconds(15));
  EXPECT_LT(std::chrono::steady_clock::now() - before, seconds(5));
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, "started\n");
  EXPECT_FALSE(r.timed_out);
}

TEST(HttpGet, StatusZeroWhenNothingListens) {
  int port = freePort();
  ASSERT_GT(port, 0);
  HttpResponse r = httpGet(port, "/", seconds(2));
  EXPECT_EQ(r.status, 0);
  EXPECT_NE(r.error.find("127.0.0.1:" + std::to_string(port)), std::string::npos) << r.error;
}

TEST(UniqueName, IsPrefixedAndDiffers) {
  std::string a = uniqueName("webui"), b = uniqueName("webui");
  EXPECT_EQ(a.rfind("medic-test-webui-", 0), 0u) << a;
  EXPECT_EQ(a.size(), std::string("medic-test-webui-").size() + 8);
  EXPECT_NE(a, b);
}

TEST(WaitFor, TrueWhenThePredicateTurnsTrueAndFalseAtTheDeadline) {
  int calls = 0;
  EXPECT_TRUE(waitFor([&] { return ++calls >= 3; }, seconds(5), milliseconds(1)));
  EXPECT_EQ(calls, 3);
  auto before = std::chrono::steady_clock::now();
  EXPECT_FALSE(waitFor([] { return false; }, milliseconds(100), milliseconds(10)));
  EXPECT_GE(std::chrono::steady_clock::now() - before, milliseconds(100));
}

}  // namespace
}  // namespace medic::test
