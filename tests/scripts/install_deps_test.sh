#!/usr/bin/env bash
# shellcheck disable=SC2016  # the fakes' bodies are scripts of their own, expanded when they run
# scripts/install-deps.sh --dry-run on imagined machines: dpkg's database, the docker CLI and the
# engine's socket are fakes on a sandbox PATH (no apt, no sudo, no real docker or curl on it), the
# apt sources are files in a temp dir. What it would install must never include docker.io beside
# Docker CE, and Compose v2 comes from the machine's own Debian mirror.
# Usage: install_deps_test.sh <repo root>
set -euo pipefail
repo="${1:?usage: install_deps_test.sh <repo root>}"
# shellcheck source=tests/scripts/testlib.sh
source "$(dirname "${BASH_SOURCE[0]}")/testlib.sh"

bin="${work}/bin"
sandbox_bin "${bin}" bash env awk sort sed tr cat dirname timeout head
# What install-deps.sh must never run in a dry run.
for forbidden in apt-get apt sudo dpkg install; do
  fake "${bin}" "${forbidden}" "echo \"${forbidden} \$*\" >>${work}/forbidden; exit 99"
done

# dpkg-query over ${FAKE_DPKG_DB}: lines "package version [provided, names]".
fake "${bin}" dpkg-query '
format="" package=""
for arg in "$@"; do
  case "${arg}" in --showformat=*) format="${arg#--showformat=}" ;; -*) ;; *) package="${arg}" ;; esac
done
if [[ -z "${package}" ]]; then
  while read -r name version provides; do
    [[ -n "${name}" ]] && printf "installed\t%s\t%s\n" "${name}" "${provides}"
  done <"${FAKE_DPKG_DB}"
  exit 0
fi
while read -r name version provides; do
  if [[ "${name}" == "${package}" ]]; then printf "installed %s" "${version}"; exit 0; fi
done <"${FAKE_DPKG_DB}"
echo "dpkg-query: no packages found matching ${package}" >&2
exit 1'

# docker: `docker version` answers ${FAKE_ENGINE} ("VERSION API") or fails; `docker compose
# version --short` prints ${FAKE_COMPOSE} or fails.
fake "${bin}" docker '
if [[ "$1" == version ]]; then
  [[ -n "${FAKE_ENGINE:-}" ]] || { echo "Cannot connect to the Docker daemon" >&2; exit 1; }
  echo "${FAKE_ENGINE}"; exit 0
fi
if [[ "$1 $2" == "compose version" ]]; then
  [[ -n "${FAKE_COMPOSE:-}" ]] || { echo "docker: unknown command: docker compose" >&2; exit 1; }
  echo "${FAKE_COMPOSE}"; exit 0
fi
exit 1'

# curl on the engine socket: the headers of GET /_ping in ${FAKE_PING}, or a refused connection.
fake "${bin}" curl '
[[ -n "${FAKE_PING:-}" ]] || { echo "curl: (7) Could not connect" >&2; exit 7; }
printf "%b" "${FAKE_PING}"'

# A unix socket file for the engine (its presence is checked; the fake curl answers for it).
socket="${work}/docker.sock"
python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "${socket}"

# Every package install-deps.sh wants, read from its list (docker.io is added by the script).
mapfile -t all_packages < <(sed -n '/^packages=(/,/^)/p' "${repo}/scripts/install-deps.sh" |
  sed -e '1d' -e '$d' -e 's/#.*//' | tr -s ' \t' '\n' | sed '/^$/d')
db_with() {  # db_with FILE [extra lines...]: every package installed, plus the extra lines
  local file="$1"
  shift
  printf '%s 1.0\n' "${all_packages[@]}" >"${file}"
  printf '%s\n' "$@" >>"${file}"
}
db_without() {  # db_without FILE PACKAGE...: every package but these
  local file="$1" skip
  shift
  : >"${file}"
  for package in "${all_packages[@]}"; do
    for skip in "$@"; do [[ "${package}" == "${skip}" ]] && continue 2; done
    printf '%s 1.0\n' "${package}" >>"${file}"
  done
}

# This machine's apt sources: Docker's repository first (suite bookworm, component stable: not
# Debian), then Debian's own mirror, then security.
etc="${work}/apt"
mkdir -p "${etc}/sources.list.d"
cat >"${etc}/sources.list.d/docker.sources" <<'SOURCES'
Types: deb
URIs: https://download.docker.test/linux/debian
Suites: bookworm
Components: stable
SOURCES
cat >"${etc}/sources.list.d/debian.sources" <<'SOURCES'
# Debian's archive, as the installer writes it
Types: deb
URIs: http://mirror.test/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://mirror.test/debian-security
Suites: bookworm-security
Components: main
SOURCES

deps() {  # deps [VAR=value...]: install-deps.sh --dry-run on the sandbox
  run env -i PATH="${bin}" HOME="${work}" FAKE_DPKG_DB="${work}/db" MEDIC_APT_ETC="${etc}" \
    DOCKER_HOST="unix://${socket}" "$@" "${repo}/scripts/install-deps.sh" --dry-run
}

# 1. A Docker CE host whose engine answers, with Docker's compose plugin; npm is missing.
db_without "${work}/db" npm
printf '%s\n' "docker-ce 5:29.0.1-1~debian.12~bookworm" "docker-ce-cli 5:29.0.1-1~debian.12~bookworm" \
  "containerd.io 2.1.5-1" "docker-compose-plugin 2.40.3-1~debian.12~bookworm" >>"${work}/db"
