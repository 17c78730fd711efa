#!/usr/bin/env bash
# Rebuilds designer-ui/dist (committed, embedded by formwork-web) from a clean install of the
# locked packages. With --check, fails when the committed dist differs from a fresh build.
set -euo pipefail
cd "$(dirname "$0")"
node -e 'const [a,b]=process.versions.node.split(".").map(Number); if (a<20||(a===20&&b<19)) { console.error("designer-ui needs Node >= 20.19, found "+process.versions.node); process.exit(1) }'
npm ci --no-audit --no-fund --loglevel=error
# The client's types come from the committed OpenAPI document (`formwork openapi`).
npm run gen:api
npm run build
if [[ "${1:-}" == "--check" ]]; then
  if ! git diff --quiet --exit-code -- dist src/api/schema.d.ts || [[ -n "$(git ls-files --others --exclude-standard -- dist)" ]]; then
    echo "designer-ui/dist or its API types differ from a fresh build: run designer-ui/build.sh and commit them" >&2
    git status --short -- dist src/api/schema.d.ts >&2
    exit 1
  fi
fi
