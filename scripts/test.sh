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
say "pytest";           exec pytest -p no:cacheprovider "$@"
