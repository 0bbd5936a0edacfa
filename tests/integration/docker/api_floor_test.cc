// medic against Docker 29's API floor: ApiFloorProxy (api_floor_proxy.h) advertises API 1.52 with
// a minimum of 1.44 and refuses older requests with Docker's own 400, while every request it lets
// through runs on the real engine of this machine. Containers use --network host; every probe
// targets 127.0.0.1.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <chrono>
#include <mutex>
#include <optional>
#include <thread>

#include "../cli/medic_cli.h"
#include "api_floor_proxy.h"
#include "docker/engine_client.h"
#include "docker/spec.h"
#include "support/child_process.h"
#include "support/docker_env.h"
#include "support/wait.h"

namespace medic::docker {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using nlohmann::json;
using test::ApiFloorProxy;
using test::dockerCli;
using test::TestContainer;
using test::waitFor;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);

template <class T>
T runSync(asio::io_context& io, asio::awaitable<T> task) {
  auto done = asio::co_spawn(io, std::move(task), asio::use_future);
  io.restart();
  io.run();
  return done.get();
}

/// True when some recorded request target starts with `prefix`.
bool sent(const ApiFloorProxy& proxy, const std::string& prefix) {
  for (const auto& r : proxy.requests()) {
    if (r.starts_with(prefix)) return true;
  }
  return false;
}

/// Every versioned request the proxy saw used `version` (and there was at least one).
::testing::AssertionResult allVersioned(const ApiFloorProxy& proxy, const std::string& version) {
  int versioned = 0;
  for (const auto& r : proxy.requests()) {
    if (!r.starts_with("/v1.")) continue;
    ++versioned;
    if (!r.starts_with("/v" + version + "/")) {
      return ::testing::AssertionFailure() << "request at another version: " << r;
    }
  }
  if (versioned == 0) return ::testing::AssertionFailure() << "no versioned request at all";
  return ::testing::AssertionSuccess();
}

class ApiFloorTest : public test::DockerTest {
 protected:
  template <class T>
  T run(asio::awaitable<T> task) {
    return runSync(io_, std::move(task));
  }
  asio::io_context io_;
};

#define ASSERT_PROXY(proxy) ASSERT_TRUE((proxy).error().empty()) << (proxy).error()

TEST_F(ApiFloorTest, NegotiatesFromThePingAndSpeaks152) {
  ApiFloorProxy proxy;
  ASSERT_PROXY(proxy);
  EngineClient client(io_.get_executor(), proxy.address(), 10s);
  auto list = run(client.listContainers({}));
  ASSERT_TRUE(list.ok()) << list.error().describe();
  EXPECT_EQ(client.apiVersion(), "1.52");
  auto requests = proxy.requests();
  ASSERT_GE(requests.size(), 2u);
  EXPECT_EQ(requests[0], "/_ping");  // the docker CLI's way: the ping's API-Version header
  EXPECT_EQ(requests[1], "/v1.52/containers/json?all=1");
  EXPECT_EQ(proxy.refusedCount(), 0u);

  auto version = run(client.version());
  ASSERT_TRUE(version.ok()) << version.error().describe();
  EXPECT_EQ(version->api_version, "1.52");
  EXPECT_EQ(version->min_api_version, "1.44");
  EXPECT_EQ(version->negotiated, "1.52");
}

TEST_F(ApiFloorTest, FallsBackToVersionWhenThePingCarriesNoHeader) {
  ApiFloorProxy::Options options;
  options.ping_header = "-";
  ApiFloorProxy proxy(options);
  ASSERT_PROXY(proxy);
  EngineClient client(io_.get_executor(), proxy.address(), 10s);
  auto ping = run(client.ping());
  ASSERT_TRUE(ping.ok()) << ping.error().describe();
  EXPECT_EQ(client.apiVersion(), "");  // nothing learnt from this ping
  auto list = run(client.listContainers({}));
  ASSERT_TRUE(list.ok()) << list.error().describe();
  EXPECT_EQ(client.apiVersion(), "1.52");
  auto requests = proxy.requests();
  ASSERT_GE(requests.size(), 4u);
  EXPECT_EQ(requests[1], "/_ping");
  EXPECT_EQ(requests[2], "/version");
  EXPECT_EQ(requests[3], "/v1.52/containers/json?all=1");
}

