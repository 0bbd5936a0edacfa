// MEDIC_REQUIRE_TOOL_OR_SKIP: a missing tool skips a test on a developer's machine and fails it in
// CI (MEDIC_REQUIRE_DOCKER=1), with a message that names the missing path and its package.

#include "support/require_tool.h"

#include <gmock/gmock.h>
#include <gtest/gtest-spi.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace medic::test {
namespace {

using ::testing::HasSubstr;
using ::testing::TestPartResult;
using ::testing::TestPartResultArray;

constexpr const char* kMissing = "/nonexistent/medic-no-such-tool";

/// Runs the macro in a function of its own (its GTEST_FAIL/GTEST_SKIP return from there) and
/// records in `results` what it reported instead of reporting it.
void requireForTest(const char* path, bool required, bool* went_on, TestPartResultArray* results) {
  ::testing::ScopedFakeTestPartResultReporter reporter(
      ::testing::ScopedFakeTestPartResultReporter::INTERCEPT_ONLY_CURRENT_THREAD, results);
  [&] {
    MEDIC_REQUIRE_TOOL_OR_SKIP_WHEN(required, path, "medic-no-such-package");
    *went_on = true;
  }();
}

TEST(RequireTool, MissingToolFailsWhenRequired) {
  bool went_on = false;
  TestPartResultArray results;
  requireForTest(kMissing, true, &went_on, &results);
  ASSERT_EQ(results.size(), 1);
  const TestPartResult& result = results.GetTestPartResult(0);
  EXPECT_TRUE(result.fatally_failed());
  EXPECT_THAT(result.message(), HasSubstr(kMissing));
  EXPECT_THAT(result.message(), HasSubstr("medic-no-such-package"));
  EXPECT_THAT(result.message(), HasSubstr("MEDIC_REQUIRE_DOCKER=1"));
  EXPECT_FALSE(went_on);
}

TEST(RequireTool, MissingToolSkipsWhenNotRequired) {
  bool went_on = false;
  TestPartResultArray results;
  requireForTest(kMissing, false, &went_on, &results);
  ASSERT_EQ(results.size(), 1);
  EXPECT_TRUE(results.GetTestPartResult(0).skipped());
  EXPECT_THAT(results.GetTestPartResult(0).message(), HasSubstr("medic-no-such-package"));
  EXPECT_FALSE(went_on);
}

TEST(RequireTool, PresentToolLetsTheTestGoOn) {
  bool went_on = false;
  TestPartResultArray results;
  requireForTest("/bin/sh", true, &went_on, &results);
  EXPECT_EQ(results.size(), 0);
  EXPECT_TRUE(went_on);
}

TEST(RequireTool, ALibraryIsCheckedForReadingAProgramForRunning) {
  const std::string library = ::testing::TempDir() + "medic-require-tool-lib.so";
  std::ofstream(library) << "not a program";
  std::filesystem::permissions(
      library, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write |
                   std::filesystem::perms::group_read | std::filesystem::perms::others_read);
  EXPECT_EQ(missingTool(library.c_str(), "libfaketime", R_OK), std::nullopt);
  EXPECT_NE(missingTool(library.c_str(), "libfaketime", X_OK), std::nullopt);
  std::filesystem::remove(library);
}

}  // namespace
}  // namespace medic::test
