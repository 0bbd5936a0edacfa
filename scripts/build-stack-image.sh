#!/usr/bin/env bash
# Builds medic-stack: one offline image holding real server software from Debian 12 packages
# (nginx, Python 3 with psycopg2 and redis, PostgreSQL, Redis) plus the stack's own files from
# tests/support/stack/image/. tests/support/stack/docker-compose.yml runs it as four services.
#
# Two layers, each rebuilt only when its recipe changes:
#   medic-stack-base:<base hash>   debootstrap --variant=minbase of bookworm with the packages below,
#                                  stripped (docs, man pages, locales, PostgreSQL's LLVM JIT) and
#                                  imported with `docker import`. The hash covers the suite, the
#                                  package list and the functions that build the root file system.
#   medic-stack:<hash>, :latest    the base plus tests/support/stack/image/ (docker build, legacy
#                                  builder, no registry). The hash covers this script and every file
#                                  it copies.
# Every image carries its hash in a label; when :latest already carries the current hash nothing is
# done (a re-run takes well under a second).
#
# The Debian mirror is the one this machine's apt uses for bookworm (apt-get indextargets), never a
# fixed address; MEDIC_DEBIAN_MIRROR overrides it. debootstrap needs root.
#
# Exit status: 0 built or up to date; 77 skipped because no Docker engine answers (only when
# MEDIC_REQUIRE_DOCKER is not 1; CTest counts 77 as skipped); anything else is a failure.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
image_dir="${repo_root}/tests/support/stack/image"
repo="medic-stack"
base_repo="medic-stack-base"
hash_label="medic.stackimage.hash"
base_hash_label="medic.stackbase.hash"
suite="bookworm"
# nginx rather than nginx-light: in bookworm nginx-light is nginx plus the echo module, which the
# stack does not use. No curl or ca-certificates: every health check is a Python one-liner or a
# server's own client, and nothing in the stack speaks TLS.
packages=(nginx python3 python3-psycopg2 python3-redis postgresql redis-server)

log() { printf 'build-stack-image: %s\n' "$*" >&2; }

# docker build, silent unless it fails (the legacy builder's deprecation banner is noise here).
quiet_build() {
  local output
  if ! output="$(docker build --quiet "$@" 2>&1)"; then
    printf '%s\n' "${output}" >&2
    return 1
  fi
}

# The bookworm mirror this machine's apt is configured with (deb822 or one-line sources alike).
debian_mirror() {
  if [[ -n "${MEDIC_DEBIAN_MIRROR:-}" ]]; then
    printf '%s\n' "${MEDIC_DEBIAN_MIRROR}"
    return
  fi
  # shellcheck disable=SC2016 # apt expands $(...), not the shell
  apt-get indextargets --format '$(RELEASE) $(REPO_URI)' 'Identifier: Packages' 2>/dev/null |
    awk -v suite="${suite}" '$1 == suite { print $2; exit }'
}

# debootstrap into $1 (an empty directory) from mirror $2, then trim what a test image never reads.
build_rootfs() {
  local rootfs="$1" mirror="$2" include
  include="$(IFS=,; printf '%s' "${packages[*]}")"
  debootstrap --variant=minbase --include="${include}" "${suite}" "${rootfs}" "${mirror}" \
    >"${rootfs}.debootstrap.log" 2>&1 || {
    tail -n 40 "${rootfs}.debootstrap.log" >&2
    log "debootstrap failed (the last lines of its log are above)"
    return 1
  }
  strip_rootfs "${rootfs}"
}