// An engine whose ping still says 1.43 (an old answer, or an engine upgraded under medic) but
// that refuses 1.43: the 400 names the minimum, medic re-negotiates to it once and goes on.
TEST_F(ApiFloorTest, ReNegotiatesOnceWhenTheEngineRefusesTheVersionSpoken) {
  ApiFloorProxy::Options options;
  options.ping_header = "1.43";
  ApiFloorProxy proxy(options);
  ASSERT_PROXY(proxy);
  EngineClient client(io_.get_executor(), proxy.address(), 10s);
  auto list = run(client.listContainers({}));
  ASSERT_TRUE(list.ok()) << list.error().describe();
  EXPECT_EQ(client.apiVersion(), "1.44");
  auto requests = proxy.requests();
  ASSERT_EQ(requests.size(), 3u) << ::testing::PrintToString(requests);
  EXPECT_EQ(requests[1], "/v1.43/containers/json?all=1");
  EXPECT_EQ(requests[2], "/v1.44/containers/json?all=1");
  EXPECT_EQ(proxy.refusedCount(), 1u);
  // Later calls go straight to the new version.
  ASSERT_TRUE(run(client.listContainers({})).ok());
  EXPECT_EQ(proxy.requests().back(), "/v1.44/containers/json?all=1");
  EXPECT_EQ(proxy.refusedCount(), 1u);
}

TEST_F(ApiFloorTest, AnEngineNewerThanMedicIsRefusedNamingBothRanges) {
  ApiFloorProxy::Options options;
  options.max = "1.60";
  options.min = "1.53";
  ApiFloorProxy proxy(options);
  ASSERT_PROXY(proxy);
  EngineClient client(io_.get_executor(), proxy.address(), 10s);
  auto list = run(client.listContainers({}));
  ASSERT_FALSE(list.ok());
  EXPECT_EQ(list.error().kind, ErrorKind::kEngine);
  EXPECT_THAT(list.error().message, HasSubstr("the engine speaks 1.53 to 1.60"));
  EXPECT_THAT(list.error().message, HasSubstr("medic speaks 1.41 to 1.52"));
  EXPECT_THAT(list.error().message, HasSubstr("upgrade medic"));
}

TEST_F(ApiFloorTest, AnEngineOlderThanMedicIsRefusedNamingBothRanges) {
  ApiFloorProxy::Options options;
  options.max = "1.40";
  options.min = "1.12";
  ApiFloorProxy proxy(options);
  ASSERT_PROXY(proxy);
  EngineClient client(io_.get_executor(), proxy.address(), 10s);
  auto ping = run(client.ping());
  ASSERT_FALSE(ping.ok());
  EXPECT_EQ(ping.error().kind, ErrorKind::kEngine);
  EXPECT_THAT(ping.error().message, HasSubstr("the engine speaks 1.12 to 1.40"));
  EXPECT_THAT(ping.error().message, HasSubstr("medic speaks 1.41 to 1.52"));
  EXPECT_THAT(ping.error().message, HasSubstr("upgrade the Docker engine"));
  EXPECT_FALSE(sent(proxy, "/v1."));  // nothing versioned was tried
}

