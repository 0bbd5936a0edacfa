#!/usr/bin/env bash
# API benchmark: `wrk -t2 -c16 -d10s --latency` against /metrics and /api/v1/status of a
# `medic watch` that protects 50 containers (medic-testserver:latest, --network host, each with an
# HTTP probe every second; Docker's own healthcheck is off so only medic probes). Prints throughput and p99 latency per endpoint; DESIGN §8 wants p99 < 10 ms.
# Everything it starts (the containers, medic) is removed on exit. Traffic goes to 127.0.0.1 only.
#
# Usage: bench/api_bench.sh [--medic PATH] [--services N] [--duration 10s]
# Needs: wrk (scripts/install-deps.sh), a Docker engine, the test image
# (scripts/build-test-image.sh) and a built medic (default build/src/medic).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
medic="${root}/build/src/medic"
services=50
duration=10s
while (($#)); do
  case "$1" in
    --medic) medic="$2"; shift 2 ;;
    --services) services="$2"; shift 2 ;;
    --duration) duration="$2"; shift 2 ;;
    *) echo "usage: $0 [--medic PATH] [--services N] [--duration 10s]" >&2; exit 2 ;;
  esac
done

log() { printf 'api_bench: %s\n' "$*" >&2; }
command -v wrk >/dev/null || { log "wrk missing: scripts/install-deps.sh (apt-get install wrk)"; exit 1; }
[[ -x "${medic}" ]] || { log "no medic binary at ${medic} (build it, or pass --medic PATH)"; exit 1; }
docker image inspect medic-testserver:latest >/dev/null 2>&1 ||
  { log "test image missing: scripts/build-test-image.sh"; exit 1; }

work="$(mktemp -d /tmp/medic-test-apibench-XXXXXX)"
prefix="medic-test-apibench-$$"
names=()
medic_pid=""
cleanup() {
  if [[ -n "${medic_pid}" ]]; then
    kill -TERM "${medic_pid}" 2>/dev/null || true
    wait "${medic_pid}" 2>/dev/null || true
  fi
  if ((${#names[@]})); then docker rm -f "${names[@]}" >/dev/null 2>&1 || true; fi
  rm -rf "${work}"
}
trap cleanup EXIT

# shellcheck source=bench/lib/ports.sh
source "${root}/bench/lib/ports.sh"

config="${work}/medic.yaml"
{
  echo "select:"
  echo "  labels: false"
  echo "defaults:"
  echo "  probe:"
  echo "    interval: 1s"
  echo "    timeout: 2s"
  echo "    failure_threshold: 3"
  echo "services:"
} >"${config}"

log "starting ${services} containers"
for ((i = 1; i <= services; i++)); do
  name="${prefix}-${i}"
  free_port
  docker run -d --pull never --no-healthcheck --name "${name}" --network host --label medic.test=true \
    -e "PORT=${port}" medic-testserver:latest >/dev/null
  names+=("${name}")
  {
    echo "  svc${i}:"
    echo "    match:"
    echo "      container: ${name}"
    echo "    probes:"
    echo "      - http: http://127.0.0.1:${port}/health"
  } >>"${config}"
done

free_port
api_port="${port}"
base="http://127.0.0.1:${api_port}"
"${medic}" watch --config "${config}" --state-dir "${work}/state" \
  --listen "127.0.0.1:${api_port}" --log-level warn >"${work}/medic.log" 2>&1 &
medic_pid=$!

log "waiting for medic to see all ${services} services healthy"
healthy=0
for _ in $(seq 1 360); do
  healthy="$(curl -fsS "${base}/api/v1/status" 2>/dev/null |
    jq '[.services[] | select(.state == "healthy")] | length' 2>/dev/null || echo 0)"
  ((healthy == services)) && break
  sleep 0.5
done
if ((healthy != services)); then
  log "only ${healthy}/${services} healthy after 180 s; medic log:"
  tail -20 "${work}/medic.log" >&2
  exit 1
fi

printf '%-16s %12s %10s %10s %8s\n' endpoint "requests/s" "p50" "p99" errors
for path in /metrics /api/v1/status; do
  out="$(wrk -t2 -c16 -d"${duration}" --latency "${base}${path}")"
  rps="$(awk '/^Requests\/sec:/ {print $2}' <<<"${out}")"
  p50="$(awk '$1 == "50%" {print $2}' <<<"${out}")"
  p99="$(awk '$1 == "99%" {print $2}' <<<"${out}")"
  errors="$(awk '/Non-2xx or 3xx responses:/ {n += $NF} /Socket errors:/ {n += 1} END {print n + 0}' <<<"${out}")"
  printf '%-16s %12s %10s %10s %8s\n' "${path}" "${rps}" "${p50}" "${p99}" "${errors}"
done
log "medic protected ${services} containers (probe every 1s) during the runs; $(nproc) cores"
