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

TEST(SystemdNotify, ReadyWatchdogAndStopping) {
  MEDIC_REQUIRE_DOCKER_OR_SKIP();
  TempDir dir;
  const std::string sock_path = dir.path() + "/notify.sock";
  int fd = socket(AF_UNIX, SOCK_DGRAM, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, sock_path.c_str(), sizeof(addr.sun_path) - 1);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);

  auto config = dir.write("medic.yaml", "select:\n  labels: false\n");
  ChildProcess medic({medicBinary(), "watch", "--config", config, "--state-dir",
                      dir.path() + "/state", "--listen", "127.0.0.1:" + std::to_string(freePort())},
                     dir.path() + "/watch.log",
                     {{"NOTIFY_SOCKET", sock_path},
                      {"WATCHDOG_USEC", "400000"}});  // ping every 200 ms
  auto first = receiveFor(fd, 2s);
  EXPECT_EQ(count(first, "READY=1"), 1) << medic.log();
  EXPECT_GE(count(first, "WATCHDOG=1"), 5) << medic.log();  // ~9 expected in 2 s
  medic.stop(SIGTERM);
  auto last = receiveFor(fd, 500ms);
  EXPECT_EQ(count(last, "STOPPING=1"), 1);
  close(fd);
}

}  // namespace
}  // namespace medic::test