TEST_F(ApiFloorTest, FixedVersionIsSpokenWithoutNegotiating) {
  ApiFloorProxy::Options passthrough;  // an engine that takes 1.41..1.52
  passthrough.min = "1.41";
  ApiFloorProxy proxy(passthrough);
  ASSERT_PROXY(proxy);
  EngineClient client(io_.get_executor(), proxy.address(), 10s, "1.41");
  EXPECT_EQ(client.apiVersion(), "1.41");
  auto list = run(client.listContainers({}));
  ASSERT_TRUE(list.ok()) << list.error().describe();
  EXPECT_EQ(proxy.requests(), std::vector<std::string>{"/v1.41/containers/json?all=1"});
  ASSERT_TRUE(run(client.ping()).ok());
  EXPECT_EQ(client.apiVersion(), "1.41");  // the ping's 1.52 does not override it

  // At Docker 29's floor the fixed version is refused, and medic says where it came from.
  ApiFloorProxy floor;
  ASSERT_PROXY(floor);
  EngineClient pinned(io_.get_executor(), floor.address(), 10s, "1.41");
  auto refused = run(pinned.listContainers({}));
  ASSERT_FALSE(refused.ok());
  EXPECT_THAT(refused.error().message, HasSubstr("DOCKER_API_VERSION"));
  EXPECT_THAT(refused.error().message, HasSubstr("Minimum supported API version is 1.44"));
  EXPECT_EQ(floor.refusedCount(), 1u);  // tried once, never re-negotiated

  EngineClient bad(io_.get_executor(), floor.address(), 10s, "1.40");
  ASSERT_NE(bad.addressError(), nullptr);
  auto never = run(bad.listContainers({}));
  ASSERT_FALSE(never.ok());
  EXPECT_EQ(never.error().kind, ErrorKind::kConfig);
  EXPECT_THAT(never.error().message, HasSubstr("DOCKER_API_VERSION=1.40"));
}

// Every call medic makes, at API 1.52, through the floor to the real engine.
TEST_F(ApiFloorTest, EveryCallMedicMakesWorksAt152) {
  ApiFloorProxy proxy;
  ASSERT_PROXY(proxy);
  EngineClient client(io_.get_executor(), proxy.address(), 15s);
  auto c = TestContainer::start("floor-calls", {"-e", "EXTRA=kept", "--restart", "on-failure:2"});
  ASSERT_TRUE(c.started()) << c.startError();
  ASSERT_TRUE(waitFor([&] { return c.get("/health").status == 200; }, 10s));

  auto info = run(client.inspectContainer(c.name()));
  ASSERT_TRUE(info.ok()) << info.error().describe();
  EXPECT_EQ(info->id, c.id());
  EXPECT_TRUE(info->state.running);
  // Shaped like Docker 29's answer: the legacy top-level addresses are gone.
  EXPECT_FALSE(info->raw["NetworkSettings"].contains("IPAddress"));
  EXPECT_FALSE(info->raw["NetworkSettings"].contains("MacAddress"));

  auto summaries = run(client.listContainers({.all = true, .labels = {}, .names = {c.name()}}));
  ASSERT_TRUE(summaries.ok()) << summaries.error().describe();
  ASSERT_EQ(summaries->size(), 1u);
  EXPECT_EQ(summaries->front().state, "running");

  auto exec = run(client.exec(c.id(), {"/bin/sh", "-c", "echo out; exit 3"}, 5s));
  ASSERT_TRUE(exec.ok()) << exec.error().describe();
  EXPECT_EQ(exec->exit_code, 3);
  EXPECT_THAT(exec->output, HasSubstr("out"));
  auto stats = run(client.stats(c.id()));
  ASSERT_TRUE(stats.ok()) << stats.error().describe();
  EXPECT_GT(stats->memory_bytes, 0u);
  auto image = run(client.inspectImage(info->image_id));
  ASSERT_TRUE(image.ok()) << image.error().describe();

  ASSERT_TRUE(run(client.pauseContainer(c.id())).ok());
  EXPECT_EQ(c.status(), "paused");
  ASSERT_TRUE(run(client.unpauseContainer(c.id())).ok());
  ASSERT_TRUE(run(client.stopContainer(c.id(), 1s)).ok());
  EXPECT_EQ(c.status(), "exited");
  ASSERT_TRUE(run(client.startContainer(c.id())).ok());
  ASSERT_TRUE(run(client.restartContainer(c.id(), 1s)).ok());
  ASSERT_TRUE(run(client.killContainer(c.id(), "SIGKILL")).ok());

  // A network medic recreates (CheckDuplicate is deprecated from 1.44 and left out).
  const std::string net = test::uniqueName("floornet");
  json net_body = {{"Name", net}, {"Driver", "bridge"}, {"CheckDuplicate", true},
                   {"Labels", {{"medic.test", "true"}}}};
  auto net_id = run(client.createNetwork(net_body));
  ASSERT_TRUE(net_id.ok()) << net_id.error().describe();
  auto net_info = run(client.inspectNetwork(net));
  ASSERT_TRUE(net_info.ok()) << net_info.error().describe();
  EXPECT_EQ(net_info->name, net);
  ASSERT_TRUE(run(client.removeNetworkForTest(net)).ok());

  // Removed, then recreated from its snapshot at 1.52.
  ContainerSpec spec = specFromInspect(info->raw);
  const std::string aside = c.name() + "-aside";
  ASSERT_TRUE(run(client.renameContainer(c.id(), aside)).ok());
  ASSERT_TRUE(run(client.removeContainer(c.id(), true)).ok());
  auto created = run(client.createContainer(spec));
  ASSERT_TRUE(created.ok()) << created.error().describe();
  ASSERT_TRUE(run(client.startContainer(*created)).ok());
  EXPECT_TRUE(waitFor([&] { return c.get("/health").status == 200; }, 10s));
  auto again = run(client.inspectContainer(*created));
  ASSERT_TRUE(again.ok()) << again.error().describe();
  EXPECT_EQ(again->name, c.name());
  EXPECT_THAT(again->raw["Config"]["Env"], Contains("EXTRA=kept"));
  EXPECT_EQ(again->raw["HostConfig"]["RestartPolicy"], info->raw["HostConfig"]["RestartPolicy"]);

  EXPECT_TRUE(allVersioned(proxy, "1.52"));
  EXPECT_TRUE(sent(proxy, "/v1.52/containers/create?name="));
  EXPECT_EQ(proxy.refusedCount(), 0u);
}

