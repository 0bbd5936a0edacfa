// `medic top` in a real terminal: tmux runs it in a detached session of fixed size against a real
// `medic watch` protecting test containers, and the test reads the screen with capture-pane and
// types with send-keys, as a person would. Also `--once` and `--json` and their exit statuses.
//
// The tmux server is the test's own (-S socket in a temp dir, -f /dev/null): no other tmux is
// touched, and it is killed at the end.
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <iostream>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "../daemon/watch_process.h"
#include "support/http_client.h"

namespace medic::test {
namespace {

using Clock = std::chrono::steady_clock;

class Tmux {
 public:
  Tmux(const TempDir& dir, std::vector<std::string> command, int width, int height)
      : socket_(dir.path() + "/tmux.sock"), status_file_(dir.path() + "/exit-status") {
    std::vector<std::string> argv = {"tmux",
                                     "-S",
                                     socket_,
                                     "-f",
                                     "/dev/null",
                                     "new-session",
                                     "-d",
                                     "-s",
                                     "top",
                                     "-x",
                                     std::to_string(width),
                                     "-y",
                                     std::to_string(height)};
    // tmux may mark the pane dead on the terminal's EOF before it reaps the program, and then
    // never reports #{pane_dead_status}; a fixed sh script (the command stays an argv) writes the
    // status to a file before the pane ends, so it can always be read.
    for (const char* a : {"sh", "-c", "f=$1; shift; \"$@\"; echo $? > \"$f\"", "sh"}) {
      argv.emplace_back(a);
    }
    argv.push_back(status_file_);
    argv.insert(argv.end(), command.begin(), command.end());
    // Keep the pane after the program exits, so its exit status can be read.
    for (const char* a : {";", "set-option", "-g", "remain-on-exit", "on"}) argv.emplace_back(a);
    auto r = runProcess(argv, 10s);
    started_ = r.ok();
    error_ = r.describe();
  }
  ~Tmux() { (void)tmux({"kill-server"}); }
  bool started() const { return started_; }
  const std::string& error() const { return error_; }

  ProcessResult tmux(std::vector<std::string> args) const {
    args.insert(args.begin(), {"tmux", "-S", socket_});
    return runProcess(args, 10s);
  }
  std::string screen() const { return tmux({"capture-pane", "-p", "-t", "top"}).out; }
  void keys(const std::vector<std::string>& keys) const {
    std::vector<std::string> args = {"send-keys", "-t", "top"};
    args.insert(args.end(), keys.begin(), keys.end());
    (void)tmux(args);
  }
  /// "1 0" when the program has exited with status 0 ("0" while it runs).
  std::string paneDead() const {
    auto trim = [](std::string s) {
      while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
      return s;
    };
    auto dead = trim(tmux({"display-message", "-p", "-t", "top", "#{pane_dead}"}).out);
    if (dead != "1") return dead;
    std::ifstream in(status_file_);
    std::string status;
    std::getline(in, status);
    return "1 " + trim(status);
  }

