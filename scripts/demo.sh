#!/usr/bin/env bash
# Builds Formwork and runs the sample app on embedded SQLite (./data/formwork.db) at
# http://127.0.0.1:8080/. Extra arguments go to `formwork demo` (e.g. --demo-password, --bind).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/prereq.sh
. scripts/prereq.sh
need_cargo
BIN="$(target_dir)/release/formwork"
log "building Formwork (release; the first build takes several minutes)"
cargo build --release --locked -p formwork
exec "$BIN" demo "$@"
