#!/usr/bin/env bash
# Starts the third-party fakes (local/fakes/*.ts) for a stack in $STACK_DIR, and points
# the functions at them: writes $STACK_DIR/functions.env (the functions' secrets, read
# by the stack through FUNCTIONS_ENV_FILE) and $STACK_DIR/fakes.env (their URLs, for the
# tests). Each runs supervised (local/lib.sh's spawn), its log in $STACK_DIR/logs/.
#   start.sh start | start.sh stop
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
: "${STACK_DIR:?STACK_DIR must be set}"
run="$STACK_DIR/run" logs="$STACK_DIR/logs"
mkdir -p "$run" "$logs"
. local/lib.sh # free_port, spawn, stop
fakes=(resend make doh webhook-receiver)

if [ "${1:-start}" = stop ]; then
  for name in "${fakes[@]}"; do stop "fake-$name"; done
  exit 0
fi

resend_port=$(free_port 0)
make_port=$(free_port 0)
doh_port=$(free_port 0)
receiver_port=$(free_port 0)
resend_key="re_test_$(openssl rand -hex 8)"
fake() { # name, VAR=value...: supervised, as the stack's parts are
  local name=$1; shift
  stop "fake-$name"
  spawn "fake-$name" env "$@" STACK_DIR="$STACK_DIR" node_modules/.bin/deno run --quiet --no-lock \
    --allow-net=127.0.0.1 --allow-env --allow-read="$STACK_DIR" "local/fakes/$name.ts"
}
fake resend "FAKE_RESEND_PORT=$resend_port" "FAKE_RESEND_API_KEY=$resend_key"
make_signing_secret="whsec_$(openssl rand -base64 32)"
fake make "FAKE_MAKE_PORT=$make_port" "FAKE_MAKE_SIGNING_SECRET=$make_signing_secret"
fake doh "FAKE_DOH_PORT=$doh_port"
fake webhook-receiver "FAKE_RECEIVER_PORT=$receiver_port"
for port in "$resend_port" "$make_port" "$doh_port" "$receiver_port"; do
  for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.05; done
done

# Short delivery timings so retries, dead messages and outages fit in a test run.
(umask 077; cat > "$STACK_DIR/functions.env" <<ENV
RESEND_API_URL=http://127.0.0.1:$resend_port
RESEND_API_KEY=$resend_key
APP_URL=https://app.example.test
INVITE_EMAIL_FROM=Acme Onboarding <onboarding@acme.test>
MAKE_USER_ONBOARDING_WEBHOOK_URL=http://127.0.0.1:$make_port/hook/user-onboarding
MAKE_ONBOARDING_CALLBACK_TOKEN=make_cb_$(openssl rand -hex 12)
MAKE_SIGNING_SECRET=$make_signing_secret
MAKE_TIMEOUT_MS=1000
MAKE_RETRY_BASE_MS=300
MAKE_RETRY_MAX_MS=1000
MAKE_MAX_ATTEMPTS=5
DOH_URL=http://127.0.0.1:$doh_port/dns-query
WEBHOOK_RETRY_SCHEDULE=0,1,1,1,1,1,1,1
WEBHOOK_DISABLE_AFTER=20 seconds
WEBHOOK_ALLOW_PRIVATE_URLS=true
WEBHOOK_TIMEOUT_MS=2000
WEBHOOK_DISPATCH_BUDGET_MS=20000
ENV
)
cat > "$STACK_DIR/fakes.env" <<ENV
RESEND_FAKE_URL=http://127.0.0.1:$resend_port
MAKE_FAKE_URL=http://127.0.0.1:$make_port
DOH_FAKE_URL=http://127.0.0.1:$doh_port
WEBHOOK_RECEIVER_URL=http://127.0.0.1:$receiver_port
ENV
