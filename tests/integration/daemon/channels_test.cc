// Channels over server-sent events on a real `medic watch`: a `docker rm -f` of a protected
// container reaches an SSE client within a second, a reconnect with Last-Event-ID gets exactly the
// missed messages, a client that stops reading is dropped without slowing another, and publishing
// needs the token.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "support/http_client.h"
#include "watch_process.h"

namespace medic::test {
namespace {

using Clock = std::chrono::steady_clock;

/// A raw SSE client on 127.0.0.1: parses "id:" / "data:" events as they arrive.
class SseClient {
 public:
  SseClient(int port, const std::string& channel, std::optional<int64_t> last_event_id = {},
            int rcvbuf = 0, const std::string& host = "127.0.0.1") {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    if (rcvbuf > 0) setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
      ADD_FAILURE() << "cannot connect to 127.0.0.1:" << port;
      return;
    }
    // `channel` is a channel name, or a whole path starting with '/' (/api/v1/events?...).
    const std::string path =
        channel.rfind('/', 0) == 0 ? channel : "/api/v1/channels/" + channel + "/events";
    std::string req =
        "GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\nAccept: text/event-stream\r\n";
    if (last_event_id) req += "Last-Event-ID: " + std::to_string(*last_event_id) + "\r\n";
    req += "\r\n";
    (void)::send(fd_, req.data(), req.size(), MSG_NOSIGNAL);
  }
  ~SseClient() { close(); }
  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

  /// The next event's JSON, or nullopt after `timeout` (or when the server closed).
  std::optional<nlohmann::json> next(std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    for (;;) {
      if (auto e = parseOne()) return e;
      if (closed_) return std::nullopt;
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      if (left.count() <= 0) return std::nullopt;
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
      char buf[65536];
      auto n = ::recv(fd_, buf, sizeof(buf), 0);
      if (n <= 0) {
        closed_ = true;
        continue;
      }
      buf_.append(buf, static_cast<size_t>(n));
      if (!headers_done_) {
        auto end = buf_.find("\r\n\r\n");
        if (end == std::string::npos) continue;
        status_line_ = buf_.substr(0, buf_.find("\r\n"));
        buf_.erase(0, end + 4);
        headers_done_ = true;
      }
    }
  }
  /// True when the server closed the connection (reads up to `timeout`, discarding events).
  bool closedByServer(std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    while (!closed_ && Clock::now() < deadline) {
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, 100) <= 0) continue;
      char buf[65536];
      if (::recv(fd_, buf, sizeof(buf), 0) <= 0) closed_ = true;
    }
    return closed_;
  }
  const std::string& statusLine() const { return status_line_; }

 private:
  std::optional<nlohmann::json> parseOne() {
    if (!headers_done_) return std::nullopt;
    for (;;) {
      auto end = buf_.find("\n\n");
      if (end == std::string::npos) return std::nullopt;
      std::string block = buf_.substr(0, end);
      buf_.erase(0, end + 2);
      std::string data;
      size_t pos = 0;
      while (pos <= block.size()) {
        auto nl = block.find('\n', pos);
        std::string line =
            block.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
        if (line.rfind("data: ", 0) == 0) data += line.substr(6);
        if (nl == std::string::npos) break;
        pos = nl + 1;
      }
      if (data.empty()) continue;  // retry:, comments
      return nlohmann::json::parse(data);
    }
  }

  int fd_ = -1;
  std::string buf_;
  std::string status_line_;
  bool headers_done_ = false;
  bool closed_ = false;
};

class ChannelsTest : public DockerTest {
 protected:
  std::string token() const {
    std::ifstream in(dir_.path() + "/state/token");
    std::string t;
    in >> t;
    return t;
  }
  HttpResponse post(int port, const std::string& channel, const nlohmann::json& body,
                    bool with_token = true) {
    std::vector<std::pair<std::string, std::string>> headers = {
        {"Content-Type", "application/json"}};
    if (with_token) headers.emplace_back("Authorization", "Bearer " + token());
    return httpRequest("POST", port, "/api/v1/channels/" + channel, 5s, body.dump(), headers);
  }
  nlohmann::json channels(int port) {
    auto r = httpGet(port, "/api/v1/channels");
    return nlohmann::json::parse(r.body, nullptr, false);
  }
  std::string emptyConfig() { return dir_.write("medic.yaml", "select:\n  labels: false\n"); }
  bool up(const WatchProcess& w) {
    return waitFor([&] { return httpGet(w.port(), "/healthz").status == 200; }, 20s, 50ms);
  }
  TempDir dir_;
};

