// EngineClient against the real Docker engine on this machine. Containers use --network host and
// are named medic-test-*; every test removes what it creates.

#include "docker/engine_client.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <filesystem>
#include <mutex>
#include <thread>

#include "docker/spec.h"
#include "support/docker_env.h"
#include "support/wait.h"

namespace medic::docker {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using nlohmann::json;
using test::dockerCli;
using test::inspectField;
using test::TestContainer;
using test::uniqueName;
using test::waitFor;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;

constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);

/// Runs one coroutine to completion on `io` (which must have no other pending work).
template <class T>
T runSync(asio::io_context& io, asio::awaitable<T> task) {
  std::optional<T> out;
  auto wrapper = [](asio::awaitable<T> inner, std::optional<T>& into) -> asio::awaitable<void> {
    into.emplace(co_await std::move(inner));
  };
  auto done = asio::co_spawn(io, wrapper(std::move(task), out), asio::use_future);
  io.restart();
  io.run();
  done.get();
  return std::move(*out);
}

int64_t unixNow() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class EngineClientTest : public test::DockerTest {
 protected:
  template <class T>
  T run(asio::awaitable<T> task) {
    return runSync(io_, std::move(task));
  }

  asio::io_context io_;
  // The host's engine, or the one DOCKER_HOST names (the engine26 suite: a newer engine).
  EngineClient client_{io_.get_executor(), test::engineAddress(), Millis(10'000)};
};

TEST_F(EngineClientTest, NegotiatesTheApiVersionAndPings) {
  EXPECT_EQ(client_.apiVersion(), "");
  auto v = run(client_.version());
  ASSERT_TRUE(v.ok()) << v.error().describe();
  EXPECT_EQ(v->api_version, dockerCli({"version", "--format", "{{.Server.APIVersion}}"})
                                .out.substr(0, v->api_version.size()));
  EXPECT_FALSE(v->version.empty());
  EXPECT_EQ(v->os, "linux");
  // The client speaks up to 1.52 (Docker 29) and settles on the lower of the two maxima.
  EXPECT_EQ(v->negotiated, compareApiVersions(v->api_version, kMaxApiVersion) < 0
                               ? v->api_version
                               : std::string(kMaxApiVersion));
  EXPECT_EQ(client_.apiVersion(), v->negotiated);
  auto ping = run(client_.ping());
  EXPECT_TRUE(ping.ok()) << ping.error().describe();
}

/// What the client should speak with this engine: min(engine's maximum, 1.52).
std::string expectedApiVersion() {
  std::string engine = dockerCli({"version", "--format", "{{.Server.APIVersion}}"}).out;
  while (!engine.empty() && (engine.back() == '\n' || engine.back() == ' ')) engine.pop_back();
  return compareApiVersions(engine, kMaxApiVersion) < 0 ? engine : std::string(kMaxApiVersion);
}

TEST_F(EngineClientTest, NegotiatesOnFirstUseOfAnyCall) {
  auto list = run(client_.listContainers({}));
  ASSERT_TRUE(list.ok()) << list.error().describe();
  EXPECT_EQ(client_.apiVersion(), expectedApiVersion());  // 1.41 with Debian 12's dockerd
}

TEST_F(EngineClientTest, ListsByLabelAndName) {
  std::string group = uniqueName("group");
  auto a = TestContainer::start("list-a", {"--label", "medic.test.group=" + group});
  auto b = TestContainer::start("list-b", {"--label", "medic.test.group=" + group});
  ASSERT_TRUE(a.started()) << a.startError();
  ASSERT_TRUE(b.started()) << b.startError();

  ListOptions by_label;
  by_label.labels = {"medic.test.group=" + group};
  auto both = run(client_.listContainers(by_label));
  ASSERT_TRUE(both.ok()) << both.error().describe();
  std::vector<std::string> names;
  for (const auto& c : *both) names.push_back(c.name);
  EXPECT_THAT(names, UnorderedElementsAre(a.name(), b.name()));
  for (const auto& c : *both) {
    EXPECT_EQ(c.state, "running");
    EXPECT_EQ(c.labels.at("medic.test.group"), group);
    EXPECT_EQ(c.image, test::kTestImage);
    EXPECT_THAT(c.image_id, testing::StartsWith("sha256:"));
  }

  ListOptions by_name = by_label;
  by_name.names = {a.name()};
  auto one = run(client_.listContainers(by_name));
  ASSERT_TRUE(one.ok()) << one.error().describe();
  ASSERT_EQ(one->size(), 1u);
  EXPECT_EQ((*one)[0].id, a.id());

  ListOptions nobody;
  nobody.labels = {"medic.test.group=" + uniqueName("nobody")};
  auto none = run(client_.listContainers(nobody));
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
}

TEST_F(EngineClientTest, InspectsAndReportsNotFoundWithTheEnginesMessage) {
  auto c = TestContainer::start("inspect");
  ASSERT_TRUE(c.started()) << c.startError();
  auto info = run(client_.inspectContainer(c.name()));
  ASSERT_TRUE(info.ok()) << info.error().describe();
  EXPECT_EQ(info->id, c.id());
  EXPECT_EQ(info->name, c.name());
  EXPECT_EQ(info->image, test::kTestImage);
  EXPECT_EQ(info->image_id, c.inspect("{{.Image}}"));
  EXPECT_TRUE(info->state.running);
  EXPECT_EQ(info->state.pid, std::stoi(c.inspect("{{.State.Pid}}")));
  EXPECT_TRUE(info->state.health.has_value());  // the test image has a healthcheck
  EXPECT_EQ(info->raw["HostConfig"]["NetworkMode"], "host");

  std::string absent = uniqueName("absent");
  auto missing = run(client_.inspectContainer(absent));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().kind, ErrorKind::kNotFound);
  EXPECT_EQ(missing.error().status, 404);
  EXPECT_THAT(missing.error().message, HasSubstr("No such container: " + absent));
}

TEST_F(EngineClientTest, StopStartRestartKillPauseUnpause) {
  auto c = TestContainer::start("lifecycle");
  ASSERT_TRUE(c.started()) << c.startError();
  const std::string id = c.id();

  ASSERT_TRUE(run(client_.pauseContainer(id)).ok());
  EXPECT_EQ(c.status(), "paused");
  auto paused_again = run(client_.pauseContainer(id));
  ASSERT_FALSE(paused_again.ok());
  EXPECT_EQ(paused_again.error().kind, ErrorKind::kConflict);
  EXPECT_THAT(paused_again.error().message, HasSubstr("already paused"));
  ASSERT_TRUE(run(client_.unpauseContainer(id)).ok());
  EXPECT_EQ(c.status(), "running");

  auto stopped = run(client_.stopContainer(id, 2s));
  ASSERT_TRUE(stopped.ok()) << stopped.error().describe();
  EXPECT_EQ(c.status(), "exited");
  ASSERT_TRUE(run(client_.startContainer(id)).ok());
  EXPECT_EQ(c.status(), "running");
  // Starting a running container is not an error (the engine answers 304).
  EXPECT_TRUE(run(client_.startContainer(id)).ok());

  std::string started_before = c.inspect("{{.State.StartedAt}}");
  auto restarted = run(client_.restartContainer(id, 2s));
  ASSERT_TRUE(restarted.ok()) << restarted.error().describe();
  EXPECT_EQ(c.status(), "running");
  EXPECT_NE(c.inspect("{{.State.StartedAt}}"), started_before);

  ASSERT_TRUE(run(client_.killContainer(id, "SIGKILL")).ok());
  EXPECT_TRUE(waitFor([&] { return c.status() == "exited"; }, 5s));
  EXPECT_EQ(c.exitCode(), 137);
  auto kill_stopped = run(client_.killContainer(id, "SIGKILL"));
  ASSERT_FALSE(kill_stopped.ok());
  EXPECT_EQ(kill_stopped.error().kind, ErrorKind::kConflict);
  EXPECT_THAT(kill_stopped.error().message, HasSubstr("is not running"));
}

TEST_F(EngineClientTest, RenamesAndRemovesNeverTakingVolumes) {
  auto c = TestContainer::start("rename", {"-v", "/data"});
  ASSERT_TRUE(c.started()) << c.startError();
  const std::string id = c.id();
  const std::string volume = c.inspect("{{range .Mounts}}{{.Name}}{{end}}");
  ASSERT_FALSE(volume.empty());
  const std::string new_name = uniqueName("renamed");

  ASSERT_TRUE(run(client_.renameContainer(id, new_name)).ok());
  EXPECT_EQ(inspectField(id, "{{.Name}}"), "/" + new_name);
  EXPECT_FALSE(test::containerExists(c.name()));

  auto running = run(client_.removeContainer(id, false));
  ASSERT_FALSE(running.ok());
  EXPECT_EQ(running.error().kind, ErrorKind::kConflict);
  // The engine's own words: "You cannot remove a running container" (20.10), "cannot remove
  // container ...: container is running" (26.1).
  EXPECT_THAT(running.error().message,
              testing::AnyOf(HasSubstr("You cannot remove a running container"),
                             HasSubstr("container is running")));
  EXPECT_TRUE(test::containerExists(id));

  ASSERT_TRUE(run(client_.removeContainer(id, true)).ok());
  EXPECT_FALSE(test::containerExists(id));
  // The anonymous volume outlives the container (never v=1); clean it up ourselves.
  EXPECT_TRUE(dockerCli({"volume", "inspect", volume}).ok());
  EXPECT_TRUE(dockerCli({"volume", "rm", volume}).ok());

  auto again = run(client_.startContainer(id));
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().kind, ErrorKind::kNotFound);
}

