#!/usr/bin/env bash
# Message catalogs: extract | update | compile [package ...]  (see docs/i18n.md)
#   extract  the package's msgids from its sources into <pkg>/locale/<pkg>.pot
#   update   extract, then merge the .pot into every language's .po (creating missing ones);
#            the English .po is filled from the source text, new pt_BR entries stay empty for
#            a translator (the guard test fails until they are filled)
#   compile  write the .mo files (gitignored; a missing or stale .mo is compiled in memory)
# Without package names it works on every pytake_* package that has a locale/ folder.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PY="${PYTHON:-$ROOT/.venv/bin/python}"
LANGS=(en pt_BR)

usage() { echo "usage: scripts/i18n.sh extract|update|compile [package ...]" >&2; exit 2; }
[[ $# -ge 1 ]] || usage
cmd="$1"; shift
packages=("$@")
if ((${#packages[@]} == 0)); then
  for dir in "$ROOT"/pytake_*/locale; do
    [[ -d "$dir" ]] && packages+=("$(basename "$(dirname "$dir")")")
  done
fi

extract() {
  local pkg="$1" cfg="$ROOT/config/babel.cfg"
  # A package may bring its own extraction map (the daemon's also reads raised errors' text).
  if [[ -f "$ROOT/$pkg/locale/babel.cfg" ]]; then cfg="$ROOT/$pkg/locale/babel.cfg"; fi
  # --sort-output and file-only locations keep the diff to what changed, not what moved.
  "$PY" -m babel.messages.frontend -q extract -F "$cfg" \
    --add-location=file --sort-output --no-wrap --project=pytake \
    -o "$ROOT/$pkg/locale/$pkg.pot" "$ROOT/$pkg"
  # Relative paths in the comments: the same .pot from every checkout.
  sed -i "/^#: /s|$ROOT/||g" "$ROOT/$pkg/locale/$pkg.pot"
}

update() {
  local pkg="$1" lang po
  extract "$pkg"
  for lang in "${LANGS[@]}"; do
    po="$ROOT/$pkg/locale/$lang/LC_MESSAGES/$pkg.po"
    if [[ -f "$po" ]]; then
      # No fuzzy matching: a guessed translation of a changed message is worse than none.
      "$PY" -m babel.messages.frontend -q update -i "$ROOT/$pkg/locale/$pkg.pot" -o "$po" \
        -l "$lang" -D "$pkg" --no-fuzzy-matching --ignore-obsolete --no-wrap
    else
      "$PY" -m babel.messages.frontend -q init -i "$ROOT/$pkg/locale/$pkg.pot" -o "$po" \
        -l "$lang" -D "$pkg" --no-wrap
    fi
  done
  "$PY" -m pytake_i18n.source_catalog "$ROOT/$pkg"/locale/*/LC_MESSAGES/"$pkg.po"
}

compile() {
  local pkg="$1"
  "$PY" -m babel.messages.frontend -q compile -d "$ROOT/$pkg/locale" -D "$pkg"
}

for pkg in "${packages[@]}"; do
  [[ -d "$ROOT/$pkg" ]] || { echo "no package $pkg" >&2; exit 2; }
  mkdir -p "$ROOT/$pkg/locale"
  case "$cmd" in
    extract) extract "$pkg" ;;
    update) update "$pkg" ;;
    compile) compile "$pkg" ;;
    *) usage ;;
  esac
done
