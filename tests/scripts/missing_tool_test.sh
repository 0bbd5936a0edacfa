#!/usr/bin/env bash
# A CTest fixture script whose tool is missing skips (exit 77) on a developer's machine but FAILS
# (exit 1, with a message naming the tool) under MEDIC_REQUIRE_DOCKER=1, the CI flag: CI must never
# pass a suite by skipping it. npm-setup.sh sets up the OpenAPI and web-dashboard suites.
# Usage: missing_tool_test.sh <repo root>
set -euo pipefail
repo="${1:?usage: missing_tool_test.sh <repo root>}"
# shellcheck source=tests/scripts/testlib.sh
source "$(dirname "${BASH_SOURCE[0]}")/testlib.sh"

setup="${repo}/tests/integration/http/npm-setup.sh"
# Everything npm-setup.sh runs before it looks for node and npm; neither is there.
bin="${work}/bin"
sandbox_bin "${bin}" bash dirname mkdir cmp cp
dest="${work}/npm"

run env -u MEDIC_REQUIRE_DOCKER PATH="${bin}" "${setup}" "${dest}"
check "no node, no npm, not CI: skipped (77)" test "${rc}" -eq 77
check "the skip says what is missing" expect_in "${err}" "node npm not found"

run env MEDIC_REQUIRE_DOCKER=1 PATH="${bin}" "${setup}" "${dest}"
check "no node, no npm, MEDIC_REQUIRE_DOCKER=1: failed (1, not 77)" test "${rc}" -eq 1
check "the failure names the tools and the package script" \
  expect_in "${err}" "node npm not found in PATH (scripts/install-deps.sh installs nodejs and npm)"
check "the failure says why it is not a skip" \
  expect_in "${err}" "MEDIC_REQUIRE_DOCKER=1, so this is a failure"
check "nothing was installed" test ! -e "${dest}"

# Debian 12's nodejs without its separate npm package.
fake "${bin}" node 'echo v18.20.4'
run env MEDIC_REQUIRE_DOCKER=1 PATH="${bin}" "${setup}" "${dest}"
check "node without npm, MEDIC_REQUIRE_DOCKER=1: failed" test "${rc}" -eq 1
check "the failure names npm alone" expect_in "${err}" "npm-setup: npm not found"

# The web suite's package dir goes through the same check.
run env MEDIC_REQUIRE_DOCKER=1 PATH="${bin}" "${setup}" "${dest}" "${repo}/tests/integration/web/npm"
check "web dashboard setup, npm missing, MEDIC_REQUIRE_DOCKER=1: failed" test "${rc}" -eq 1

finish