TEST_F(EngineClientTest, RecreatesARemovedContainerFromItsSnapshot) {
  auto original = TestContainer::start(
      "snapshot", {"-e", "EXTRA=kept", "--label", "medic.test.role=web", "--restart",
                   "on-failure:2", "--health-interval", "2s", "--stop-signal", "SIGINT"});
  ASSERT_TRUE(original.started()) << original.startError();
  auto info = run(client_.inspectContainer(original.name()));
  ASSERT_TRUE(info.ok()) << info.error().describe();
  ContainerSpec spec = specFromInspect(info->raw);
  ASSERT_EQ(spec.name, original.name());

  // The service is removed; its snapshot brings it back under the same name.
  ASSERT_TRUE(run(client_.removeContainer(original.id(), true)).ok());
  auto created = run(client_.createContainer(spec));
  ASSERT_TRUE(created.ok()) << created.error().describe();
  auto cleanup = [&] { dockerCli({"rm", "-f", *created}); };
  auto started = run(client_.startContainer(*created));
  ASSERT_TRUE(started.ok()) << started.error().describe();

  auto again = run(client_.inspectContainer(*created));
  ASSERT_TRUE(again.ok()) << again.error().describe();
  const json& before = info->raw;
  const json& after = again->raw;
  EXPECT_EQ(again->name, original.name());
  EXPECT_EQ(again->image_id, info->image_id);
  EXPECT_EQ(after["Config"]["Cmd"], before["Config"]["Cmd"]);
  EXPECT_EQ(after["Config"]["Entrypoint"], before["Config"]["Entrypoint"]);
  EXPECT_EQ(after["Config"]["Env"], before["Config"]["Env"]);
  EXPECT_THAT(after["Config"]["Env"], Contains("EXTRA=kept"));
  EXPECT_EQ(after["Config"]["Healthcheck"], before["Config"]["Healthcheck"]);
  EXPECT_EQ(after["Config"]["Healthcheck"]["Interval"], 2'000'000'000);
  EXPECT_EQ(after["Config"]["StopSignal"], "SIGINT");
  EXPECT_EQ(after["HostConfig"]["NetworkMode"], "host");
  EXPECT_EQ(after["HostConfig"]["RestartPolicy"], before["HostConfig"]["RestartPolicy"]);
  EXPECT_EQ(after["HostConfig"]["RestartPolicy"]["Name"], "on-failure");
  for (const auto& [key, value] : info->labels) EXPECT_EQ(again->labels.at(key), value) << key;
  EXPECT_EQ(again->labels.at(kSnapshotImageLabel), test::kTestImage);
  // And it serves again on its port.
  EXPECT_TRUE(waitFor([&] { return original.get("/health").status == 200; }, 10s));

  auto twice = run(client_.createContainer(spec));
  ASSERT_FALSE(twice.ok());
  EXPECT_EQ(twice.error().kind, ErrorKind::kConflict);
  EXPECT_THAT(twice.error().message, HasSubstr("already in use"));
  cleanup();
}

TEST_F(EngineClientTest, CreatesNetworksAndConnectsEveryEndpointOfASpec) {
  // Bridge networks only hold an endpoint of a container that is never started: no traffic
  // goes anywhere but 127.0.0.1.
  std::string front = uniqueName("front");
  std::string back = uniqueName("back");
  auto front_id = run(client_.createNetwork(
      {{"Name", front}, {"Driver", "bridge"}, {"Labels", {{"medic.test", "1"}}}}));
  ASSERT_TRUE(front_id.ok()) << front_id.error().describe();
  auto back_id = run(client_.createNetwork({{"Name", back}, {"Driver", "bridge"}}));
  ASSERT_TRUE(back_id.ok()) << back_id.error().describe();

  auto net = run(client_.inspectNetwork(front));
  ASSERT_TRUE(net.ok()) << net.error().describe();
  EXPECT_EQ(net->id, *front_id);
  EXPECT_EQ(net->name, front);
  EXPECT_EQ(net->driver, "bridge");
  EXPECT_EQ(net->labels.at("medic.test"), "1");
  auto dup = run(client_.createNetwork({{"Name", front}, {"CheckDuplicate", true}}));
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.error().kind, ErrorKind::kConflict);
  auto missing = run(client_.inspectNetwork(uniqueName("nonet")));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().kind, ErrorKind::kNotFound);

  ContainerSpec spec;
  spec.name = uniqueName("twonets");
  spec.body = {{"Image", test::kTestImage},
               {"HostConfig", {{"NetworkMode", front}}},
               {"NetworkingConfig",
                {{"EndpointsConfig",
                  {{front, {{"Aliases", {"web"}}}}, {back, {{"Aliases", {"api", "web2"}}}}}}}}};
  auto id = run(client_.createContainer(spec));
  ASSERT_TRUE(id.ok()) << id.error().describe();
  auto info = run(client_.inspectContainer(*id));
  ASSERT_TRUE(info.ok());
  const json& networks = info->raw["NetworkSettings"]["Networks"];
  ASSERT_TRUE(networks.contains(front)) << networks.dump();
  ASSERT_TRUE(networks.contains(back)) << networks.dump();
  EXPECT_THAT(networks[front]["Aliases"], Contains("web"));
  EXPECT_THAT(networks[back]["Aliases"], Contains("api"));
  EXPECT_THAT(networks[back]["Aliases"], Contains("web2"));

  EXPECT_TRUE(run(client_.removeContainer(*id, true)).ok());
  EXPECT_TRUE(run(client_.removeNetworkForTest(front)).ok());
  EXPECT_TRUE(run(client_.removeNetworkForTest(back)).ok());
  EXPECT_FALSE(run(client_.inspectNetwork(front)).ok());
}

