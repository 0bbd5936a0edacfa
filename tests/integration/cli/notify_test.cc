// medic watch under systemd's notify protocol: READY=1, periodic WATCHDOG=1, STOPPING=1 on SIGTERM.
// The test plays systemd: a datagram socket it reads, passed as $NOTIFY_SOCKET.
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>

#include "medic_cli.h"
#include "support/child_process.h"
#include "support/docker_env.h"
#include "support/http_client.h"

namespace medic::test {
namespace {

using namespace std::chrono_literals;

std::vector<std::string> receiveFor(int fd, std::chrono::milliseconds window) {
  std::vector<std::string> got;
  const auto end = std::chrono::steady_clock::now() + window;
  while (std::chrono::steady_clock::now() < end) {
    timeval tv{0, 50'000};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    char buf[512];
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n > 0) got.emplace_back(buf, static_cast<size_t>(n));
  }
  return got;
}

int count(const std::vector<std::string>& msgs, const std::string& what) {
  int n = 0;
  for (const auto& m : msgs) n += m.find(what) != std::string::npos ? 1 : 0;
  return n;
}

/// The datagram socket systemd would listen on; -1 on failure.
int bindNotifySocket(const std::string& path) {
  int fd = socket(AF_UNIX, SOCK_DGRAM, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

TEST(SystemdNotify, ReadyWatchdogAndStopping) {
  MEDIC_REQUIRE_DOCKER_OR_SKIP();
  TempDir dir;
  const std::string sock_path = dir.path() + "/notify.sock";
  int fd = bindNotifySocket(sock_path);
  ASSERT_GE(fd, 0);

  auto config = dir.write("medic.yaml", "select:\n  labels: false\n");
  ChildProcess medic(
      {medicBinary(), "watch", "--config", config, "--state-dir", dir.path() + "/state", "--listen",
       "127.0.0.1:" + std::to_string(freePort())},
      dir.path() + "/watch.log",
      {{"NOTIFY_SOCKET", sock_path}, {"WATCHDOG_USEC", "400000"}});  // ping every 200 ms
  auto first = receiveFor(fd, 2s);
  EXPECT_EQ(count(first, "READY=1"), 1) << medic.log();
  EXPECT_GE(count(first, "WATCHDOG=1"), 5) << medic.log();  // ~9 expected in 2 s
  medic.stop(SIGTERM);
  auto last = receiveFor(fd, 500ms);
  EXPECT_EQ(count(last, "STOPPING=1"), 1);
  close(fd);
}

// A wedged loop (the test hook blocks the loop thread 1.5 s after start, as a blocking call on it
// would) sends no more watchdog pings, so systemd would restart medic.
TEST(SystemdNotify, WatchdogPingsStopWhenTheLoopIsWedged) {
  MEDIC_REQUIRE_DOCKER_OR_SKIP();
  TempDir dir;
  const std::string sock_path = dir.path() + "/notify.sock";
  int fd = bindNotifySocket(sock_path);
  ASSERT_GE(fd, 0);
  auto config = dir.write("medic.yaml",
                          "select:\n  labels: false\nresync_interval: 300ms\n"
                          "stall_timeout: 1s\n");
  ChildProcess medic({medicBinary(), "watch", "--config", config, "--state-dir",
                      dir.path() + "/state", "--listen", "127.0.0.1:" + std::to_string(freePort())},
                     dir.path() + "/watch.log",
                     {{"NOTIFY_SOCKET", sock_path},
                      {"WATCHDOG_USEC", "400000"},  // ping every 200 ms
                      {"MEDIC_TEST_WEDGE_AFTER", "1500"}});
  auto before = receiveFor(fd, 1300ms);
  EXPECT_EQ(count(before, "READY=1"), 1) << medic.log();
  EXPECT_GE(count(before, "WATCHDOG=1"), 4) << medic.log();  // ~6 expected in 1.3 s
  (void)receiveFor(fd, 700ms);                               // the wedge lands in here
  auto wedged = receiveFor(fd, 2s);
  EXPECT_EQ(count(wedged, "WATCHDOG=1"), 0) << medic.log();
  EXPECT_NE(medic.log().find("test hook: wedging the event loop"), std::string::npos);
  medic.stop(SIGKILL);  // a wedged loop cannot handle SIGTERM
  close(fd);
}

// The ping is a progress check, not a timer that fires as long as the loop turns: when resync
// passes stop completing (the test hook hangs them) the loop still serves /healthz, yet the
// pings stop once stall_timeout passes without a completed pass.
TEST(SystemdNotify, WatchdogPingsStopWhenResyncStallsWhileTheLoopStillRuns) {
  MEDIC_REQUIRE_DOCKER_OR_SKIP();
  TempDir dir;
  const std::string sock_path = dir.path() + "/notify.sock";
  int fd = bindNotifySocket(sock_path);
  ASSERT_GE(fd, 0);
  auto config = dir.write("medic.yaml",
                          "select:\n  labels: false\nresync_interval: 300ms\n"
                          "stall_timeout: 1s\n");
  const int port = freePort();
  ChildProcess medic({medicBinary(), "watch", "--config", config, "--state-dir",
                      dir.path() + "/state", "--listen", "127.0.0.1:" + std::to_string(port)},
                     dir.path() + "/watch.log",
                     {{"NOTIFY_SOCKET", sock_path},
                      {"WATCHDOG_USEC", "400000"},
                      {"MEDIC_TEST_WEDGE_AFTER", "1500"},
                      {"MEDIC_TEST_WEDGE", "resync"}});
  auto before = receiveFor(fd, 1300ms);
  EXPECT_EQ(count(before, "READY=1"), 1) << medic.log();
  EXPECT_GE(count(before, "WATCHDOG=1"), 4) << medic.log();
  // Wedged at 1.5 s; the last pass completed by then, so pings end by ~2.5 s + one interval.
  (void)receiveFor(fd, 1700ms);
  auto stalled = receiveFor(fd, 2s);
  EXPECT_EQ(count(stalled, "WATCHDOG=1"), 0) << medic.log();
  EXPECT_EQ(httpGet(port, "/healthz").status, 200) << "the loop itself should still serve";
  EXPECT_NE(medic.log().find("withholding the systemd watchdog ping"), std::string::npos)
      << medic.log();
  medic.stop(SIGTERM);
  auto last = receiveFor(fd, 500ms);
  EXPECT_EQ(count(last, "STOPPING=1"), 1) << medic.log();
  close(fd);
}

}  // namespace
}  // namespace medic::test
