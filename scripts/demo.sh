#!/usr/bin/env bash
# Builds Formwork and runs the sample app on embedded SQLite (./data/formwork.db) at
# http://127.0.0.1:8080/. Extra arguments go to `formwork demo` (e.g. --demo-password, --bind).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v cargo >/dev/null || { echo "cargo is required (https://rustup.rs)"; exit 1; }
cargo build --release --locked -p formwork
exec "${CARGO_TARGET_DIR:-target}/release/formwork" demo "$@"
