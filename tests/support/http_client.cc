#include "support/http_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <cstring>

namespace medic::test {
namespace {

using Clock = std::chrono::steady_clock;

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r')) {
    text.remove_suffix(1);
  }
  return text;
}

/// Decodes a complete chunked body; false while it is still incomplete or when it is garbled.
bool dechunk(std::string_view raw, std::string& out) {
  out.clear();
  for (;;) {
    size_t eol = raw.find("\r\n");
    if (eol == std::string_view::npos) return false;
    size_t size = 0;
    try {
      size = std::stoul(std::string(raw.substr(0, eol)), nullptr, 16);
    } catch (...) {
      return false;
    }
    raw.remove_prefix(eol + 2);
    if (size == 0) return true;
    if (raw.size() < size + 2) return false;
    out.append(raw.substr(0, size));
    raw.remove_prefix(size + 2);
  }
}

/// Splits `raw` into the response once it is complete; false while more bytes are needed.
bool parseResponse(const std::string& raw, bool at_eof, HttpResponse& response) {
  size_t head_end = raw.find("\r\n\r\n");
  if (head_end == std::string::npos) return false;
  std::string_view head(raw.data(), head_end);
  size_t line_end = head.find("\r\n");
  std::string_view status_line = head.substr(0, line_end);
  if (status_line.substr(0, 5) != "HTTP/" || status_line.size() < 12) {
    response.error = "not an HTTP status line: " + std::string(status_line);
    return true;
  }
  int status = std::atoi(std::string(status_line.substr(9, 3)).c_str());
  response.headers.clear();
  while (line_end != std::string_view::npos) {
    head.remove_prefix(line_end + 2);
    line_end = head.find("\r\n");
    std::string_view line = head.substr(0, line_end);
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    response.headers.emplace_back(lower(trim(line.substr(0, colon))),
                                  std::string(trim(line.substr(colon + 1))));
  }
  std::string_view body(raw.data() + head_end + 4, raw.size() - head_end - 4);
  if (lower(response.header("transfer-encoding")).find("chunked") != std::string::npos) {
    if (!dechunk(body, response.body)) {
      if (at_eof) response.error = "connection closed inside a chunked body";
      return at_eof;
    }
  } else if (std::string length = response.header("content-length"); !length.empty()) {
    size_t expected = std::strtoul(length.c_str(), nullptr, 10);
    if (body.size() < expected && !at_eof) return false;
    response.body = std::string(body.substr(0, expected));
  } else {
    if (!at_eof) return false;
    response.body = std::string(body);
  }
  if (response.error.empty()) response.status = status;
  return true;
}

}  // namespace

std::string HttpResponse::header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (key == name) return value;
  }
  return "";
}

HttpResponse httpRequest(std::string_view method, int port, std::string_view path,
                         std::chrono::milliseconds timeout, std::string_view body,
                         const std::vector<std::pair<std::string, std::string>>& headers) {
  HttpResponse response;
  const auto deadline = Clock::now() + timeout;
  auto left_ms = [&] {
    return static_cast<int>(std::max<long long>(
        0, std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count()));
  };

  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    response.error = std::string("socket: ") + std::strerror(errno);
    return response;
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const std::string where = "127.0.0.1:" + std::to_string(port);

  std::string request = std::string(method) + " " + std::string(path) +
                        " HTTP/1.1\r\nHost: " + where + "\r\nConnection: close\r\n";
  for (const auto& [name, value] : headers) request += name + ": " + value + "\r\n";
  if (!body.empty() || method == "POST" || method == "PUT") {
    request += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  }
  request += "\r\n";
  request += body;

  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 && errno != EINPROGRESS) {
    response.error = "connect " + where + ": " + std::strerror(errno);
    ::close(fd);
    return response;
  }
  size_t sent = 0;
  std::string raw;
  bool done = false;
  while (!done) {
    int wait_ms = left_ms();
    if (wait_ms == 0) {
      response.error =
          "no complete answer from " + where + " within " + std::to_string(timeout.count()) + " ms";
      break;
    }
    pollfd pfd{fd, static_cast<short>(sent < request.size() ? POLLOUT : POLLIN), 0};
    int ready = ::poll(&pfd, 1, wait_ms);
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) continue;  // the deadline check above ends the loop
    if (sent < request.size()) {
      ssize_t n = ::send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
      if (n < 0 && errno != EAGAIN && errno != EINTR) {
        response.error = "send to " + where + ": " + std::strerror(errno);
        break;
      }
      if (n > 0) sent += static_cast<size_t>(n);
      continue;
    }
    std::array<char, 8192> buf;
    ssize_t n = ::recv(fd, buf.data(), buf.size(), 0);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
    if (n < 0) {
      response.error = "receive from " + where + ": " + std::strerror(errno);
      break;
    }
    if (n > 0) raw.append(buf.data(), static_cast<size_t>(n));
    done = parseResponse(raw, n == 0, response);
    if (n == 0 && !done) {
      response.error = "connection to " + where + " closed before a complete answer";
      break;
    }
  }
  ::close(fd);
  if (!response.error.empty()) response.status = 0;
  return response;
}

}  // namespace medic::test
