#!/usr/bin/env bash
# Checks the systemd units in deploy/systemd (or the unit files named as arguments):
#   1. `systemd-analyze verify` must exit 0 AND print nothing: systemd only warns (exit 0) about an
#      unknown or misspelt directive and then ignores it, so any line it prints fails the check.
#   2. `systemd-analyze security --offline=true` prints each unit's exposure score (0 = locked down,
#      10 = unprotected); a score above STREAMFORK_UNIT_MAX_EXPOSURE (default 2.0, docs/deploy.md) fails.
# The units start /usr/local/bin/streamfork, which need not be installed here: each unit is checked as a
# copy in a temp directory whose ExecStart points at a fake executable there. A template (name@.service)
# is checked through an instance of it (name@check.service).
# Exit 0: all good; 1: a check failed; 2: systemd-analyze is missing or the arguments are wrong.
set -euo pipefail

max_exposure="${STREAMFORK_UNIT_MAX_EXPOSURE:-2.0}"
binary=/usr/local/bin/streamfork

if ! command -v systemd-analyze >/dev/null 2>&1; then
  echo "check-systemd-unit: systemd-analyze not found; install the Debian package systemd (apt-get install systemd)" >&2
  exit 2
fi

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [ "$#" -gt 0 ]; then
  units=("$@")
else
  units=("$root"/deploy/systemd/*.service)
fi

tmp="$(mktemp -d "${TMPDIR:-/tmp}/streamfork-unit-check.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
fake="$tmp/bin/streamfork"
mkdir -p "$tmp/bin" "$tmp/units"
printf '#!/bin/sh\nexit 0\n' >"$fake"
chmod 755 "$fake"

offline=yes
if ! systemd-analyze security --help 2>&1 | grep -q -- '--offline'; then
  offline=no
  echo "check-systemd-unit: $(systemd-analyze --version | head -n 1) has no 'security --offline'; the exposure score is NOT checked" >&2
fi

failed=0
for unit in "${units[@]}"; do
  if [ ! -f "$unit" ]; then
    echo "check-systemd-unit: no such unit file: $unit" >&2
    exit 2
  fi
  name="$(basename "$unit")"
  if ! grep -q "^ExecStart=$binary " "$unit"; then
    echo "FAIL $name: ExecStart does not start $binary (the path docs/deploy.md installs)"
    failed=1
    continue
  fi
  sed "s#^ExecStart=$binary #ExecStart=$fake #" "$unit" >"$tmp/units/$name"
  check="$name"
  case "$name" in
    *@.service)
      check="${name%@.service}@check.service"
      ln -s "$name" "$tmp/units/$check"
      ;;
  esac

  out="$(cd "$tmp/units" && systemd-analyze verify "./$check" 2>&1)" && rc=0 || rc=$?
  if [ "$rc" -ne 0 ] || [ -n "$out" ]; then
    echo "FAIL $name: systemd-analyze verify (exit $rc):"
    printf '%s\n' "$out" | sed "s#$tmp/units/##g; s#^#  #"
    failed=1
    continue
  fi
  echo "ok   $name: systemd-analyze verify printed nothing"

  if [ "$offline" = yes ]; then
    report="$(cd "$tmp/units" && systemd-analyze security --offline=true --no-pager "./$check" 2>&1)" || true
    score="$(printf '%s\n' "$report" | sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p' | tail -n 1)"
    if [ -z "$score" ]; then
      echo "FAIL $name: systemd-analyze security printed no exposure level:"
      printf '%s\n' "$report" | sed 's/^/  /'
      failed=1
    elif awk -v s="$score" -v m="$max_exposure" 'BEGIN { exit !(s > m) }'; then
      echo "FAIL $name: exposure $score is above $max_exposure; the options it counts against the unit:"
      printf '%s\n' "$report" | grep '✗' | sed 's/^/  /' || true
      failed=1
    else
      echo "ok   $name: exposure $score (at most $max_exposure)"
    fi
  fi
done
exit "$failed"
