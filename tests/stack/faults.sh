#!/usr/bin/env bash
# The local stack under faults, on a running stack ($STACK_DIR, $STACK_ENV_FILE):
#   1. a part that crashes (PostgREST, the gateway, the pg_net/pg_cron worker) is restarted
#      by the stack itself, on the same port, and logged; the whole path works again; a
#      gateway killed hard takes its function isolates with it;
#   2. a part whose supervisor is killed alone (its child keeps serving, holding its
#      ports) is found by `stack.sh up`, stopped and started again on the same ports,
#      with the secrets the stack runs with; the other parts keep their pids;
#   3. a part that is stopped (SIGSTOP) costs callers a quick JSON 5xx, not a hang, and
#      everything answers once it runs again;
#   4. a part gone with its whole group is restarted by `stack.sh up` alone;
#   5. keys, ports and data survive `down` + `up`, and `down` leaves no process of the
#      stack behind: every pid seen during this test is gone.
# Prints "N passed, 0 failed" when every check holds; exits 1 at the first that does not.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
: "${STACK_DIR:?}" "${STACK_ENV_FILE:?}"
run="$STACK_DIR/run"
. "$root/local/lib.sh" # group_members: the living processes of a part's process group
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
seen="$STACK_DIR/faults-pids"; : > "$seen"
# Every process of the stack now: each part's group (supervisor, part, isolates) and the
# PostgreSQL cluster's processes.
remember_pids() {
  local part postmaster
  for part in postgrest gateway worker; do [ -f "$run/$part.pid" ] && group_members "$(cat "$run/$part.pid")" >> "$seen"; done
  postmaster=$(cat "$run/postgres.pid")
  { echo "$postmaster"; pgrep -P "$postmaster" || true; } >> "$seen"
}
living() { kill -0 "$1" 2>/dev/null && [ "$(cut -d' ' -f3 "/proc/$1/stat" 2>/dev/null)" != Z ]; }
isolates_of_gateway() { # the gateway's children: one Deno process per function
  pgrep -P "$(child_of gateway)" || true
}
status_within() { # seconds, url: the status of a call answered within the time (its body in
  # $STACK_DIR/faults-body); fails when it is not answered
  curl -sS --max-time "$1" -o "$STACK_DIR/faults-body" -w '%{http_code}' "$2" \
    -H "apikey: $(env_var SUPABASE_PUBLISHABLE_KEY)"
}
json_5xx_within() { # seconds, url: answers a JSON error with a 5xx status within the time
  local status
  status=$(status_within "$1" "$2") || return 1
  [[ $status == 5* ]] && grep -q '"error"' "$STACK_DIR/faults-body" && grep -q '"code"' "$STACK_DIR/faults-body"
}

path_works || fail "the stack does not answer before the faults"
anon_before=$(env_var SUPABASE_ANON_KEY)
publishable_before=$(env_var SUPABASE_PUBLISHABLE_KEY)
secret_before=$(env_var SUPABASE_SECRET_KEY)
ports_before=$(cat "$STACK_DIR/ports.env")

remember_pids

# 1. Crashes: kill each supervised part's process; the stack restarts it by itself.
isolates_before=$(isolates_of_gateway)
[ -n "$isolates_before" ] || fail "the gateway runs no function isolates"
# The processes of the other parts (their supervisors and what they run), which a fault
# of one part must leave alone.
others_of() { local other; for other in postgrest gateway worker; do [ "$other" = "$1" ] || echo "$other $(cat "$run/$other.pid") $(child_of "$other")"; done; }
for part in postgrest gateway worker; do
  others=$(others_of "$part")
  victim=$(child_of "$part")
  [ -n "$victim" ] || fail "no $part process under its supervisor"
  kill -KILL "$victim"
  if [ "$part" = postgrest ]; then
    # During the outage a REST call is answered at once: the data (PostgREST back already)
    # or a JSON 5xx, never a hang.
    status=$(status_within 3 "$(env_var SUPABASE_URL)/rest/v1/plans") \
      || fail "a REST call while PostgREST was down was not answered within 3 s"
    [[ $status == 200 ]] || { [[ $status == 5* ]] && grep -q '"code"' "$STACK_DIR/faults-body"; } \
      || fail "a REST call while PostgREST was down got $status: $(cat "$STACK_DIR/faults-body")"
  fi
  eventually 30 "$part was not restarted after a crash" bash -c "[ -n \"\$(pgrep -P $(cat "$run/$part.pid"))\" ] && [ \"\$(pgrep -P $(cat "$run/$part.pid") | head -n1)\" != $victim ]"
  eventually 30 "the whole path did not work again after $part crashed" path_works
  grep -q "\"event\":\"restarting\",\"part\":\"$part\"" "$STACK_DIR/logs/$part.log" || fail "the restart of $part was not logged"
  [ "$(others_of "$part")" = "$others" ] || fail "a crash of $part replaced other parts' processes"
  ok "$part crashed: restarted by the stack, logged, the path works, the others kept their pids"
  remember_pids
done
for pid in $isolates_before; do living "$pid" && fail "function isolate $pid outlived its gateway"; done
ok "the isolates of the gateway that crashed are gone with it"
[ "$(cat "$STACK_DIR/ports.env")" = "$ports_before" ] || fail "ports changed after crashes"
ok "every part came back on its recorded port"

