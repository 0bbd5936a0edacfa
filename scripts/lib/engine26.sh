#!/usr/bin/env bash
# shellcheck shell=bash
# A second, newer Docker engine for tests: Debian 13's dockerd 26.1 (API 1.45) from the image
# scripts/build-engine-image.sh builds, run in a container on the host's engine and answering on a
# unix socket of the caller's choosing. Sourced (functions below) or run:
#
#   scripts/lib/engine26.sh start SOCKET [--docker-host-file FILE] [--log FILE]
#   scripts/lib/engine26.sh stop  SOCKET [--log FILE]
#
#   engine26_start SOCKET [DOCKER_HOST_FILE]
#       Starts the engine serving unix://SOCKET (an absolute path of at most 107 bytes; its
#       directory is created and bind-mounted), waits for its /_ping, and loads the test images
#       (medic-testserver:{latest,v1,v2,bad-exit,never-healthy}) into it. Writes unix://SOCKET to
#       DOCKER_HOST_FILE when given. An engine left behind for the same SOCKET by an aborted run is
#       removed first. On any failure it prints why, removes everything it made and returns 1.
#   engine26_stop SOCKET
#       Removes the engine for SOCKET and everything it made: its containers and networks (asked of
#       the inner engine itself, so their cgroups and bridges go too), the engine's container, any
#       process its containers left running (after a crash), its cgroups, its data volume and the
#       socket directory. Safe to call when nothing is running.
#       Returns 1 only when something could not be removed (it says what).
#   ENGINE26_LOG=FILE: where engine26_stop saves the inner dockerd's log before removing it.
#
# Why it is safe beside the host's engine (one kernel, one network namespace):
# - data root: a volume of its own on /var/lib/docker; exec root, pid file and its containerd
#   (dockerd starts it: socket, state) live in the container's own /run, a tmpfs — private to it,
#   and empty when the container is started again (no stale pid file);
# - containers it runs get cgroup parent /<name> (not the host engine's /docker), so stop can
#   remove every cgroup even after a crash;
# - --network host (its containers must be reachable on 127.0.0.1, like the host engine's) with no
#   default bridge, no iptables rules and no ip_forward change: it never touches the host's
#   firewall; bridge networks a test creates take subnets from a pool of their own;
# - --pid host, as an engine on the host is: the PIDs it reports (exec inspect, State.Pid) are the
#   host's, which medic relies on (it kills a timed-out exec by that PID). tini -s reaps what its
#   containerd leaves behind. The price: processes of its containers outlive a crashed engine, so
#   stop kills whatever is left in its cgroup parent before removing it;
# - the host refuses --privileged here: the capabilities below are what dockerd needs (mounts for
#   overlay2, device nodes, network setup, /proc of its children), without seccomp or AppArmor.

ENGINE26_IMAGE="${ENGINE26_IMAGE:-medic-engine26:latest}"
ENGINE26_TEST_IMAGES=(medic-testserver:latest medic-testserver:v1 medic-testserver:v2
  medic-testserver:bad-exit medic-testserver:never-healthy)
ENGINE26_LOG="${ENGINE26_LOG:-}"

_engine26_log() { printf 'engine26: %s\n' "$*" >&2; }

_engine26_as_root() {
  if ((EUID == 0)); then "$@"; else sudo "$@"; fi
}

# medic-engine26-<12 hex of the socket path>: one engine per socket, found again by stop.
_engine26_name() {
  printf 'medic-engine26-%s' "$(printf '%s' "$1" | sha256sum | cut -c1-12)"
}

