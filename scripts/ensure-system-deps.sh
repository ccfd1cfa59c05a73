#!/usr/bin/env bash
# Installs the real test peers the interop tests drive (Debian packages), when any is missing.
# sipp comes from the package sip-tester; baresip from baresip-core; kamailio (5.6, with dispatcher) from kamailio,
# its tls module from kamailio-tls-modules.
set -euo pipefail
need=()
command -v sipp >/dev/null 2>&1 || need+=(sip-tester)
command -v baresip >/dev/null 2>&1 || need+=(baresip-core)
command -v espeak-ng >/dev/null 2>&1 || need+=(espeak-ng)
command -v sox >/dev/null 2>&1 || need+=(sox)
# PostgreSQL's server binaries live outside PATH on Debian (/usr/lib/postgresql/<major>/bin).
pg_server() { compgen -G '/usr/lib/postgresql/*/bin/postgres' >/dev/null || command -v postgres >/dev/null 2>&1; }
pg_server || need+=(postgresql)
command -v kamailio >/dev/null 2>&1 || need+=(kamailio)
# Kamailio's tls module (SIP over TLS in front of streamfork, test/interop/kamailio-tls.test.ts).
kam_tls() { compgen -G '/usr/lib/*/kamailio/modules/tls.so' >/dev/null || compgen -G '/usr/lib/kamailio/modules/tls.so' >/dev/null; }
kam_tls || need+=(kamailio-tls-modules)
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
# The console's browser tests drive Debian's chromium through playwright-core; the systemd unit is checked with systemd-analyze.
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v systemd-analyze >/dev/null 2>&1 || need+=(systemd)
if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi
echo "ensure-system-deps: installing ${need[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "ensure-system-deps: need root (or sudo) to apt-get install ${need[*]}" >&2
    exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${need[@]}"
for bin in sipp baresip espeak-ng sox kamailio redis-server chromium systemd-analyze; do
  command -v "$bin" >/dev/null 2>&1 || { echo "ensure-system-deps: $bin is still missing after install" >&2; exit 1; }
done
kam_tls || { echo "ensure-system-deps: kamailio's tls.so (package kamailio-tls-modules) is still missing after install" >&2; exit 1; }
pg_server || { echo "ensure-system-deps: postgres (package postgresql) is still missing after install" >&2; exit 1; }
