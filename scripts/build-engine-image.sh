#!/usr/bin/env bash
# Builds medic-engine26:<recipe hash> (also tagged :latest): a Debian 13 (trixie) root filesystem
# with its docker.io (Docker Engine 26.1, API 1.45), made with debootstrap and `docker import`ed.
# scripts/lib/engine26.sh runs it as a second, newer engine beside the host's (a test fixture).
#
# The recipe is this script: the suite, the package list and every step. Its hash is the image's
# label and tag; with that image present nothing is done (well under a second). The debootstrap'd
# tarball is cached under ${MEDIC_ENGINE26_CACHE:-/var/cache/medic/engine26} by the same hash, so a
# pruned image is re-imported without downloading anything (the cache keeps the current hash only).
#
# Packages come from the Debian mirror this machine's apt already uses (read from
# /etc/apt/sources.list.d/*.sources or sources.list; MEDIC_DEBIAN_MIRROR overrides it). debootstrap
# needs root: run as root, or sudo is used.
#
# Exit status: 0 built or up to date; 77 skipped because no Docker engine answers (only when
# MEDIC_REQUIRE_DOCKER is not 1; CTest counts 77 as skipped); anything else is a failure.
set -euo pipefail

suite="trixie"
# procps: dockerd runs `ps` itself to answer GET /containers/{id}/top (`docker top`).
packages=(docker.io iptables ca-certificates procps)
repo="medic-engine26"
hash_label="medic.engine26.hash"
version_label="medic.engine26.docker-version"
cache_dir="${MEDIC_ENGINE26_CACHE:-/var/cache/medic/engine26}"

log() { printf 'build-engine-image: %s\n' "$*" >&2; }

as_root=()
if ((EUID != 0)); then
  as_root=(sudo)
fi

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
# image up to date.
exec 9>"${TMPDIR:-/tmp}/medic-engine26-image.lock"
flock 9

inputs_hash="$({
  cat "${BASH_SOURCE[0]}"
  printf '%s\n' "${suite}" "${packages[@]}"
} | sha256sum | cut -c1-16)"
image="${repo}:${inputs_hash}"

image_hash() {
  docker image inspect --format "{{index .Config.Labels \"${hash_label}\"}}" "$1" 2>/dev/null || true
}

if [[ "$(image_hash "${image}")" == "${inputs_hash}" ]]; then
  if [[ "$(image_hash "${repo}:latest")" != "${inputs_hash}" ]]; then
    docker tag "${image}" "${repo}:latest"
  fi
  log "${image} is up to date (docker.io $(docker image inspect --format \
    "{{index .Config.Labels \"${version_label}\"}}" "${image}"))"
  exit 0
fi

# The first `deb` http(s) mirror of this machine's apt sources that carries a release suite (not
# -security/-updates/-backports): the same mirror serves trixie.
debian_mirror() {
  if [[ -n "${MEDIC_DEBIAN_MIRROR:-}" ]]; then
    printf '%s\n' "${MEDIC_DEBIAN_MIRROR}"
    return
  fi
  local deb822=() one_line=() file
  for file in /etc/apt/sources.list.d/*.sources; do
    [[ -r "${file}" ]] && deb822+=("${file}")
  done
  for file in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [[ -r "${file}" ]] && one_line+=("${file}")
  done
  {
    if ((${#deb822[@]})); then
      # deb822 stanzas: fields Types, URIs, Suites (continuation lines start with a blank).
      awk 'BEGIN { RS = ""; FS = "\n" }
        {
          delete f; last = ""
          for (i = 1; i <= NF; i++) {
            line = $i
            if (line ~ /^#/) continue
            if (line ~ /^[ \t]/ && last != "") { f[last] = f[last] " " line; continue }
            k = tolower(substr(line, 1, index(line, ":") - 1))
            f[k] = substr(line, index(line, ":") + 1); last = k
          }
          if (tolower(f["enabled"]) ~ /no/) next
          if (f["types"] !~ /(^|[ \t])deb([ \t]|$)/) next
          n = split(f["suites"], suites, /[ \t]+/); release = 0
          for (j = 1; j <= n; j++) if (suites[j] ~ /^[a-z]+$/) release = 1
          if (!release) next
          n = split(f["uris"], uris, /[ \t]+/)
          for (j = 1; j <= n; j++) if (uris[j] ~ /^https?:\/\//) print uris[j]
        }' "${deb822[@]}"
    fi
    if ((${#one_line[@]})); then
      # deb [options] URI SUITE COMPONENTS...
      sed -E -e 's/#.*//' -e 's/\[[^]]*\]//' "${one_line[@]}" |
        awk '$1 == "deb" && $2 ~ /^https?:\/\// && $3 ~ /^[a-z]+$/ { print $2 }'
    fi
  } | head -n 1
}

