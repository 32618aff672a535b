#!/usr/bin/env bash
# `make test`: every check and test, on a fresh machine too.
#   1. tools (wasm target, wasm-bindgen CLI, npm packages, PostgreSQL) when missing
#   2. format and lint checks, the docs' links, migrations append-only, Rust unit tests
#   3. a fresh stack of its own (STACK_DIR=.local/test, free ports), with the test-only
#      panic-probe function, then the native integration and end-to-end tests against it
#   4. the stack is stopped whatever happened
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
say() { printf '\n[test] %s\n' "$*" >&2; }

bash local/stack/tools.sh
# Test-only tools: Debian's Chromium for the browser tests, pgTAP and pg_prove.
if [ ! -x /usr/bin/chromium ] || ! command -v pg_prove >/dev/null; then
  say "installing Chromium and pgTAP (Debian's) for the browser and SQL tests"
  if [ "$(id -u)" = 0 ]; then sudo_cmd=(); else sudo_cmd=(sudo); fi
  "${sudo_cmd[@]}" apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq chromium postgresql-15-pgtap >&2
fi

say "format and lint; what is generated from the error-code registry (openapi/errors.toml) current; the docs' links and contents; migrations append-only"
cargo fmt --all -- --check
python3 tools/scripts/errors.py --check
python3 tools/scripts/docs.py --check
python3 tools/scripts/migrations.py selftest
python3 tools/scripts/migrations.py check
cargo clippy --quiet --workspace --all-targets -- -D warnings
cargo clippy --quiet --target wasm32-unknown-unknown --workspace --exclude test-harness --exclude provision --exclude bench -- -D warnings

say "unit tests (and the SQL error contract)"
cargo test --quiet --workspace --lib
cargo test --quiet -p onboarding --test error_codes

export STACK_DIR="$root/.local/test"
export EXTRA_FUNCTION_DIRS="$root/tests/fixtures/panic-probe"
bash local/stack/stack.sh down >/dev/null 2>&1 || true
rm -rf "$STACK_DIR"
mkdir -p "$STACK_DIR/logs"

# Third-party services the functions call are reached through local fakes that speak
# their public APIs (local/fakes/); the functions are pointed at them by their secrets.
bash local/fakes/start.sh start
set -a; . "$STACK_DIR/fakes.env"; set +a
export FUNCTIONS_ENV_FILE="$STACK_DIR/functions.env"
export DISPATCH_SCHEDULE="1 seconds"
cleanup() {
  bash local/stack/stack.sh down >/dev/null 2>&1 || true
  bash local/fakes/start.sh stop
}
trap cleanup EXIT
# As a project will be once its legacy keys are off (the end of 2026): publishable and
# secret keys only. A focused set runs with both kinds on, after the restart below.
say "starting a fresh stack in $STACK_DIR, legacy API keys off"
LEGACY_API_KEYS=off bash local/stack/stack.sh up 2>&1 | grep -v -E 'key|secret|Database' >&2

say "integration and end-to-end tests"
export STACK_ENV_FILE="$STACK_DIR/stack.env"
cargo test --quiet -p test-harness -p provision --tests -- --test-threads 4