TEST_F(ChannelsTest, RemovalOfAProtectedContainerReachesTheStreamWithinOneSecond) {
  auto c = TestContainer::start("chan-rm");
  ASSERT_TRUE(c.started()) << c.startError();
  auto cfg = dir_.write("medic.yaml",
                        "select:\n  labels: false\nresync_interval: 2s\n"
                        "defaults:\n  recovery:\n    replacement_grace: 1s\n"
                        "services:\n  web:\n    match:\n      container: " +
                            c.name() + "\n");
  WatchProcess watch(dir_, cfg);
  ASSERT_TRUE(watch.waitState("web", "healthy")) << watch.log();
  SseClient sse(watch.port(), "service_state");
  SseClient steps(watch.port(), "recovery_coordination");
  ASSERT_FALSE(sse.next(300ms));  // from now on: nothing old is replayed
  const auto t0 = Clock::now();
  ASSERT_TRUE(dockerCli({"rm", "-f", c.name()}).ok());
  // `rm -f` kills first (a `die`, published as "failed"), then removes: the removal follows.
  std::optional<nlohmann::json> m;
  while ((m = sse.next(5s)) && (*m)["type"] != "removed") {
  }
  const auto elapsed = Clock::now() - t0;
  ASSERT_TRUE(m) << watch.log();
  EXPECT_EQ((*m)["service"], "web");
  EXPECT_EQ((*m)["channel"], "service_state");
  EXPECT_GT((*m)["id"].get<int64_t>(), 0);
  for (const char* k : {"host", "ts", "severity", "data", "evidence"}) EXPECT_TRUE(m->contains(k));
  const double seconds = std::chrono::duration<double>(elapsed).count();
  std::cout << "docker rm -f -> SSE service_state removed: " << seconds * 1000 << " ms\n";
  EXPECT_LT(seconds, 1.0);
  // The recovery (recreate after the grace) shows its steps on recovery_coordination, and the
  // removal was published before any of them.
  std::optional<nlohmann::json> step;
  while ((step = steps.next(20s)) &&
         !((*step)["type"] == "action_started" && (*step)["data"]["action"] == "recreate")) {
  }
  ASSERT_TRUE(step) << watch.log();
  EXPECT_LT((*m)["id"].get<int64_t>(), (*step)["id"].get<int64_t>());
  auto done = steps.next(20s);
  ASSERT_TRUE(done);
  EXPECT_EQ((*done)["type"], "action_finished");
  EXPECT_EQ((*done)["data"]["ok"], true) << done->dump();
  (void)dockerCli({"rm", "-f", c.name()});
}

TEST_F(ChannelsTest, ReconnectWithLastEventIdGetsExactlyTheMissedMessages) {
  WatchProcess watch(dir_, emptyConfig());
  ASSERT_TRUE(up(watch)) << watch.log();
  std::vector<int64_t> posted;
  SseClient first(watch.port(), "validation_results");
  ASSERT_FALSE(first.next(200ms));
  for (int i = 0; i < 3; ++i) {
    auto r = post(watch.port(), "validation_results", {{"type", "check"}, {"data", {{"n", i}}}});
    ASSERT_EQ(r.status, 201) << r.body;
    posted.push_back(nlohmann::json::parse(r.body)["id"].get<int64_t>());
  }
  int64_t last = 0;
  for (int i = 0; i < 3; ++i) {
    auto m = first.next(2s);
    ASSERT_TRUE(m);
    EXPECT_EQ((*m)["id"], posted[i]);
    last = (*m)["id"];
  }
  first.close();
  // While disconnected: more on this channel, and some on another that must not appear.
  std::vector<int64_t> missed;
  for (int i = 3; i < 8; ++i) {
    auto r = post(watch.port(), "validation_results", {{"type", "check"}, {"data", {{"n", i}}}});
    ASSERT_EQ(r.status, 201) << r.body;
    missed.push_back(nlohmann::json::parse(r.body)["id"].get<int64_t>());
    ASSERT_EQ(post(watch.port(), "deployment_coordination", {{"type", "other"}}).status, 201);
  }
  SseClient again(watch.port(), "validation_results", last);
  for (size_t i = 0; i < missed.size(); ++i) {
    auto m = again.next(2s);
    ASSERT_TRUE(m) << "missing message " << missed[i];
    EXPECT_EQ((*m)["id"], missed[i]);
    EXPECT_EQ((*m)["data"]["n"], static_cast<int>(i) + 3);
  }
  // Live after the replay, and nothing twice.
  auto r = post(watch.port(), "validation_results", {{"type", "check"}, {"data", {{"n", 8}}}});
  ASSERT_EQ(r.status, 201);
  auto live = again.next(2s);
  ASSERT_TRUE(live);
  EXPECT_EQ((*live)["data"]["n"], 8);
  EXPECT_FALSE(again.next(300ms));

  // The CLI resumes the same way.
  auto cli = runMedic(
      {"events", "--channel", "validation_results", "--since", std::to_string(last), "--count", "6",
       "--json", "--url", watch.url(), "--state-dir", dir_.path() + "/state"},
      10s);
  ASSERT_EQ(cli.exit_code, 0) << cli.out << cli.err;
  std::vector<int> ns;
  std::istringstream lines(cli.out);
  for (std::string line; std::getline(lines, line);) {
    ns.push_back(nlohmann::json::parse(line)["data"]["n"].get<int>());
  }
  EXPECT_EQ(ns, (std::vector<int>{3, 4, 5, 6, 7, 8}));
}

