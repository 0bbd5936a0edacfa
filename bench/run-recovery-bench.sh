#!/usr/bin/env bash
# The recovery benchmark: bench/run-recovery-bench.sh [recovery_bench args...]
#   e.g. bench/run-recovery-bench.sh --trials 10      (the default; about 7 minutes on 2 cores)
#        bench/run-recovery-bench.sh --faults crash,remove --medic-only
# Builds medic and recovery_bench in ${MEDIC_BENCH_BUILD_DIR:-build}, makes
# sure a Docker engine answers (starting dockerd if needed, and stopping it again on exit), builds
# the test image, then runs the benchmark. The table goes to stdout, progress to stderr.
# Containers are named medic-test-bench-*, run with --network host and are removed at the end.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "${repo_root}"
# shellcheck source=scripts/lib/engine.sh
source scripts/lib/engine.sh

build_dir="${MEDIC_BENCH_BUILD_DIR:-build}"

scripts/install-deps.sh
cmake -S . -B "${build_dir}" -G Ninja
cmake --build "${build_dir}" --target medic recovery_bench

trap engine_stop EXIT
if ! engine_ensure; then
  echo "run-recovery-bench: no Docker engine answers; the benchmark needs one" >&2
  exit 2
fi
scripts/build-test-image.sh

"${build_dir}/bench/recovery_bench" --medic "${build_dir}/src/medic" "$@"
