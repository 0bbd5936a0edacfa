#!/usr/bin/env bash
# Scale benchmark (issue 15, DESIGN §8 "overhead" and "scale"): medic's cost per probe against the
# floor for the same work, measured in one run.
#
# Starts N medic-testserver containers (--network host, each on its own 127.0.0.1 port, Docker's
# healthcheck off so only medic probes) and a `medic watch` that gives each an HTTP probe every
# INTERVAL. Once all N are healthy and a settle time has passed, it measures over DURATION:
#   medic     CPU seconds per minute (utime+stime of the daemon, /proc/PID/stat), probes run
#             (medic_probe_duration_seconds_count on /metrics), RSS now and peak (VmRSS, VmHWM);
#   floor     `wrk -t1 -c N -H 'Connection: close'` against one of the containers, each connection
#             sending one request per INTERVAL (the same request rate, a new TCP connection per
#             request, like a probe); its CPU (GNU time) per request, times medic's probe rate, is
#             the floor's CPU seconds per minute for the same number of probes;
# and prints the ratio medic / floor (DESIGN §8: <= 2) and the RSS (< 30 MiB at 100, < 60 MiB at
# 1,000). With --perf FILE it then records `perf record -g` of the daemon for 20 s into FILE (after
# the measurement, so the profile does not disturb it) and prints the top of `perf report`.
#
# Everything it starts (containers by label, medic, wrk) is removed on exit, even on failure.
# Traffic goes to 127.0.0.1 only.
#
# Usage: bench/scale.sh [--medic PATH] [--services N] [--interval 1s] [--duration 60]
#                       [--settle 15] [--perf FILE]
#   bench/scale.sh --services 100 --interval 1s
#   bench/scale.sh --services 1000 --interval 10s --duration 30
# Needs: wrk and GNU time (scripts/install-deps.sh), a Docker engine, the test image
# (scripts/build-test-image.sh) and a built medic (default build/src/medic).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
medic="${root}/build/src/medic"
services=100
interval=1s
duration=60
settle=15
perf_out=""
usage() {
  echo "usage: $0 [--medic PATH] [--services N] [--interval 1s] [--duration SECONDS]" \
    "[--settle SECONDS] [--perf FILE]" >&2
  exit 2
}
while (($#)); do
  case "$1" in
    --medic) medic="$2"; shift 2 ;;
    --services) services="$2"; shift 2 ;;
    --interval) interval="$2"; shift 2 ;;
    --duration) duration="$2"; shift 2 ;;
    --settle) settle="$2"; shift 2 ;;
    --perf) perf_out="$2"; shift 2 ;;
    *) usage ;;
  esac
done
if [[ "${interval}" =~ ^([0-9]+)ms$ ]]; then
  interval_ms="${BASH_REMATCH[1]}"
elif [[ "${interval}" =~ ^([0-9]+)s$ ]]; then
  interval_ms=$((BASH_REMATCH[1] * 1000))
else
  echo "--interval takes a duration like 500ms or 10s, not '${interval}'" >&2
  exit 2
fi

log() { printf 'scale: %s\n' "$*" >&2; }
command -v wrk >/dev/null || { log "wrk missing: scripts/install-deps.sh (apt-get install wrk)"; exit 1; }
[[ -x /usr/bin/time ]] || { log "GNU time missing: scripts/install-deps.sh (apt-get install time)"; exit 1; }
[[ -x "${medic}" ]] || { log "no medic binary at ${medic} (build it, or pass --medic PATH)"; exit 1; }
docker image inspect medic-testserver:latest >/dev/null 2>&1 ||
  { log "test image missing: scripts/build-test-image.sh"; exit 1; }

work="$(mktemp -d /tmp/medic-test-scale-XXXXXX)"
label="medic.bench=scale-$$"
prefix="medic-test-scale-$$"
medic_pid=""
cleanup() {
  if [[ -n "${medic_pid}" ]]; then
    kill -TERM "${medic_pid}" 2>/dev/null || true
    wait "${medic_pid}" 2>/dev/null || true
  fi
  # In parallel: one `docker rm -f` of 1,000 containers takes the engine about 15 minutes.
  docker ps -aq --filter "label=${label}" | xargs -r -P 6 -n 25 docker rm -f >/dev/null 2>&1 || true
  rm -rf "${work}"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# shellcheck source=bench/lib/ports.sh
source "${root}/bench/lib/ports.sh"

config="${work}/medic.yaml"
{
  echo "select:"
  echo "  labels: false"
  echo "defaults:"
  echo "  probe:"
  echo "    interval: ${interval}"
  echo "    timeout: 2s"
  echo "    failure_threshold: 3"
  echo "services:"
} >"${config}"
ports=()
for ((i = 1; i <= services; i++)); do
  free_port
  ports+=("${port}")
  printf '%s %s\n' "${i}" "${port}" >>"${work}/containers"
  {
    echo "  svc${i}:"
    echo "    match:"
    echo "      container: ${prefix}-${i}"
    echo "    probes:"
    echo "      - http: http://127.0.0.1:${port}/health"
  } >>"${config}"
done

log "starting ${services} containers (4 at a time)"
started_at=${SECONDS}
export prefix label
xargs -P 4 -L 1 sh -c 'docker run -d --pull never --no-healthcheck --name "${prefix}-$0" \
  --network host --label medic.test=true --label "${label}" -e "PORT=$1" \
  medic-testserver:latest >/dev/null' <"${work}/containers"
log "containers up in $((SECONDS - started_at)) s"

free_port
api_port="${port}"
base="http://127.0.0.1:${api_port}"
"${medic}" watch --config "${config}" --state-dir "${work}/state" \
  --listen "127.0.0.1:${api_port}" --log-level warn >"${work}/medic.log" 2>&1 &
medic_pid=$!

log "waiting for medic to see all ${services} services healthy"
healthy=0
for _ in $(seq 1 600); do
  healthy="$(curl -fsS "${base}/api/v1/status" 2>/dev/null |
    jq '[.services[] | select(.state == "healthy")] | length' 2>/dev/null || echo 0)"
  ((healthy == services)) && break
  sleep 1