// A MAC the user chose comes back with the snapshot, wherever this engine's API version wants it
// (container-wide before 1.44, on the endpoint after), and the MAC merely in use is not pinned.
TEST_F(EngineClientTest, RecreatesAChosenMacAddressOnItsNetwork) {
  // Never started: the bridge network only holds an endpoint, no traffic goes anywhere.
  std::string net = uniqueName("macnet");
  ASSERT_TRUE(run(client_.createNetwork({{"Name", net}, {"Labels", {{"medic.test", "1"}}}})).ok());
  ContainerSpec original;
  original.name = uniqueName("mac");
  original.body = {{"Image", test::kTestImage},
                   {"MacAddress", "02:42:ac:11:00:99"},  // as a pre-1.44 client sends it
                   {"HostConfig", {{"NetworkMode", net}}},
                   {"NetworkingConfig", {{"EndpointsConfig", {{net, {{"Aliases", {"web"}}}}}}}}};
  auto id = run(client_.createContainer(original));
  ASSERT_TRUE(id.ok()) << id.error().describe();
  auto info = run(client_.inspectContainer(*id));
  ASSERT_TRUE(info.ok()) << info.error().describe();
  ContainerSpec spec = specFromInspect(info->raw);
  ASSERT_TRUE(run(client_.removeContainer(*id, true)).ok());

  auto again_id = run(client_.createContainer(spec));
  ASSERT_TRUE(again_id.ok()) << again_id.error().describe();
  auto again = run(client_.inspectContainer(*again_id));
  ASSERT_TRUE(again.ok()) << again.error().describe();
  // Up to 1.51 the engine reports the chosen MAC as Config.MacAddress.
  EXPECT_EQ(again->raw["Config"].value("MacAddress", ""), "02:42:ac:11:00:99")
      << again->raw["Config"].dump();
  EXPECT_THAT(again->raw["NetworkSettings"]["Networks"][net]["Aliases"], Contains("web"));

  EXPECT_TRUE(run(client_.removeContainer(*again_id, true)).ok());
  EXPECT_TRUE(run(client_.removeNetworkForTest(net)).ok());
}

