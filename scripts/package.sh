#!/usr/bin/env bash
# Builds medic and its Debian package: ./scripts/package.sh [BUILD_DIR] (default build-package).
# Configures a build without tests and benchmarks, builds the binary plus what is generated
# from it (man page, completions, systemd unit), then runs CPack. Prints the path of
# medic_<version>_amd64.deb, which is then the whole install on a systemd host:
#   sudo dpkg -i medic_<version>_amd64.deb && sudo systemctl enable --now medic
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build_dir="${1:-${repo_root}/build-package}"

log() { printf 'package: %s\n' "$*" >&2; }

"${repo_root}/scripts/install-deps.sh"
launcher=()
if command -v ccache >/dev/null; then
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
fi
# RelWithDebInfo (-O2 -g), as Debian builds; CPack strips the binary it packages.
cmake -S "${repo_root}" -B "${build_dir}" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DMEDIC_BUILD_TESTS=OFF -DMEDIC_BUILD_BENCH=OFF "${launcher[@]}"
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
