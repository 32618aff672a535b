#!/usr/bin/env bash
# The local stack under faults, on a running stack ($STACK_DIR, $STACK_ENV_FILE):
#   1. a part that crashes (PostgREST, the gateway, the pg_net/pg_cron worker) is restarted
#      by the stack itself, on the same port, and logged; the whole path works again;
#   2. a part whose supervisor is gone is restarted by `stack.sh up`, which leaves the
#      running parts alone (same pids);
#   3. keys, ports and data survive `down` + `up`.
# Prints "N passed, 0 failed" when every check holds; exits 1 at the first that does not.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
: "${STACK_DIR:?}" "${STACK_ENV_FILE:?}"
run="$STACK_DIR/run"
passed=0
ok() { passed=$((passed + 1)); printf '[faults] ok: %s\n' "$*" >&2; }
fail() { printf '[faults] FAILED: %s\n' "$*" >&2; exit 1; }
env_var() { grep "^$1=" "$STACK_ENV_FILE" | cut -d= -f2-; }
path_works() { # a function reaching PostgREST through the gateway
  local answer
  answer=$(curl -sS --max-time 5 "$(env_var SUPABASE_URL)/functions/v1/validate-invite?token=$(printf 'A%.0s' $(seq 43))" 2>/dev/null) || return 1
  [[ $answer == *'"invite_not_found"'* ]]
}
eventually() { # seconds, what, command...
  local seconds=$1 what=$2; shift 2
  local deadline=$((SECONDS + seconds))
  until "$@"; do [ $SECONDS -lt $deadline ] || fail "$what (after ${seconds}s)"; sleep 0.2; done
}
child_of() { pgrep -P "$(cat "$run/$1.pid")" | head -n 1; }

path_works || fail "the stack does not answer before the faults"
anon_before=$(env_var SUPABASE_ANON_KEY)
publishable_before=$(env_var SUPABASE_PUBLISHABLE_KEY)
secret_before=$(env_var SUPABASE_SECRET_KEY)
ports_before=$(cat "$STACK_DIR/ports.env")

# 1. Crashes: kill each supervised part's process; the stack restarts it by itself.
for part in postgrest gateway worker; do
  victim=$(child_of "$part")
  [ -n "$victim" ] || fail "no $part process under its supervisor"
  kill -KILL "$victim"
  eventually 30 "$part was not restarted after a crash" bash -c "[ -n \"\$(pgrep -P $(cat "$run/$part.pid"))\" ] && [ \"\$(pgrep -P $(cat "$run/$part.pid") | head -n1)\" != $victim ]"
  eventually 30 "the whole path did not work again after $part crashed" path_works
  grep -q "\"event\":\"restarting\",\"part\":\"$part\"" "$STACK_DIR/logs/$part.log" || fail "the restart of $part was not logged"
  ok "$part crashed: restarted by the stack, logged, the path works"
done
[ "$(cat "$STACK_DIR/ports.env")" = "$ports_before" ] || fail "ports changed after crashes"
ok "every part came back on its recorded port"

# 2. A part gone with its supervisor: `up` restarts it alone.
gateway_pid=$(cat "$run/gateway.pid"); worker_pid=$(cat "$run/worker.pid")
kill -KILL -- "-$(cat "$run/postgrest.pid")"
sleep 0.5
bash local/stack/stack.sh up >/dev/null 2>&1 || fail "up did not repair a stack with PostgREST gone"
path_works || fail "up said ready but the path does not work"
[ "$(cat "$run/gateway.pid")" = "$gateway_pid" ] && [ "$(cat "$run/worker.pid")" = "$worker_pid" ] \
  || fail "up restarted parts that were running"
ok "up restarted PostgREST alone, on its port, and the path works"

# 3. down + up: same keys, same ports, same data.
bash local/stack/stack.sh down >/dev/null 2>&1
bash local/stack/stack.sh up >/dev/null 2>&1 || fail "the stack did not start again"
[ "$(env_var SUPABASE_ANON_KEY)" = "$anon_before" ] || fail "the anon key changed across a restart"
[ "$(env_var SUPABASE_PUBLISHABLE_KEY)" = "$publishable_before" ] || fail "the publishable key changed across a restart"
[ "$(env_var SUPABASE_SECRET_KEY)" = "$secret_before" ] || fail "the secret key changed across a restart"
[ "$(cat "$STACK_DIR/ports.env")" = "$ports_before" ] || fail "ports changed across a restart"
path_works || fail "the path does not work after a restart"
ok "keys and ports are the same after down and up"

printf '%s passed, 0 failed\n' "$passed"
