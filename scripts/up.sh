#!/usr/bin/env bash
# Installs everything, then runs the main job: the daemon on the embedded PostgreSQL + Redis
# stack, a demo tenant with an owner account, and the terminal console connected to it.
# Quitting the console (ctrl+q) stops the daemon. Without a terminal, the daemon runs in the
# foreground until Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bootstrap.sh

PORT="${PYTAKE_SERVER__PORT:-8420}"
SERVER="http://127.0.0.1:$PORT"
STATE_DIR="$(python -c 'from pytake_daemon.config import load_settings; print(load_settings().state_dir)')"
LOG="$STATE_DIR/daemon.log"
mkdir -p "$STATE_DIR"

# 0 when the URL answers 200 (python rather than curl: one dependency fewer on a fresh machine).
http_ok() {
  python -c 'import sys, urllib.request
try:
    sys.exit(urllib.request.urlopen(sys.argv[1], timeout=2).status != 200)
except OSError:
    sys.exit(1)' "$1"
}

if http_ok "$SERVER/healthz"; then
  echo "something already answers on $SERVER: stop it or set PYTAKE_SERVER__PORT" >&2
  exit 1
fi

say "starting the daemon (log: $LOG)"
pytake daemon >>"$LOG" 2>&1 &
daemon=$!
stop_daemon() { kill -TERM "$daemon" 2>/dev/null && wait "$daemon" 2>/dev/null || true; }
trap stop_daemon EXIT

for _ in $(seq 1 120); do
  http_ok "$SERVER/readyz" && break
  kill -0 "$daemon" 2>/dev/null || { tail -20 "$LOG" >&2; exit 1; }
  sleep 0.5
done
http_ok "$SERVER/readyz" || { echo "daemon not ready; see $LOG" >&2; exit 1; }

creds="$STATE_DIR/demo-credentials"
if [[ ! -s "$creds" ]]; then
  say "creating the demo tenant and its owner"
  password="$(python -c 'import secrets; print(secrets.token_urlsafe(12))')"
  pytake tenant create demo --name "Demo Shop" >/dev/null 2>&1 || true
  PYTAKE_USER_PASSWORD="$password" pytake user add owner@demo.test --tenant demo \
    --name "Demo Owner" --role owner >/dev/null
  (umask 077 && printf 'owner@demo.test %s\n' "$password" >"$creds")
fi
read -r email password <"$creds"

cat <<MSG

  PyTake is running at $SERVER
  Log in as   $email
  password    $password
  (saved in $creds)

MSG

if [[ -t 0 && -t 1 ]]; then
  pytake tui --server "$SERVER"
else
  say "no terminal: the daemon keeps running; Ctrl-C stops it"
  wait "$daemon"
fi
