#include "probes/screenshot.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/url/parse.hpp>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "evidence/redact.h"
#include "probes/address_policy.h"

extern char** environ;

namespace medic::probes {
namespace {

using SteadyClock = std::chrono::steady_clock;

uint32_t bigEndian32(std::string_view b, size_t at) {
  return (static_cast<uint32_t>(static_cast<unsigned char>(b[at])) << 24) |
         (static_cast<uint32_t>(static_cast<unsigned char>(b[at + 1])) << 16) |
         (static_cast<uint32_t>(static_cast<unsigned char>(b[at + 2])) << 8) |
         static_cast<uint32_t>(static_cast<unsigned char>(b[at + 3]));
}

std::string readFile(const std::filesystem::path& path, size_t limit) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  std::string out(limit, '\0');
  in.read(out.data(), static_cast<std::streamsize>(limit));
  out.resize(static_cast<size_t>(in.gcount()));
  return out;
}

/// The last line Chromium wrote to stderr that says something, for the error message.
std::string lastWords(const std::filesystem::path& log) {
  std::istringstream in(readFile(log, size_t{64} * 1024));
  std::string line, last;
  while (std::getline(in, line)) {
    if (line.find("dbus") != std::string::npos || line.empty()) continue;
    last = line;
  }
  if (last.size() > 300) last = last.substr(last.size() - 300);
  return evidence::redactText(last);
}

/// Waits for `pid` until `deadline` or `cancel`; true with its status when it exited.
bool waitFor(pid_t pid, SteadyClock::time_point deadline, const std::atomic<bool>* cancel,
             int& status) {
  const int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  bool exited = false;
  while (true) {
    const pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid || (r < 0 && errno != EINTR)) {
      exited = true;
      break;
    }
    if (cancel != nullptr && cancel->load()) break;
    const auto left = std::chrono::duration_cast<Millis>(deadline - SteadyClock::now()).count();
    if (left <= 0) break;
    // Wake at least every 100 ms to notice `cancel`.
    const int slice = static_cast<int>(std::min<int64_t>(left, 100));
    if (pidfd >= 0) {
      pollfd p{pidfd, POLLIN, 0};
      ::poll(&p, 1, slice);
    } else {
      std::this_thread::sleep_for(Millis(std::min(slice, 10)));
    }
  }
  if (pidfd >= 0) ::close(pidfd);
  return exited;
}

}  // namespace

std::optional<PngSize> pngSize(std::string_view bytes) {
  static constexpr std::string_view kSignature("\x89PNG\r\n\x1a\n", 8);
  // signature (8) + IHDR length (4) + "IHDR" (4) + width (4) + height (4)
  if (bytes.size() < 33 || bytes.substr(0, 8) != kSignature) return std::nullopt;
  if (bigEndian32(bytes, 8) != 13 || bytes.substr(12, 4) != "IHDR") return std::nullopt;
  PngSize size{bigEndian32(bytes, 16), bigEndian32(bytes, 20)};
  if (size.width == 0 || size.height == 0) return std::nullopt;
  return size;
}

std::string findExecutable(const std::string& program) {
  if (program.empty()) return {};
  auto executable = [](const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
           ::access(path.c_str(), X_OK) == 0;
  };
  if (program.find('/') != std::string::npos) return executable(program) ? program : std::string();
  const char* path_env = std::getenv("PATH");
  std::string path = path_env != nullptr ? path_env : "/usr/local/bin:/usr/bin:/bin";
  std::stringstream dirs(path);
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    if (dir.empty()) continue;
    std::string candidate = dir;
    candidate.append("/").append(program);
    if (executable(candidate)) return candidate;
  }
  return {};
}

std::vector<std::string> chromiumArgv(const std::string& program, const ScreenshotRequest& request,
                                      const std::string& profile_dir,
                                      const std::string& output_file) {
  std::string host;
  if (auto parsed = boost::urls::parse_uri(request.url)) host = std::string(parsed->host_address());
  std::vector<std::string> argv = {
      program,
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
      "--user-data-dir=" + profile_dir,
      "--screenshot=" + output_file,
      "--window-size=" + std::to_string(request.width) + "," + std::to_string(request.height)};
  // Only the probed host resolves: a redirect or a subresource on another host cannot be reached.
  if (!host.empty()) argv.push_back("--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE " + host);
  argv.push_back(request.url);
  return argv;
}