TEST_F(EngineClientTest, ExecReturnsOutputAndExitCode) {
  auto c = TestContainer::start("exec");
  ASSERT_TRUE(c.started()) << c.startError();
  auto r = run(client_.exec(c.id(), {"/bin/sh", "-c", "echo out; echo err >&2; exit 3"}, 5s));
  ASSERT_TRUE(r.ok()) << r.error().describe();
  EXPECT_EQ(r->exit_code, 3);
  EXPECT_FALSE(r->timed_out);
  EXPECT_THAT(r->output, HasSubstr("out\n"));
  EXPECT_THAT(r->output, HasSubstr("err\n"));

  auto ok = run(client_.exec(c.id(), {"/bin/busybox", "true"}, 5s));
  ASSERT_TRUE(ok.ok()) << ok.error().describe();
  EXPECT_EQ(ok->exit_code, 0);
  EXPECT_EQ(ok->output, "");

  // Output is bounded to 64 KiB however much the command writes.
  auto big = run(client_.exec(c.id(), {"/bin/sh", "-c", "yes 0123456789 | head -c 300000"}, 10s));
  ASSERT_TRUE(big.ok()) << big.error().describe();
  EXPECT_EQ(big->exit_code, 0);
  EXPECT_EQ(big->output.size(), 64u * 1024);

  auto missing = run(client_.exec(uniqueName("noexec"), {"/bin/true"}, 1s));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().kind, ErrorKind::kNotFound);
}

