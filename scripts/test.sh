#!/usr/bin/env bash
# The whole test suite: lint, format, types, layering contracts, then pytest against real
# PostgreSQL and Redis (the embedded stack, unless PYTAKE_TEST_POSTGRES_URL and
# PYTAKE_TEST_REDIS_URL point at servers of your own). Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bootstrap.sh

say "ruff check";       ruff check .
say "ruff format";      ruff format --check .
say "mypy (strict)";    mypy
say "import contracts"; lint-imports --no-cache
# Two workers by default (the machine CI runs on has two cores): each starts its own embedded
# PostgreSQL and Redis. --dist loadgroup keeps the tests marked xdist_group("history") (the
# 100,000-message plan tests) on one worker, one after another. PYTAKE_TEST_WORKERS=0 runs in
# this process (a debugger, -x on the first failure).
workers="${PYTAKE_TEST_WORKERS:-2}"
if [[ "$workers" == "0" ]]; then
  say "pytest";         exec pytest -p no:cacheprovider "$@"
fi
say "pytest ($workers workers)"; exec pytest -p no:cacheprovider -n "$workers" --dist loadgroup "$@"
