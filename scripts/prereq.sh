# Prerequisite checks shared by scripts/demo.sh and scripts/test.sh (sourced, not run).
# Each check stops the script with one sentence saying what is missing and how to get it, before
# anything is built or installed, so a fresh machine never ends up half set up.

fail() { printf 'formwork: %s\n' "$*" >&2; exit 1; }
log() { printf '\n==> %s\n' "$*"; }

need_cargo() {
  command -v cargo >/dev/null 2>&1 ||
    fail "Rust is missing: install it with rustup (https://rustup.rs), then open a new shell."
  local have
  have=$(rustc --version 2>/dev/null | awk '{print $2}')
  version_at_least "$have" "1.94.0" ||
    fail "Rust $have is too old: Formwork needs 1.94 or newer (run: rustup update stable)."
}

# True when dotted version $1 >= $2.
version_at_least() {
  [ -n "$1" ] && [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n 1)" = "$2" ]
}

need_node() {
  command -v node >/dev/null 2>&1 ||
    fail "Node.js is missing: the browser tests and the designer need Node 20.19 or newer (https://nodejs.org, or your distribution's nodejs package)."
  local have
  have=$(node --version 2>/dev/null | sed 's/^v//')
  version_at_least "$have" "20.19.0" ||
    fail "Node.js $have is too old: the browser tests and the designer need 20.19 or newer."
  command -v npm >/dev/null 2>&1 || fail "npm is missing: install it with Node.js (Debian: apt-get install npm)."
}

# How to run apt-get: directly as root, through sudo otherwise; empty when neither works.
apt_runner() {
  command -v apt-get >/dev/null 2>&1 || return 0
  if [ "$(id -u)" -eq 0 ]; then echo "env"
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then echo "sudo"
  fi
}

# Installs Debian packages, or stops saying which packages to install by hand.
apt_install() {
  local runner
  runner=$(apt_runner)
  [ -n "$runner" ] ||
    fail "missing $*: install these Debian/Ubuntu packages as root (apt-get install -y $*), or on another system their equivalents, then run this again."
  log "installing $* (Debian packages)"
  $runner apt-get update -qq
  $runner env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

# An absolute path for a possibly relative CARGO_TARGET_DIR (relative to the repository root).
target_dir() {
  local dir="${CARGO_TARGET_DIR:-target}"
  case "$dir" in /*) ;; *) dir="$PWD/$dir" ;; esac
  printf '%s\n' "$dir"
}
