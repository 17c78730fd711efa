#!/usr/bin/env bash
# Rebuilds web-assets/dist (committed, embedded by formwork-web) from a clean install of the
# locked packages and prints the bundles' sizes. With --check, fails when the committed dist
# differs from a fresh build.
set -euo pipefail
cd "$(dirname "$0")"
node -e 'const [a,b]=process.versions.node.split(".").map(Number); if (a<20||(a===20&&b<19)) { console.error("web-assets needs Node >= 20.19, found "+process.versions.node); process.exit(1) }'
npm ci --no-audit --no-fund --loglevel=error
npm run --silent build
if [[ "${1:-}" == "--check" ]]; then
  if ! git diff --quiet --exit-code -- dist || [[ -n "$(git ls-files --others --exclude-standard -- dist)" ]]; then
    echo "web-assets/dist differs from a fresh build: run web-assets/build.sh and commit it" >&2
    git status --short -- dist >&2
    exit 1
  fi
fi
