#!/usr/bin/env bash
# CTest fixture setup: installs the OpenAPI validators (swagger-parser, ajv) pinned by
# tests/integration/http/npm/package-lock.json into <build>/npm with `npm ci`. Nothing is installed
# globally. Fast when the lock file has not changed since the last install.
# Usage: npm-setup.sh <build-dir>/npm [package-dir]. When node or npm is missing: exit 77 (CTest
# counts it as skipped), or exit 1 when MEDIC_REQUIRE_DOCKER=1 (CI, where scripts/install-deps.sh has
# installed both, so their absence is a broken setup that must fail, not a skip).
# package-dir (default: the validators' tests/integration/http/npm) holds another package.json +
# package-lock.json, e.g. tests/integration/web/npm (playwright-core for the dashboard test).
set -euo pipefail

dest="${1:?usage: npm-setup.sh <dest-dir>}"
src="$(cd "${2:-$(dirname "${BASH_SOURCE[0]}")/npm}" && pwd)"

missing=()
for tool in node npm; do
  command -v "${tool}" >/dev/null || missing+=("${tool}")
done
if ((${#missing[@]} > 0)); then
  why="npm-setup: ${missing[*]} not found in PATH (scripts/install-deps.sh installs nodejs and npm)"
  if [[ "${MEDIC_REQUIRE_DOCKER:-0}" == "1" ]]; then
    echo "${why}; MEDIC_REQUIRE_DOCKER=1, so this is a failure, not a skip" >&2
    exit 1
  fi
  echo "${why}; skipped" >&2
  exit 77
fi

mkdir -p "${dest}"
if [[ -d "${dest}/node_modules" ]] && cmp -s "${src}/package-lock.json" "${dest}/package-lock.json"; then
  echo "npm-setup: packages already installed in ${dest}"
  exit 0
fi
cp "${src}/package.json" "${src}/package-lock.json" "${dest}/"
# playwright-core never downloads a browser on install; the variable makes sure of it.
PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --prefix "${dest}" --no-audit --no-fund
echo "npm-setup: packages installed in ${dest}"
