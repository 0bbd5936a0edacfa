#include "metrics/process_metrics.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <vector>

namespace medic::metrics {
namespace {

std::optional<std::string> slurp(const std::string& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

}  // namespace

std::optional<ProcessSample> readProcessSample(const std::string& proc_dir,
                                               const std::string& proc_root,
                                               long ticks_per_second, long page_size) {
  if (ticks_per_second <= 0) ticks_per_second = ::sysconf(_SC_CLK_TCK);
  if (page_size <= 0) page_size = ::sysconf(_SC_PAGESIZE);
  if (ticks_per_second <= 0 || page_size <= 0) return std::nullopt;
  const auto stat = slurp(proc_dir + "/stat");
  const auto system_stat = slurp(proc_root + "/stat");
  if (!stat || !system_stat) return std::nullopt;
  // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so fields are counted
  // from the last ')'. After it, field 3 (state) is index 0; utime is field 14.
  const auto close = stat->rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream rest(stat->substr(close + 1));
  std::vector<std::string> fields{std::istream_iterator<std::string>(rest),
                                  std::istream_iterator<std::string>()};
  if (fields.size() < 22) return std::nullopt;
  auto field = [&](int number) { return std::stod(fields[static_cast<size_t>(number - 3)]); };
  double boot_time = -1;
  std::istringstream lines(*system_stat);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("btime ", 0) == 0) boot_time = std::stod(line.substr(6));
  }
  if (boot_time < 0) return std::nullopt;
  ProcessSample s;
  try {
    const double ticks = static_cast<double>(ticks_per_second);
    s.cpu_seconds = (field(14) + field(15)) / ticks;
    s.start_time_seconds = boot_time + field(22) / ticks;
    s.virtual_bytes = field(23);
    s.resident_bytes = field(24) * static_cast<double>(page_size);
  } catch (const std::exception&) {
    return std::nullopt;
  }
  std::error_code ec;
  for (std::filesystem::directory_iterator it(proc_dir + "/fd", ec), end; !ec && it != end;
       it.increment(ec)) {
    s.open_fds += 1;
  }
  if (const auto limits = slurp(proc_dir + "/limits")) {
    std::istringstream in(*limits);
    for (std::string line; std::getline(in, line);) {
      if (line.rfind("Max open files", 0) != 0) continue;
      std::istringstream values(line.substr(14));
      std::string soft;
      values >> soft;
      if (soft != "unlimited") {
        try {
          s.max_fds = std::stod(soft);
        } catch (const std::exception&) {
        }
      }
    }
  }
  return s;
}

void addProcessMetrics(Registry& registry) {
  auto& cpu = registry.scrapeCounter("process_cpu_seconds_total",
                                     "Total user and system CPU time spent in seconds.");
  auto& resident = registry.scrapeGauge("process_resident_memory_bytes",
                                        "Resident memory size in bytes.");
  auto& virt = registry.scrapeGauge("process_virtual_memory_bytes",
                                    "Virtual memory size in bytes.");
  auto& start = registry.scrapeGauge("process_start_time_seconds",
                                     "Start time of the process since unix epoch in seconds.");
  auto& open_fds = registry.scrapeGauge("process_open_fds", "Number of open file descriptors.");
  auto& max_fds = registry.scrapeGauge("process_max_fds",
                                       "Maximum number of open file descriptors.");
  registry.addCollector([&](Scrape& scrape) {
    const auto s = readProcessSample();
    if (!s) return;
    scrape.set(cpu, {}, s->cpu_seconds);
    scrape.set(resident, {}, s->resident_bytes);
    scrape.set(virt, {}, s->virtual_bytes);
    scrape.set(start, {}, s->start_time_seconds);
    scrape.set(open_fds, {}, s->open_fds);
    if (s->max_fds) scrape.set(max_fds, {}, *s->max_fds);
  });
}

}  // namespace medic::metrics
