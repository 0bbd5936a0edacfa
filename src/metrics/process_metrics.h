#pragma once
/// The process_* families every Prometheus client library exports (process_cpu_seconds_total,
/// process_resident_memory_bytes, process_virtual_memory_bytes, process_open_fds,
/// process_max_fds, process_start_time_seconds), read from Linux's /proc at scrape time.

#include <optional>
#include <string>

#include "metrics/registry.h"

namespace medic::metrics {

/// One reading of a process, in the units the families use.
struct ProcessSample {
  double cpu_seconds = 0;         ///< user + system time
  double resident_bytes = 0;
  double virtual_bytes = 0;
  double start_time_seconds = 0;  ///< Unix time the process started
  double open_fds = 0;
  std::optional<double> max_fds;  ///< soft limit; nullopt when "unlimited"
};

/// Reads `proc_dir` (/proc/self) and `proc_root`/stat (boot time). `ticks_per_second` and
/// `page_size` are the kernel's (sysconf); the defaults ask the running system. nullopt when the
/// files cannot be read or parsed.
std::optional<ProcessSample> readProcessSample(const std::string& proc_dir = "/proc/self",
                                               const std::string& proc_root = "/proc",
                                               long ticks_per_second = 0, long page_size = 0);

/// Declares the process_* families on `registry` and a collector that fills them from
/// readProcessSample() at every scrape (nothing when /proc cannot be read).
void addProcessMetrics(Registry& registry);

}  // namespace medic::metrics
