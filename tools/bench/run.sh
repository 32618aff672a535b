#!/usr/bin/env bash
# `make bench`: builds release WASM, starts a stack of its own (STACK_DIR=.local/bench,
# PostgREST logging every request so round trips can be counted, the TypeScript baseline
# served beside the functions with signup-passthrough (a function that only makes the one
# call: the floor of any function), Make played by its fake), runs every scenario, prints
# the table and writes .local/bench/bench-results.json. BENCH_SCALE=25 runs a quarter of the
# operations (a smoke run); BENCH_STORM sets the storm's size (default 10000).
# `run.sh soak` (make soak) runs the soak instead: SOAK_MINUTES (10) at SOAK_RATE (50/s).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
bash local/stack/tools.sh
export STACK_DIR="$root/.local/bench"
export POSTGREST_LOG_LEVEL=info
# As a project runs today: its legacy anon/service_role keys switched off (LEGACY_API_KEYS=on
# measures one that still has them).
export LEGACY_API_KEYS="${LEGACY_API_KEYS:-off}"
export EXTRA_FUNCTION_DIRS="$root/tools/bench/baseline/signup-baseline,$root/tools/bench/baseline/accept-baseline,$root/tools/bench/baseline/signup-passthrough"
bash local/stack/stack.sh down >/dev/null 2>&1 || true
bash local/fakes/start.sh stop 2>/dev/null || true
rm -rf "$STACK_DIR"
bash local/fakes/start.sh start
export FUNCTIONS_ENV_FILE="$STACK_DIR/functions.env"
cleanup() {
  bash local/stack/stack.sh down >/dev/null 2>&1 || true
  bash local/fakes/start.sh stop
}
trap cleanup EXIT
bash local/stack/stack.sh up 2>&1 | grep -E '^\[(stack|build)\]' | grep -v -E 'key|secret' >&2
cargo build --quiet --release -p bench
STACK_ENV_FILE="$STACK_DIR/stack.env" target/release/bench "$@"