deps FAKE_ENGINE="29.0.1 1.52" FAKE_COMPOSE="2.40.3"
check "docker-ce running: exit 0" test "${rc}" -eq 0
check "docker-ce running: names the engine it uses" \
  expect_in "${err}" "install-deps: using the Docker engine already installed: docker-ce 29.0.1 (API 1.52)"
check "docker-ce running: installs npm" expect_in "${out}" "apt-get install: npm"
check "docker-ce running: never docker.io" expect_not_in "${out}" "docker.io"
check "docker-ce running: its compose plugin is kept" expect_not_in "${out}" "compose v2"

# 2. Docker CE installed, engine stopped (CLI and socket fail).
db_without "${work}/db"
printf '%s\n' "docker-ce 5:29.0.1-1~debian.12~bookworm" "docker-ce-cli 5:29.0.1-1~debian.12~bookworm" \
  >>"${work}/db"
deps FAKE_COMPOSE="2.40.3"
check "docker-ce stopped: names it" expect_in "${err}" \
  "using the Docker engine already installed: docker-ce 5:29.0.1-1~debian.12~bookworm (installed, not answering"
check "docker-ce stopped: never docker.io" expect_not_in "${out}" "docker.io"
check "docker-ce stopped: nothing to install" test -z "${out}"

# 3. Only Docker's containerd.io and no docker CLI: docker.io would replace containerd.io.
db_without "${work}/db"
printf '%s\n' "containerd.io 2.1.5-1" >>"${work}/db"
rm -f "${bin}/docker.off"; mv "${bin}/docker" "${bin}/docker.off"
deps
check "containerd.io, no CLI: fails" test "${rc}" -eq 1
check "containerd.io, no CLI: says which CLI to install" expect_in "${err}" "install docker-ce-cli"
check "containerd.io, no CLI: and why not docker.io" \
  expect_in "${err}" "not docker.io: it would replace that engine"
check "containerd.io, no CLI: no plan printed" test -z "${out}"

# 4. An engine answers on the socket, no engine package and no CLI (e.g. Docker's static binaries,
# CLI deleted): found through GET /_ping.
db_without "${work}/db"
deps FAKE_PING='HTTP/1.1 200 OK\r\nApi-Version: 1.52\r\nServer: Docker/29.0.1 (linux)\r\n\r\n'
check "engine on the socket: found through /_ping" \
  expect_in "${err}" "using the Docker engine already installed: Docker 29.0.1 (API 1.52) at unix://${socket}"
check "engine on the socket, no CLI: fails" test "${rc}" -eq 1
mv "${bin}/docker.off" "${bin}/docker"

# 5. A fresh Debian 12: nothing installed, no engine, no docker CLI yet.
: >"${work}/db"
mv "${bin}/docker" "${bin}/docker.off"
deps
check "fresh: exit 0" test "${rc}" -eq 0
check "fresh: installs docker.io" expect_in "${out}" " docker.io"
check "fresh: installs npm and compose v1" expect_in "${out}" "nodejs npm wrk"
check "fresh: installs compose v1" expect_in "${out}" " docker-compose "
check "fresh: Compose v2 from this machine's Debian mirror (not Docker's repository)" \
  expect_in "${out}" "compose v2: docker-compose/trixie from http://mirror.test/debian -> /usr/local/lib/docker/cli-plugins/docker-compose"
mv "${bin}/docker.off" "${bin}/docker"

# 6. nodesource's nodejs bundles npm (Provides: npm, Conflicts: npm): npm is present.
db_without "${work}/db" nodejs npm
printf '%s\n' "nodejs 20.20.2-1nodesource1 nodejs-dev, nodejs-legacy, npm (= 10.8.2)" >>"${work}/db"
deps FAKE_ENGINE="20.10.24+dfsg1 1.41" FAKE_COMPOSE="2.26.1-4"
check "nodesource nodejs provides npm: nothing to install" test -z "${out}"
check "everything present: says so" expect_in "${err}" "packages are installed; Compose 2.26.1-4"

# 7. Debian's own engine installed, Compose v1 only: the plugin comes from the mirror in the
# one-line sources.list (options with spaces), the docker.sources file gone.
db_with "${work}/db" "docker.io 20.10.24+dfsg1-1+deb12u1"
rm "${etc}/sources.list.d/docker.sources" "${etc}/sources.list.d/debian.sources"
cat >"${etc}/sources.list" <<'SOURCES'
# deb http://commented.test/debian bookworm main
deb http://security.test/debian-security bookworm-security main
deb [arch=amd64 signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://one-line.test/debian bookworm main contrib
SOURCES
deps FAKE_ENGINE="20.10.24+dfsg1 1.41" FAKE_COMPOSE="1.29.2"
check "compose v1 only: no apt-get install" expect_not_in "${out}" "apt-get install"
check "compose v1 only: v2 from the one-line source's mirror" \
  expect_in "${out}" "compose v2: docker-compose/trixie from http://one-line.test/debian ->"

# 8. A Compose that reports v5 (Docker's newest) counts as v2 or later.
deps FAKE_ENGINE="29.0.1 1.52" FAKE_COMPOSE="v5.0.0"
check "compose v5: nothing to do" test -z "${out}"

# 9. No Debian source at all.
: >"${etc}/sources.list"
deps FAKE_ENGINE="20.10.24+dfsg1 1.41"
check "no Debian source: the plan says so" expect_in "${out}" "(no Debian bookworm source found)"

check "no apt, dpkg, sudo or install ran in any case" test ! -e "${work}/forbidden"
finish
