// The frame layout of `medic top`: what the plain-text frame (`--once`) shows, that it fits the
// terminal's width and height, and that a daemon that went away is said on screen.
#include "tui/frame.h"

#include <gtest/gtest.h>

#include <sstream>

namespace medic::tui {
namespace {

using nlohmann::json;

Model sample() {
  Model m;
  json web = {{"name", "web"},
              {"state", "healthy"},
              {"docker_state", "running"},
              {"critical", false},
              {"started_at", "2026-11-25T19:59:00.000Z"},
              {"recovery_actions", 1},
              {"probes", json::array({{{"name", "http"},
                                       {"ok", true},
                                       {"latency_ms", 2},
                                       {"checked_at", "2026-11-25T19:59:59.000Z"}}})}};
  json db = {{"name", "db"}, {"state", "failed"}, {"docker_state", "exited"}};
  m.setStatus({{"version", "0.1.0"},
               {"time", "2026-11-25T20:00:00.000Z"},
               {"uptime_seconds", 65},
               {"engine", {{"reachable", true}}},
               {"health_score", 50},
               {"services", json::array({web, db})}});
  m.setAlerts(json::array({{{"id", 7},
                            {"severity", "critical"},
                            {"state", "firing"},
                            {"service", "db"},
                            {"title", "db is down"},
                            {"created", "2026-11-25T19:59:30.000Z"},
                            {"acked", false}}}));
  (void)m.onMessage({{"id", 3},
                     {"channel", "recovery_coordination"},
                     {"type", "action_started"},
                     {"service", "db"},
                     {"ts", "2026-11-25T19:59:31.000Z"},
                     {"severity", "info"},
                     {"data", {{"action", "start"}, {"attempt", 1}}}});
  return m;
}

WallTime now() {
  return *parseTime("2026-11-25T20:00:00.000Z");
}

std::vector<std::string> linesOf(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

TEST(Frame, PlainTextShowsEverySection) {
  Overlay o;
  o.interactive = false;
  const auto text = toPlainText(layout(sample().view(now()), o, 120, 0));
  EXPECT_NE(text.find("health 50"), std::string::npos) << text;
  EXPECT_NE(text.find("engine reachable"), std::string::npos) << text;
  EXPECT_NE(text.find("medic up 1m05s"), std::string::npos) << text;
  EXPECT_NE(text.find("1 healthy, 1 failed"), std::string::npos) << text;
  EXPECT_NE(text.find("SERVICES"), std::string::npos);
  EXPECT_NE(text.find("ENDPOINTS"), std::string::npos);
  EXPECT_NE(text.find("ALERTS (1 open)"), std::string::npos);
  EXPECT_NE(text.find("critical"), std::string::npos);
  EXPECT_NE(text.find("db is down"), std::string::npos);
  EXPECT_NE(text.find("19:59:31  db"), std::string::npos) << text;
  EXPECT_NE(text.find("start #1"), std::string::npos) << text;
  bool web_row = false;
  for (const auto& l : linesOf(text)) {
    if (l.rfind("  web ", 0) == 0) {
      web_row = true;
      EXPECT_NE(l.find("healthy"), std::string::npos) << l;
      EXPECT_NE(l.find("1m00s"), std::string::npos) << l;  // uptime
      EXPECT_NE(l.find(" 1s"), std::string::npos) << l;    // evidence age
    }
  }
  EXPECT_TRUE(web_row) << text;
  // --once has no key legend and no live marker.
  EXPECT_EQ(text.find("q quit"), std::string::npos);
  EXPECT_EQ(text.find("[live]"), std::string::npos);
}

TEST(Frame, FitsTheTerminal) {
  Overlay o;
  for (auto [w, h] : {std::pair{80, 24}, std::pair{40, 10}, std::pair{200, 60}}) {
    const auto lines = layout(sample().view(now()), o, w, h);
    EXPECT_EQ(static_cast<int>(lines.size()), h) << w << "x" << h;
    for (const auto& l : lines) {
      size_t cols = 0;
      for (const auto& s : l) cols += s.text.size();
      EXPECT_LE(static_cast<int>(cols), w);
    }
    // The key legend stays on the last line whatever the size.
    std::string last;
    for (const auto& s : lines.back()) last += s.text;
    EXPECT_EQ(last.rfind("j/k select", 0), 0u) << last;
  }
}

TEST(Frame, SelectedRowIsMarkedAndDaemonLossIsSaid) {
  auto m = sample();
  m.moveSelection(1);
  m.setDisconnected("cannot reach the medic daemon at http://127.0.0.1:1: Connection refused");
  Overlay o;
  const auto text = toPlainText(layout(m.view(now()), o, 120, 30));
  EXPECT_NE(text.find("[DISCONNECTED]"), std::string::npos) << text;
  EXPECT_NE(text.find("DAEMON UNREACHABLE: cannot reach the medic daemon"), std::string::npos)
      << text;
  EXPECT_NE(text.find("> db"), std::string::npos) << text;
}

TEST(Frame, HelpListsTheKeys) {
  Overlay o;
  o.help = true;
  const auto text = toPlainText(layout(sample().view(now()), o, 100, 0));
  for (const char* key : {"r ", "m ", "a ", "/ ", "q "}) {
    EXPECT_NE(text.find(std::string("  ") + key), std::string::npos) << key << "\n" << text;
  }
}

TEST(Frame, PromptReplacesTheStatusLine) {
  Overlay o;
  o.prompt = "maintenance for web (a duration like 10m, or 'end'): ";
  o.input = "10";
  const auto text = toPlainText(layout(sample().view(now()), o, 120, 30));
  EXPECT_NE(text.find("maintenance for web (a duration like 10m, or 'end'): 10_"),
            std::string::npos)
      << text;
}

}  // namespace
}  // namespace medic::tui
