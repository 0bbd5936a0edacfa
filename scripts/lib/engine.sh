# shellcheck shell=bash
# Sourced, not run. Makes sure a Docker engine answers, and stops only an engine it started itself.
#
#   engine_ensure   if `docker info` fails: clear a stale /var/run/docker.pid, start dockerd in the
#                   background (log in ${MEDIC_ENGINE_LOG}), wait up to 60 s for `docker info`.
#                   An engine that already answers is left alone. The dockerd started is whichever
#                   is installed: Debian's docker.io, or Docker CE's docker-ce, which
#                   scripts/install-deps.sh keeps instead of replacing it with docker.io.
#   engine_stop     stops the dockerd that engine_ensure started (by its PID: SIGTERM, then wait);
#                   does nothing when engine_ensure found an engine already running.
#
# medic negotiates the Engine API version: 1.41 with Debian 12's docker.io (dockerd 20.10), up to
# 1.52 with Docker 29.

MEDIC_ENGINE_LOG="${MEDIC_ENGINE_LOG:-/tmp/medic-dockerd.log}"
MEDIC_ENGINE_PIDFILE="${MEDIC_ENGINE_PIDFILE:-/var/run/docker.pid}"  # where dockerd keeps its pid
MEDIC_ENGINE_PID=""  # set only when engine_ensure started dockerd

_engine_log() { printf 'engine: %s\n' "$*" >&2; }

_engine_answers() { docker info >/dev/null 2>&1; }

# /proc rather than `kill -0`: a non-root caller gets EPERM for root's dockerd, which is not "gone".
_engine_alive() { [[ -n "$1" && -d "/proc/$1" ]]; }

_engine_as_root() {
  if ((EUID == 0)); then "$@"; else sudo "$@"; fi
}

engine_ensure() {
  if _engine_answers; then
    return 0
  fi
  if ! command -v dockerd >/dev/null; then
    _engine_log "no engine answers and dockerd is not installed; run scripts/install-deps.sh"
    return 1
  fi

  # A pid file left by a dockerd that died makes a new one refuse to start.
  local pid_file="${MEDIC_ENGINE_PIDFILE}"
  if [[ -f "${pid_file}" ]]; then
    local old_pid
    old_pid="$(cat "${pid_file}" 2>/dev/null || true)"
    if _engine_alive "${old_pid}"; then
      _engine_log "dockerd (pid ${old_pid}) is running but does not answer; waiting for it"
    else
      _engine_log "removing stale ${pid_file} (pid ${old_pid:-?} is gone)"
      _engine_as_root rm -f "${pid_file}"
    fi
  fi

  if ! _engine_answers && [[ -z "$(_engine_pid_alive)" ]]; then
    _engine_log "starting dockerd (log: ${MEDIC_ENGINE_LOG})"
    if ((EUID == 0)); then
      dockerd >>"${MEDIC_ENGINE_LOG}" 2>&1 &
      MEDIC_ENGINE_PID=$!
    else
      # sudo stays in the foreground of its own background job, so its PID stands for dockerd's:
      # SIGTERM to sudo is relayed to dockerd.
      # shellcheck disable=SC2024  # the log belongs to the caller, not root
      sudo dockerd >>"${MEDIC_ENGINE_LOG}" 2>&1 &
      MEDIC_ENGINE_PID=$!
    fi
  fi

  local waited=0
  until _engine_answers; do
    if [[ -n "${MEDIC_ENGINE_PID}" ]] && ! _engine_alive "${MEDIC_ENGINE_PID}"; then
      _engine_log "dockerd exited during start-up; last lines of ${MEDIC_ENGINE_LOG}:"
      tail -n 20 "${MEDIC_ENGINE_LOG}" >&2 || true
      MEDIC_ENGINE_PID=""
      return 1
    fi
    if ((waited >= 120)); then
      _engine_log "no answer from dockerd after 60 s; see ${MEDIC_ENGINE_LOG}"
      return 1
    fi
    sleep 0.5
    waited=$((waited + 1))
  done
  _engine_log "engine answers (API $(docker version --format '{{.Server.APIVersion}}' 2>/dev/null))"
}

# Prints the PID in the engine pid file when that process is alive.
_engine_pid_alive() {
  local pid
  pid="$(cat "${MEDIC_ENGINE_PIDFILE}" 2>/dev/null || true)"
  if _engine_alive "${pid}"; then printf '%s' "${pid}"; fi
}

engine_stop() {
  if [[ -z "${MEDIC_ENGINE_PID}" ]]; then
    return 0
  fi
  local pid="${MEDIC_ENGINE_PID}"
  MEDIC_ENGINE_PID=""
  _engine_log "stopping the dockerd this script started (pid ${pid})"
  _engine_as_root kill -TERM "${pid}" 2>/dev/null || return 0
  local waited=0
  while _engine_alive "${pid}"; do
    if ((waited >= 60)); then
      _engine_log "dockerd (pid ${pid}) did not exit within 30 s of SIGTERM; leaving it running"
      return 1
    fi
    sleep 0.5
    waited=$((waited + 1))
  done
  wait "${pid}" 2>/dev/null || true
}
