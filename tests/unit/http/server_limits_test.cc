// The API server's resource limits (issue 13): a request refused on its header is answered before
// any body is read, and connections beyond max_connections are closed at accept. The server runs
// on its own thread; the clients are plain blocking sockets on 127.0.0.1.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

#include "http/router.h"
#include "http/server.h"

namespace medic::http {
namespace {

/// A connected socket to 127.0.0.1:port whose reads give up after 3 s; -1 when connect fails.
int connectTo(unsigned short port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  timeval tv{3, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

/// Everything the server sends until it closes or 3 s pass without a byte.
std::string readAll(int fd) {
  std::string out;
  char buf[4096];
  for (;;) {
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

void sendAll(int fd, const std::string& text) {
  size_t at = 0;
  while (at < text.size()) {
    const ssize_t n = ::send(fd, text.data() + at, text.size() - at, MSG_NOSIGNAL);
    if (n <= 0) return;
    at += static_cast<size_t>(n);
  }
}

class ServerLimits : public ::testing::Test {
 protected:
  void start(SecurityPolicy policy) {
    router_.add("GET", "/ping", [](const Request&) { return Response::json(200, {{"ok", true}}); });
    router_.add(
        "POST", "/act", [this](const Request&) {
          ++acted_;
          return Response::json(200, {{"done", true}});
        },
        /*mutation=*/true);
    server_ = std::make_unique<Server>(io_.get_executor(), router_, std::move(policy));
    ASSERT_TRUE(server_->listen("127.0.0.1:0"));
    thread_ = std::thread([this] { io_.run(); });
  }
  void TearDown() override {
    boost::asio::post(io_, [this] { server_->stop(); });
    work_.reset();
    io_.stop();
    if (thread_.joinable()) thread_.join();
  }

  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_ =
      boost::asio::make_work_guard(io_);
  Router router_;
  std::unique_ptr<Server> server_;
  std::thread thread_;
  std::atomic<int> acted_{0};  // counted on the server thread
};

TEST_F(ServerLimits, AMutationWithoutTheTokenIsRefusedBeforeItsBodyIsRead) {
  start(SecurityPolicy{"a-token-of-at-least-some-length", {}, {}});
  const int fd = connectTo(server_->port());
  ASSERT_GE(fd, 0);
  // A declared 1 MiB body that never comes: the answer must not wait for it.
  sendAll(fd,
          "POST /act HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
          "Content-Length: 1048000\r\n\r\n");
  const auto started = std::chrono::steady_clock::now();
  const std::string answer = readAll(fd);
  ::close(fd);
  EXPECT_EQ(answer.rfind("HTTP/1.1 401", 0), 0u) << answer;
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(2));
  EXPECT_EQ(acted_, 0);

  // With the token, the body is read and the request done.
  const int ok = connectTo(server_->port());
  ASSERT_GE(ok, 0);
  sendAll(ok,
          "POST /act HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer "
          "a-token-of-at-least-some-length\r\nContent-Type: application/json\r\n"
          "Content-Length: 2\r\nConnection: close\r\n\r\n{}");
  const std::string done = readAll(ok);
  ::close(ok);
  EXPECT_EQ(done.rfind("HTTP/1.1 200", 0), 0u) << done;
}

TEST_F(ServerLimits, ConnectionsBeyondTheCapAreClosedAndServedAgainOnceSomeEnd) {
  SecurityPolicy policy{"a-token-of-at-least-some-length", {}, {}};
  policy.max_connections = 4;
  start(policy);
  // Four idle clients (a slowloris sends nothing) hold every slot.
  std::vector<int> idle;
  for (int i = 0; i < 4; ++i) {
    idle.push_back(connectTo(server_->port()));
    ASSERT_GE(idle.back(), 0);
  }
  // The fifth connects (the kernel accepts it) and is closed without an answer.
  const int extra = connectTo(server_->port());
  ASSERT_GE(extra, 0);
  sendAll(extra, "GET /ping HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(readAll(extra), "");
  ::close(extra);
  // One idle client goes: a new request is served again.
  ::close(idle.back());
  idle.pop_back();
  std::string answer;
  for (int attempt = 0; attempt < 50 && answer.empty(); ++attempt) {
    const int fd = connectTo(server_->port());
    ASSERT_GE(fd, 0);
    sendAll(fd, "GET /ping HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
    answer = readAll(fd);  // "" while the server has not yet seen the close
    ::close(fd);
  }
  EXPECT_EQ(answer.rfind("HTTP/1.1 200", 0), 0u) << answer;
  for (int fd : idle) ::close(fd);
}

}  // namespace
}  // namespace medic::http
