# shellcheck shell=bash
# Sourced by bench/run-*.sh, not run. From the repository root:
#
#   bench_prepare NAME TARGET IMAGE_SCRIPT
#       installs the build dependencies, builds medic and the benchmark TARGET in
#       ${MEDIC_BENCH_BUILD_DIR:-build} (the path is left in bench_build_dir), makes sure a Docker
#       engine answers (starting dockerd if needed; the EXIT trap stops only a dockerd it started)
#       and runs IMAGE_SCRIPT, which builds the image the benchmark runs. Without an engine it says
#       so as NAME and exits 2.

# shellcheck source=scripts/lib/engine.sh
source scripts/lib/engine.sh

bench_prepare() {
  local name="$1" target="$2" image_script="$3"
  bench_build_dir="${MEDIC_BENCH_BUILD_DIR:-build}"

  scripts/install-deps.sh
  cmake -S . -B "${bench_build_dir}" -G Ninja
  cmake --build "${bench_build_dir}" --target medic "${target}"

  trap engine_stop EXIT
  if ! engine_ensure; then
    echo "${name}: no Docker engine answers; the benchmark needs one" >&2
    exit 2
  fi
  "${image_script}"
}
