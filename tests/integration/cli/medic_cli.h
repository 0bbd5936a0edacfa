#pragma once
/// Running the built `medic` binary from integration tests, and temporary files for its config and
/// state.

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "support/process.h"

namespace medic::test {

inline std::string medicBinary() { return std::string(MEDIC_BINARY_DIR) + "/src/medic"; }

/// `medic <args...>` with a deadline.
inline ProcessResult runMedic(std::vector<std::string> args,
                              std::chrono::milliseconds timeout = std::chrono::seconds(60)) {
  args.insert(args.begin(), medicBinary());
  return runProcess(args, timeout);
}

/// A fresh directory under /tmp, removed at the end.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "medic-test-XXXXXX").string();
    path_ = mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }
  std::string write(const std::string& name, const std::string& content) const {
    auto p = path_ + "/" + name;
    std::ofstream(p) << content;
    return p;
  }

 private:
  std::string path_;
};

}  // namespace medic::test
