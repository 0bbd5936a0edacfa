#!/usr/bin/env bash
# Builds medic and its Debian package: ./scripts/package.sh [BUILD_DIR] (default build-package).
# Configures a Release build without tests and benchmarks, builds the binary plus what is generated
# from it (man page, completions, systemd unit), then runs CPack. Prints the path of
# medic_<version>_amd64.deb, which is then the whole install on a systemd host:
#   sudo dpkg -i medic_<version>_amd64.deb && sudo systemctl enable --now medic
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build_dir="${1:-${repo_root}/build-package}"

log() { printf 'package: %s\n' "$*" >&2; }

"${repo_root}/scripts/install-deps.sh"
cmake -S "${repo_root}" -B "${build_dir}" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DMEDIC_BUILD_TESTS=OFF -DMEDIC_BUILD_BENCH=OFF
cmake --build "${build_dir}" --target medic medic_dist
(cd "${build_dir}" && cpack -G DEB)

version="$("${build_dir}/src/medic" version)"
version="${version#medic }"
deb="${build_dir}/medic_${version}_$(dpkg --print-architecture).deb"
if [[ ! -f "${deb}" ]]; then
  log "cpack did not produce ${deb}"
  exit 1
fi
log "built ${deb}"
dpkg-deb --info "${deb}" | sed -n 's/^ \(Depends\|Recommends\): /  \1: /p' >&2
echo "${deb}"