say "SQL tests (pgTAP, as supabase test db runs them): RLS, refusals, invariants, exposed RPCs"
pg_prove -d "$(grep '^DATABASE_URL=' "$STACK_ENV_FILE" | cut -d= -f2-)" supabase/tests/database/*.test.sql
say "the schema declared once: supabase/schemas/ builds exactly what supabase/migrations/ builds"
python3 tools/scripts/schemas.py check

say "deploy check: each function alone on Deno 2.1.4, and what the Supabase CLI uploads"
node_modules/.bin/deno test --quiet --no-check --no-lock --allow-all tests/deploy/

say "contract: schemathesis over openapi/functions.json, through the gateway"
bash tests/contract/run.sh >"$STACK_DIR/logs/contract.log" 2>&1 \
  || { tail -n 60 "$STACK_DIR/logs/contract.log" >&2; exit 1; }
grep -E "passed in|failed in" "$STACK_DIR/logs/contract.log" >&2

say "SCIM conformance: scim2-tester against the scim function"
bash tests/scim/run.sh

say "the TypeScript client: its generated types current, type-checked, and used against the stack"
bash clients/ts/scripts/check.sh
node_modules/.bin/deno test --quiet --no-check --no-lock --allow-all tests/client/
(cd web && node_modules/.bin/tsc --noEmit)

say "the local Supabase Auth stand-in, through supabase-js"
node_modules/.bin/deno test --quiet --no-check --no-lock --allow-all tests/auth/

say "the pg_net stand-in: a claim takes at most its batch, whatever the plan"
node_modules/.bin/deno test --quiet --no-check --no-lock --allow-all tests/stack/

say "browser (Chromium): CORS from another origin, the web app's journeys, every page at 390 px through axe-core (screenshots in .local/screenshots/)"
node --test tests/browser/

say "the data-scale scenario as a smoke run (make bench's BENCH_ONLY=scale, to 2,000 users): every everyday path answers"
cargo build --quiet -p bench
BENCH_ONLY=scale BENCH_SCALE_USERS=2000 target/debug/bench >"$STACK_DIR/logs/scale.log" 2>&1 \
  || { tail -n 40 "$STACK_DIR/logs/scale.log" >&2; exit 1; }

say "the stack under faults: crashed parts restart on their ports, keys stay"
bash tests/stack/faults.sh

say "the stack: up again is a no-op, and a restart keeps the data"
set -a; . "$STACK_ENV_FILE"; set +a
psql_q() { /usr/lib/postgresql/15/bin/psql "$DATABASE_URL" -XAtq -v ON_ERROR_STOP=1 -c "$1"; }
users_before=$(psql_q "select count(*) from public.organizations")
[ "$users_before" -gt 0 ] || { echo "expected organizations from the tests" >&2; exit 1; }
again=$(bash local/stack/stack.sh up 2>&1)
grep -q "already running" <<<"$again" || { echo "up on a running stack was not a no-op" >&2; exit 1; }
bash local/stack/stack.sh down 2>/dev/null
if bash local/stack/stack.sh status; then echo "the stack still answers after down" >&2; exit 1; fi
# Restarted as `make up` would start it (without the test-only extras), with legacy keys
# switched back on: the keys' tests again, where the legacy keys must still work.
LEGACY_API_KEYS=on env -u EXTRA_FUNCTION_DIRS bash local/stack/stack.sh up >/dev/null 2>&1 || { echo "the stack did not start again" >&2; exit 1; }
set -a; . "$STACK_ENV_FILE"; set +a
[ "$(psql_q "select count(*) from public.organizations")" = "$users_before" ] || { echo "data lost across a restart" >&2; exit 1; }
curl -fsS "$SUPABASE_URL/health" >/dev/null
[ "$LEGACY_API_KEYS" = on ] || { echo "the restart did not switch legacy keys on" >&2; exit 1; }
say "the same stack with legacy API keys on: both kinds of key work"
cargo test --quiet -p test-harness --test keys_e2e
# Switched off on the running stack: the gateway restarts and refuses the legacy keys.
LEGACY_API_KEYS=off bash local/stack/stack.sh up >/dev/null 2>&1 || { echo "the stack did not switch legacy keys off" >&2; exit 1; }
refused=$(curl -sS "$SUPABASE_URL/rest/v1/plans" -H "apikey: $SUPABASE_ANON_KEY")
[[ $refused == *'"legacy_api_keys_disabled"'* ]] || { echo "legacy keys still accepted after switching them off: $refused" >&2; exit 1; }
bash local/stack/stack.sh down >/dev/null 2>&1

say "a fresh clone: make up works on its first run"
bash tests/stack/fresh_clone.sh
say "all tests passed"