// One connection for several channels (what the web dashboard uses: a browser opens at most six
// connections per host across all its tabs): the replay after Last-Event-ID is merged in id
// order, then live messages follow, and other channels stay out.
TEST_F(ChannelsTest, OneStreamFollowsSeveralChannelsInIdOrder) {
  WatchProcess watch(dir_, emptyConfig());
  ASSERT_TRUE(up(watch)) << watch.log();
  const int64_t before = channels(watch.port())["last_id"].get<int64_t>();
  std::vector<std::pair<std::string, int64_t>> posted;
  for (const char* channel : {"validation_results", "deployment_coordination",
                              "recovery_coordination", "validation_results"}) {
    auto r = post(watch.port(), channel, {{"type", "step"}});
    ASSERT_EQ(r.status, 201) << r.body;
    posted.emplace_back(channel, nlohmann::json::parse(r.body)["id"].get<int64_t>());
  }
  SseClient both(watch.port(), "/api/v1/events?channels=validation_results,deployment_coordination",
                 before);
  for (const auto& [channel, id] : posted) {
    if (channel == "recovery_coordination") continue;
    auto m = both.next(2s);
    ASSERT_TRUE(m) << "missing " << channel << " " << id;
    EXPECT_EQ((*m)["id"], id);
    EXPECT_EQ((*m)["channel"], channel);
  }
  ASSERT_EQ(post(watch.port(), "recovery_coordination", {{"type", "step"}}).status, 201);
  auto live = post(watch.port(), "deployment_coordination", {{"type", "live"}});
  ASSERT_EQ(live.status, 201);
  auto m = both.next(2s);
  ASSERT_TRUE(m);
  EXPECT_EQ((*m)["type"], "live");
  EXPECT_EQ((*m)["id"], nlohmann::json::parse(live.body)["id"]);
  EXPECT_FALSE(both.next(300ms));

  SseClient bad(watch.port(), "/api/v1/events?channels=validation_results,nope");
  EXPECT_FALSE(bad.next(1s));
  EXPECT_NE(bad.statusLine().find(" 404 "), std::string::npos) << bad.statusLine();
}

TEST_F(ChannelsTest, PublishingNeedsTheToken) {
  WatchProcess watch(dir_, emptyConfig());
  ASSERT_TRUE(up(watch)) << watch.log();
  SseClient sse(watch.port(), "deployment_coordination");
  ASSERT_FALSE(sse.next(200ms));
  auto refused = post(watch.port(), "deployment_coordination", {{"type", "confirm"}}, false);
  EXPECT_EQ(refused.status, 401) << refused.body;
  EXPECT_FALSE(sse.next(300ms));
  EXPECT_EQ(post(watch.port(), "no_such_channel", {{"type", "x"}}).status, 404);
  EXPECT_EQ(post(watch.port(), "deployment_coordination", {{"service", "web"}}).status, 400);
  auto ok = post(watch.port(), "deployment_coordination",
                 {{"type", "confirm"}, {"service", "web"}, {"data", {{"deploy", 7}}}});
  ASSERT_EQ(ok.status, 201) << ok.body;
  auto m = sse.next(2s);
  ASSERT_TRUE(m);
  EXPECT_EQ((*m)["type"], "confirm");
  EXPECT_EQ((*m)["data"]["deploy"], 7);
}

