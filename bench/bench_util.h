#pragma once
// What the benchmarks in bench/ share: time and percentile arithmetic, medic's wall-clock
// timestamps, and a `medic watch` child process with its own state dir and API port.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <functional>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "integration/cli/medic_cli.h"
#include "support/docker_env.h"
#include "support/http_client.h"
#include "support/process.h"

namespace medic::bench {

using Clock = std::chrono::steady_clock;

inline double seconds(Clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

/// Nearest-rank percentile; a missing value (no recovery) sorts last, as +infinity.
inline std::optional<double> percentile(std::vector<std::optional<double>> values, double p) {
  if (values.empty()) return std::nullopt;
  std::vector<double> v;
  for (const auto& x : values) v.push_back(x ? *x : INFINITY);
  std::sort(v.begin(), v.end());
  const auto rank = static_cast<size_t>(std::ceil(p / 100.0 * static_cast<double>(v.size())));
  const double x = v[std::clamp<size_t>(rank, 1, v.size()) - 1];
  if (std::isinf(x)) return std::nullopt;
  return x;
}

inline std::string fmtSeconds(std::optional<double> s, const char* missing = "never") {
  if (!s) return missing;
  std::ostringstream out;
  out.setf(std::ios::fixed);
  out.precision(*s < 10 ? 3 : 1);
  out << *s << " s";
  return out.str();
}

/// Milliseconds since the epoch of medic's "YYYY-MM-DDTHH:MM:SS.mmmZ".
inline std::optional<int64_t> parseWallMillis(const std::string& text) {
  std::tm tm{};
  int ms = 0;
  if (std::sscanf(text.c_str(), "%d-%d-%dT%d:%d:%d.%dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                  &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &ms) != 7) {
    return std::nullopt;
  }
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return static_cast<int64_t>(timegm(&tm)) * 1000 + ms;
}

inline int64_t wallMillisNow() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

/// A `medic watch` child with its own state dir (in `dir`) and API port on 127.0.0.1.
class MedicDaemon {
 public:
  MedicDaemon(std::string binary, const test::TempDir& dir, const std::string& config)
      : binary_(std::move(binary)), dir_(dir.path()), port_(test::freePort()) {
    const std::string log = dir_ + "/watch.log";
    const std::string listen = "127.0.0.1:" + std::to_string(port_);
    const std::string state = dir_ + "/state";
    pid_ = fork();
    if (pid_ == 0) {
      int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      dup2(fd, 1);
      dup2(fd, 2);
      setpgid(0, 0);
      execl(binary_.c_str(), binary_.c_str(), "watch", "--config", config.c_str(), "--state-dir",
            state.c_str(), "--listen", listen.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
  }
  ~MedicDaemon() {
    if (pid_ <= 0) return;
    kill(pid_, SIGTERM);
    for (int i = 0; i < 100; ++i) {
      if (waitpid(pid_, nullptr, WNOHANG) == pid_) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  MedicDaemon(const MedicDaemon&) = delete;
  MedicDaemon& operator=(const MedicDaemon&) = delete;

  /// The `services` array of `medic status --json`, or null.
  nlohmann::json services() const {
    auto r = test::runProcess(
        {binary_, "status", "--json", "--url", "http://127.0.0.1:" + std::to_string(port_),
         "--state-dir", dir_ + "/state"},
        std::chrono::seconds(10));
    auto j = nlohmann::json::parse(r.out, nullptr, false);
    if (j.is_discarded() || !j.contains("services")) return nullptr;
    return j["services"];
  }
  /// The service's entry in `medic status --json`, or null.
  nlohmann::json service(const std::string& service) const {
    auto all = services();
    if (!all.is_array()) return nullptr;
    for (const auto& s : all) {
      if (s.value("name", "") == service) return s;
    }
    return nullptr;
  }
  std::string state(const std::string& service) const {
    auto s = this->service(service);
    return s.is_object() ? s.value("state", "") : "";
  }
  /// GET <path> of medic's API parsed as JSON; null when it did not answer 200 with JSON.
  nlohmann::json api(const std::string& path) const {
    auto r = test::httpGet(port_, path, std::chrono::seconds(5));
    if (r.status != 200) return nullptr;
    auto j = nlohmann::json::parse(r.body, nullptr, false);
    return j.is_discarded() ? nlohmann::json() : j;
  }
  /// False once the daemon has exited (it is then reaped).
  bool alive() {
    if (pid_ <= 0) return false;
    if (waitpid(pid_, nullptr, WNOHANG) == pid_) pid_ = -1;
    return pid_ > 0;
  }
  /// The last `bytes` of the daemon's output.
  std::string logTail(size_t bytes = 2000) const {
    std::ifstream in(dir_ + "/watch.log");
    std::stringstream ss;
    ss << in.rdbuf();
    auto text = ss.str();
    return text.size() > bytes ? text.substr(text.size() - bytes) : text;
  }

 private:
  std::string binary_;
  std::string dir_;
  int port_;
  pid_t pid_ = -1;
};

/// Parses the flags every benchmark takes into `o` (fields trials, cap, medic, faults): --trials N,
/// --cap SECONDS, --medic PATH, --faults a,b (as name() spells them) and --help. Any other flag
/// goes to `other(flag, o)`, which returns false when it does not know it. A bad flag or value
/// calls usage(2).
template <class Options, class Fault, size_t N>
Options parseArgs(int argc, char** argv, const Fault (&all)[N], const char* (*name)(Fault),
                  void (*usage)(int),
                  const std::function<bool(const std::string&, Options&)>& other = {}) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage(2);
      return argv[++i];
    };
    if (a == "--trials") {
      o.trials = std::atoi(value().c_str());
      if (o.trials < 1) usage(2);
    } else if (a == "--cap") {
      o.cap = std::chrono::milliseconds(std::atoi(value().c_str()) * 1000);
      if (o.cap <= std::chrono::milliseconds(0)) usage(2);
    } else if (a == "--medic") {
      o.medic = value();
    } else if (a == "--faults") {
      o.faults.clear();
      std::stringstream list(value());
      for (std::string item; std::getline(list, item, ',');) {
        auto it =
            std::find_if(std::begin(all), std::end(all), [&](Fault f) { return item == name(f); });
        if (it == std::end(all)) usage(2);
        o.faults.push_back(*it);
      }
    } else if (a == "--help" || a == "-h") {
      usage(0);
    } else if (!other || !other(a, o)) {
      usage(2);
    }
  }
  return o;
}

/// Why the benchmark `program` cannot run (no engine, no medic binary at `medic`, no `image`,
/// which `image_script` builds), said on stderr; false when it can.
inline bool cannotRun(const char* program, const std::string& medic, const std::string& image,
                      const char* image_script) {
  if (auto why = test::dockerUnavailableReason()) {
    std::cerr << program << ": " << *why << "\n";
    return true;
  }
  if (access(medic.c_str(), X_OK) != 0) {
    std::cerr << program << ": no medic binary at " << medic
              << "; build it (its bench/run-*.sh does) or pass --medic PATH\n";
    return true;
  }
  if (!test::dockerCli({"image", "inspect", image}, std::chrono::seconds(20)).ok()) {
    std::cerr << program << ": image " << image << " missing; run " << image_script << "\n";
    return true;
  }
  return false;
}

}  // namespace medic::bench
