#!/usr/bin/env bash
# Puts a `pytake` launcher on the PATH so a new shell can run `pytake tui` (or any command)
# without activating the virtualenv: /usr/local/bin when root, else ~/.local/bin. The launcher is a
# two-line script that execs this checkout's .venv/bin/pytake, so it follows the checkout (a
# symlink would too, but a script keeps working if .venv is rebuilt). PYTAKE_LAUNCHER_DIR picks
# another directory (the tests use it). Called by scripts/up.sh; idempotent.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
target="$ROOT/.venv/bin/pytake"
if [[ -n "${PYTAKE_LAUNCHER_DIR:-}" ]]; then
  dir="$PYTAKE_LAUNCHER_DIR"
elif [[ $(id -u) -eq 0 ]]; then
  dir=/usr/local/bin
else
  dir="$HOME/.local/bin"
fi
mkdir -p "$dir"
launcher="$dir/pytake"
body="#!/bin/sh
exec \"$target\" \"\$@\""
if [[ ! -f "$launcher" ]] || [[ "$(cat "$launcher")" != "$body" ]]; then
  printf '%s\n' "$body" >"$launcher.tmp"
  chmod 755 "$launcher.tmp"
  mv "$launcher.tmp" "$launcher"
  printf '\033[1m==> %s\033[0m\n' "pytake is now runnable from any shell: $launcher" >&2
fi
case ":$PATH:" in
  *":$dir:"*) ;;
  *) echo "note: $dir is not on your PATH; add it (e.g. in ~/.profile: export PATH=\"$dir:\$PATH\")" >&2 ;;
esac