TEST_F(EngineClientTest, ExecTimeoutKillsTheProcessAndItsChildren) {
  auto c = TestContainer::start("exectimeout");
  ASSERT_TRUE(c.started()) << c.startError();
  auto t0 = std::chrono::steady_clock::now();
  auto r = run(client_.exec(c.id(), {"/bin/sh", "-c", "echo begun; sleep 30; echo never"}, 500ms));
  auto took = std::chrono::steady_clock::now() - t0;
  ASSERT_TRUE(r.ok()) << r.error().describe();
  EXPECT_TRUE(r->timed_out);
  EXPECT_EQ(r->exit_code, -1);
  EXPECT_THAT(r->output, HasSubstr("begun"));
  EXPECT_THAT(r->output, testing::Not(HasSubstr("never")));
  EXPECT_LT(took, 3s);
  // Neither the shell nor its sleep survives: only the server is left in the container.
  EXPECT_TRUE(waitFor(
      [&] {
        auto top = dockerCli({"top", c.name(), "-o", "pid,args"});
        return top.ok() && top.out.find("sleep 30") == std::string::npos;
      },
      2s))
      << dockerCli({"top", c.name()}).out;
}

TEST_F(EngineClientTest, StatsSampleMemoryAndCpu) {
  auto c = TestContainer::start("stats");
  ASSERT_TRUE(c.started()) << c.startError();
  auto s = run(client_.stats(c.id()));
  ASSERT_TRUE(s.ok()) << s.error().describe();
  EXPECT_GT(s->memory_bytes, 0u);
  EXPECT_GT(s->memory_limit_bytes, s->memory_bytes);
  EXPECT_GE(s->cpu_percent, 0.0);
  EXPECT_LE(s->cpu_percent, 100.0 * std::thread::hardware_concurrency());
  auto missing = run(client_.stats(uniqueName("nostats")));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().kind, ErrorKind::kNotFound);
}

