// The daemon's shell on a recording fake engine (tests/support/docker/fake_engine.h): the loop
// runs for real, the engine does not. Interleavings (a reload while an inspect is on its way) and
// failures (an exception out of an action) are triggered at a point by the fake's hooks; the test
// waits on conditions, never on time.

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <functional>
#include <future>
#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

#include "config/config.h"
#include "daemon/daemon.h"
#include "http/client.h"
#include "store/store.h"
#include "support/docker/fake_engine.h"
#include "support/http_client.h"

namespace medic {
namespace {

using namespace std::chrono_literals;
using testing::FakeEngine;

/// Every Docker endpoint medic may call (DESIGN §5 "Security rules": a fixed allowlist). A new
/// call belongs here only with a reason.
const std::set<std::string> kAllowedEndpoints = {
    "GET /_ping",
    "GET /version",
    "GET /events",
    "GET /containers/json",
    "GET /containers/{id}/json",
    "GET /containers/{id}/stats",
    "GET /images/{id}/json",
    "POST /containers/create",
    "POST /containers/{id}/start",
    "POST /containers/{id}/stop",
    "POST /containers/{id}/restart",
    "POST /containers/{id}/kill",
    "POST /containers/{id}/rename",
    "POST /containers/{id}/unpause",
    "POST /containers/{id}/exec",
    "DELETE /containers/{id}",
};

class DaemonShell : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/medic-shell-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    daemon_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  /// Starts medic on the fake engine with `cfg` (labels selection, 127.0.0.1 on a free port).
  void start(config::Config cfg = fastConfig()) {
    daemon::DaemonOptions opts;
    opts.config = std::move(cfg);
    opts.state_dir = dir_;
    opts.listen_override = "127.0.0.1:0";
    opts.make_docker = [this](boost::asio::any_io_executor ex) {
      auto fake = std::make_unique<FakeEngine>(std::move(ex));
      engine_ = fake.get();
      return fake;
    };
    opts.on_ready = [this] { ready_ = true; };
    daemon_ = std::make_unique<daemon::Daemon>(io_, std::move(opts));
    // Containers that run before medic starts.
    for (const auto& [name, labels] : before_start_) engine_->run(name, labels);
    auto st = daemon_->start();
    ASSERT_TRUE(st) << st.error().describe();
    ASSERT_TRUE(runUntil([&] { return ready_; }));
  }

  static config::Config fastConfig() {
    config::Config cfg;
    cfg.resync_interval = 60s;  // resyncs come from events; a timer must not reorder the test
    cfg.defaults.recovery.backoff_initial = 10ms;
    cfg.defaults.recovery.backoff_max = 50ms;
    return cfg;
  }

  /// Runs the loop until `done` holds; false after 10 s of real time (a hang, not a wait).
  bool runUntil(const std::function<bool()>& done) {
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (!done()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      io_.run_one_for(20ms);
    }
    return true;
  }

  nlohmann::json service(const std::string& name) const {
    const nlohmann::json status = daemon_->statusJson();
    for (const auto& s : status["services"]) {
      if (s.value("name", "") == name) return s;
    }
    return nullptr;
  }
  std::string state(const std::string& name) const {
    auto s = service(name);
    return s.is_null() ? "(not protected)" : s.value("state", "");
  }

  static docker::Labels protectedLabels() { return {{"medic.enable", "true"}}; }