cache_tar="${cache_dir}/rootfs-${inputs_hash}.tar"

# Removes a debootstrap work tree. A failed or killed debootstrap can leave /proc and /sys mounted
# inside it: unmount those first, and never let rm cross into another file system.
remove_tree() {
  local mounts
  mounts="$(awk -v dir="$1/" 'index($2, dir) == 1 { print $2 }' /proc/self/mounts | sort -r)"
  if [[ -n "${mounts}" ]]; then
    printf '%s\n' "${mounts}" | while read -r mount; do "${as_root[@]}" umount -l "${mount}"; done
  fi
  "${as_root[@]}" rm -rf --one-file-system "$1"
}
work=""
trap '[[ -z "${work}" ]] || remove_tree "${work}"' EXIT

"${as_root[@]}" mkdir -p "${cache_dir}"
if [[ -f "${cache_tar}" ]]; then
  log "using the cached root filesystem ${cache_tar}"
else
  if ! command -v debootstrap >/dev/null; then
    log "debootstrap is missing; install it (scripts/install-deps.sh does)"
    exit 1
  fi
  mirror="$(debian_mirror)"
  if [[ -z "${mirror}" ]]; then
    log "no http(s) Debian mirror found in /etc/apt/sources.list.d/*.sources or" \
      "/etc/apt/sources.list; set MEDIC_DEBIAN_MIRROR=http://<mirror>/debian"
    exit 1
  fi
  # Runs take turns (the lock above), so a work tree found here was left by a killed run.
  for stale in "${cache_dir}"/work.*; do
    if [[ -d "${stale}" ]]; then remove_tree "${stale}"; fi
  done
  work="$("${as_root[@]}" mktemp -d "${cache_dir}/work.XXXXXX")"
  debootstrap_log="$(mktemp "${TMPDIR:-/tmp}/medic-engine26-debootstrap.XXXXXX")"
  include="$(IFS=,; printf '%s' "${packages[*]}")"
  log "debootstrap ${suite} with ${include} from ${mirror} (takes a minute or two)"
  started=${SECONDS}
  if ! "${as_root[@]}" debootstrap --variant=minbase --include="${include}" "${suite}" \
    "${work}/rootfs" "${mirror}" >"${debootstrap_log}" 2>&1; then
    tail -n 30 "${debootstrap_log}" >&2
    rm -f "${debootstrap_log}"
    log "debootstrap failed (last lines above)"
    exit 1
  fi
  rm -f "${debootstrap_log}"
  log "debootstrap took $((SECONDS - started)) s"
  # Nothing in the image needs apt's downloads or lists (a third of its size).
  "${as_root[@]}" find "${work}/rootfs/var/cache/apt" "${work}/rootfs/var/lib/apt/lists" \
    -type f -delete
  awk '/^Package: / { p = $2 } p == "docker.io" && /^Version: / { print $2; exit }' \
    "${work}/rootfs/var/lib/dpkg/status" | "${as_root[@]}" tee "${work}/version" >/dev/null
  "${as_root[@]}" tar --numeric-owner -C "${work}/rootfs" -cf "${work}/rootfs.tar" .
  "${as_root[@]}" find "${cache_dir}" -maxdepth 1 -name 'rootfs-*' -delete
  "${as_root[@]}" mv "${work}/version" "${cache_tar%.tar}.version"
  "${as_root[@]}" mv "${work}/rootfs.tar" "${cache_tar}"
  remove_tree "${work}"
  work=""
fi
docker_version="$(cat "${cache_tar%.tar}.version" 2>/dev/null || true)"

log "importing ${image} (docker.io ${docker_version:-?})"
"${as_root[@]}" cat "${cache_tar}" |
  docker import \
    --change "LABEL ${hash_label}=${inputs_hash}" \
    --change "LABEL ${version_label}=${docker_version}" \
    --change 'CMD ["/usr/bin/tini", "--", "/usr/sbin/dockerd"]' \
    - "${image}" >/dev/null
docker tag "${image}" "${repo}:latest"

# Images of earlier recipes are of no use to anyone; one still used by a running engine stays.
for old in $(docker image ls "${repo}" --format '{{.Tag}}'); do
  if [[ "${old}" != "latest" && "${old}" != "${inputs_hash}" ]]; then
    docker image rm "${repo}:${old}" >/dev/null 2>&1 || log "kept ${repo}:${old} (in use)"
  fi
done

log "built ${image} and ${repo}:latest (docker.io ${docker_version:-?})"