std::string screenshotRefusal(const std::string& url) {
  auto parsed = boost::urls::parse_uri(url);
  if (!parsed) return "not a URL: " + evidence::redactText(url);
  if (parsed->scheme() != "http" && parsed->scheme() != "https") {
    return "only http and https pages are captured, not " + std::string(parsed->scheme());
  }
  std::string host(parsed->host_address());
  if (!host.empty() && host.front() == '[') host = host.substr(1, host.size() - 2);
  if (host.empty()) return "the URL has no host";
  boost::asio::io_context io;
  boost::asio::ip::tcp::resolver resolver(io);
  boost::system::error_code ec;
  auto results =
      resolver.resolve(host, parsed->has_port() ? std::string(parsed->port()) : "80", ec);
  if (ec) return "cannot resolve " + host + ": " + ec.message();
  for (const auto& entry : results) {
    auto why = refusedAddressReason(entry.endpoint().address());
    if (!why.empty()) {
      host.append(" resolves to a ").append(why);
      return host;
    }
  }
  return {};
}

ScreenshotResult captureScreenshot(const ScreenshotRequest& request,
                                   const std::atomic<bool>* cancel) {
  namespace fs = std::filesystem;
  ScreenshotResult out;
  const auto started = SteadyClock::now();
  const std::string program = findExecutable(request.chromium);
  if (program.empty()) {
    out.unavailable = true;
    out.error = "Chromium is not installed: no executable '" + request.chromium +
                "' (install the Debian package chromium, or set evidence.chromium to its path); "
                "no screenshot taken";
    return out;
  }
  if (auto why = screenshotRefusal(request.url); !why.empty()) {
    out.refused = true;
    out.error = "not captured: " + why;
    return out;
  }
  std::error_code ec;
  std::string pattern = (fs::temp_directory_path(ec) / "medic-shot-XXXXXX").string();
  if (ec) pattern = "/tmp/medic-shot-XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr) {
    out.error =
        std::string("cannot create a temporary directory for Chromium: ") + std::strerror(errno);
    return out;
  }
  const fs::path dir = pattern;
  const fs::path png = dir / "page.png";
  const fs::path log = dir / "chromium.log";
  const auto argv = chromiumArgv(program, request, (dir / "profile").string(), png.string());

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  // Its own process group, so a timeout kills Chromium's helpers too.
  posix_spawnattr_setflags(&attr,
                           POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  posix_spawnattr_setpgroup(&attr, 0);
  sigset_t none, defaults;
  sigemptyset(&none);
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGPIPE);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = -1;
  const int rc = ::posix_spawn(&pid, program.c_str(), &actions, &attr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) {
    out.error = "cannot start " + program + ": " + std::strerror(rc);
    fs::remove_all(dir, ec);
    return out;
  }
  int status = 0;
  const bool exited = waitFor(pid, started + request.timeout, cancel, status);
  // Whatever happened, nothing of this capture outlives it: the group goes, the child is reaped.
  ::kill(-pid, SIGKILL);
  if (!exited) {
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
  }
  out.took = std::chrono::duration_cast<Millis>(SteadyClock::now() - started);
  if (!exited) {
    out.timed_out = true;
    out.error = (cancel != nullptr && cancel->load())
                    ? std::string("capture cancelled: medic is stopping")
                    : "Chromium did not finish within " + std::to_string(request.timeout.count()) +
                          " ms; it was killed";
  } else {
    std::string bytes = readFile(png, size_t{32} * 1024 * 1024);
    if (pngSize(bytes)) {
      out.ok = true;
      out.png = std::move(bytes);
    } else {
      const int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      out.error = "Chromium exited with status " + std::to_string(code) + " without a valid PNG" +
                  (bytes.empty() ? "" : " (the file is not a PNG)");
      if (auto words = lastWords(log); !words.empty()) out.error += ": " + words;
    }
  }
  fs::remove_all(dir, ec);
  return out;
}

}  // namespace medic::probes