 private:
  std::string socket_;
  std::string status_file_;
  bool started_ = false;
  std::string error_;
};

/// The screen line of a service row ("  web   healthy ..." or "> web ..."), "" when absent.
std::string rowOf(const std::string& screen, const std::string& service) {
  std::istringstream in(screen);
  const std::regex row("^[> ] " + service + "\\*? +([a-z_]+) ");
  for (std::string line; std::getline(in, line);) {
    if (std::regex_search(line, row)) return line;
  }
  return "";
}

std::string stateOf(const std::string& screen, const std::string& service) {
  std::smatch m;
  const std::string line = rowOf(screen, service);
  const std::regex row("^[> ] " + service + "\\*? +([a-z_]+) ");
  return std::regex_search(line, m, row) ? m[1].str() : "";
}

int openAlerts(const std::string& screen) {
  std::smatch m;
  static const std::regex count("ALERTS \\(([0-9]+) open\\)");
  return std::regex_search(screen, m, count) ? std::stoi(m[1].str()) : -1;
}

class TopTest : public DockerTest {
 protected:
  std::string config(const TestContainer& web, const TestContainer& spare) {
    return dir_.write(
        "medic.yaml",
        "select:\n  labels: false\nresync_interval: 2s\n"
        "defaults:\n  probe:\n    interval: 250ms\n    timeout: 1s\n    failure_threshold: 2\n"
        "  recovery:\n    replacement_grace: 2s\n    backoff_initial: 200ms\n"
        "    backoff_max: 1s\n    settle_timeout: 20s\n"
        "services:\n"
        "  web:\n    match:\n      container: " +
            web.name() +
            "\n    probes:\n      - http: http://127.0.0.1:" + std::to_string(web.port()) +
            "/health\n"
            // spare waits long for a replacement after a removal: only `r` recovers it in the test.
            "  spare:\n    match:\n      container: " +
            spare.name() + "\n    recovery:\n      replacement_grace: 10m\n");
  }
  std::string state() const { return dir_.path() + "/state"; }
  nlohmann::json recentSteps(const WatchProcess& w) const {
    auto r = httpGet(w.port(), "/api/v1/channels/recovery_coordination/messages?limit=100");
    auto j = nlohmann::json::parse(r.body, nullptr, false);
    return j.is_object() ? j["messages"] : nlohmann::json::array();
  }
  TempDir dir_;
};

TEST_F(TopTest, ShowsTheServicesReactsToARemovalRecoversOnRAndQuitsCleanly) {
  auto web = TestContainer::start("top-web");
  ASSERT_TRUE(web.started()) << web.startError();
  auto spare = TestContainer::start("top-spare");
  ASSERT_TRUE(spare.started()) << spare.startError();
  WatchProcess watch(dir_, config(web, spare));
  ASSERT_TRUE(watch.waitState("web", "healthy")) << watch.log();
  ASSERT_TRUE(watch.waitState("spare", "healthy")) << watch.log();

  Tmux tmux(dir_, {medicBinary(), "top", "--url", watch.url(), "--state-dir", state()}, 150, 45);
  ASSERT_TRUE(tmux.started()) << tmux.error();
  // "[live]" shows once all three channel streams are open; on a loaded host the last one can
  // open a moment after the first frame, and the removal below must find them all open.
  ASSERT_TRUE(waitFor(
      [&] {
        const auto s = tmux.screen();
        return stateOf(s, "web") == "healthy" && s.find("[live]") != std::string::npos;
      },
      10s, 100ms))
      << tmux.screen();
  std::string screen = tmux.screen();
  EXPECT_NE(screen.find("health 100"), std::string::npos) << screen;
  EXPECT_NE(screen.find("engine reachable"), std::string::npos) << screen;
  EXPECT_NE(screen.find("[live]"), std::string::npos) << screen;
  EXPECT_EQ(stateOf(screen, "spare"), "healthy") << screen;
  EXPECT_EQ(openAlerts(screen), 0) << screen;
  std::cout << "--- medic top, all healthy ---\n" << screen;

  // docker rm -f: the state change and an alert on screen within two seconds, then the recovery.
  const auto t0 = Clock::now();
  ASSERT_TRUE(dockerCli({"rm", "-f", web.name()}).ok());
  std::string changed_screen;
  double changed_s = -1, alert_s = -1;
  while (Clock::now() - t0 < 5s && (changed_s < 0 || alert_s < 0)) {
    const auto s = tmux.screen();
    const double t = std::chrono::duration<double>(Clock::now() - t0).count();
    const auto st = stateOf(s, "web");
    if (changed_s < 0 && !st.empty() && st != "healthy") {
      changed_s = t;
      changed_screen = s;
    }
    if (alert_s < 0 && openAlerts(s) > 0) alert_s = t;
    std::this_thread::sleep_for(50ms);
  }
  std::cout << "docker rm -f -> state change on screen: " << changed_s * 1000
            << " ms, alert on screen: " << alert_s * 1000 << " ms\n"
            << changed_screen;
  ASSERT_GE(changed_s, 0) << tmux.screen() << watch.log();
  ASSERT_GE(alert_s, 0) << tmux.screen();
  EXPECT_LT(changed_s, 2.0);
  EXPECT_LT(alert_s, 2.0);
  ASSERT_TRUE(waitFor([&] { return stateOf(tmux.screen(), "web") == "healthy"; }, 30s, 100ms))
      << tmux.screen() << watch.log();
  screen = tmux.screen();
  std::cout << "--- after the recovery ---\n" << screen;
  EXPECT_NE(screen.find("recreate"), std::string::npos) << screen;  // the recent actions
  EXPECT_NE(screen.find("action_finished"), std::string::npos) << screen;
  EXPECT_TRUE(waitFor([&] { return openAlerts(tmux.screen()) == 0; }, 5s, 100ms))
      << tmux.screen();  // resolved by the recovery

  // `r` recovers: spare, removed, would wait 10 minutes for a replacement; `r` recreates it now.
  const size_t steps_before = recentSteps(watch).size();
  ASSERT_TRUE(dockerCli({"rm", "-f", spare.name()}).ok());
  ASSERT_TRUE(
      waitFor([&] { return stateOf(tmux.screen(), "spare") == "waiting_replacement"; }, 5s, 100ms))
      << tmux.screen();
  tmux.keys({"/"});
  tmux.keys({"-l", "spare"});
  tmux.keys({"Enter"});
  ASSERT_TRUE(waitFor([&] { return tmux.screen().find("(filter: spare)") != std::string::npos; },
                      3s, 100ms))
      << tmux.screen();
  EXPECT_EQ(rowOf(tmux.screen(), "web"), "") << "the filter hides web\n" << tmux.screen();
  tmux.keys({"r"});
  EXPECT_TRUE(waitFor(
      [&] { return tmux.screen().find("recovery of spare requested") != std::string::npos; }, 3s,
      100ms))
      << tmux.screen();
  ASSERT_TRUE(waitFor(
      [&] {
        for (const auto& m : recentSteps(watch)) {
          if (m.value("service", "") == "spare" && m.value("type", "") == "action_started" &&
              m["data"].value("action", "") == "recreate") {
            return true;
          }
        }
        return false;
      },
      10s, 100ms))
      << recentSteps(watch).dump(2) << watch.log();
  EXPECT_GT(recentSteps(watch).size(), steps_before);
  ASSERT_TRUE(waitFor([&] { return stateOf(tmux.screen(), "spare") == "healthy"; }, 30s, 100ms))
      << tmux.screen() << watch.log();

  // The daemon goes away: the screen says so; it comes back: the screen is live again.
  watch.stop(SIGTERM);
  EXPECT_TRUE(waitFor([&] { return tmux.screen().find("DAEMON UNREACHABLE") != std::string::npos; },
                      5s, 100ms))
      << tmux.screen();
  std::cout << "--- daemon stopped ---\n" << tmux.screen();
  watch.start();
  EXPECT_TRUE(waitFor(
      [&] {
        auto s = tmux.screen();
        return s.find("[live]") != std::string::npos &&
               s.find("DAEMON UNREACHABLE") == std::string::npos;
      },
      20s, 100ms))
      << tmux.screen() << watch.log();

  // `q` quits: the pane's program is gone with exit status 0.
  EXPECT_EQ(tmux.paneDead(), "0");
  tmux.keys({"q"});
  EXPECT_TRUE(waitFor([&] { return tmux.paneDead() == "1 0"; }, 5s, 100ms)) << tmux.paneDead();
  (void)dockerCli({"rm", "-f", web.name()});
  (void)dockerCli({"rm", "-f", spare.name()});
}

TEST_F(TopTest, OnceAndJsonPrintOneFrameAndExitLikeCheck) {
  auto web = TestContainer::start("top-once");
  ASSERT_TRUE(web.started()) << web.startError();
  auto spare = TestContainer::start("top-once-spare");
  ASSERT_TRUE(spare.started()) << spare.startError();
  WatchProcess watch(dir_, config(web, spare));
  ASSERT_TRUE(watch.waitState("web", "healthy")) << watch.log();
  ASSERT_TRUE(watch.waitState("spare", "healthy")) << watch.log();
  // The first probe round carries the latency and the evidence time.
  ASSERT_TRUE(waitFor([&] { return watch.service("web").contains("probes"); }, 10s, 100ms));

  auto once = runMedic({"top", "--once", "--url", watch.url(), "--state-dir", state()}, 20s);
  EXPECT_EQ(once.exit_code, 0) << once.describe() << once.out;
  std::cout << once.out;
  EXPECT_NE(once.out.find("health 100"), std::string::npos) << once.out;
  EXPECT_NE(once.out.find("2 healthy"), std::string::npos) << once.out;
  EXPECT_EQ(stateOf(once.out, "web"), "healthy") << once.out;
  EXPECT_NE(once.out.find("ALERTS (0 open)"), std::string::npos) << once.out;
  // The web row has an uptime, a probe latency and an evidence age.
  EXPECT_TRUE(std::regex_search(rowOf(once.out, "web"), std::regex("[0-9]+ms +[0-9]+s$")))
      << rowOf(once.out, "web");
  EXPECT_EQ(once.out.find("\x1b["), std::string::npos) << "no terminal escapes in --once";

  auto json = runMedic({"top", "--json", "--url", watch.url(), "--state-dir", state()}, 20s);
  EXPECT_EQ(json.exit_code, 0) << json.describe();
  auto j = nlohmann::json::parse(json.out, nullptr, false);
  ASSERT_TRUE(j.is_object()) << json.out;
  EXPECT_EQ(j["health_score"], 100);
  ASSERT_EQ(j["services"].size(), 2u);
  for (const auto& s : j["services"]) {
    EXPECT_EQ(s["state"], "healthy");
    EXPECT_TRUE(s["started_at"].is_string()) << s.dump();
  }

  // Colour where the terminal has it, none with NO_COLOR or a terminal without colours; the same
  // rows either way.
  static const std::regex kColourEscape("\x1b\\[[0-9;]*(3[0-7]|4[0-7])[;m]");
  for (const auto& [env, want_colour] : {std::pair<std::string, bool>{"MEDIC_TOP_TEST=1", true},
                                         {"NO_COLOR=1", false},
                                         {"TERM=vt100", false}}) {
    TempDir tdir;
    Tmux t(tdir, {"env", env, medicBinary(), "top", "--url", watch.url(), "--state-dir", state()},
           120, 30);
    ASSERT_TRUE(t.started()) << t.error();
    EXPECT_TRUE(waitFor([&] { return stateOf(t.screen(), "web") == "healthy"; }, 10s, 100ms))
        << env << "\n"
        << t.screen();
    const auto escaped = t.tmux({"capture-pane", "-p", "-e", "-t", "top"}).out;
    EXPECT_EQ(std::regex_search(escaped, kColourEscape), want_colour) << env << "\n" << escaped;
    t.keys({"q"});
    EXPECT_TRUE(waitFor([&] { return t.paneDead() == "1 0"; }, 5s, 100ms)) << env;
  }

  // Anything not healthy: exit status 1, like `medic check` (spare in a maintenance window).
  auto m = runMedic(
      {"maintenance", "spare", "--for", "10m", "--url", watch.url(), "--state-dir", state()}, 20s);
  ASSERT_EQ(m.exit_code, 0) << m.describe();
  ASSERT_TRUE(watch.waitState("spare", "maintenance", 10s)) << watch.log();
  once = runMedic({"top", "--once", "--url", watch.url(), "--state-dir", state()}, 20s);
  EXPECT_EQ(once.exit_code, 1) << once.describe() << once.out;
  EXPECT_EQ(stateOf(once.out, "spare"), "maintenance") << once.out;
  json = runMedic({"top", "--json", "--url", watch.url(), "--state-dir", state()}, 20s);
  EXPECT_EQ(json.exit_code, 1) << json.describe();

  // No daemon: exit status 2 and a message that says where it looked.
  const std::string nowhere = "http://127.0.0.1:" + std::to_string(freePort());
  auto gone = runMedic({"top", "--once", "--url", nowhere, "--state-dir", state()}, 20s);
  EXPECT_EQ(gone.exit_code, 2) << gone.describe();
  EXPECT_NE(gone.err.find(nowhere), std::string::npos) << gone.err;
  (void)dockerCli({"rm", "-f", web.name()});
}

}  // namespace
}  // namespace medic::test