  /// alerts/critical-failures.json as the critical-file sink wrote it ("" before it exists).
  std::string criticalAlerts() const {
    std::ifstream in(std::filesystem::path(dir_) / "alerts" / "critical-failures.json");
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

  std::string dir_;
  boost::asio::io_context io_;
  std::unique_ptr<daemon::Daemon> daemon_;
  FakeEngine* engine_ = nullptr;
  bool ready_ = false;
  std::vector<std::pair<std::string, docker::Labels>> before_start_;
};

TEST_F(DaemonShell, ACrashIsStartedAgainThroughAllowedEndpointsOnly) {
  before_start_ = {{"web", protectedLabels()}};
  start();
  ASSERT_TRUE(runUntil([&] { return state("web") == "healthy"; })) << service("web").dump(2);
  const std::string id = engine_->idsNamed("web").at(0);
  engine_->crash(id, 1);
  ASSERT_TRUE(runUntil([&] {
    return engine_->count("POST /containers/" + id + "/start") == 1 && state("web") == "healthy";
  })) << service("web").dump(2);
  EXPECT_TRUE(engine_->find(id)->state.running);
  for (const auto& endpoint : engine_->endpoints()) {
    const std::string path = endpoint.substr(0, endpoint.find('?'));
    EXPECT_TRUE(kAllowedEndpoints.count(path)) << "medic called " << endpoint;
  }
}

TEST_F(DaemonShell, ARemovedContainerIsRecreatedFromItsSnapshotThroughAllowedEndpointsOnly) {
  before_start_ = {{"web", protectedLabels()}};
  auto cfg = fastConfig();
  cfg.defaults.recovery.replacement_grace = 0ms;
  start(cfg);
  ASSERT_TRUE(runUntil([&] { return state("web") == "healthy"; }));
  const std::string id = engine_->idsNamed("web").at(0);
  engine_->removeForce(id);
  ASSERT_TRUE(runUntil([&] {
    auto ids = engine_->idsNamed("web");
    return ids.size() == 1 && ids[0] != id && engine_->find(ids[0])->state.running &&
           state("web") == "healthy";
  })) << service("web").dump(2);
  EXPECT_EQ(engine_->count("POST /containers/create"), 1u);
  for (const auto& endpoint : engine_->endpoints()) {
    const std::string path = endpoint.substr(0, endpoint.find('?'));
    EXPECT_TRUE(kAllowedEndpoints.count(path)) << "medic called " << endpoint;
  }
}

TEST_F(DaemonShell, AReloadThatDropsServicesWhileAResyncInspectsThemLeavesTheOthersProtected) {
  // Many services: the resync walks them one inspect at a time; the reload lands in the middle.
  for (int i = 0; i < 20; ++i) before_start_.push_back({"svc" + std::to_string(i), protectedLabels()});
  before_start_.push_back({"keep", {{"medic.enable", "true"}, {"keep", "yes"}}});
  start();
  ASSERT_TRUE(runUntil([&] { return state("keep") == "healthy"; }));
  // Hold the next resync at the inspect of svc5, then reload with a config that selects only
  // containers labelled keep=yes.
  engine_->hold("GET /containers/" + engine_->idsNamed("svc5").at(0) + "/json");
  engine_->crash(engine_->idsNamed("svc1").at(0), 1);  // an event: a resync follows
  ASSERT_TRUE(runUntil([&] { return engine_->held() == 1; }));
  auto next = fastConfig();
  next.select.labels = false;
  config::ServiceConfig keep;
  keep.name = "keep";
  keep.match.labels = {{"keep", "yes"}};
  next.services.push_back(keep);
  auto st = daemon_->reload(next);
  ASSERT_TRUE(st) << st.error().describe();
  engine_->release();
  // The resync goes on with what is still protected; the dropped services are gone for good.
  ASSERT_TRUE(runUntil([&] { return engine_->held() == 0 && state("svc5") == "(not protected)"; }));
  const std::string keep_id = engine_->idsNamed("keep").at(0);
  engine_->crash(keep_id, 1);
  ASSERT_TRUE(runUntil([&] {
    return engine_->count("POST /containers/" + keep_id + "/start") == 1 && state("keep") == "healthy";
  })) << service("keep").dump(2);
  EXPECT_EQ(daemon_->statusJson()["services"].size(), 1u) << daemon_->statusJson()["services"].dump(2);
}

TEST_F(DaemonShell, AnExceptionOutOfAnActionFailsItClearsItsStateAndIsRetried) {
  before_start_ = {{"web", protectedLabels()}};
  start();
  ASSERT_TRUE(runUntil([&] { return state("web") == "healthy"; }));
  const std::string id = engine_->idsNamed("web").at(0);
  const std::string start_call = "POST /containers/" + id + "/start";
  engine_->throwOn(start_call);
  engine_->crash(id, 1);
  // The action failed (it does not stay "recovering"), and it said so.
  ASSERT_TRUE(runUntil([&] { return engine_->count(start_call) >= 1 && state("web") != "recovering"; }))
      << service("web").dump(2);
  engine_->stopThrowing();
  // The ladder goes on: the next attempt, after backoff, starts it.
  ASSERT_TRUE(runUntil([&] { return engine_->find(id)->state.running && state("web") == "healthy"; }))
      << service("web").dump(2);
  EXPECT_EQ(engine_->count(start_call) + engine_->count("POST /containers/" + id + "/restart"), 2u);
  // Nothing is left in flight: stop() finishes at once instead of waiting out its timeout.
  daemon_->stop();
  ASSERT_TRUE(runUntil([&] { return io_.stopped(); }));
}

TEST_F(DaemonShell, AnExceptionOutOfAResyncRaisesACriticalAlertAndLaterResyncsStillRun) {
  before_start_ = {{"web", protectedLabels()}};
  start();
  ASSERT_TRUE(runUntil([&] { return state("web") == "healthy"; }));
  engine_->throwOn("GET /containers/json");
  const size_t lists = engine_->count("GET /containers/json");
  const std::string id = engine_->idsNamed("web").at(0);
  engine_->crash(id, 1);  // an event: a resync is asked for, and its list throws
  ASSERT_TRUE(runUntil([&] { return engine_->count("GET /containers/json") > lists; }));
  ASSERT_TRUE(runUntil([&] { return criticalAlerts().find("internal_error") != std::string::npos; }))
      << criticalAlerts();
  EXPECT_NE(criticalAlerts().find("a resync failed inside medic"), std::string::npos)
      << criticalAlerts();
  engine_->stopThrowing();
  // The next event asks for a resync again, and one runs: the flag did not stay set.
  ASSERT_TRUE(runUntil([&] { return state("web") == "healthy"; }));
  const size_t after = engine_->count("GET /containers/json");
  engine_->crash(id, 1);
  ASSERT_TRUE(runUntil([&] { return engine_->count("GET /containers/json") > after; }));
}

TEST_F(DaemonShell, AGateRunsOnlyAsAPostWithTheTokenAndTwoAtOnceAtMost) {
  before_start_ = {{"web", protectedLabels()}};
  start();
  ASSERT_TRUE(runUntil([&] { return state("web") == "healthy"; }));
  const std::string url = daemon_->url();
  const int port = std::stoi(url.substr(url.rfind(':') + 1));
  auto token = http::loadOrCreateToken(dir_);
  ASSERT_TRUE(token);
  const std::vector<std::pair<std::string, std::string>> auth = {
      {"Authorization", "Bearer " + *token}};
  // The HTTP clients block: they run on threads while this one runs medic's loop.
  auto ask = [&](const char* method, const std::vector<std::pair<std::string, std::string>>& h) {
    return std::async(std::launch::async, [=] {
      return test::httpRequest(method, port, "/api/v1/gates/0", 10s, "", h);
    });
  };
  auto ready = [](auto& f) { return f.wait_for(0s) == std::future_status::ready; };

  // A GET (an <img> on any page, a crawler) runs nothing.
  auto get = ask("GET", {});
  ASSERT_TRUE(runUntil([&] { return ready(get); }));
  auto got = get.get();
  EXPECT_EQ(got.status, 405) << got.body;
  EXPECT_EQ(got.header("allow"), "POST");
  auto anonymous = ask("POST", {});
  ASSERT_TRUE(runUntil([&] { return ready(anonymous); }));
  EXPECT_EQ(anonymous.get().status, 401);
  EXPECT_EQ(engine_->count("POST /containers/"), 0u);  // no probe, no inspect for them
  const size_t lists = engine_->count("GET /containers/json");

  // Two gates gather evidence (held at their container list); a third is told to come back.
  engine_->hold("GET /containers/json", 2);
  auto first = ask("POST", auth);
  auto second = ask("POST", auth);
  ASSERT_TRUE(runUntil([&] { return engine_->held() == 2; }));
  auto third = ask("POST", auth);
  ASSERT_TRUE(runUntil([&] { return ready(third); }));
  auto refused = third.get();
  EXPECT_EQ(refused.status, 429) << refused.body;
  EXPECT_EQ(refused.header("retry-after"), "1");
  EXPECT_EQ(engine_->count("GET /containers/json"), lists + 2);
  engine_->release();
  ASSERT_TRUE(runUntil([&] { return ready(first) && ready(second); }));
  EXPECT_EQ(first.get().status, 200);
  EXPECT_EQ(second.get().status, 200);
}

TEST_F(DaemonShell, ChannelMessagesBeyondMaxMessagesArePrunedOldestFirst) {
  before_start_ = {{"web", protectedLabels()}};
  auto cfg = fastConfig();
  cfg.evidence.prune_interval = 100ms;
  cfg.evidence.max_messages = 4;
  start(cfg);
  ASSERT_TRUE(runUntil([&] { return state("web") == "healthy"; }));
  auto opened = store::Store::open(std::filesystem::path(dir_) / "medic.db");
  ASSERT_TRUE(opened) << opened.error().message;
  auto& db = **opened;
  auto stored = [&] {
    size_t n = 0;
    for (const char* channel :
         {"service_state", "recovery_coordination", "deployment_coordination", "validation_results"}) {
      auto m = db.messagesSince(channel, 0, 100000);
      if (m) n += m->size();
    }
    return n;
  };
  // Crashes and recoveries publish on the channels (failed, action started and finished,
  // recovered...): well over four messages.
  const std::string id = engine_->idsNamed("web").at(0);
  for (int i = 0; i < 3; ++i) {
    const size_t starts = engine_->count("POST /containers/" + id);
    engine_->crash(id, 1);
    ASSERT_TRUE(runUntil([&] {
      return engine_->count("POST /containers/" + id) > starts && state("web") == "healthy";
    }));
  }
  auto last = db.lastMessageId();
  ASSERT_TRUE(last);
  ASSERT_GT(*last, 4);
  ASSERT_TRUE(runUntil([&] { return stored() <= 4; })) << stored() << " messages kept";
  // The newest stay: the last one published so far is still there.
  auto newest = db.lastMessageId();
  ASSERT_TRUE(newest);
  bool newest_kept = false;
  for (const char* channel :
       {"service_state", "recovery_coordination", "deployment_coordination", "validation_results"}) {
    auto m = db.messagesSince(channel, *newest - 1, 10);
    if (m && !m->empty() && m->back().id == *newest) newest_kept = true;
  }
  EXPECT_TRUE(newest_kept) << "message " << *newest << " is gone";
}

}  // namespace
}  // namespace medic
