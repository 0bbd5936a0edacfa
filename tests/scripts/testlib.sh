# shellcheck shell=bash
# Sourced by the script tests here: a sandbox PATH of real tools plus fakes, and checks that count.
#
#   sandbox_bin DIR TOOL...   DIR holds symlinks to the real TOOLs (found in the caller's PATH);
#                             tools not listed do not exist for a script run with PATH=DIR
#   fake DIR NAME BODY        writes DIR/NAME, a bash script with BODY
#   run CMD...                runs CMD; sets $rc, $out (stdout) and $err (stderr)
#   check NAME COND...        one test: passes when the command COND succeeds
#   expect_in HAYSTACK NEEDLE / expect_not_in: conditions for check
#   finish                    prints "N passed, N failed" and exits non-zero on any failure

passed=0
failed=0
work="$(mktemp -d)"
trap 'rm -rf "${work}"' EXIT

sandbox_bin() {
  local dir="$1" tool path
  shift
  mkdir -p "${dir}"
  for tool in "$@"; do
    path="$(command -v "${tool}")" || { echo "test setup: ${tool} not found" >&2; exit 2; }
    ln -sf "${path}" "${dir}/${tool}"
  done
}

fake() {
  printf '#!/bin/bash\n%s\n' "$3" >"$1/$2"
  chmod +x "$1/$2"
}

run() {
  rc=0
  "$@" >"${work}/out" 2>"${work}/err" || rc=$?
  out="$(cat "${work}/out")"
  err="$(cat "${work}/err")"
}

expect_in() { [[ "$1" == *"$2"* ]]; }
expect_not_in() { [[ "$1" != *"$2"* ]]; }

check() {
  local name="$1"
  shift
  if "$@"; then
    passed=$((passed + 1))
    echo "ok: ${name}"
  else
    failed=$((failed + 1))
    printf 'FAIL: %s\n  condition: %s\n  exit status: %s\n  stdout: %s\n  stderr: %s\n' \
      "${name}" "$*" "${rc:-}" "${out:-}" "${err:-}"
  fi
}

finish() {
  echo "${passed} passed, ${failed} failed"
  ((failed == 0))
}