TEST_F(EngineClientTest, InspectsImages) {
  auto img = run(client_.inspectImage(test::kTestImage));
  ASSERT_TRUE(img.ok()) << img.error().describe();
  EXPECT_EQ(img->id, dockerCli({"image", "inspect", "--format", "{{.Id}}", test::kTestImage})
                         .out.substr(0, img->id.size()));
  EXPECT_THAT(img->tags, Contains(test::kTestImage));
  auto by_id = run(client_.inspectImage(img->id));
  ASSERT_TRUE(by_id.ok()) << by_id.error().describe();
  EXPECT_EQ(by_id->id, img->id);
  auto missing = run(client_.inspectImage("medic-test-no-such-image:none"));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().kind, ErrorKind::kNotFound);
  EXPECT_THAT(missing.error().message, HasSubstr("No such image"));
}

/// Collects events from a stream running on its own thread.
struct EventLog {
  struct Seen {
    Event event;
    std::chrono::system_clock::time_point received;
  };
  std::mutex mutex;
  std::vector<Seen> seen;

  EventHandler handler() {
    return [this](const Event& e) {
      std::lock_guard lock(mutex);
      seen.push_back({e, std::chrono::system_clock::now()});
    };
  }
  std::optional<Seen> find(const std::string& action, const std::string& id) {
    std::lock_guard lock(mutex);
    for (const auto& s : seen) {
      if (s.event.action == action && s.event.id == id) return s;
    }
    return std::nullopt;
  }
  std::vector<std::string> actionsFor(const std::string& id) {
    std::lock_guard lock(mutex);
    std::vector<std::string> out;
    for (const auto& s : seen) {
      if (s.event.id == id) out.push_back(s.event.action);
    }
    return out;
  }
};

TEST_F(EngineClientTest, StreamsDieAndDestroyWithinASecondAndStopsOnCancel) {
  using namespace asio::experimental::awaitable_operators;
  std::string group = uniqueName("events");
  EventLog log;
  asio::steady_timer stop(io_, asio::steady_timer::time_point::max());
  EventOptions options;
  options.labels = {"medic.test.group=" + group};
  std::optional<Result<Ok>> result;
  auto stream = [&]() -> asio::awaitable<void> {
    auto outcome =
        co_await (client_.streamEvents(options, log.handler()) || stop.async_wait(kNoThrow));
    if (outcome.index() == 0) {
      result.emplace(std::get<0>(outcome));
    } else {
      result.emplace(Ok{});  // stopped by the test
    }
  };
  auto done = asio::co_spawn(io_, stream(), asio::use_future);
  std::thread loop([&] { io_.run(); });
  struct StopAndJoin {
    asio::io_context& io;
    asio::steady_timer& timer;
    std::thread& thread;
    ~StopAndJoin() {
      asio::post(io, [this] { timer.cancel(); });
      if (thread.joinable()) thread.join();
    }
  } stop_and_join{io_, stop, loop};

  auto c = TestContainer::start("events", {"--label", "medic.test.group=" + group});
  ASSERT_TRUE(c.started()) << c.startError();
  const std::string id = c.id();
  // The stream is live once it has seen this container start.
  ASSERT_TRUE(waitFor([&] { return log.find("start", id).has_value(); }, 5s));

  auto kill_at = std::chrono::system_clock::now();
  ASSERT_TRUE(dockerCli({"kill", id}).ok());
  ASSERT_TRUE(waitFor([&] { return log.find("die", id).has_value(); }, 3s));
  auto remove_at = std::chrono::system_clock::now();
  ASSERT_TRUE(dockerCli({"rm", id}).ok());
  ASSERT_TRUE(waitFor([&] { return log.find("destroy", id).has_value(); }, 3s));

  auto die = *log.find("die", id);
  auto destroy = *log.find("destroy", id);
  EXPECT_EQ(die.event.attributes.at("exitCode"), "137");
  EXPECT_EQ(die.event.attributes.at("name"), c.name());
  // Delivery latency: from the engine's own timestamp to our handler, and from our request.
  auto engine_time = [](const Event& e) {
    return std::chrono::system_clock::time_point(std::chrono::nanoseconds(e.time_nano));
  };
  EXPECT_LT(die.received - engine_time(die.event), 1s);
  EXPECT_LT(destroy.received - engine_time(destroy.event), 1s);
  EXPECT_LT(die.received - kill_at, 1s);
  EXPECT_LT(destroy.received - remove_at, 1s);

  // Cancelling the awaiting coroutine ends the stream promptly and cleanly.
  auto cancel_at = std::chrono::steady_clock::now();
  asio::post(io_, [&] { stop.cancel(); });
  ASSERT_EQ(done.wait_for(2s), std::future_status::ready);
  EXPECT_LT(std::chrono::steady_clock::now() - cancel_at, 1s);
  loop.join();
  done.get();
  ASSERT_TRUE(result.has_value());
  EXPECT_TRUE(result->ok()) << result->error().describe();
}

