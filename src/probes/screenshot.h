#pragma once
/// Screenshots as evidence (issue 5): a page captured with headless Chromium, where installed.
/// Chromium runs as a child process from an argv (never a shell), in a fresh profile directory,
/// with a deadline: on timeout its whole process group is killed and reaped, and the temporary
/// directory is always removed. captureScreenshot BLOCKS for up to the timeout: the daemon runs it
/// on a worker thread, never on the loop.

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/time.h"

namespace medic::probes {

struct ScreenshotRequest {
  std::string chromium = "chromium";  ///< program name (searched in PATH) or a path
  std::string url;                    ///< http or https only
  Millis timeout{30'000};
  int width = 1280;
  int height = 800;
};

struct ScreenshotResult {
  bool ok = false;
  bool unavailable = false;  ///< Chromium is not installed (or not executable)
  bool refused = false;      ///< the URL is not one medic may visit
  bool timed_out = false;
  std::string error;  ///< what went wrong and what to do, for people
  std::string png;    ///< the image, when ok
  Millis took{0};
};

/// The size a PNG declares in its IHDR chunk; nullopt unless `bytes` starts with the PNG
/// signature followed by a well-formed IHDR chunk.
struct PngSize {
  uint32_t width = 0;
  uint32_t height = 0;
};
std::optional<PngSize> pngSize(std::string_view bytes);

/// Resolves a program name through PATH (a name with a '/' is taken as a path); "" when there is
/// no executable file by that name.
std::string findExecutable(const std::string& program);

/// The argv medic runs: Chromium headless, sandbox-less (it runs under medic's own user), no
/// background traffic, every host name but the URL's own unresolvable.
std::vector<std::string> chromiumArgv(const std::string& program, const ScreenshotRequest& request,
                                      const std::string& profile_dir,
                                      const std::string& output_file);

/// Empty when medic may visit `url` (http/https, and every address its host resolves to is
/// allowed by the address policy); otherwise why not. Blocks on name resolution.
std::string screenshotRefusal(const std::string& url);

/// Captures `request.url`. `cancel`, when set, aborts the wait (the daemon is stopping).
ScreenshotResult captureScreenshot(const ScreenshotRequest& request,
                                   const std::atomic<bool>* cancel = nullptr);

}  // namespace medic::probes
