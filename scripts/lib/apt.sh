# shellcheck shell=bash
# Sourced, not run. What dpkg has installed, and where this machine's own apt sources get Debian.
#
#   apt_as_root CMD...              runs CMD as root (itself when root, else through sudo)
#   apt_installed_names             every installed package name, and every name an installed
#                                   package Provides (nodesource's nodejs provides npm), one a line
#   apt_installed_version PKG       the installed version of PKG; "" when it is not installed
#   apt_debian_mirror CODENAME [ETC]
#                                   the first URI of the machine's apt sources (ETC, default
#                                   /etc/apt: sources.list, sources.list.d/*.list and *.sources, in
#                                   apt's own order) that serves Debian suite CODENAME with
#                                   component main; status 1 when there is none. Read, never
#                                   hard-coded: a machine behind its own mirror keeps using it.

apt_as_root() {
  if ((EUID == 0)); then
    "$@"
  elif command -v sudo >/dev/null; then
    sudo "$@"
  else
    printf 'apt: %s needs root and sudo is not installed; run this script as root\n' "$1" >&2
    return 1
  fi
}

apt_installed_names() {
  dpkg-query --show --showformat='${db:Status-Status}\t${Package}\t${Provides}\n' 2>/dev/null |
    awk -F '\t' '$1 == "installed" {
      print $2
      n = split($3, provided, /, */)
      for (i = 1; i <= n; i++) {
        sub(/ .*/, "", provided[i])  # "npm (= 9.2.0)" -> "npm"
        if (provided[i] != "") print provided[i]
      }
    }' | sort -u
}

apt_installed_version() {
  local status
  status="$(dpkg-query --show --showformat='${db:Status-Status} ${Version}' "$1" 2>/dev/null || true)"
  [[ "${status}" == installed\ * ]] && printf '%s' "${status#installed }"
  return 0
}

apt_debian_mirror() {
  local codename="$1" etc="${2:-/etc/apt}"
  local files=() file
  [[ -f "${etc}/sources.list" ]] && files+=("${etc}/sources.list")
  for file in "${etc}"/sources.list.d/*.list "${etc}"/sources.list.d/*.sources; do
    [[ -f "${file}" && "${file}" != */medic-trixie.sources ]] && files+=("${file}")
  done
  local uri
  for file in "${files[@]}"; do
    if [[ "${file}" == *.sources ]]; then
      uri="$(_apt_mirror_deb822 "${codename}" <"${file}")"
    else
      uri="$(_apt_mirror_one_line "${codename}" <"${file}")"
    fi
    if [[ -n "${uri}" ]]; then
      printf '%s\n' "${uri}"
      return 0
    fi
  done
  return 1
}

# deb822 stanzas (`Types: deb`, `URIs:`, `Suites:`, `Components:`, `Enabled:`), separated by blank
# lines; # lines are comments. Prints the first URI of the first stanza that matches.
_apt_mirror_deb822() {
  awk -v codename="$1" '
    function has(list, word,    n, i, w) {
      n = split(list, w, /[ \t]+/)
      for (i = 1; i <= n; i++) if (w[i] == word) return 1
      return 0
    }
    function check() {
      if (!found && enabled != "no" && has(types, "deb") && has(suites, codename) &&
          has(components, "main") && uris != "") {
        split(uris, u, /[ \t]+/)
        print u[1]
        found = 1
      }
      types = uris = suites = components = ""
      enabled = "yes"
    }
    BEGIN { enabled = "yes" }
    /^[ \t]*#/ { next }
    /^[ \t]*$/ { check(); next }
    {
      line = $0
      key = tolower(line); sub(/:.*/, "", key)
      value = line; sub(/^[^:]*:[ \t]*/, "", value); sub(/[ \t]+$/, "", value)
      if (key == "types") types = value
      else if (key == "uris") uris = value
      else if (key == "suites") suites = value
      else if (key == "components") components = value
      else if (key == "enabled") enabled = tolower(value)
    }
    END { check() }'
}

# One-line format: `deb [options] URI SUITE COMPONENT...`; the options may contain spaces.
_apt_mirror_one_line() {
  awk -v codename="$1" '
    /^[ \t]*#/ { next }
    $1 == "deb" {
      line = $0
      sub(/^[ \t]*deb[ \t]+/, "", line)
      if (line ~ /^\[/) sub(/^\[[^]]*\][ \t]*/, "", line)
      n = split(line, f, /[ \t]+/)
      if (n < 3 || f[2] != codename) next
      for (i = 3; i <= n; i++) if (f[i] == "main") { print f[1]; exit }
    }'
}