/// Events seen by a stream running on its own thread.
struct Seen {
  std::mutex mutex;
  std::vector<Event> events;
  EventHandler handler() {
    return [this](const Event& e) {
      std::lock_guard lock(mutex);
      events.push_back(e);
    };
  }
  bool has(const std::string& action, const std::string& id) {
    std::lock_guard lock(mutex);
    for (const auto& e : events) {
      if (e.action == action && e.id == id) return true;
    }
    return false;
  }
};

// GET /events is a long-lived chunked stream: it passes the floor event by event (in Docker 29's
// 1.52 shape, without status/id/from) and ends on both sides when medic cancels it.
TEST_F(ApiFloorTest, EventsStreamThroughTheFloorAndEndWhenCancelled) {
  using namespace asio::experimental::awaitable_operators;
  ApiFloorProxy proxy;
  ASSERT_PROXY(proxy);
  EngineClient client(io_.get_executor(), proxy.address(), 10s);
  const std::string group = test::uniqueName("floorevents");
  Seen seen;
  EventOptions options;
  options.labels = {"medic.test.group=" + group};
  asio::steady_timer stop(io_, asio::steady_timer::time_point::max());
  std::atomic<bool> ended_ok{false};
  auto stream = [&]() -> asio::awaitable<void> {
    auto outcome = co_await (client.streamEvents(options, seen.handler()) ||
                             stop.async_wait(kNoThrow));
    ended_ok = outcome.index() == 1 || std::get<0>(outcome).ok();
  };
  auto done = asio::co_spawn(io_, stream(), asio::use_future);
  std::thread loop([&] { io_.run(); });
  struct Join {
    asio::io_context& io;
    asio::steady_timer& timer;
    std::thread& thread;
    ~Join() {
      asio::post(io, [this] { timer.cancel(); });
      if (thread.joinable()) thread.join();
    }
  } join{io_, stop, loop};

  auto c = TestContainer::start("floor-events", {"--label", "medic.test.group=" + group});
  ASSERT_TRUE(c.started()) << c.startError();
  const std::string id = c.id();
  ASSERT_TRUE(waitFor([&] { return seen.has("start", id); }, 5s));
  const auto kill_at = std::chrono::steady_clock::now();
  ASSERT_TRUE(dockerCli({"kill", id}).ok());
  ASSERT_TRUE(waitFor([&] { return seen.has("die", id); }, 3s));
  EXPECT_LT(std::chrono::steady_clock::now() - kill_at, 1s);
  EXPECT_TRUE(sent(proxy, "/v1.52/events?"));
  EXPECT_EQ(proxy.openConnections(), 1u);

  asio::post(io_, [&] { stop.cancel(); });
  ASSERT_EQ(done.wait_for(2s), std::future_status::ready);
  loop.join();
  done.get();
  EXPECT_TRUE(ended_ok);
  // The proxy saw medic hang up and closed its side to the engine.
  EXPECT_TRUE(waitFor([&] { return proxy.openConnections() == 0; }, 2s));
}

