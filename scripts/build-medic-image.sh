#!/usr/bin/env bash
# Builds a Docker image of medic offline: the built binary plus the shared libraries `ldd` lists
# (and the dynamic loader), imported FROM scratch with `docker import`. No registry, no base image.
#
#   scripts/build-medic-image.sh [BINARY] [TAG]
#     BINARY  the medic binary (default build/src/medic)
#     TAG     image name (default medic:local)
#
# Run it like this (docs/operations.md, "Running in Docker"):
#   docker run -d --name medic --restart unless-stopped --network host \
#     -v /var/run/docker.sock:/var/run/docker.sock -v medic-state:/var/lib/medic \
#     -v /etc/medic/medic.yaml:/etc/medic/medic.yaml:ro medic:local
# The entrypoint is `medic`, the default command `watch`; state lives in /var/lib/medic.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
binary="${1:-${repo_root}/build/src/medic}"
tag="${2:-medic:local}"

log() { printf 'build-medic-image: %s\n' "$*" >&2; }

if [[ ! -x "${binary}" ]]; then
  log "${binary} is not an executable; build it first (cmake --build build --target medic)"
  exit 1
fi
if ! docker info >/dev/null 2>&1; then
  log "no Docker engine answers (docker info failed)"
  exit 1
fi

rootfs="$(mktemp -d "${TMPDIR:-/tmp}/medic-image-XXXXXX")"
trap 'rm -rf "${rootfs}"' EXIT

# Stripped: the debug info is of no use in the image and is most of the binary.
install -D -s -m 0755 "${binary}" "${rootfs}/usr/bin/medic"
# Every library the binary loads, at the path the loader looks for it (symlinks resolved), and the
# loader itself (the line ldd prints without "=>").
ldd "${binary}" | while read -r first second third _; do
  lib=""
  if [[ "${second}" == "=>" && "${third}" == /* ]]; then
    lib="${third}"
  elif [[ "${first}" == /* ]]; then
    lib="${first}"
  fi
  [[ -n "${lib}" ]] || continue
  install -D -m 0755 "$(readlink -f "${lib}")" "${rootfs}${lib}"
done
mkdir -p "${rootfs}/var/lib/medic" "${rootfs}/etc/medic" "${rootfs}/tmp"
chmod 1777 "${rootfs}/tmp"
# Root inside the container, as the state dir default (/var/lib/medic) assumes.
printf 'root:x:0:0:root:/root:/usr/bin/medic\n' >"${rootfs}/etc/passwd"
printf 'root:x:0:\n' >"${rootfs}/etc/group"

tar -C "${rootfs}" -c . | docker import \
  -c 'ENTRYPOINT ["/usr/bin/medic"]' \
  -c 'CMD ["watch"]' \
  -c 'VOLUME ["/var/lib/medic"]' \
  -c 'LABEL org.opencontainers.image.title=medic' \
  - "${tag}" >/dev/null
log "built ${tag} ($(du -sh "${rootfs}" | cut -f1) rootfs from ${binary})"