done
if ((healthy != services)); then
  log "only ${healthy}/${services} healthy after 600 s; medic log:"
  tail -20 "${work}/medic.log" >&2
  exit 1
fi
log "all healthy; settling ${settle} s"
sleep "${settle}"

tck="$(getconf CLK_TCK)"
cpu_ticks() { awk '{print $14 + $15}' "/proc/${medic_pid}/stat"; }
probes_done() {
  curl -fsS "${base}/metrics" | awk '/^medic_probe_duration_seconds_count/ {n += $NF} END {printf "%d\n", n}'
}
status_kib() { awk -v k="$1" '$1 == k":" {print $2}' "/proc/${medic_pid}/status"; }

log "measuring medic for ${duration} s"
p0="$(probes_done)"
c0="$(cpu_ticks)"
t0="$(date +%s.%N)"
sleep "${duration}"
c1="$(cpu_ticks)"
t1="$(date +%s.%N)"
p1="$(probes_done)"
rss_kib="$(status_kib VmRSS)"
hwm_kib="$(status_kib VmHWM)"
kill -0 "${medic_pid}" 2>/dev/null || { log "medic exited; log:"; tail -20 "${work}/medic.log" >&2; exit 1; }

log "measuring the floor for ${duration} s (wrk, ${services} connections, one request each per ${interval})"
cat >"${work}/pace.lua" <<EOF
-- One request per connection per interval: the probes' rate, each on a new connection.
function delay() return ${interval_ms} end
EOF
/usr/bin/time -f '%U %S' -o "${work}/wrk.time" \
  wrk -t1 -c"${services}" -d"${duration}s" -H 'Connection: close' -s "${work}/pace.lua" \
  "http://127.0.0.1:${ports[0]}/health" >"${work}/wrk.out"
requests="$(awk '/requests in/ {print $1}' "${work}/wrk.out")"
errors="$(awk '/Non-2xx or 3xx responses:/ {n += $NF} /Socket errors:/ {n += 1} END {print n + 0}' "${work}/wrk.out")"

awk -v c0="${c0}" -v c1="${c1}" -v t0="${t0}" -v t1="${t1}" -v tck="${tck}" -v p0="${p0}" \
  -v p1="${p1}" -v rss="${rss_kib}" -v hwm="${hwm_kib}" -v req="${requests}" -v err="${errors}" \
  -v n="${services}" -v iv="${interval}" -v dur="${duration}" -v wrkt="$(cat "${work}/wrk.time")" '
BEGIN {
  split(wrkt, w, " ");
  secs = t1 - t0;
  medic_cpu_min = (c1 - c0) / tck / secs * 60;
  probe_rate = (p1 - p0) / secs;
  floor_per_req = (w[1] + w[2]) / req;
  floor_cpu_min = floor_per_req * probe_rate * 60;
  printf "%-6s %-8s %9s %16s %16s %7s %12s %14s\n", "N", "interval", "probes/s", "medic CPU-s/min",
         "floor CPU-s/min", "ratio", "RSS MiB", "peak RSS MiB";
  printf "%-6d %-8s %9.1f %16.2f %16.2f %7.2f %12.1f %14.1f\n", n, iv, probe_rate, medic_cpu_min,
         floor_cpu_min, medic_cpu_min / floor_cpu_min, rss / 1024, hwm / 1024;
  printf "medic: %.0f us CPU per probe; floor: %.0f us CPU per request (wrk: %d requests in %d s, %d errors)\n",
         (c1 - c0) / tck / (p1 - p0) * 1e6, floor_per_req * 1e6, req, dur, err;
}'
log "$(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg); wrk shares them with medic and the containers"

if [[ -n "${perf_out}" ]]; then
  log "perf record -g of medic for 20 s -> ${perf_out}"
  perf record -q -g -p "${medic_pid}" -o "${perf_out}" -- sleep 20 >/dev/null 2>&1
  perf report -i "${perf_out}" --stdio --no-children --percent-limit 1.5 2>/dev/null |
    grep -E '^ +[0-9]' | head -30
fi
