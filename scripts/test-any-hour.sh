#!/usr/bin/env bash
# The whole test command under other clocks: a weekend night in UTC and a weekday noon in
# America/Sao_Paulo (or the moments you name). For releases and for anyone touching time logic;
# the everyday command stays ./scripts/test.sh.
#
#   ./scripts/test-any-hour.sh                       # both default moments, one after the other
#   ./scripts/test-any-hour.sh 'next sunday 03:00' UTC -- -k realtime
#
# Every process the suite starts, the embedded PostgreSQL included, sees the shifted clock
# (Debian's libfaketime, preloaded); it keeps ticking from the moment chosen. redis-server is the
# one exception: its jemalloc clashes with libfaketime at start-up, so it runs on the real clock
# through a shim on PATH. That is sound for PyTake: Redis keys expire after relative durations,
# and the only absolute time read from Redis (TIME, in the send throttle) is compared with
# Redis's own TIME.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bootstrap.sh

if ! command -v faketime >/dev/null 2>&1; then
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
    say "installing faketime (apt)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends faketime >/dev/null
  else
    echo "this script needs Debian's faketime: sudo apt-get install faketime" >&2
    exit 1
  fi
fi

shim="$(mktemp -d)"
chmod 755 "$shim"  # the embedded servers run as the postgres user when we are root
trap 'rm -rf "$shim"' EXIT
real_redis="$(command -v redis-server)"
cat >"$shim/redis-server" <<EOF
#!/bin/sh
exec env -u LD_PRELOAD -u FAKETIME "$real_redis" "\$@"
EOF
chmod +x "$shim/redis-server"

# run_at WHEN ZONE [pytest args…]: the test command with the clock at WHEN (GNU date syntax,
# read in ZONE) and TZ=ZONE.
run_at() {
  local when="$1" zone="$2"
  shift 2
  local target offset
  target="$(TZ="$zone" date -d "$when" +%s)"
  offset=$((target - $(date +%s)))
  say "clock: $(TZ="$zone" date -d "@$target" '+%A %Y-%m-%d %H:%M %Z') (TZ=$zone, offset ${offset}s)"
  # An offset, not an absolute time: the clock keeps running, as timeouts expect.
  TZ="$zone" PATH="$shim:$PATH" faketime -f "+${offset}s" ./scripts/test.sh "$@"
}

if (($#)); then
  when="$1" zone="${2:-UTC}"
  shift $(($# < 2 ? $# : 2))
  [[ "${1:-}" == "--" ]] && shift
  run_at "$when" "$zone" "$@"
else
  run_at "next sunday 03:00" UTC
  run_at "next wednesday 12:00" America/Sao_Paulo
fi
