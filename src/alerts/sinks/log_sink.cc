#include "alerts/sinks/log_sink.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>

namespace medic::alerts {
namespace {

std::string oneLine(std::string text) {
  for (char& c : text) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return text;
}

Status appendLine(const std::filesystem::path& path, const std::string& line) {
  std::error_code ec;
  std::filesystem::create_directories(path.parent_path(), ec);
  if (ec) {
    return Error::make(ErrorKind::kIo,
                       "cannot create " + path.parent_path().string() + ": " + ec.message());
  }
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) {
    return Error::make(ErrorKind::kIo,
                       "cannot open " + path.string() + ": " + std::strerror(errno));
  }
  // One write() of the whole line: O_APPEND keeps concurrent writers' lines whole.
  const ssize_t n = ::write(fd, line.data(), line.size());
  const int write_errno = errno;
  ::close(fd);
  if (n != static_cast<ssize_t>(line.size())) {
    const std::string why = n < 0 ? std::strerror(write_errno) : "short write";
    return Error::make(ErrorKind::kIo, (write_errno == ENOSPC ? "disk full: " : "") +
                                           std::string("cannot append to ") + path.string() + ": " +
                                           why);
  }
  return okStatus();
}

}  // namespace

std::string formatLogLine(const Alert& alert) {
  return formatWallTime(alert.updated) + " " + toString(alert.severity) + " " +
         toString(alert.state) + " " + (alert.service.empty() ? "-" : alert.service) + " #" +
         std::to_string(alert.id) + " " + oneLine(alert.title) + ": " + oneLine(alert.text);
}

boost::asio::awaitable<Status> LogSink::deliver(const Alert& alert, const SinkContext& ctx) {
  auto append = [path = path_, line = formatLogLine(alert) + "\n"] {
    return appendLine(path, line);
  };
  Status st = co_await runBlocking(ctx, std::move(append));
  co_return st;
}

}  // namespace medic::alerts