strip_rootfs() {
  local rootfs="$1" pg_dir
  # Documentation, man pages, translations and locale sources: nothing in a container reads them.
  rm -rf "${rootfs}"/usr/share/{doc,man,info,locale,i18n,lintian,linda}/*
  # PostgreSQL's JIT is LLVM (libLLVM and its z3 solver: ~130 MB); the stack runs with jit=off and
  # PostgreSQL falls back to interpreted expressions when the provider library is absent.
  rm -rf "${rootfs}"/usr/lib/postgresql/*/lib/bitcode "${rootfs}"/usr/lib/postgresql/*/lib/llvmjit*
  rm -f "${rootfs}"/usr/lib/x86_64-linux-gnu/libLLVM-*.so* "${rootfs}"/usr/lib/x86_64-linux-gnu/libz3.so*
  # The package's default cluster: the stack runs initdb into its own volume on first start.
  rm -rf "${rootfs}"/var/lib/postgresql/*/main "${rootfs}"/etc/postgresql/*/main
  # apt's package lists and caches, logs of the installation.
  rm -rf "${rootfs}"/var/lib/apt/lists/* "${rootfs}"/var/cache/apt/* "${rootfs}"/var/cache/debconf/*-old
  find "${rootfs}/var/log" -type f -delete
  # A version-free path for the server binaries (the image's PATH starts with it).
  pg_dir="$(find "${rootfs}/usr/lib/postgresql" -mindepth 1 -maxdepth 1 -type d | sort -V | tail -n 1)"
  ln -s "$(basename "${pg_dir}")" "${rootfs}/usr/lib/postgresql/current"
  # PostgreSQL's data directory (a volume in the compose file: Docker copies owner and mode into a
  # fresh volume), owned by the package's postgres user.
  chroot "${rootfs}" install -d -o postgres -g postgres -m 0700 /var/lib/postgresql/data
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

# Concurrent runs (several build directories testing at once) take turns; the second finds the
# images up to date.
exec 9>"${TMPDIR:-/tmp}/medic-stackimage.lock"
flock 9

# The base's recipe: the suite, the packages and the code that builds and trims the root file system.
base_hash="$({
  printf '%s\n' "${suite}" "${packages[@]}"
  declare -f build_rootfs strip_rootfs
} | sha256sum | cut -c1-16)"
# The whole recipe: this script and every file copied into the image (names, modes and contents).
inputs_hash="$({
  cat "${BASH_SOURCE[0]}"
  (cd "${image_dir}" && find . -type f -printf '%p %m\n' | LC_ALL=C sort)
  (cd "${image_dir}" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 cat)
} | sha256sum | cut -c1-16)"

label_of() {
  docker image inspect --format "{{index .Config.Labels \"$2\"}}" "$1" 2>/dev/null || true
}

if [[ "$(label_of "${repo}:latest" "${hash_label}")" == "${inputs_hash}" ]]; then
  log "${repo}:latest is up to date (inputs ${inputs_hash})"
  exit 0
fi

work="$(mktemp -d "${TMPDIR:-/var/tmp}/medic-stackimage.XXXXXX")"
# debootstrap mounts /proc and /sys inside the root file system and may leave them mounted when it
# fails: unmount whatever is left, and never let rm cross into another file system.
cleanup() {
  awk -v w="${work}/" 'index($2, w) == 1 { print $2 }' /proc/mounts | sort -r |
    while read -r mount_point; do umount -l "${mount_point}" || true; done
  rm -rf --one-file-system "${work}"
}
trap cleanup EXIT

base_image="${base_repo}:${base_hash}"
if [[ "$(label_of "${base_image}" "${base_hash_label}")" != "${base_hash}" ]]; then
  if ((EUID != 0)); then
    log "building ${base_image} needs root (debootstrap); re-run as root"
    exit 1
  fi
  if ! command -v debootstrap >/dev/null; then
    log "debootstrap is missing; install it (scripts/install-deps.sh does)"
    exit 1
  fi
  mirror="$(debian_mirror)"
  if [[ -z "${mirror}" ]]; then
    log "no ${suite} mirror in apt's sources (apt-get indextargets); set MEDIC_DEBIAN_MIRROR"
    exit 1
  fi
  started=${SECONDS}
  log "debootstrap ${suite} from ${mirror} (${packages[*]}); takes minutes"
  mkdir "${work}/rootfs"
  build_rootfs "${work}/rootfs" "${mirror}"
  log "importing ${base_image} ($(du -sh "${work}/rootfs" | cut -f1) root file system)"
  tar --numeric-owner -C "${work}/rootfs" -c . |
    docker import --change "LABEL ${base_hash_label}=${base_hash}" - "${base_image}" >/dev/null
  log "built ${base_image} in $((SECONDS - started)) s"
fi

# The legacy builder works offline with a local base; BuildKit may not be installed.
export DOCKER_BUILDKIT=0
log "building ${repo}:${inputs_hash} on ${base_image}"
quiet_build --build-arg "BASE=${base_image}" --label "${hash_label}=${inputs_hash}" \
  --tag "${repo}:${inputs_hash}" --tag "${repo}:latest" "${image_dir}"

# Images of earlier recipes: untag them (an image a container still uses stays until it is gone).
for old in $(docker image ls --format '{{.Repository}}:{{.Tag}}' "${repo}") \
  $(docker image ls --format '{{.Repository}}:{{.Tag}}' "${base_repo}"); do
  case "${old}" in
    "${repo}:latest" | "${repo}:${inputs_hash}" | "${base_image}") ;;
    *) docker image rm "${old}" >/dev/null 2>&1 || true ;;
  esac
done
docker image prune --force --filter "label=${hash_label}" >/dev/null

log "built ${repo}:{latest,${inputs_hash}} ($(docker image inspect --format '{{.Size}}' \
  "${repo}:latest" | awk '{ printf "%.0f MB", $1 / 1e6 }'))"
