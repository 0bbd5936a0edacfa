#!/usr/bin/env bash
# CPU per HTTP/HTTPS probe round (bench/probe_client_bench.cc), and the same benchmark linked
# against another build's probe libraries (--baseline DIR: a directory holding that build's
# libmedic_probes.a, libmedic_evidence.a, libmedic_config.a and libmedic_core.a, e.g. copied from
# main's build/src/*/), run back to back in rounds so both see the same machine load.
#
# Usage: bench/run-probe-client-bench.sh [--build DIR] [--baseline DIR] [--probes N] [--rounds R]
# Needs: a configured build (cmake -S . -B build), openssl. Traffic goes to 127.0.0.1 only.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${root}/build"
baseline=""
args=()
while (($#)); do
  case "$1" in
    --build) build="$2"; shift 2 ;;
    --baseline) baseline="$2"; shift 2 ;;
    --probes | --rounds) args+=("$1" "$2"); shift 2 ;;
    *) echo "usage: $0 [--build DIR] [--baseline DIR] [--probes N] [--rounds R]" >&2; exit 2 ;;
  esac
done

cmake --build "${build}" --target probe_client_bench >&2
current="${build}/bench/probe_client_bench"
if [[ -n "${baseline}" ]]; then
  # The same object file, linked with the baseline's libraries instead of this build's.
  link="$(cd "${build}" && ninja -t commands probe_client_bench | tail -1)"
  for lib in probes evidence config core; do
    link="${link//src\/${lib}\/libmedic_${lib}.a/${baseline}/libmedic_${lib}.a}"
  done
  link="${link//-o bench\/probe_client_bench/-o bench/probe_client_bench.baseline}"
  (cd "${build}" && eval "${link}")
fi
for i in 1 2; do
  echo "== this build (run ${i})"
  "${current}" "${args[@]}"
  if [[ -n "${baseline}" ]]; then
    echo "== baseline ${baseline} (run ${i})"
    "${build}/bench/probe_client_bench.baseline" "${args[@]}"
  fi
done
