#!/usr/bin/env bash
# The client's generated types are current and the client type-checks:
#   src/functions.gen.ts  from openapi/functions.json (openapi-typescript 6)
#   src/database.gen.ts   from the running stack's schema (scripts/generate-database.mjs)
# Needs STACK_ENV_FILE (a stack with the migrations applied).
set -euo pipefail
cd "$(dirname "$0")/.."
npm install --no-save --no-audit --no-fund --loglevel=error >&2
fresh=$(mktemp --suffix=.ts)
trap 'rm -f "$fresh"' EXIT
node node_modules/openapi-typescript/bin/cli.js ../../openapi/functions.json --output "$fresh" >/dev/null 2>&1
cmp -s "$fresh" src/functions.gen.ts \
  || { echo "clients/ts/src/functions.gen.ts is stale: run \`npm run generate:functions\` in clients/ts" >&2; exit 1; }
node scripts/generate-database.mjs --check
node_modules/.bin/tsc -p . --noEmit
