// Screenshot capture around Chromium: the argv, the PNG check, a missing browser, a refused URL,
// and the deadline (a stand-in "browser" that hangs is killed, reaped and cleaned up).
#include "probes/screenshot.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

namespace medic::probes {
namespace {

namespace fs = std::filesystem;

/// A valid 1x1 PNG (signature, IHDR, IDAT, IEND).
const std::string kTinyPng(
    "\x89\x50\x4e\x47\x0d\x0a\x1a\x0a\x00\x00\x00\x0d\x49\x48\x44\x52"
    "\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4"
    "\x89\x00\x00\x00\x0b\x49\x44\x41\x54\x78\x9c\x63\x60\x00\x02\x00"
    "\x00\x05\x00\x01\x7a\x5e\xab\x3f\x00\x00\x00\x00\x49\x45\x4e\x44"
    "\xae\x42\x60\x82",
    68);

class ScratchDir {
 public:
  ScratchDir() {
    std::string pattern = (fs::temp_directory_path() / "medic-shot-test-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) ADD_FAILURE() << "mkdtemp";
    path_ = pattern;
  }
  ~ScratchDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  /// An executable script standing in for Chromium.
  std::string script(const std::string& name, const std::string& body) const {
    auto p = path_ / name;
    std::ofstream(p) << "#!/bin/sh\n" << body << "\n";
    fs::permissions(p, fs::perms::owner_all);
    return p.string();
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

/// Capture dirs left in `tmp`. The tests that count them point TMPDIR at their own scratch dir, so
/// captures of tests running in parallel are not counted.
int leftoverCaptureDirs(const fs::path& tmp) {
  int n = 0;
  for (const auto& e : fs::directory_iterator(tmp)) {
    if (e.path().filename().string().rfind("medic-shot-", 0) == 0 &&
        e.path().filename().string().rfind("medic-shot-test-", 0) != 0) {
      ++n;
    }
  }
  return n;
}

TEST(PngSize, ReadsTheIhdrOfARealPngAndRejectsEverythingElse) {
  auto size = pngSize(kTinyPng);
  ASSERT_TRUE(size.has_value());
  EXPECT_EQ(size->width, 1u);
  EXPECT_EQ(size->height, 1u);
  EXPECT_FALSE(pngSize("").has_value());
  EXPECT_FALSE(pngSize("GIF89a..........................................").has_value());
  std::string bad_chunk = kTinyPng;
  bad_chunk[12] = 'X';  // IHDR renamed
  EXPECT_FALSE(pngSize(bad_chunk).has_value());
  EXPECT_FALSE(pngSize(kTinyPng.substr(0, 20)).has_value());
}

TEST(ChromiumArgv, IsTheDocumentedArgvWithAFreshProfileAndOnlyTheTargetHostResolvable) {
  ScreenshotRequest r;
  r.url = "http://127.0.0.1:8080/status";
  auto argv = chromiumArgv("/usr/bin/chromium", r, "/tmp/p", "/tmp/p.png");
  const std::vector<std::string> expected = {
      "/usr/bin/chromium",
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
      "--user-data-dir=/tmp/p",
      "--screenshot=/tmp/p.png",
      "--window-size=1280,800",
      "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
      "http://127.0.0.1:8080/status"};
  EXPECT_EQ(argv, expected);
}

TEST(Screenshot, MissingChromiumIsAClearMessageNotACrash) {
  ScreenshotRequest r;
  r.chromium = "medic-no-such-browser";
  r.url = "http://127.0.0.1:1/";
  auto out = captureScreenshot(r);
  EXPECT_FALSE(out.ok);
  EXPECT_TRUE(out.unavailable);
  EXPECT_NE(out.error.find("Chromium is not installed"), std::string::npos) << out.error;
  EXPECT_NE(out.error.find("evidence.chromium"), std::string::npos) << out.error;
  EXPECT_EQ(findExecutable("medic-no-such-browser"), "");
  EXPECT_EQ(findExecutable("/bin/sh"), "/bin/sh");
  EXPECT_FALSE(findExecutable("sh").empty());
}

TEST(Screenshot, RefusesNonHttpUrlsAndMetadataAddresses) {
  EXPECT_NE(screenshotRefusal("file:///etc/passwd"), "");
  EXPECT_NE(screenshotRefusal("ftp://127.0.0.1/"), "");
  EXPECT_NE(screenshotRefusal("http://169.254.169.254/latest/meta-data/").find("metadata"),
            std::string::npos);
  EXPECT_EQ(screenshotRefusal("http://127.0.0.1:8080/"), "");
  ScratchDir dir;
  ScreenshotRequest r;
  r.chromium = dir.script("browser", "exit 0");
  r.url = "http://169.254.169.254/";
  auto out = captureScreenshot(r);
  EXPECT_TRUE(out.refused);
  EXPECT_FALSE(out.ok);
}

TEST(Screenshot, StoresWhatTheBrowserWroteWhenItIsAPng) {
  ScratchDir dir;
  const auto source = dir.path() / "tiny.png";
  std::ofstream(source, std::ios::binary) << kTinyPng;
  ScreenshotRequest r;
  r.chromium = dir.script("browser", "for a in \"$@\"; do case \"$a\" in --screenshot=*) cp '" +
                                         source.string() + "' \"${a#--screenshot=}\";; esac; done");
  r.url = "http://127.0.0.1:1/";
  ::setenv("TMPDIR", dir.path().c_str(), 1);
  const int before = leftoverCaptureDirs(dir.path());
  auto out = captureScreenshot(r);
  EXPECT_TRUE(out.ok) << out.error;
  EXPECT_EQ(out.png, kTinyPng);
  EXPECT_EQ(leftoverCaptureDirs(dir.path()), before);  // the profile and output dir are gone
}

TEST(Screenshot, NotAPngIsAFailureWithTheBrowsersLastWords) {
  ScratchDir dir;
  ScreenshotRequest r;
  r.chromium = dir.script("browser", "echo 'page crashed: out of memory' >&2; exit 3");
  r.url = "http://127.0.0.1:1/";
  auto out = captureScreenshot(r);
  EXPECT_FALSE(out.ok);
  EXPECT_NE(out.error.find("status 3"), std::string::npos) << out.error;
  EXPECT_NE(out.error.find("page crashed"), std::string::npos) << out.error;
}

TEST(Screenshot, AHangingBrowserIsKilledAtTheDeadlineAndCleanedUp) {
  ScratchDir dir;
  ScreenshotRequest r;
  // The stand-in and its child both hang; the whole process group must go.
  r.chromium = dir.script("browser", "sleep 30 & sleep 30");
  r.url = "http://127.0.0.1:1/";
  r.timeout = Millis(300);
  ::setenv("TMPDIR", dir.path().c_str(), 1);
  const int before = leftoverCaptureDirs(dir.path());
  auto out = captureScreenshot(r);
  EXPECT_FALSE(out.ok);
  EXPECT_TRUE(out.timed_out);
  EXPECT_LT(out.took, Millis(3000));
  EXPECT_NE(out.error.find("killed"), std::string::npos) << out.error;
  EXPECT_EQ(leftoverCaptureDirs(dir.path()), before);
}

TEST(Screenshot, CancelStopsTheWaitAtOnce) {
  ScratchDir dir;
  ScreenshotRequest r;
  r.chromium = dir.script("browser", "sleep 30");
  r.url = "http://127.0.0.1:1/";
  r.timeout = Millis(20'000);
  std::atomic<bool> cancel{true};
  auto out = captureScreenshot(r, &cancel);
  EXPECT_TRUE(out.timed_out);
  EXPECT_LT(out.took, Millis(3000));
  EXPECT_NE(out.error.find("cancelled"), std::string::npos);
}

}  // namespace
}  // namespace medic::probes
