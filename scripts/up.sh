#!/usr/bin/env bash
# Installs everything (OS packages for the embedded PostgreSQL + Redis stack, the virtualenv),
# then runs the main job: `pytake demo` — the daemon, the WhatsApp Cloud API simulator playing
# Meta with simulated customers writing in Portuguese and English, a seeded demo tenant, and the
# terminal console logged in as its supervisor. Quitting the console or Ctrl-C stops it all;
# running it again reuses the same data. Arguments go to `pytake demo` (see `pytake demo --help`:
# --no-tui, --chatter N, --simulator-port P). It also leaves a `pytake` launcher on the PATH
# (scripts/install-launcher.sh) so a second terminal can run `pytake tui`.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bootstrap.sh
scripts/install-launcher.sh

exec pytake demo "$@"