TEST_F(ChannelsTest, TheStreamRefusesAForeignHostHeader) {
  WatchProcess watch(dir_, emptyConfig());
  ASSERT_TRUE(up(watch)) << watch.log();
  SseClient foreign(watch.port(), "service_state", std::nullopt, 0, "evil.example");
  EXPECT_FALSE(foreign.next(1s));
  EXPECT_NE(foreign.statusLine().find(" 403 "), std::string::npos) << foreign.statusLine();
  SseClient local(watch.port(), "service_state");
  EXPECT_FALSE(local.next(300ms));
  EXPECT_NE(local.statusLine().find(" 200 "), std::string::npos) << local.statusLine();
}

TEST_F(ChannelsTest, TooManyOpenStreamsGet429) {
  WatchProcess watch(dir_, emptyConfig());
  ASSERT_TRUE(up(watch)) << watch.log();
  std::vector<std::unique_ptr<SseClient>> clients;
  for (int i = 0; i < 64; ++i) {
    clients.push_back(std::make_unique<SseClient>(watch.port(), "service_state"));
  }
  auto subscribers = [&] {
    const auto listing = channels(watch.port());
    for (const auto& c : listing["channels"]) {
      if (c["name"] == "service_state") return c["subscribers"].get<int>();
    }
    return -1;
  };
  ASSERT_TRUE(waitFor([&] { return subscribers() == 64; }, 10s, 100ms)) << subscribers();
  SseClient one_too_many(watch.port(), "service_state");
  EXPECT_FALSE(one_too_many.next(1s));
  EXPECT_NE(one_too_many.statusLine().find(" 429 "), std::string::npos)
      << one_too_many.statusLine();
  // Closing one makes room again.
  clients.pop_back();
  EXPECT_TRUE(waitFor(
      [&] {
        SseClient again(watch.port(), "service_state");
        again.next(300ms);
        return again.statusLine().find(" 200 ") != std::string::npos;
      },
      10s, 200ms));
}

TEST_F(ChannelsTest, AClientThatStopsReadingIsDroppedWithoutSlowingAnother) {
  WatchProcess watch(dir_, emptyConfig());
  ASSERT_TRUE(up(watch)) << watch.log();
  SseClient stalled(watch.port(), "validation_results", std::nullopt, /*rcvbuf=*/1024);
  SseClient reader(watch.port(), "validation_results");
  ASSERT_TRUE(waitFor(
      [&] {
        auto c = channels(watch.port());
        return c.is_object() && c["channels"][3]["subscribers"] == 2;
      },
      5s, 50ms));
  const std::string pad(8 * 1024, 'x');
  double worst_ms = 0;
  int sent = 0;
  bool dropped = false;
  for (; sent < 400 && !dropped; ++sent) {
    const auto t0 = Clock::now();
    auto r = post(watch.port(), "validation_results",
                  {{"type", "load"}, {"data", {{"n", sent}, {"pad", pad}}}});
    ASSERT_EQ(r.status, 201) << r.body;
    auto m = reader.next(2s);
    ASSERT_TRUE(m) << "the reading client missed message " << sent;
    ASSERT_EQ((*m)["data"]["n"], sent);
    worst_ms =
        std::max(worst_ms, std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
    dropped = channels(watch.port())["dropped_subscribers"].get<int>() >= 1;
  }
  std::cout << "stalled client dropped after " << sent << " messages of 8 KiB; worst publish->"
            << "delivery to the other client " << worst_ms << " ms\n";
  EXPECT_TRUE(dropped) << "the stalled client was never dropped after " << sent << " messages";
  EXPECT_LT(worst_ms, 500.0);
  EXPECT_EQ(channels(watch.port())["channels"][3]["subscribers"], 1);
  EXPECT_TRUE(stalled.closedByServer(5s));
  // Operators see the drop in /metrics, beside the messages published.
  const auto metrics = httpGet(watch.port(), "/metrics");
  EXPECT_NE(metrics.body.find("\nmedic_channel_subscribers_dropped_total 1\n"), std::string::npos)
      << metrics.body;
  EXPECT_NE(metrics.body.find("\nmedic_channel_messages_total "), std::string::npos);
  // The reader goes on receiving.
  ASSERT_EQ(post(watch.port(), "validation_results", {{"type", "after"}}).status, 201);
  auto m = reader.next(2s);
  ASSERT_TRUE(m);
  EXPECT_EQ((*m)["type"], "after");
}

}  // namespace
}  // namespace medic::test
