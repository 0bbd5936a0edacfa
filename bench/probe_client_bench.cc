// CPU per HTTP probe round through medic's HTTP client (runHttpProbe), plain http and https, against
// peers on 127.0.0.1 in this process: a minimal HTTP/1.1 responder thread and the test support's
// https receiver with a CA made by openssl (SSL_CERT_FILE points the system store at it).
// Prints the probe thread's CPU microseconds per probe (median of rounds) and wall ms.
//
// Usage: probe_client_bench [--probes N] [--rounds R]
// Before/after: link the same object against another build's probe libraries (see
// bench/run-probe-client-bench.sh) and compare the figures of runs made back to back.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "probes/probe.h"
#include "support/tls_peer.h"

namespace {

double threadCpuMicros() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e6 + static_cast<double>(ts.tv_nsec) / 1e3;
}

/// Answers every connection with 200 "ok" and closes it.
class PlainResponder {
 public:
  PlainResponder() {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    ::listen(fd_, 128);
    socklen_t len = sizeof addr;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] {
      static const char kReply[] =
          "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n"
          "Connection: close\r\n\r\nok";
      char buf[4096];
      while (!stop_) {
        pollfd p{fd_, POLLIN, 0};
        if (::poll(&p, 1, 50) <= 0) continue;
        const int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
        if (c < 0) continue;
        std::string got;
        while (got.find("\r\n\r\n") == std::string::npos) {
          const ssize_t n = ::recv(c, buf, sizeof buf, 0);
          if (n <= 0) break;
          got.append(buf, static_cast<size_t>(n));
        }
        (void)::send(c, kReply, sizeof kReply - 1, MSG_NOSIGNAL);
        ::close(c);
      }
    });
  }
  ~PlainResponder() {
    stop_ = true;
    thread_.join();
    ::close(fd_);
  }
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

struct Figures {
  double cpu_us_per_probe;
  double wall_ms_per_probe;
  int failed;
};

Figures round(const std::string& url, int probes) {
  medic::config::ProbeConfig p;
  p.kind = medic::config::ProbeKind::kHttp;
  p.url = url;
  p.timeout = medic::Millis(5000);
  boost::asio::io_context io;
  int failed = 0;
  const double cpu0 = threadCpuMicros();
  const auto wall0 = std::chrono::steady_clock::now();
  // Named: a lambda coroutine's captures live in the lambda, which must outlive io.run().
  auto probeLoop = [&]() -> boost::asio::awaitable<void> {
    for (int i = 0; i < probes; ++i) {
      auto out = co_await medic::probes::runHttpProbe(p);
      if (!out.ok) {
        if (failed == 0) std::fprintf(stderr, "probe failed: %s\n", out.summary.c_str());
        ++failed;
      }
    }
  };
  boost::asio::co_spawn(io, probeLoop(), [](std::exception_ptr) {});
  io.run();
  const double cpu = threadCpuMicros() - cpu0;
  const double wall =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - wall0).count();
  return {cpu / probes, wall / probes, failed};
}

}  // namespace

int main(int argc, char** argv) {
  int probes = 500;
  int rounds = 5;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--probes") == 0) probes = std::atoi(argv[i + 1]);
    if (std::strcmp(argv[i], "--rounds") == 0) rounds = std::atoi(argv[i + 1]);
  }
  std::string tmpl = (std::filesystem::temp_directory_path() / "medic-probe-bench-XXXXXX").string();
  const std::filesystem::path dir = ::mkdtemp(tmpl.data());
  medic::test::TestCa ca(dir, "medic bench CA");
  const auto cert = ca.issue("receiver", "IP:127.0.0.1");
  if (!ca.error().empty()) {
    std::fprintf(stderr, "%s\n", ca.error().c_str());
    return 1;
  }
  ::setenv("SSL_CERT_FILE", ca.caFile().c_str(), 1);
  PlainResponder plain;
  medic::test::HttpsReceiver tls(cert.cert, cert.key);
  const std::string http_url = "http://127.0.0.1:" + std::to_string(plain.port()) + "/health";
  const std::string https_url = "https://127.0.0.1:" + std::to_string(tls.port()) + "/health";

  round(http_url, 50);  // warm up
  round(https_url, 20);
  for (const auto& [name, url] : {std::pair{"http", http_url}, std::pair{"https", https_url}}) {
    std::vector<double> cpu;
    std::vector<double> wall;
    int failed = 0;
    for (int r = 0; r < rounds; ++r) {
      const auto f = round(url, name == std::string("https") ? probes / 5 : probes);
      cpu.push_back(f.cpu_us_per_probe);
      wall.push_back(f.wall_ms_per_probe);
      failed += f.failed;
    }
    std::sort(cpu.begin(), cpu.end());
    std::sort(wall.begin(), wall.end());
    std::printf("%-5s probe: %8.1f us CPU (probe thread, median of %d rounds; min %.1f max %.1f)"
                "  %.3f ms wall  %d failed\n",
                name, cpu[cpu.size() / 2], rounds, cpu.front(), cpu.back(),
                wall[wall.size() / 2], failed);
  }
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  return 0;
}
