#include "tui/sse_follower.h"

#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string_view>

#include "http/sse_parser.h"

namespace medic::tui {

bool splitHttpUrl(const std::string& url, std::string& host, std::string& port) {
  const std::string prefix = "http://";
  if (url.rfind(prefix, 0) != 0) return false;
  std::string rest = url.substr(prefix.size());
  rest = rest.substr(0, rest.find('/'));
  if (rest.empty()) return false;
  if (rest.front() == '[') {
    auto close = rest.find(']');
    if (close == std::string::npos) return false;
    host = rest.substr(1, close - 1);
    port = close + 2 < rest.size() && rest[close + 1] == ':' ? rest.substr(close + 2) : "80";
    return true;
  }
  auto colon = rest.rfind(':');
  host = colon == std::string::npos ? rest : rest.substr(0, colon);
  port = colon == std::string::npos ? "80" : rest.substr(colon + 1);
  return !host.empty() && !port.empty();
}

SseFollower::SseFollower(std::string url, std::string channel, OnMessage on_message,
                         OnConnection on_connection, Millis max_backoff)
    : url_(std::move(url)),
      channel_(std::move(channel)),
      on_message_(std::move(on_message)),
      on_connection_(std::move(on_connection)),
      max_backoff_(max_backoff) {}

SseFollower::~SseFollower() {
  stop();
}

void SseFollower::start() {
  thread_ = std::thread([this] { run(); });
}

void SseFollower::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    if (fd_ >= 0) ::shutdown(fd_, SHUT_RDWR);
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void SseFollower::run() {
  Millis backoff(250);
  while (!stopping_) {
    std::string error;
    const auto began = std::chrono::steady_clock::now();
    followOnce(error);
    if (stopping_) break;
    on_connection_(false, error);
    // A stream that stayed up a while starts the backoff over.
    if (std::chrono::steady_clock::now() - began > std::chrono::seconds(5)) backoff = Millis(250);
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, backoff, [this] { return stopping_.load(); });
    backoff = std::min(backoff * 2, max_backoff_);
  }
}

void SseFollower::followOnce(std::string& error) {
  std::string host, port;
  if (!splitHttpUrl(url_, host, port)) {
    error = "not an http:// URL: " + url_;
    return;
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  if (int rc = getaddrinfo(host.c_str(), port.c_str(), &hints, &res); rc != 0) {
    error = "cannot resolve " + host + ": " + gai_strerror(rc);
    return;
  }
  int fd = -1;
  int connect_errno = 0;
  for (addrinfo* a = res; a != nullptr; a = a->ai_next) {
    fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) continue;
    if (::connect(fd, a->ai_addr, a->ai_addrlen) == 0) break;
    connect_errno = errno;
    ::close(fd);
    fd = -1;
  }
  freeaddrinfo(res);
  if (fd < 0) {
    error = "cannot reach the daemon at " + url_ + ": " + std::strerror(connect_errno);
    return;
  }
  {
    std::lock_guard lock(mu_);
    if (stopping_) {
      ::close(fd);
      return;
    }
    fd_ = fd;
  }
  // No read can hang forever on a frozen daemon: it sends a comment every 15 s.
  timeval tv{40, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  std::string req = "GET /api/v1/channels/" + channel_ + "/events HTTP/1.1\r\nHost: " +
                    (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" + port +
                    "\r\nAccept: text/event-stream\r\nUser-Agent: medic-top\r\n";
  if (last_id_ >= 0) req += "Last-Event-ID: " + std::to_string(last_id_) + "\r\n";
  req += "\r\n";
  bool sent = ::send(fd, req.data(), req.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(req.size());
  std::string buf;
  bool headers_done = false;
  http::SseParser sse;
  char chunk[16384];
  while (sent && !stopping_) {
    const ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
    if (n <= 0) {
      error =
          n == 0 ? "the daemon closed the stream" : std::string("read: ") + std::strerror(errno);
      break;
    }
    buf.append(chunk, static_cast<size_t>(n));
    if (!headers_done) {
      auto end = buf.find("\r\n\r\n");
      if (end == std::string::npos) {
        if (buf.size() > 65536) {
          error = "the daemon sent oversized headers";
          break;
        }
        continue;
      }
      const std::string status_line = buf.substr(0, buf.find("\r\n"));
      if (status_line.find(" 200") == std::string::npos) {
        error = "the daemon answered " + status_line;
        break;
      }
      buf.erase(0, end + 4);
      headers_done = true;
      on_connection_(true, "");
    }
    size_t nl;
    while ((nl = buf.find('\n')) != std::string::npos) {
      auto event = sse.feedLine(std::string_view(buf).substr(0, nl));
      buf.erase(0, nl + 1);
      if (!event) continue;
      auto m = nlohmann::json::parse(event->data, nullptr, false);
      if (!m.is_discarded()) on_message_(m);
      if (event->id) last_id_ = *event->id;
    }
  }
  if (!sent && error.empty()) error = "cannot send the request to " + url_;
  std::lock_guard lock(mu_);
  fd_ = -1;
  ::close(fd);
}

}  // namespace medic::tui