// ---- The medic binary through the floor ----

class MedicThroughTheFloor : public ApiFloorTest {
 protected:
  std::string configFor(const TestContainer& c) {
    return dir_.write("medic.yaml",
                      "select:\n  labels: false\nresync_interval: 2s\n"
                      "defaults:\n  probe:\n    interval: 250ms\n    timeout: 1s\n"
                      "    failure_threshold: 2\n  recovery:\n    replacement_grace: 1s\n"
                      "    backoff_initial: 200ms\n    backoff_max: 1s\n"
                      "services:\n  web:\n    match:\n      container: " +
                          c.name() + "\n    probes:\n      - http: http://127.0.0.1:" +
                          std::to_string(c.port()) + "/health\n");
  }
  static bool serving(const TestContainer& c, std::chrono::milliseconds timeout = 30s) {
    return waitFor([&] { return c.get("/health", 500ms).status == 200; }, timeout, 50ms);
  }
  test::TempDir dir_;
};

TEST_F(MedicThroughTheFloor, CheckNegotiatesAndPasses) {
  ApiFloorProxy proxy;
  ASSERT_PROXY(proxy);
  auto c = TestContainer::start("floor-check");
  ASSERT_TRUE(c.started()) << c.startError();
  ASSERT_TRUE(waitFor([&] { return c.health() == "healthy"; }, 20s, 100ms));
  auto r = test::runMedic({"check", "--config", configFor(c), "--json", "--docker",
                           proxy.address()});
  EXPECT_EQ(r.exit_code, 0) << r.describe() << "\n" << r.out;
  auto j = json::parse(r.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << r.out;
  EXPECT_EQ(j["verdict"], "healthy") << r.out;
  EXPECT_EQ(j["services"][0]["container"]["status"], "running") << r.out;
  EXPECT_TRUE(allVersioned(proxy, "1.52"));
  EXPECT_EQ(proxy.refusedCount(), 0u);
}

TEST_F(MedicThroughTheFloor, DockerApiVersionMakesMedicSpeakIt) {
  ApiFloorProxy::Options passthrough;
  passthrough.min = "1.41";
  ApiFloorProxy proxy(passthrough);
  ASSERT_PROXY(proxy);
  auto c = TestContainer::start("floor-pinned");
  ASSERT_TRUE(c.started()) << c.startError();
  ASSERT_TRUE(waitFor([&] { return c.health() == "healthy"; }, 20s, 100ms));
  const std::string config = configFor(c);
  // argv only: env(1) sets the variable for the one child.
  auto r = test::runProcess({"env", "DOCKER_API_VERSION=1.41", test::medicBinary(), "check",
                             "--config", config, "--json", "--docker", proxy.address()},
                            60s);
  EXPECT_EQ(r.exit_code, 0) << r.describe() << "\n" << r.out;
  EXPECT_TRUE(allVersioned(proxy, "1.41"));
  EXPECT_FALSE(sent(proxy, "/_ping"));  // fixed: no negotiation

  auto bad = test::runProcess({"env", "DOCKER_API_VERSION=1.40", test::medicBinary(), "check",
                               "--config", config, "--docker", proxy.address()},
                              60s);
  EXPECT_EQ(bad.exit_code, 2) << bad.describe();
  EXPECT_THAT(bad.err, HasSubstr("DOCKER_API_VERSION=1.40 is outside"));
}

TEST_F(MedicThroughTheFloor, WatchRepairsAKilledAndARemovedContainer) {
  ApiFloorProxy proxy;
  ASSERT_PROXY(proxy);
  auto c = TestContainer::start("floor-watch", {"--label", "tier=web"});
  ASSERT_TRUE(c.started()) << c.startError();
  ASSERT_TRUE(serving(c));
  const int port = test::freePort();
  const std::string url = "http://127.0.0.1:" + std::to_string(port);
  const std::string state = dir_.path() + "/state";
  test::ChildProcess watch({test::medicBinary(), "watch", "--config", configFor(c), "--docker",
                            proxy.address(), "--state-dir", state, "--listen",
                            "127.0.0.1:" + std::to_string(port), "--log-level", "debug"},
                           dir_.path() + "/watch.log");
  ASSERT_TRUE(watch.started());
  auto service = [&]() -> json {
    auto r = test::runMedic({"status", "--json", "--url", url, "--state-dir", state}, 10s);
    auto j = json::parse(r.out, nullptr, false);
    if (!j.is_object() || !j.contains("services")) return nullptr;
    for (const auto& s : j["services"]) {
      if (s.value("name", "") == "web") return s;
    }
    return nullptr;
  };
  auto state_is = [&](const std::string& want) {
    return waitFor([&] {
      auto s = service();
      return s.is_object() && s.value("state", "") == want;
    }, 30s, 100ms);
  };
  ASSERT_TRUE(state_is("healthy")) << watch.log();

  // Killed: started again through the floor.
  const auto first_start = c.inspect("{{.State.StartedAt}}");
  ASSERT_TRUE(dockerCli({"kill", "-s", "KILL", c.name()}).ok());
  ASSERT_TRUE(waitFor([&] { return c.inspect("{{.State.StartedAt}}") != first_start; }, 20s, 50ms))
      << watch.log();
  EXPECT_TRUE(serving(c)) << watch.log();
  ASSERT_TRUE(state_is("healthy")) << watch.log();
  auto s = service();
  ASSERT_TRUE(s["last_incident"].is_object()) << s.dump(2);
  EXPECT_EQ(s["last_incident"]["outcome"], "recovered") << s.dump(2);
  // Seen on the event stream that passed the floor, not by a later resync.
  EXPECT_LT(s["last_incident"]["detection_seconds"].get<double>(), 1.0) << s.dump(2);

  // Removed: recreated from its snapshot, created at 1.52.
  const std::string old_id = c.id();
  ASSERT_TRUE(dockerCli({"rm", "-f", c.name()}).ok());
  ASSERT_TRUE(waitFor([&] {
    return test::containerExists(c.name()) && c.inspect("{{.Id}}") != old_id;
  }, 30s, 100ms)) << watch.log();
  EXPECT_TRUE(serving(c)) << watch.log();
  EXPECT_EQ(c.inspect("{{index .Config.Labels \"tier\"}}"), "web");

  EXPECT_TRUE(sent(proxy, "/_ping"));
  EXPECT_TRUE(sent(proxy, "/v1.52/events?"));
  EXPECT_TRUE(sent(proxy, "/v1.52/containers/create?name="));
  EXPECT_TRUE(allVersioned(proxy, "1.52"));
  EXPECT_EQ(proxy.refusedCount(), 0u);
  EXPECT_THAT(watch.log(), Not(HasSubstr("too old")));
  watch.stop();
  dockerCli({"rm", "-f", c.name()});
}

}  // namespace
}  // namespace medic::docker