TEST_F(EngineClientTest, ReplaysPastEventsSinceAndEndsAtUntil) {
  std::string group = uniqueName("replay");
  int64_t since = unixNow() - 1;
  std::string id;
  {
    auto c = TestContainer::start("replay", {"--label", "medic.test.group=" + group});
    ASSERT_TRUE(c.started()) << c.startError();
    id = c.id();
  }  // removed here: create, start, kill, die, destroy all lie in the past now
  ASSERT_FALSE(test::containerExists(id));

  EventLog log;
  EventOptions options;
  options.labels = {"medic.test.group=" + group};
  options.since = since;
  options.until = unixNow() + 1;
  auto t0 = std::chrono::steady_clock::now();
  auto result = run(client_.streamEvents(options, log.handler()));
  auto took = std::chrono::steady_clock::now() - t0;
  ASSERT_TRUE(result.ok()) << result.error().describe();
  EXPECT_LT(took, 4s);
  auto actions = log.actionsFor(id);
  EXPECT_THAT(actions, Contains("create"));
  EXPECT_THAT(actions, Contains("start"));
  EXPECT_THAT(actions, Contains("die"));
  EXPECT_THAT(actions, Contains("destroy"));
  // In order: create before destroy.
  auto pos = [&](const std::string& a) { return std::find(actions.begin(), actions.end(), a); };
  EXPECT_LT(pos("create"), pos("destroy"));
}

TEST(EngineClientOffline, AbsentSocketIsUnreachableNamingThePath) {
  asio::io_context io;
  std::string path = "/tmp/medic-test-no-engine-" + std::to_string(::getpid()) + "/docker.sock";
  EngineClient client(io.get_executor(), "unix://" + path, Millis(2000));
  auto ping = runSync(io, client.ping());
  ASSERT_FALSE(ping.ok());
  EXPECT_EQ(ping.error().kind, ErrorKind::kUnreachable);
  EXPECT_THAT(ping.error().message, HasSubstr(path));
  EXPECT_THAT(ping.error().message, HasSubstr("No such file or directory"));
  EXPECT_THAT(ping.error().message, HasSubstr("is dockerd running?"));
  auto list = runSync(io, client.listContainers({}));
  ASSERT_FALSE(list.ok());
  EXPECT_EQ(list.error().kind, ErrorKind::kUnreachable);
}

TEST(EngineClientOffline, MalformedAddressFailsEveryCallWithConfigError) {
  asio::io_context io;
  EngineClient client(io.get_executor(), "http://127.0.0.1:2375", Millis(1000));
  ASSERT_NE(client.addressError(), nullptr);
  auto ping = runSync(io, client.ping());
  ASSERT_FALSE(ping.ok());
  EXPECT_EQ(ping.error().kind, ErrorKind::kConfig);
  EXPECT_THAT(ping.error().message, HasSubstr("http://127.0.0.1:2375"));
}