# 2. A supervisor killed alone: its part keeps running, unsupervised, on its ports; `up`
#    stops what is left and starts the part again on the same ports, with the function
#    secrets the stack runs with, even from a shell that names no secrets file.
secrets_before=$(cat "$STACK_DIR/function-secrets.env")
for part in postgrest gateway; do
  orphan=$(child_of "$part")
  others=$(for other in postgrest gateway worker; do [ "$other" = "$part" ] || cat "$run/$other.pid"; done)
  kill -KILL "$(cat "$run/$part.pid")"
  sleep 0.3
  living "$orphan" || fail "the $part process did not outlive its supervisor (the fault to repair)"
  env -u FUNCTIONS_ENV_FILE bash local/stack/stack.sh up >/dev/null 2>&1 || fail "up did not repair a stack whose $part supervisor was killed"
  living "$orphan" && fail "up left the unsupervised $part ($orphan) running"
  [ "$(cat "$STACK_DIR/ports.env")" = "$ports_before" ] || fail "ports moved after the $part supervisor was killed"
  [ "$(for other in postgrest gateway worker; do [ "$other" = "$part" ] || cat "$run/$other.pid"; done)" = "$others" ] \
    || fail "up restarted parts other than $part"
  path_works || fail "the path does not work after up repaired $part"
  remember_pids
  ok "$part's supervisor killed: up stopped the leftover, $part is back on its ports, the others kept their pids"
done
[ "$(cat "$STACK_DIR/function-secrets.env")" = "$secrets_before" ] || fail "the function secrets changed when the gateway was restarted"
grep -q "^FUNCTIONS_ENV_FILE=$FUNCTIONS_ENV_FILE$" "$STACK_DIR/settings.env" || fail "the stack did not record its secrets file"
ok "the gateway restarted from a shell without FUNCTIONS_ENV_FILE has the secrets the stack was started with"

# 3. A stopped part (SIGSTOP: it holds its port, accepts connections, answers nothing).
postgrest_process=$(child_of postgrest)
others=$(others_of postgrest)
kill -STOP "$postgrest_process"
started=$SECONDS
json_5xx_within 15 "$(env_var SUPABASE_URL)/rest/v1/plans" || { kill -CONT "$postgrest_process"; fail "a REST call to a stopped PostgREST did not get a JSON 5xx within 15 s"; }
json_5xx_within 15 "$(env_var SUPABASE_URL)/functions/v1/validate-invite?token=$(printf 'A%.0s' $(seq 43))" \
  || { kill -CONT "$postgrest_process"; fail "a function call with PostgREST stopped did not get a JSON 5xx within 15 s"; }
kill -CONT "$postgrest_process"
eventually 15 "the path did not work again once PostgREST ran again" path_works
[ "$(child_of postgrest)" = "$postgrest_process" ] || fail "PostgREST was replaced while it was stopped"
[ "$(others_of postgrest)" = "$others" ] || fail "stopping PostgREST replaced other parts' processes"
[ "$(cat "$STACK_DIR/ports.env")" = "$ports_before" ] || fail "ports moved while PostgREST was stopped"
ok "PostgREST stopped: JSON 5xx answers (in $((SECONDS - started)) s for both), then everything answers again"

# 4. A part gone with its supervisor: `up` restarts it alone.
gateway_pid=$(cat "$run/gateway.pid"); worker_pid=$(cat "$run/worker.pid")
kill -KILL -- "-$(cat "$run/postgrest.pid")"
sleep 0.5
bash local/stack/stack.sh up >/dev/null 2>&1 || fail "up did not repair a stack with PostgREST gone"
path_works || fail "up said ready but the path does not work"
[ "$(cat "$run/gateway.pid")" = "$gateway_pid" ] && [ "$(cat "$run/worker.pid")" = "$worker_pid" ] \
  || fail "up restarted parts that were running"
ok "up restarted PostgREST alone, on its port, and the path works"

remember_pids

# 5. down + up: same keys, same ports, same data; nothing of the stack left between.
bash local/stack/stack.sh down >/dev/null 2>&1
left=""
for pid in $(sort -un "$seen"); do living "$pid" && left="$left $pid($(tr '\0' ' ' < "/proc/$pid/cmdline" | cut -c1-60))"; done
[ -z "$left" ] || fail "down left processes of the stack running:$left"
ok "down stopped every process the stack ran during this test ($(sort -un "$seen" | wc -l) pids)"
bash local/stack/stack.sh up >/dev/null 2>&1 || fail "the stack did not start again"
[ "$(env_var SUPABASE_ANON_KEY)" = "$anon_before" ] || fail "the anon key changed across a restart"
[ "$(env_var SUPABASE_PUBLISHABLE_KEY)" = "$publishable_before" ] || fail "the publishable key changed across a restart"
[ "$(env_var SUPABASE_SECRET_KEY)" = "$secret_before" ] || fail "the secret key changed across a restart"
[ "$(cat "$STACK_DIR/ports.env")" = "$ports_before" ] || fail "ports changed across a restart"
path_works || fail "the path does not work after a restart"
ok "keys and ports are the same after down and up"

printf '%s passed, 0 failed\n' "$passed"
