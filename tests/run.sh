#!/usr/bin/env bash
# `make test`: every check and test, on a fresh machine too.
#   1. tools (wasm target, wasm-bindgen CLI, npm packages, PostgreSQL) when missing
#   2. format and lint checks, Rust unit tests
#   3. a fresh stack of its own (STACK_DIR=.local/test, free ports), with the test-only
#      panic-probe function, then the native integration and end-to-end tests against it
#   4. the stack is stopped whatever happened
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
say() { printf '\n[test] %s\n' "$*" >&2; }

bash stack/tools.sh

say "format and lint"
cargo fmt --all -- --check
cargo clippy --quiet --workspace --all-targets -- -D warnings
cargo clippy --quiet --target wasm32-unknown-unknown --workspace --exclude onboarding-tests --exclude provision -- -D warnings

say "unit tests"
cargo test --quiet --workspace --lib

export STACK_DIR="$root/.local/test"
export EXTRA_FUNCTION_DIRS="$root/tests/panic-probe"
bash stack/stack.sh down >/dev/null 2>&1 || true
rm -rf "$STACK_DIR"
mkdir -p "$STACK_DIR/logs"

# Third-party services the functions call are reached through local fakes that speak
# their public APIs (tests/fakes/); the functions are pointed at them by their secrets.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
resend_port=$(free_port)
make_port=$(free_port)
resend_key="re_test_$(openssl rand -hex 8)"
export RESEND_FAKE_URL="http://127.0.0.1:$resend_port"
export MAKE_FAKE_URL="http://127.0.0.1:$make_port"
export FUNCTIONS_ENV_FILE="$STACK_DIR/functions.env"
# Short delivery timings so retries, dead messages and outages fit in a test run.
cat > "$FUNCTIONS_ENV_FILE" <<ENV
RESEND_API_URL=$RESEND_FAKE_URL
RESEND_API_KEY=$resend_key
APP_URL=https://app.example.test
INVITE_EMAIL_FROM=Acme Onboarding <onboarding@acme.test>
MAKE_USER_ONBOARDING_WEBHOOK_URL=$MAKE_FAKE_URL/hook/user-onboarding
MAKE_ONBOARDING_CALLBACK_TOKEN=make_cb_$(openssl rand -hex 12)
MAKE_TIMEOUT_MS=1000
MAKE_RETRY_BASE_MS=300
MAKE_RETRY_MAX_MS=1000
MAKE_MAX_ATTEMPTS=5
ENV
export DISPATCH_SCHEDULE="1 seconds"
fake() { # name, VAR=value...
  local name=$1; shift
  env "$@" setsid node_modules/.bin/deno run --quiet --no-lock --allow-net=127.0.0.1 --allow-env \
    "tests/fakes/$name.ts" >"$STACK_DIR/logs/fake-$name.log" 2>&1 </dev/null &
  fakes+=($!)
}
fakes=()
fake resend "FAKE_RESEND_PORT=$resend_port" "FAKE_RESEND_API_KEY=$resend_key"
fake make "FAKE_MAKE_PORT=$make_port"
cleanup() {
  bash stack/stack.sh down >/dev/null 2>&1 || true
  kill "${fakes[@]}" 2>/dev/null || true
}
trap cleanup EXIT
say "starting a fresh stack in $STACK_DIR"
bash stack/stack.sh up 2>&1 | grep -v -E 'key|secret|Database' >&2

say "integration and end-to-end tests"
export STACK_ENV_FILE="$STACK_DIR/stack.env"
cargo test --quiet -p onboarding-tests -p provision --tests -- --test-threads 4

say "the stack: up again is a no-op, and a restart keeps the data"
set -a; . "$STACK_ENV_FILE"; set +a
psql_q() { /usr/lib/postgresql/15/bin/psql "$DATABASE_URL" -XAtq -v ON_ERROR_STOP=1 -c "$1"; }
users_before=$(psql_q "select count(*) from public.organizations")
[ "$users_before" -gt 0 ] || { echo "expected organizations from the tests" >&2; exit 1; }
again=$(bash stack/stack.sh up 2>&1)
grep -q "already running" <<<"$again" || { echo "up on a running stack was not a no-op" >&2; exit 1; }
bash stack/stack.sh down 2>/dev/null
if bash stack/stack.sh status; then echo "the stack still answers after down" >&2; exit 1; fi
bash stack/stack.sh up >/dev/null 2>&1
set -a; . "$STACK_ENV_FILE"; set +a
[ "$(psql_q "select count(*) from public.organizations")" = "$users_before" ] || { echo "data lost across a restart" >&2; exit 1; }
curl -fsS "$SUPABASE_URL/health" >/dev/null
say "all tests passed"