TEST(EngineClientOffline, SilentEngineTimesOutNamingTheRequest) {
  // A socket that accepts and then never answers: the deadline must end the call.
  asio::io_context io;
  std::string path = "/tmp/medic-test-silent-" + std::to_string(::getpid()) + ".sock";
  std::filesystem::remove(path);
  asio::local::stream_protocol::acceptor acceptor(io, asio::local::stream_protocol::endpoint(path));
  asio::local::stream_protocol::socket held(io);
  acceptor.async_accept(held, [](boost::system::error_code) {});
  EngineClient client(io.get_executor(), "unix://" + path, Millis(300));
  auto t0 = std::chrono::steady_clock::now();
  auto ping = runSync(io, client.ping());
  auto took = std::chrono::steady_clock::now() - t0;
  std::filesystem::remove(path);
  ASSERT_FALSE(ping.ok());
  EXPECT_EQ(ping.error().kind, ErrorKind::kTimeout);
  EXPECT_THAT(ping.error().message, HasSubstr("GET /_ping"));
  EXPECT_THAT(ping.error().message, HasSubstr("300 ms"));
  EXPECT_LT(took, 2s);
}

/// Forwards 127.0.0.1:<port> to the engine's unix socket, so tcp:// is tested against the real
/// engine without exposing it.
asio::awaitable<void> pipe(auto& from, auto& to) {
  std::array<char, 8192> buf;
  while (true) {
    auto [ec, n] = co_await from.async_read_some(asio::buffer(buf), kNoThrow);
    if (ec) break;
    auto [wec, wn] = co_await asio::async_write(to, asio::buffer(buf.data(), n), kNoThrow);
    if (wec) break;
  }
  boost::system::error_code ignored;
  to.shutdown(asio::socket_base::shutdown_send, ignored);
}

asio::awaitable<void> forward(asio::ip::tcp::socket client, std::string engine_path) {
  using namespace asio::experimental::awaitable_operators;
  asio::local::stream_protocol::socket engine(client.get_executor());
  auto [ec] =
      co_await engine.async_connect(asio::local::stream_protocol::endpoint(engine_path), kNoThrow);
  if (ec) co_return;
  co_await (pipe(client, engine) && pipe(engine, client));
}

asio::awaitable<void> proxy(asio::ip::tcp::acceptor& acceptor, std::string engine_path) {
  while (true) {
    auto [ec, socket] = co_await acceptor.async_accept(kNoThrow);
    if (ec) co_return;
    asio::co_spawn(acceptor.get_executor(), forward(std::move(socket), engine_path),
                   asio::detached);
  }
}

TEST_F(EngineClientTest, SpeaksPlainTcp) {
  const std::string address = test::engineAddress();
  if (address.rfind("unix://", 0) != 0) {
    GTEST_SKIP() << "forwards to a unix socket, not " << address;
  }
  asio::ip::tcp::acceptor acceptor(io_, {asio::ip::make_address("127.0.0.1"), 0});
  int port = acceptor.local_endpoint().port();
  asio::co_spawn(io_, proxy(acceptor, address.substr(7)), asio::detached);
  EngineClient tcp(io_.get_executor(), "tcp://127.0.0.1:" + std::to_string(port), Millis(5000));
  auto work = [&]() -> asio::awaitable<Result<std::vector<ContainerSummary>>> {
    auto v = co_await tcp.version();
    if (!v) co_return v.error();
    ListOptions every_container;  // named: GCC 12 destroys a brace-initialized temporary twice
    auto list = co_await tcp.listContainers(std::move(every_container));
    acceptor.close();
    co_return list;
  };
  auto list = run(work());
  ASSERT_TRUE(list.ok()) << list.error().describe();
  EXPECT_EQ(tcp.apiVersion(), expectedApiVersion());
}

}  // namespace
}  // namespace medic::docker
