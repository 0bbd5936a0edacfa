# shellcheck shell=bash
# Sourced, not run (after scripts/lib/apt.sh). The Docker engine and Compose v2 that medic's tests
# and demo use, found on the machine before anything is installed.
#
#   docker_engine_found       prints a description of a Docker engine that is already here, e.g.
#                             "docker-ce 29.0.1 (API 1.52)", and returns 0; returns 1 when there is
#                             none. "Here" is: an engine answers (`docker info`, or GET /_ping on
#                             the unix socket of DOCKER_HOST or /var/run/docker.sock), or one of
#                             ${DOCKER_FOREIGN_PACKAGES[*]} is installed. Debian's docker.io must
#                             not be asked for then: it conflicts with Docker's and Microsoft's
#                             packages (apt would remove them), and a second dockerd would fight the
#                             running one for its socket.
#   docker_cli_package_hint   the package that brings a docker CLI matching the installed engine
#   compose_v2_version        prints `docker compose version --short` and returns 0 when the docker
#                             CLI has Compose v2 or later as its plugin (Docker's
#                             docker-compose-plugin, or ours)
#   compose_v2_install [ETC]  installs Debian 13's docker-compose (Compose v2, a static Go binary
#                             that needs only libc6 >= 2.34, so it runs on Debian 12) as the CLI
#                             plugin ${COMPOSE_PLUGIN_PATH}: `apt-get download
#                             docker-compose/trixie` from a trixie source on this machine's own
#                             Debian mirror, pinned to -10 so that nothing is ever installed or
#                             upgraded from it, then `dpkg-deb -x` and `install -m 0755`. Debian 12's
#                             docker-compose package (v1, /usr/bin/docker-compose) is left alone.

# Packages of Docker's own repository (docker-ce...) and Microsoft's (moby-...) that docker.io
# conflicts with.
DOCKER_FOREIGN_PACKAGES=(docker-ce docker-ce-cli containerd.io moby-engine moby-cli moby-containerd)

COMPOSE_PLUGIN_PATH="${COMPOSE_PLUGIN_PATH:-/usr/local/lib/docker/cli-plugins/docker-compose}"
MEDIC_TRIXIE_SOURCES="${MEDIC_TRIXIE_SOURCES:-/etc/apt/sources.list.d/medic-trixie.sources}"
MEDIC_TRIXIE_PIN="${MEDIC_TRIXIE_PIN:-/etc/apt/preferences.d/medic-trixie}"

