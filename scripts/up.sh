#!/usr/bin/env bash
# Installs everything, then runs the main job: the daemon on the embedded PostgreSQL + Redis
# stack, the WhatsApp Cloud API simulator playing Meta (simulated customers write to a demo
# number, and everything the daemon sends comes back as sent/delivered/read), a demo tenant
# with an owner account, and the terminal console connected to it. Quitting the console
# (ctrl+q) stops the daemon and the simulator. Without a terminal, they run in the foreground
# until Ctrl-C. PYTAKE_DEMO_CHATTER sets how many simulated messages arrive per second.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bootstrap.sh

PORT="${PYTAKE_SERVER__PORT:-8420}"
SERVER="http://127.0.0.1:$PORT"
SIM_PORT="${PYTAKE_DEMO_SIMULATOR_PORT:-8430}"
SIMULATOR="http://127.0.0.1:$SIM_PORT"
CHATTER="${PYTAKE_DEMO_CHATTER:-0.2}"
# The daemon talks to the simulator instead of graph.facebook.com (set it to Meta's URL, and
# add your real number with 'pytake numbers add', to go live).
export PYTAKE_WHATSAPP__GRAPH_BASE_URL="${PYTAKE_WHATSAPP__GRAPH_BASE_URL:-$SIMULATOR}"
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

if http_ok "$SIMULATOR/_sim/"; then
  echo "something already answers on $SIMULATOR: stop it or set PYTAKE_DEMO_SIMULATOR_PORT" >&2
  exit 1
fi

say "starting the daemon (log: $LOG)"
pytake daemon >>"$LOG" 2>&1 &
daemon=$!
simulator=""
stop_all() {
  [[ -n "$simulator" ]] && kill -TERM "$simulator" 2>/dev/null && wait "$simulator" 2>/dev/null
  kill -TERM "$daemon" 2>/dev/null && wait "$daemon" 2>/dev/null || true
}
trap stop_all EXIT

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

# The simulator's default number, app secret and verify token (fake values, printed by
# 'pytake simulate' too) registered once for the demo tenant.
if ! pytake numbers list --tenant demo --json | grep -q '"100000000000001"'; then
  say "registering the simulator's demo number"
  PYTAKE_NUMBER_ACCESS_TOKEN=sim-access-token PYTAKE_NUMBER_APP_SECRET=sim-app-secret \
    PYTAKE_NUMBER_VERIFY_TOKEN=sim-verify-token \
    pytake numbers add 100000000000001 --tenant demo --waba-id 200000000000001 \
    --display "+1 555 0100" --label Demo >/dev/null
fi

# A ready-made flow answers customers who say "oi" and hands them to these queues, where the
# owner (online as an agent) gets them: the whole path, from the first run.
if ! pytake flow list --tenant demo 2>/dev/null | grep -q varejo; then
  say "publishing the retail flow and its queues"
  pytake flow import flows/segments/retail.yaml --tenant demo --publish >/dev/null
  pytake queues create pedidos --tenant demo >/dev/null
  pytake queues create atendimento --tenant demo >/dev/null
  pytake agents status owner@demo.test online --tenant demo --capacity 5 >/dev/null
fi

SIM_LOG="$STATE_DIR/simulator.log"
say "starting the WhatsApp simulator at $SIMULATOR (log: $SIM_LOG)"
pytake simulate serve --port "$SIM_PORT" --webhook-url "$SERVER/api/v1/whatsapp/webhook" \
  --chatter "$CHATTER" >>"$SIM_LOG" 2>&1 &
simulator=$!
for _ in $(seq 1 60); do
  http_ok "$SIMULATOR/_sim/" && break
  kill -0 "$simulator" 2>/dev/null || { tail -20 "$SIM_LOG" >&2; exit 1; }
  sleep 0.25
done
pytake templates sync --tenant demo >/dev/null || echo "template sync failed; see $LOG" >&2

cat <<MSG

  PyTake is running at $SERVER
  Log in as   $email
  password    $password
  (saved in $creds)

  Simulated customers write to the demo number ($CHATTER messages/s). Make one say "oi" to
  start the retail flow (it asks, then hands the customer to a queue and to you):
    curl -s -X POST $SIMULATOR/_sim/customers/5511999990001/messages -H 'content-type: application/json' -d '{"type": "text", "text": "oi", "profile_name": "Maria"}'

MSG

if [[ -t 0 && -t 1 ]]; then
  pytake tui --server "$SERVER"
else
  say "no terminal: the daemon and the simulator keep running; Ctrl-C stops them"
  wait "$daemon"
fi
