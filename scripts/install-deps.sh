#!/usr/bin/env bash
# Installs every Debian 12 package medic needs to build, test and run its demo. Nothing else is
# downloaded at build time. Fast on re-runs: when every package is already installed (checked with
# dpkg-query) apt is not touched at all. Needs root for apt; uses sudo when not root.
set -euo pipefail

# The one list of the project's system packages.
packages=(
  # build
  build-essential cmake ninja-build
  libboost1.81-dev libboost-url1.81-dev nlohmann-json3-dev libyaml-cpp-dev
  libsqlite3-dev sqlite3 libcli11-dev libspdlog-dev libfmt-dev libncurses-dev libssl-dev
  # tests and benchmarks
  libgtest-dev libgmock-dev googletest libbenchmark-dev
  # test and demo peers: the engine, compose, the offline test image's busybox, HTTP pokes
  docker.io docker-compose busybox-static curl jq debootstrap
  # /metrics checks: promtool and a real Prometheus scraping 127.0.0.1
  prometheus
  # alert sink peer: a real Alertmanager for the alerts integration tests
  prometheus-alertmanager
  # a wall-clock jump under medic (libfaketime), without touching the machine clock
  faketime
  # `medic top` driven in a real terminal by its integration test
  tmux
  # API: OpenAPI validators from npm (Debian's nodejs needs `npm` too) and the wrk benchmark
  nodejs wrk
  # web dashboard test: the browser playwright-core drives (never `npx playwright install`)
  chromium
  # the Debian package: dpkg-shlibdeps for its Depends, man to render and find the man page,
  # zsh to load the zsh completion it ships
  dpkg-dev man-db zsh
)

log() { printf 'install-deps: %s\n' "$*" >&2; }

missing=()
for package in "${packages[@]}"; do
  status="$(dpkg-query --show --showformat='${db:Status-Status}' "${package}" 2>/dev/null || true)"
  [[ "${status}" == "installed" ]] || missing+=("${package}")
done

if ((${#missing[@]} == 0)); then
  log "all ${#packages[@]} packages are installed"
  exit 0
fi

as_root=()
if ((EUID != 0)); then
  if ! command -v sudo >/dev/null; then
    log "missing packages: ${missing[*]}; run this script as root (sudo is not installed)"
    exit 1
  fi
  as_root=(sudo)
fi

log "installing: ${missing[*]}"
"${as_root[@]}" apt-get update
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
  apt-get install --yes --no-install-recommends "${missing[@]}"
