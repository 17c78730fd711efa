#!/usr/bin/env bash
# Runs every Formwork check: formatting, clippy, and the whole test suite against SQLite and
# PostgreSQL. Installs what it needs. Uses the PostgreSQL at 127.0.0.1:5432 when one answers,
# otherwise starts a throwaway server (Debian's postgresql package) and stops it afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."

# shellcheck source=scripts/prereq.sh
. scripts/prereq.sh

# ---- prerequisites, all checked before anything is built or started ------------------------
need_cargo
need_node  # the designer (designer-ui), web-assets and the browser tests
command -v python3 >/dev/null 2>&1 ||
  fail "python3 is missing: some tests start helper servers with it (Debian: apt-get install python3)."
TARGET_DIR=$(target_dir)

# ---- browser tests need Debian's Chromium and playwright-core ----------------------------------
if [ -f tests/browser/package.json ]; then
  # CHROMIUM names a browser of your own (any Chromium or Chrome); else Debian's is installed.
  if [ -n "${CHROMIUM:-}" ]; then
    [ -x "$CHROMIUM" ] || fail "CHROMIUM=$CHROMIUM is not an executable file: point it at a Chromium or Chrome binary."
  else
    command -v chromium >/dev/null || apt_install chromium
  fi
  # Screenshots are looked at by people: without a CJK font Chinese renders as boxes.
  fc-list :lang=zh 2>/dev/null | grep -q . || apt_install fonts-noto-cjk
  log "installing browser test packages"
  (cd tests/browser && npm ci --no-audit --no-fund --loglevel=error)
fi

# ---- Python packages the Rust tests drive (a real SMTP server for formwork-jobs) -------------
PY_VENV="$TARGET_DIR/py-venv"
if [ ! -x "$PY_VENV/bin/python" ]; then
  python3 -m venv "$PY_VENV" >/dev/null 2>&1 \
    || { rm -rf "$PY_VENV"; apt_install python3-venv; python3 -m venv "$PY_VENV"; }
fi
log "installing Python test packages (crates/formwork-jobs/tests/python/requirements.txt)"
"$PY_VENV/bin/python" -m pip install -q --disable-pip-version-check \
  -r crates/formwork-jobs/tests/python/requirements.txt
export FORMWORK_TEST_PYTHON="$PY_VENV/bin/python"

# ---- PostgreSQL ------------------------------------------------------------------------------
PG_TMP=""
PG_BIN=""
stop_pg() {
  if [ -n "$PG_TMP" ]; then
    log "stopping the throwaway PostgreSQL"
    runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$PG_TMP/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$PG_TMP"
  fi
}
trap stop_pg EXIT

if [ -z "${FORMWORK_TEST_PG_URL:-}" ]; then
  if command -v pg_isready >/dev/null && pg_isready -q -h 127.0.0.1 -p 5432 -U postgres; then
    export FORMWORK_TEST_PG_URL="postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
  else
    PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
    if [ -z "$PG_BIN" ]; then apt_install postgresql; PG_BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1); fi
    id postgres >/dev/null 2>&1 ||
      fail "no PostgreSQL answers on 127.0.0.1:5432 and there is no postgres user to start a throwaway one: set FORMWORK_TEST_PG_URL to a server you can create databases on."
    PG_TMP=$(mktemp -d /tmp/formwork-pg.XXXXXX)
    chown postgres "$PG_TMP"
    PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    log "starting a throwaway PostgreSQL on 127.0.0.1:$PORT"
    runuser -u postgres -- "$PG_BIN/initdb" -D "$PG_TMP/data" -U postgres --auth=trust -E UTF8 >/dev/null
    runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$PG_TMP/data" -l "$PG_TMP/log" -w \
      -o "-p $PORT -k $PG_TMP -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null
    export FORMWORK_TEST_PG_URL="postgres://postgres@127.0.0.1:$PORT/postgres?sslmode=disable"
  fi
fi
echo "PostgreSQL for tests: $FORMWORK_TEST_PG_URL"

# ---- Rust ------------------------------------------------------------------------------------
log "cargo fmt --check"
cargo fmt --all -- --check
log "cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings
log "cargo test (SQLite and PostgreSQL)"
cargo test --workspace --locked --no-fail-fast

cargo build -p formwork --locked
log "designer-ui: OpenAPI document, generated types, committed build, vitest"
OPENAPI_NOW=$(mktemp)
"$TARGET_DIR/debug/formwork" openapi > "$OPENAPI_NOW"
cmp -s "$OPENAPI_NOW" designer-ui/openapi.json || { rm -f "$OPENAPI_NOW";
  fail "designer-ui/openapi.json differs from what 'formwork openapi' prints: run 'formwork openapi > designer-ui/openapi.json', then designer-ui/build.sh, and commit both."; }
rm -f "$OPENAPI_NOW"
designer-ui/build.sh --check
log "web-assets: chart and board bundles (committed, embedded), sizes"
web-assets/build.sh --check
(cd designer-ui && npx vitest run)

if [ -f tests/browser/package.json ]; then
  log "browser tests (Playwright + Debian Chromium)"
  (cd tests/browser && FORMWORK_BIN="$TARGET_DIR/debug/formwork" node --test)
fi
log "all checks passed"
