#include "core/atomic_file.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "test_dir.h"

namespace medic {
namespace {

using testing::readBytes;
using testing::TempDir;
using testing::writeBytes;

std::vector<std::string> listDir(const std::filesystem::path& dir) {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

mode_t modeOf(const std::filesystem::path& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 07777;
}

TEST(WriteFileAtomic, CreatesParentDirsAndWritesContent) {
  TempDir dir;
  auto path = dir / "alerts/critical-failures.json";
  auto status = writeFileAtomic(path, R"({"alerts":[]})");
  ASSERT_TRUE(status.ok()) << status.error().describe();
  EXPECT_EQ(readBytes(path), R"({"alerts":[]})");
  EXPECT_EQ(listDir(dir / "alerts"), std::vector<std::string>{"critical-failures.json"});
  EXPECT_EQ(modeOf(path), 0644u);
}

TEST(WriteFileAtomic, ReplacesContentAndLeavesNoTempFiles) {
  TempDir dir;
  auto path = dir / "recovery-state.json";
  writeBytes(path, std::string(10'000, 'x'));  // longer than the new content: no leftover tail
  auto status = writeFileAtomic(path, "{\"webui\":{\"attempts\":2}}\n");
  ASSERT_TRUE(status.ok()) << status.error().describe();
  status = writeFileAtomic(path, "{\"webui\":{\"attempts\":3}}\n");
  ASSERT_TRUE(status.ok()) << status.error().describe();
  EXPECT_EQ(readBytes(path), "{\"webui\":{\"attempts\":3}}\n");
  EXPECT_EQ(listDir(dir.path()), std::vector<std::string>{"recovery-state.json"});
}

TEST(WriteFileAtomic, AppliesTheModeExactly) {
  TempDir dir;
  auto token = dir / "token";
  ASSERT_TRUE(writeFileAtomic(token, "secret-token-bytes", 0600).ok());
  EXPECT_EQ(modeOf(token), 0600u);
  // Replacing a 0644 file with mode 0600 tightens it (the new inode carries the new mode).
  auto state = dir / "state.json";
  ASSERT_TRUE(writeFileAtomic(state, "{}", 0644).ok());
  ASSERT_TRUE(writeFileAtomic(state, "{}", 0600).ok());
  EXPECT_EQ(modeOf(state), 0600u);
  ASSERT_TRUE(writeFileAtomic(dir / "group-readable", "x", 0640).ok());
  EXPECT_EQ(modeOf(dir / "group-readable"), 0640u);
}

TEST(WriteFileAtomic, WritesEmptyContent) {
  TempDir dir;
  ASSERT_TRUE(writeFileAtomic(dir / "empty", "").ok());
  EXPECT_TRUE(std::filesystem::exists(dir / "empty"));
  EXPECT_EQ(std::filesystem::file_size(dir / "empty"), 0u);
}

TEST(WriteFileAtomic, FailureIsAnIoErrorNamingThePathAndCleansUp) {
  TempDir dir;
  // The destination is a directory holding a file: rename() must fail after the temp file was
  // written, which is the path where a leftover temp file could leak.
  auto target = dir / "target";
  std::filesystem::create_directories(target);
  writeBytes(target / "keep", "old");
  auto status = writeFileAtomic(target, "new");
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().kind, ErrorKind::kIo);
  EXPECT_NE(status.error().message.find(target.string()), std::string::npos)
      << status.error().message;
  EXPECT_EQ(listDir(dir.path()), std::vector<std::string>{"target"});
  EXPECT_EQ(readBytes(target / "keep"), "old");
}

TEST(WriteFileAtomic, ParentThatIsAFileIsAnIoError) {
  TempDir dir;
  writeBytes(dir / "plain-file", "x");
  auto path = dir / "plain-file/child.json";
  auto status = writeFileAtomic(path, "{}");
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().kind, ErrorKind::kIo);
  EXPECT_NE(status.error().message.find(path.string()), std::string::npos)
      << status.error().message;
  EXPECT_EQ(readBytes(dir / "plain-file"), "x");
}

}  // namespace
}  // namespace medic
