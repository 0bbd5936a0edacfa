#!/usr/bin/env bash
# The stack benchmark: bench/run-stack-bench.sh [stack_bench args...]
#   e.g. bench/run-stack-bench.sh                      (--trials 5 of every fault)
#        bench/run-stack-bench.sh --trials 3 --faults db-kill,webui-remove
# Builds medic and stack_bench in ${MEDIC_BENCH_BUILD_DIR:-build}, makes sure a Docker engine
# answers (starting dockerd if needed, and stopping it again on exit), builds the stack image
# medic-stack:latest, then runs the benchmark. The table goes to stdout, progress to stderr.
# Each stack is a compose project medic-test-stack-* on the host network (127.0.0.1 only), taken
# down with its volumes at the end. The crash faults signal a container's process from the host,
# so they need root.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "${repo_root}"
# shellcheck source=bench/lib/prepare.sh
source bench/lib/prepare.sh

bench_prepare run-stack-bench stack_bench scripts/build-stack-image.sh
"${bench_build_dir}/bench/stack_bench" --medic "${bench_build_dir}/src/medic" "$@"
