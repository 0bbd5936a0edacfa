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
# shellcheck source=bench/lib/prepare.sh
source bench/lib/prepare.sh

bench_prepare run-recovery-bench recovery_bench scripts/build-test-image.sh
"${bench_build_dir}/bench/recovery_bench" --medic "${bench_build_dir}/src/medic" "$@"
