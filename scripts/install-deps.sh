#!/usr/bin/env bash
# Installs every Debian 12 package medic needs to build, test and run its demo, and Compose v2.
# Nothing else is downloaded at build time. Fast on re-runs: when every package is already installed
# (or provided by an installed package, checked with dpkg-query) and `docker compose version`
# works, apt is not touched at all. Needs root for apt; uses sudo when not root.
#
# Safe beside an engine that is already here: when a Docker engine answers (`docker info`, or the
# socket of DOCKER_HOST or /var/run/docker.sock answers GET /_ping), or a package of Docker's or
# Microsoft's (docker-ce, docker-ce-cli, containerd.io, moby-...) is installed, Debian's docker.io is
# not asked for (apt would remove docker-ce for it); the script says which engine it uses.
#
# Compose v2: when `docker compose version` does not work (Docker's docker-compose-plugin gives it
# on a Docker CE host), Debian 13's docker-compose 2.26 is installed as the docker CLI plugin
# (scripts/lib/docker-peers.sh says how). Debian 12's docker-compose (v1) is installed as well, for
# the test that keeps v1 covered; the two do not conflict (/usr/bin/docker-compose vs the plugin).
#
# Usage: scripts/install-deps.sh [--dry-run]
#   --dry-run  print what would be installed and change nothing
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=scripts/lib/apt.sh
source "${repo_root}/scripts/lib/apt.sh"
# shellcheck source=scripts/lib/docker-peers.sh
source "${repo_root}/scripts/lib/docker-peers.sh"

dry_run=0
case "${1:-}" in
  "") ;;
  --dry-run) dry_run=1 ;;
  *)
    printf 'install-deps: unknown argument "%s"; usage: install-deps.sh [--dry-run]\n' "$1" >&2
    exit 2
    ;;
esac

# The one list of the project's system packages.
packages=(
  # build
  build-essential cmake ninja-build
  libboost1.81-dev libboost-url1.81-dev nlohmann-json3-dev libyaml-cpp-dev
  libsqlite3-dev sqlite3 libcli11-dev libspdlog-dev libfmt-dev libncurses-dev libssl-dev
  libre2-dev pkg-config
  # tests and benchmarks
  libgtest-dev libgmock-dev googletest libbenchmark-dev
  # test and demo peers: compose v1 (one test keeps it covered; v2 comes as the CLI plugin, below),
  # the offline test image's busybox, HTTP pokes. The engine (docker.io) is added below unless one
  # is already here.
  docker-compose busybox-static curl jq
  # a newer engine and the real stack for tests: debootstrap'd images (build-engine-image.sh,
  # build-stack-image.sh)
  debootstrap
  # /metrics checks: promtool and a real Prometheus scraping 127.0.0.1
  prometheus
  # alert sink peer: a real Alertmanager for the alerts integration tests
  prometheus-alertmanager
  # https: the system CA store the HTTP client verifies against, and the openssl CLI that makes a
  # private CA and certificates in the https tests
  ca-certificates openssl
  # a wall-clock jump under medic (libfaketime), without touching the machine clock
  faketime
  # `medic top` driven in a real terminal by its integration test
  tmux
  # API: OpenAPI validators from npm (Debian 12's nodejs has no npm: it is its own package; a
  # nodejs that bundles npm, like nodesource's, Provides npm and satisfies it) and the wrk benchmark
  nodejs npm wrk
  # bench/scale.sh: GNU time measures the floor's (wrk's) CPU
  time
  # web dashboard test: the browser playwright-core drives (never `npx playwright install`)
  chromium
  # the Debian package: dpkg-shlibdeps for its Depends, man to render and find the man page,
  # zsh to load the zsh completion it ships, systemd-analyze to verify the unit install-service
  # writes
  dpkg-dev man-db zsh systemd
)

log() { printf 'install-deps: %s\n' "$*" >&2; }

if engine="$(docker_engine_found)"; then
  log "using the Docker engine already installed: ${engine}"
  if ! command -v docker >/dev/null; then
    log "but the docker CLI is missing; install $(docker_cli_package_hint)" \
      "(not docker.io: it would replace that engine)"
    exit 1
  fi
else
  packages+=(docker.io)
fi

declare -A installed=()
while IFS= read -r name; do installed["${name}"]=1; done < <(apt_installed_names)
missing=()
for package in "${packages[@]}"; do
  [[ -n "${installed[${package}]:-}" ]] || missing+=("${package}")
done

compose_version="$(compose_v2_version || true)"
if ((${#missing[@]} == 0)) && [[ -n "${compose_version}" ]]; then
  log "all ${#packages[@]} packages are installed; Compose ${compose_version} (docker compose)"
  exit 0
fi

if ((dry_run)); then
  if ((${#missing[@]} > 0)); then
    printf 'apt-get install: %s\n' "${missing[*]}"
  fi
  if [[ -z "${compose_version}" ]]; then
    mirror="$(apt_debian_mirror bookworm "${MEDIC_APT_ETC:-/etc/apt}" || echo '(no Debian bookworm source found)')"
    printf 'compose v2: docker-compose/trixie from %s -> %s (unless docker compose works after apt)\n' \
      "${mirror}" "${COMPOSE_PLUGIN_PATH}"
  fi
  exit 0
fi

if ((${#missing[@]} > 0)); then
  log "installing: ${missing[*]}"
  apt_as_root apt-get update
  # The lock timeout lets a concurrent apt run (another build tree's tests) finish first.
  apt_as_root env DEBIAN_FRONTEND=noninteractive \
    apt-get install --yes --no-install-recommends -o DPkg::Lock::Timeout=300 "${missing[@]}"
fi

if compose_version="$(compose_v2_version)"; then
  log "Compose ${compose_version} (docker compose)"
  exit 0
fi
log "\`docker compose version\` does not work: installing Debian 13's docker-compose (Compose v2)" \
  "as the docker CLI plugin"
compose_v2_install "${MEDIC_APT_ETC:-/etc/apt}"
if ! compose_version="$(compose_v2_version)"; then
  log "Compose v2 still missing after installing ${COMPOSE_PLUGIN_PATH}: \`docker compose version\`" \
    "says: $(docker compose version 2>&1 | head -n 1)"
  exit 1
fi
log "Compose ${compose_version} (docker compose)"
