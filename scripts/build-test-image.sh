#!/usr/bin/env bash
# Builds the offline test images from tests/support/testserver and tests/support/testimage:
#   medic-testserver:latest (= :v1)   the healthy test server, APP_VERSION v1
#   medic-testserver:v2               APP_VERSION=v2 (an "upgrade" for deploy tests)
#   medic-testserver:bad-exit         EXIT_AT_START=1 (a bad image that exits at once)
#   medic-testserver:never-healthy    NEVER_HEALTHY=1 (runs, but /health is always 500)
# No registry is contacted: the base is FROM scratch and the variants are FROM the local base.
# Idempotent: every image carries a label with the hash of its inputs; when all tags already carry
# the current hash nothing is rebuilt (a re-run takes well under a second).
#
# Exit status: 0 built or up to date; 77 skipped because no Docker engine answers (only when
# MEDIC_REQUIRE_DOCKER is not 1; CTest counts 77 as skipped); anything else is a failure.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
server_src="${repo_root}/tests/support/testserver/testserver.c"
dockerfile="${repo_root}/tests/support/testimage/Dockerfile"
busybox="/bin/busybox"
repo="medic-testserver"
hash_label="medic.testimage.hash"

# tag -> extra Dockerfile lines on top of the base image
declare -A variants=(
  [v2]="ENV APP_VERSION=v2"
  [bad-exit]="ENV EXIT_AT_START=1"
  [never-healthy]="ENV NEVER_HEALTHY=1"
)
all_tags=(latest v1 "${!variants[@]}")

log() { printf 'build-test-image: %s\n' "$*" >&2; }

# docker build, silent unless it fails (the legacy builder's deprecation banner is noise here).
quiet_build() {
  local output
  if ! output="$(docker build --quiet "$@" 2>&1)"; then
    printf '%s\n' "${output}" >&2
    return 1
  fi
}

if ! docker info >/dev/null 2>&1; then
  if [[ "${MEDIC_REQUIRE_DOCKER:-0}" == "1" ]]; then
    log "no Docker engine answers (docker info failed) and MEDIC_REQUIRE_DOCKER=1; start dockerd" \
      "(scripts/test does) and re-run"
    exit 1
  fi
  log "SKIP: no Docker engine answers (docker info failed); start dockerd (scripts/test does)"
  exit 77
fi
if [[ ! -x "${busybox}" ]]; then
  log "${busybox} is missing; install busybox-static (scripts/install-deps.sh does)"
  exit 1
fi

# Concurrent runs (several build directories testing at once) take turns; the second finds the
# images up to date.
exec 9>"${TMPDIR:-/tmp}/medic-testimage.lock"
flock 9

# The hash covers everything that ends up in the images, this script included.
inputs_hash="$(cat "${server_src}" "${dockerfile}" "${busybox}" "${BASH_SOURCE[0]}" |
  sha256sum | cut -c1-16)"

image_hash() {
  docker image inspect --format "{{index .Config.Labels \"${hash_label}\"}}" "$1" 2>/dev/null || true
}

up_to_date=1
for tag in "${all_tags[@]}"; do
  if [[ "$(image_hash "${repo}:${tag}")" != "${inputs_hash}" ]]; then
    up_to_date=0
    break
  fi
done
if ((up_to_date)); then
  log "${repo} images are up to date (inputs ${inputs_hash})"
  exit 0
fi

context="$(mktemp -d "${TMPDIR:-/tmp}/medic-testimage.XXXXXX")"
trap 'rm -rf "${context}"' EXIT

log "compiling testserver (static)"
mkdir -p "${context}/rootfs/bin" "${context}/rootfs/tmp"
chmod 1777 "${context}/rootfs/tmp"
gcc -static -O2 -Wall -Wextra -Werror -pthread -o "${context}/rootfs/testserver" "${server_src}"
strip "${context}/rootfs/testserver"

cp "${busybox}" "${context}/rootfs/bin/busybox"
for applet in $("${busybox}" --list); do
  [[ "${applet}" == "busybox" ]] || ln -s busybox "${context}/rootfs/bin/${applet}"
done
cp "${dockerfile}" "${context}/Dockerfile"

# The legacy builder works offline with FROM scratch and local bases; BuildKit may not be installed.
export DOCKER_BUILDKIT=0

log "building ${repo}:latest"
quiet_build --label "${hash_label}=${inputs_hash}" \
  --tag "${repo}:latest" --tag "${repo}:v1" "${context}"

for tag in "${!variants[@]}"; do
  log "building ${repo}:${tag}"
  printf 'FROM %s:latest\n%s\n' "${repo}" "${variants[${tag}]}" |
    quiet_build --tag "${repo}:${tag}" -
done

# Images of earlier builds that lost their tags are of no use to anyone.
docker image prune --force --filter "label=${hash_label}" >/dev/null

log "built ${repo}:{${all_tags[*]}} (inputs ${inputs_hash})"
