#!/usr/bin/env bash
# Installs what PyTake needs on a fresh Debian/Ubuntu machine: PostgreSQL and Redis server
# binaries (for the embedded stack), tmux (for the end-to-end terminal test), nginx (the TLS
# front's test runs docs/nginx-pytake.conf through the real server), PgBouncer (the replicas'
# tests reach PostgreSQL through it in transaction mode), libfaketime (two replicas' schedules
# run at one pinned moment), and a virtualenv
# with PyTake and its development tools. Idempotent and quiet when everything is in place.
# Sourced by scripts/up.sh and scripts/test.sh.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

need_apt=()
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1 \
  || need_apt+=(postgresql)
command -v redis-server >/dev/null 2>&1 || need_apt+=(redis-server)
command -v tmux >/dev/null 2>&1 || need_apt+=(tmux)
# /usr/sbin is not on every user's PATH. The test runs its own nginx (own prefix, own ports);
# where systemd runs, the package also starts Debian's default site, which PyTake doesn't use.
command -v nginx >/dev/null 2>&1 || [[ -x /usr/sbin/nginx ]] || need_apt+=(nginx)
command -v pgbouncer >/dev/null 2>&1 || [[ -x /usr/sbin/pgbouncer ]] || need_apt+=(pgbouncer)
ls /usr/lib/*/faketime/libfaketime.so.1 >/dev/null 2>&1 || need_apt+=(libfaketime)
python3 -c 'import ensurepip, venv' >/dev/null 2>&1 || need_apt+=(python3-venv)

if ((${#need_apt[@]})); then
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
    say "installing ${need_apt[*]} (apt)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # --no-install-recommends keeps it lean; Debian's postgresql starts its own cluster on
    # install where systemd runs, which PyTake doesn't need (it runs a private one).
    apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
  else
    echo "PyTake needs these Debian packages: ${need_apt[*]}" >&2
    echo "install them with: sudo apt-get install ${need_apt[*]}" >&2
    exit 1
  fi
fi

if ! python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
  echo "PyTake needs Python >= 3.11 (found $(python3 --version 2>&1))" >&2
  exit 1
fi

stamp="$VENV/.pytake-installed"
want="$(sha256sum "$ROOT/pyproject.toml" | cut -d' ' -f1)"
if [[ ! -x "$VENV/bin/python" ]] || [[ "$(cat "$stamp" 2>/dev/null)" != "$want" ]]; then
  say "installing PyTake and its tools into .venv"
  [[ -x "$VENV/bin/python" ]] || python3 -m venv "$VENV"
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check -U pip
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check -e "$ROOT[dev]"
  echo "$want" >"$stamp"
fi
# The message catalogs' .mo files are built, not committed (a stale one is compiled in memory
# from its .po, so this only saves that work at start-up).
PYTHON="$VENV/bin/python" "$ROOT/scripts/i18n.sh" compile
export PATH="$VENV/bin:$PATH"