# Prints "VERSION API" of the engine that answers; status 1 when none does.
_docker_engine_answer() {
  local answer
  if command -v docker >/dev/null; then
    answer="$(timeout 20 docker version --format '{{.Server.Version}} {{.Server.APIVersion}}' \
      2>/dev/null || true)"
    if [[ "${answer}" =~ ^[^[:space:]]+\ [0-9.]+$ ]]; then
      printf '%s' "${answer}"
      return 0
    fi
  fi
  # No CLI (or it failed): ask the socket itself. Only unix sockets; `docker version` above already
  # covers a tcp:// DOCKER_HOST.
  local socket=/var/run/docker.sock
  if [[ "${DOCKER_HOST:-}" == unix://* ]]; then
    socket="${DOCKER_HOST#unix://}"
  elif [[ -n "${DOCKER_HOST:-}" ]]; then
    return 1
  fi
  [[ -S "${socket}" ]] && command -v curl >/dev/null || return 1
  local headers
  headers="$(curl --silent --max-time 5 --unix-socket "${socket}" --dump-header - \
    --output /dev/null http://localhost/_ping 2>/dev/null | tr -d '\r')" || return 1
  [[ "${headers}" == HTTP/*\ 200* ]] || return 1
  local server api
  server="$(sed -n 's|^[Ss]erver: *Docker/\([^ ]*\).*|\1|p' <<<"${headers}")"
  api="$(sed -n 's|^[Aa]pi-[Vv]ersion: *\([0-9.]*\).*|\1|p' <<<"${headers}")"
  printf '%s %s' "${server:-unknown}" "${api:-unknown}"
}

# The first installed package among the engines medic knows, or "".
_docker_engine_package() {
  local package
  for package in docker-ce moby-engine docker.io "${DOCKER_FOREIGN_PACKAGES[@]}"; do
    if [[ -n "$(apt_installed_version "${package}")" ]]; then
      printf '%s' "${package}"
      return 0
    fi
  done
}

docker_engine_found() {
  local package answer
  package="$(_docker_engine_package)"
  if answer="$(_docker_engine_answer)"; then
    local version="${answer% *}" api="${answer#* }"
    if [[ -n "${package}" ]]; then
      printf '%s %s (API %s)\n' "${package}" "${version}" "${api}"
    else
      printf 'Docker %s (API %s) at %s\n' "${version}" "${api}" \
        "${DOCKER_HOST:-unix:///var/run/docker.sock}"
    fi
    return 0
  fi
  local foreign
  for foreign in "${DOCKER_FOREIGN_PACKAGES[@]}"; do
    if [[ "${package}" == "${foreign}" ]]; then
      printf '%s %s (installed, not answering now; scripts/test starts its dockerd)\n' \
        "${package}" "$(apt_installed_version "${package}")"
      return 0
    fi
  done
  return 1
}

docker_cli_package_hint() {
  if [[ -n "$(apt_installed_version moby-engine)" ]]; then
    printf 'moby-cli'
  else
    printf 'docker-ce-cli (from the same repository as the engine)'
  fi
}

compose_v2_version() {
  command -v docker >/dev/null || return 1
  local version
  version="$(timeout 20 docker compose version --short 2>/dev/null)" || return 1
  version="${version#v}"
  [[ "${version}" =~ ^([0-9]+)\. ]] && ((BASH_REMATCH[1] >= 2)) || return 1
  printf '%s\n' "${version}"
}

# Writes FILE (as root) when its content differs from stdin's.
_write_if_changed() {
  local file="$1" content
  content="$(cat)"
  if [[ -f "${file}" ]] && [[ "$(cat "${file}")" == "${content}" ]]; then
    return 0
  fi
  printf '%s\n' "${content}" | apt_as_root install -D -m 0644 /dev/stdin "${file}"
}

compose_v2_install() {
  local etc="${1:-/etc/apt}" codename
  codename="$(. /etc/os-release && printf '%s' "${VERSION_CODENAME:-}")"
  if [[ "${codename}" != bookworm ]]; then
    printf 'compose: this is Debian "%s", not 12 (bookworm): install Compose v2 with its own apt (docker-compose on Debian 13, docker-compose-plugin from Docker)\n' \
      "${codename}" >&2
    return 1
  fi
  local mirror
  if ! mirror="$(apt_debian_mirror bookworm "${etc}")"; then
    printf 'compose: no apt source in %s serves Debian bookworm main; cannot find a mirror for trixie\n' \
      "${etc}" >&2
    return 1
  fi

  _write_if_changed "${MEDIC_TRIXIE_SOURCES}" <<EOF
# Written by medic's scripts/install-deps.sh, only to fetch Debian 13's docker-compose
# (Compose v2) with \`apt-get download docker-compose/trixie\`.
# ${MEDIC_TRIXIE_PIN} pins it to -10: apt never installs or upgrades anything from it.
# Removing both files is safe.
Types: deb
URIs: ${mirror}
Suites: trixie
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
  _write_if_changed "${MEDIC_TRIXIE_PIN}" <<EOF
Explanation: written by medic's scripts/install-deps.sh:
Explanation: ${MEDIC_TRIXIE_SOURCES} exists only for
Explanation: \`apt-get download docker-compose/trixie\`; nothing is ever installed from it.
Package: *
Pin: release n=trixie
Pin-Priority: -10
EOF

  # Refresh only the trixie lists (the bookworm ones stay as they are, and are kept).
  printf 'compose: fetching the trixie package lists from %s\n' "${mirror}" >&2
  apt_as_root apt-get update -qq \
    -o Dir::Etc::SourceList="${MEDIC_TRIXIE_SOURCES}" -o Dir::Etc::SourceParts=- \
    -o APT::Get::List-Cleanup=0 || return 1

  local work status=0
  work="$(mktemp -d)"
  (
    set -e
    cd "${work}"
    if ((EUID == 0)); then
      # apt downloads as its unprivileged user _apt, which must be able to write here.
      chmod 0755 .
      if id _apt >/dev/null 2>&1; then chown _apt .; fi
    fi
    apt-get download -qq docker-compose/trixie
    deb="$(ls docker-compose_*.deb)"
    dpkg-deb -x "${deb}" tree
    binary=tree/usr/libexec/docker/cli-plugins/docker-compose
    [[ -x "${binary}" ]] || { echo "compose: ${deb} has no ${binary#tree}" >&2; exit 1; }
    apt_as_root install -D -m 0755 "${binary}" "${COMPOSE_PLUGIN_PATH}"
    printf 'compose: installed %s from %s\n' "${COMPOSE_PLUGIN_PATH}" "${deb}" >&2
  ) || status=$?
  rm -rf "${work}"
  return "${status}"
}