_engine26_check_socket() {
  if [[ "$1" != /* ]]; then
    _engine26_log "socket path '$1' is not absolute"
    return 1
  fi
  if ((${#1} > 107)); then
    _engine26_log "socket path '$1' is ${#1} bytes; unix sockets allow 107 (pick a shorter one)"
    return 1
  fi
}

_engine26_inner() { docker -H "unix://$1" "${@:2}"; }

_engine26_answers() {
  [[ -S "$1" ]] && [[ "$(curl -sS --max-time 2 --unix-socket "$1" http://localhost/_ping \
    2>/dev/null)" == "OK" ]]
}

# Waits up to $2 seconds for the engine on socket $1, while its container $3 runs.
_engine26_wait() {
  local socket="$1" limit="$2" name="$3" waited=0
  until _engine26_answers "${socket}"; do
    if [[ "$(docker inspect --format '{{.State.Running}}' "${name}" 2>/dev/null)" != "true" ]]; then
      _engine26_log "the engine's container ${name} is not running"
      return 1
    fi
    if ((waited >= limit * 10)); then
      _engine26_log "no answer on ${socket} after ${limit} s"
      return 1
    fi
    sleep 0.1
    waited=$((waited + 1))
  done
}

# The cgroup trees of the engine's containers (its --cgroup-parent), one per v1 controller.
_engine26_cgroups() {
  find /sys/fs/cgroup -mindepth 1 -maxdepth 2 -type d -name "$1" 2>/dev/null
}

# PIDs of every process in the cgroup trees of engine $1.
_engine26_cgroup_pids() {
  local tree
  while read -r tree; do
    find "${tree}" -name cgroup.procs -exec cat {} + 2>/dev/null
  done < <(_engine26_cgroups "$1") | sort -u
}

_engine26_kill_leftovers() {
  local pids waited=0
  pids="$(_engine26_cgroup_pids "$1")"
  [[ -n "${pids}" ]] || return 0
  _engine26_log "killing processes its containers left behind: ${pids//$'\n'/ }"
  while [[ -n "${pids}" ]] && ((waited < 100)); do
    # shellcheck disable=SC2086  # one pid per word
    _engine26_as_root kill -KILL ${pids} 2>/dev/null || true
    sleep 0.1
    waited=$((waited + 1))
    pids="$(_engine26_cgroup_pids "$1")"
  done
}

_engine26_show_log() {
  _engine26_log "last lines of the inner dockerd's log:"
  docker logs --tail 30 "$1" 2>&1 | sed 's/^/  /' >&2 || true
}

engine26_start() {
  local socket="${1:?engine26_start SOCKET [DOCKER_HOST_FILE]}" host_file="${2:-}"
  _engine26_check_socket "${socket}" || return 1
  local name dir
  name="$(_engine26_name "${socket}")"
  dir="$(dirname "${socket}")"

  if ! docker image inspect "${ENGINE26_IMAGE}" >/dev/null 2>&1; then
    _engine26_log "image ${ENGINE26_IMAGE} is missing; run scripts/build-engine-image.sh"
    return 1
  fi
  local image
  for image in "${ENGINE26_TEST_IMAGES[@]}"; do
    if ! docker image inspect "${image}" >/dev/null 2>&1; then
      _engine26_log "test image ${image} is missing; run scripts/build-test-image.sh"
      return 1
    fi
  done
  if docker container inspect "${name}" >/dev/null 2>&1 ||
    docker volume inspect "${name}" >/dev/null 2>&1; then
    _engine26_log "removing ${name}, left behind by an earlier run"
    engine26_stop "${socket}" || return 1
  fi

  local started=${SECONDS}
  local run=(docker run -d --name "${name}" --label "medic.engine26.socket=${socket}"
    --cap-add SYS_ADMIN --cap-add NET_ADMIN --cap-add MKNOD --cap-add SYS_PTRACE
    --security-opt seccomp=unconfined --security-opt apparmor=unconfined
    --network host --pid host --cgroupns host -v /sys/fs/cgroup:/sys/fs/cgroup --tmpfs /run:exec
    -v "${name}:/var/lib/docker" -v "${dir}:${dir}"
    "${ENGINE26_IMAGE}"
    /usr/bin/tini -s -- /usr/sbin/dockerd -H "unix://${socket}"
    --iptables=false --ip6tables=false --ip-forward=false --bridge=none
    --cgroup-parent "/${name}" --default-address-pool "base=10.213.0.0/16,size=24")
  # The socket belongs to the host's docker group (by number: the image has its own groups).
  local gid
  gid="$(getent group docker | cut -d: -f3)" || true
  if [[ -n "${gid}" ]]; then run+=(--group "${gid}"); fi

  _engine26_as_root mkdir -p "${dir}"
  if ! docker volume create --label "medic.engine26.socket=${socket}" "${name}" >/dev/null ||
    ! "${run[@]}" >/dev/null; then
    _engine26_log "could not start ${name}"
    engine26_stop "${socket}"
    return 1
  fi
  if ! _engine26_wait "${socket}" 60 "${name}"; then
    _engine26_show_log "${name}"
    engine26_stop "${socket}"
    return 1
  fi
  local answered=$((SECONDS - started))

  # The host engine's images, moved in without a registry.
  if ! docker save "${ENGINE26_TEST_IMAGES[@]}" | _engine26_inner "${socket}" load -q >/dev/null; then
    _engine26_log "could not load the test images into ${name}"
    engine26_stop "${socket}"
    return 1
  fi
  local version
  version="$(_engine26_inner "${socket}" version --format \
    '{{.Server.Version}} (API {{.Server.APIVersion}})' 2>/dev/null)" || true
  if [[ -n "${host_file}" ]]; then
    mkdir -p "$(dirname "${host_file}")"
    printf 'unix://%s\n' "${socket}" >"${host_file}"
  fi
  _engine26_log "dockerd ${version} answers on unix://${socket} (${name}; up in ${answered} s," \
    "ready with the test images in $((SECONDS - started)) s)"
}

engine26_stop() {
  local socket="${1:?engine26_stop SOCKET}"
  _engine26_check_socket "${socket}" || return 1
  local name
  name="$(_engine26_name "${socket}")"

  if docker container inspect "${name}" >/dev/null 2>&1; then
    # An engine that crashed is started once more so that it removes its own containers and
    # networks: their cgroups and bridge interfaces live on the host, outside its container.
    if ! _engine26_answers "${socket}"; then
      docker start "${name}" >/dev/null 2>&1 || true
      _engine26_wait "${socket}" 30 "${name}" 2>/dev/null || true
    fi
    if _engine26_answers "${socket}"; then
      local ids
      ids="$(_engine26_inner "${socket}" ps -aq)" || true
      if [[ -n "${ids}" ]]; then
        # shellcheck disable=SC2086  # one id per word
        _engine26_inner "${socket}" rm -f -v ${ids} >/dev/null || true
      fi
      _engine26_inner "${socket}" network prune -f >/dev/null || true
    else
      _engine26_log "the engine in ${name} does not answer; removing it regardless"
    fi
    if [[ -n "${ENGINE26_LOG}" ]]; then
      mkdir -p "$(dirname "${ENGINE26_LOG}")"
      docker logs "${name}" >"${ENGINE26_LOG}" 2>&1 || true
    fi
    docker stop -t 30 "${name}" >/dev/null 2>&1 || true
    docker rm -f -v "${name}" >/dev/null 2>&1 || true
  fi

  # Processes of its containers that outlived the engine (it crashed, or was killed with them
  # running), then their cgroups (cgroup v1: one tree per controller; v2: one tree). Before the
  # volume: their mounts hold it.
  _engine26_kill_leftovers "${name}"
  local tree
  while read -r tree; do
    _engine26_as_root find "${tree}" -depth -type d -exec rmdir {} + 2>/dev/null || true
  done < <(_engine26_cgroups "${name}")
  docker volume rm "${name}" >/dev/null 2>&1 || true

  _engine26_as_root rm -f "${socket}"
  _engine26_as_root rmdir "$(dirname "${socket}")" 2>/dev/null || true

  local left=() pids
  pids="$(_engine26_cgroup_pids "${name}")"
  if [[ -n "${pids}" ]]; then left+=("processes ${pids//$'\n'/ }"); fi
  if docker container inspect "${name}" >/dev/null 2>&1; then left+=("container ${name}"); fi
  if docker volume inspect "${name}" >/dev/null 2>&1; then left+=("volume ${name}"); fi
  while read -r tree; do
    left+=("cgroup ${tree}")
  done < <(_engine26_cgroups "${name}")
  if ((${#left[@]})); then
    _engine26_log "could not remove: ${left[*]}"
    return 1
  fi
  _engine26_log "removed ${name} and everything it made"
}

_engine26_main() {
  set -euo pipefail
  local usage="usage: engine26.sh start SOCKET [--docker-host-file FILE] [--log FILE]
       engine26.sh stop SOCKET [--log FILE]"
  if (($# < 2)); then
    printf '%s\n' "${usage}" >&2
    return 2
  fi
  local command="$1" socket="$2" host_file=""
  shift 2
  while (($#)); do
    case "$1" in
      --docker-host-file) host_file="${2:?--docker-host-file needs a FILE}"; shift 2 ;;
      --log) ENGINE26_LOG="${2:?--log needs a FILE}"; shift 2 ;;
      *) printf 'engine26.sh: unknown argument %s\n%s\n' "$1" "${usage}" >&2; return 2 ;;
    esac
  done
  case "${command}" in
    start)
      if ! docker info >/dev/null 2>&1; then
        if [[ "${MEDIC_REQUIRE_DOCKER:-0}" == "1" ]]; then
          _engine26_log "no Docker engine answers (docker info failed) and MEDIC_REQUIRE_DOCKER=1"
          return 1
        fi
        _engine26_log "SKIP: no Docker engine answers (docker info failed)"
        return 77
      fi
      engine26_start "${socket}" "${host_file}"
      ;;
    stop)
      if ! docker info >/dev/null 2>&1; then
        _engine26_log "no Docker engine answers: nothing to stop"
        return 0
      fi
      engine26_stop "${socket}"
      ;;
    *) printf 'engine26.sh: unknown command %s\n%s\n' "${command}" "${usage}" >&2; return 2 ;;
  esac
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  _engine26_main "$@"
fi
