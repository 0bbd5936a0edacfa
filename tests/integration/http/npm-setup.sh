#!/usr/bin/env bash
# CTest fixture setup: installs the OpenAPI validators (swagger-parser, ajv) pinned by
# tests/integration/http/npm/package-lock.json into <build>/npm with `npm ci`. Nothing is installed
# globally. Fast when the lock file has not changed since the last install.
# Usage: npm-setup.sh <build-dir>/npm [package-dir]. Exit 77 (skip) when node/npm are missing.
# package-dir (default: the validators' tests/integration/http/npm) holds another package.json +
# package-lock.json, e.g. tests/integration/web/npm (playwright-core for the dashboard test).
set -euo pipefail

dest="${1:?usage: npm-setup.sh <dest-dir>}"
src="$(cd "${2:-$(dirname "${BASH_SOURCE[0]}")/npm}" && pwd)"

if ! command -v npm >/dev/null || ! command -v node >/dev/null; then
  echo "npm-setup: node/npm not found (apt-get install nodejs npm)" >&2
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
