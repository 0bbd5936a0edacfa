#pragma once
/// Tests that need a program (or a library) from a Debian package that scripts/install-deps.sh
/// installs: where it is missing the test skips with a message naming the package, except when
/// MEDIC_REQUIRE_DOCKER=1 (CI: install-deps.sh has run, so a missing tool is a broken setup, and
/// a skip would let the suite pass without testing anything), where it fails.

#include <gtest/gtest.h>
#include <unistd.h>

#include <optional>
#include <string>

#include "support/docker_env.h"

namespace medic::test {

/// Empty when `path` exists with `mode` (X_OK for a program, R_OK for a library); otherwise what
/// is missing and which package brings it.
inline std::optional<std::string> missingTool(const char* path, const char* package,
                                              int mode = X_OK) {
  if (::access(path, mode) == 0) return std::nullopt;
  return std::string(path) + " is missing: install the Debian package " + package +
         " (scripts/install-deps.sh does)";
}

}  // namespace medic::test

/// In a test body (or SetUp()): when the tool is missing, fails under MEDIC_REQUIRE_DOCKER=1, else
/// skips; either way returns. Arguments: those of missingTool().
#define MEDIC_REQUIRE_TOOL_OR_SKIP(...) \
  MEDIC_REQUIRE_TOOL_OR_SKIP_WHEN(::medic::test::dockerRequired(), __VA_ARGS__)

/// The same with the CI decision handed in (`required`), for the test of this macro.
#define MEDIC_REQUIRE_TOOL_OR_SKIP_WHEN(required, ...)                                       \
  do {                                                                                       \
    if (auto medic_missing = ::medic::test::missingTool(__VA_ARGS__)) {                      \
      if (required) {                                                                        \
        GTEST_FAIL() << *medic_missing << " [MEDIC_REQUIRE_DOCKER=1, so this is a failure]"; \
      }                                                                                      \
      GTEST_SKIP() << *medic_missing;                                                        \
    }                                                                                        \
  } while (0)
