// Checks every mode of the test image against the real engine, as a user of the image would see
// it: what 127.0.0.1:<port> answers and what `docker inspect` reports.

#include <gtest/gtest.h>

#include <chrono>

#include "support/docker_env.h"
#include "support/http_client.h"
#include "support/wait.h"

namespace medic::test {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// HEALTHCHECK runs every 1 s and needs 2 failures: generous bounds that still fail on a wrong
// verdict.
constexpr auto kHealthVerdict = seconds(15);
constexpr auto kServing = seconds(10);

class TestImage : public DockerTest {
 protected:
  /// Starts a container of `image` and waits until it answers GET /.
  static bool serving(const TestContainer& c) {
    return waitFor([&] { return c.get("/", milliseconds(500)).status != 0; }, kServing);
  }
};

TEST_F(TestImage, ServesRootWithVersionAndHostnameAndDockerReportsHealthy) {
  auto c = TestContainer::start("img-root");
  ASSERT_TRUE(c.started()) << c.startError();
  ASSERT_TRUE(serving(c)) << c.name() << " never answered on 127.0.0.1:" << c.port();

  HttpResponse root = c.get("/");
  EXPECT_EQ(root.status, 200);
  EXPECT_EQ(root.body.rfind("ok v1 ", 0), 0u) << root.body;
  EXPECT_EQ(root.body.back(), '\n');
  HttpResponse health = c.get("/health");
  EXPECT_EQ(health.status, 200);
  EXPECT_EQ(health.body, "healthy\n");
  EXPECT_EQ(c.get("/no-such-page").status, 404);

  EXPECT_TRUE(waitFor([&] { return c.health() == "healthy"; }, kHealthVerdict))
      << "docker health: " << c.health();
}

TEST_F(TestImage, ControlUnhealthyMakesDockerReportUnhealthyAndHealthyUndoesIt) {
  auto c = TestContainer::start("img-unhealthy");
  ASSERT_TRUE(c.started()) << c.startError();
  ASSERT_TRUE(waitFor([&] { return c.health() == "healthy"; }, kHealthVerdict)) << c.health();

  EXPECT_EQ(httpRequest("POST", c.port(), "/control/unhealthy", seconds(2)).status, 200);
  HttpResponse health = c.get("/health");
  EXPECT_EQ(health.status, 500);
  EXPECT_EQ(health.body, "unhealthy\n");
  EXPECT_EQ(c.get("/").status, 200) << "only /health changes";
  EXPECT_TRUE(waitFor([&] { return c.health() == "unhealthy"; }, kHealthVerdict)) << c.health();
  EXPECT_EQ(c.status(), "running");

  EXPECT_EQ(c.get("/control/healthy").status, 200);
  EXPECT_EQ(c.get("/health").status, 200);
  EXPECT_TRUE(waitFor([&] { return c.health() == "healthy"; }, kHealthVerdict)) << c.health();
}

TEST_F(TestImage, Status500MakesRootFailAndOkRestoresIt) {
  auto c = TestContainer::start("img-500");
  ASSERT_TRUE(c.started()) << c.startError();
  ASSERT_TRUE(serving(c));

  EXPECT_EQ(c.get("/control/status500").status, 200);
  HttpResponse root = c.get("/");
  EXPECT_EQ(root.status, 500);
  EXPECT_EQ(root.body.rfind("ok v1 ", 0), 0u);
  EXPECT_EQ(c.get("/health").status, 200) << "only / changes";

  EXPECT_EQ(c.get("/control/ok").status, 200);
  EXPECT_EQ(c.get("/").status, 200);
}

TEST_F(TestImage, HangKeepsTheContainerRunningButAnswersNothing) {
  auto c = TestContainer::start("img-hang");
  ASSERT_TRUE(c.started()) << c.startError();
  ASSERT_TRUE(serving(c));

  EXPECT_EQ(c.get("/control/hang").status, 200);
  auto before = std::chrono::steady_clock::now();
  HttpResponse root = c.get("/", milliseconds(1000));
  auto waited = std::chrono::steady_clock::now() - before;
  EXPECT_EQ(root.status, 0) << "a hung server answered: " << root.body;
  EXPECT_GE(waited, milliseconds(950))
      << "the request must time out, not be refused: " << root.error;
  EXPECT_EQ(c.get("/health", milliseconds(500)).status, 0);
  EXPECT_EQ(c.status(), "running");
  EXPECT_TRUE(waitFor([&] { return c.health() == "unhealthy"; }, kHealthVerdict)) << c.health();
  EXPECT_EQ(c.status(), "running");
}

TEST_F(TestImage, ExitWithCodeEndsTheContainerWithThatCode) {
  auto c = TestContainer::start("img-exit");
  ASSERT_TRUE(c.started()) << c.startError();
  ASSERT_TRUE(serving(c));

  HttpResponse answer = c.get("/control/exit?code=3");
  EXPECT_EQ(answer.status, 200);
  EXPECT_EQ(answer.body, "exiting with 3\n");
  EXPECT_TRUE(waitFor([&] { return c.status() == "exited"; }, kServing)) << c.status();
  EXPECT_EQ(c.exitCode(), 3);
}

TEST_F(TestImage, CrashAbortsTheServer) {
  auto c = TestContainer::start("img-crash");
  ASSERT_TRUE(c.started()) << c.startError();
  ASSERT_TRUE(serving(c));

  EXPECT_EQ(c.get("/control/crash").status, 200);
  EXPECT_TRUE(waitFor([&] { return c.status() == "exited"; }, kServing)) << c.status();
  // As PID 1 of its container the server's own SIGABRT is ignored (a namespace's init only gets
  // signals it handles), so glibc's abort() ends on a faulting instruction: killed by SIGSEGV.
  EXPECT_EQ(c.exitCode(), 128 + 11) << "a crash is a death by signal, exit code 139 in Docker";
}

TEST_F(TestImage, DockerStopEndsItPromptlyWithStatusZero) {
  auto c = TestContainer::start("img-stop");
  ASSERT_TRUE(c.started()) << c.startError();
  ASSERT_TRUE(serving(c));

  auto before = std::chrono::steady_clock::now();
  ProcessResult stop = dockerCli({"stop", "--time", "10", c.name()});
  ASSERT_TRUE(stop.ok()) << stop.describe();
  EXPECT_LT(std::chrono::steady_clock::now() - before, seconds(5)) << "SIGTERM was not honoured";
  EXPECT_EQ(c.status(), "exited");
  EXPECT_EQ(c.exitCode(), 0);
}

TEST_F(TestImage, BadExitImageExitsWithOneAtOnce) {
  auto c = TestContainer::start("img-bad-exit", {}, "medic-testserver:bad-exit");
  ASSERT_TRUE(c.started()) << c.startError();
  EXPECT_TRUE(waitFor([&] { return c.status() == "exited"; }, kServing)) << c.status();
  EXPECT_EQ(c.exitCode(), 1);
}

TEST_F(TestImage, V2ImageReportsV2) {
  auto c = TestContainer::start("img-v2", {}, "medic-testserver:v2");
  ASSERT_TRUE(c.started()) << c.startError();
  ASSERT_TRUE(serving(c));
  EXPECT_EQ(c.get("/").body.rfind("ok v2 ", 0), 0u) << c.get("/").body;
}

TEST_F(TestImage, NeverHealthyImageServesButDockerReportsUnhealthy) {
  auto c = TestContainer::start("img-never", {}, "medic-testserver:never-healthy");
  ASSERT_TRUE(c.started()) << c.startError();
  ASSERT_TRUE(serving(c));
  EXPECT_EQ(c.get("/").status, 200);
  EXPECT_EQ(c.get("/health").status, 500);
  EXPECT_EQ(c.get("/control/healthy").status, 200);
  EXPECT_EQ(c.get("/health").status, 500) << "NEVER_HEALTHY wins over /control/healthy";
  EXPECT_TRUE(waitFor([&] { return c.health() == "unhealthy"; }, kHealthVerdict)) << c.health();
}

TEST_F(TestImage, StartAndHealthDelaysHoldBackServingAndHealth) {
  auto c = TestContainer::start("img-delays",
                                {"-e", "START_DELAY_MS=1500", "-e", "HEALTH_DELAY_MS=4000"});
  ASSERT_TRUE(c.started()) << c.startError();
  EXPECT_EQ(c.get("/", milliseconds(300)).status, 0) << "served before START_DELAY_MS";
  ASSERT_TRUE(serving(c));
  EXPECT_EQ(c.get("/").status, 200);
  EXPECT_EQ(c.get("/health").status, 500) << "healthy before HEALTH_DELAY_MS";
  EXPECT_TRUE(waitFor([&] { return c.get("/health").status == 200; }, seconds(10)));
}

TEST_F(TestImage, ImageShipsBusyboxShell) {
  auto c = TestContainer::start("img-sh");
  ASSERT_TRUE(c.started()) << c.startError();
  ProcessResult exec =
      dockerCli({"exec", c.name(), "/bin/sh", "-c", "echo hello; sleep 0; cat /dev/null"});
  EXPECT_TRUE(exec.ok()) << exec.describe();
  EXPECT_EQ(exec.out, "hello\n");
}

TEST_F(TestImage, MissingImageFailsWithoutTryingARegistry) {
  auto c = TestContainer::start("img-missing", {}, "medic-testserver:no-such-tag");
  EXPECT_FALSE(c.started());
  EXPECT_NE(c.startError().find("medic-testserver:no-such-tag"), std::string::npos)
      << c.startError();
  EXPECT_FALSE(containerExists(c.name()));
}

TEST_F(TestImage, RemovedContainerIsGoneAfterTestContainerEnds) {
  std::string name;
  {
    auto c = TestContainer::start("img-cleanup");
    ASSERT_TRUE(c.started()) << c.startError();
    name = c.name();
    EXPECT_TRUE(containerExists(name));
  }
  EXPECT_FALSE(containerExists(name));
}

}  // namespace
}  // namespace medic::test
