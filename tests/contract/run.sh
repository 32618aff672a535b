#!/usr/bin/env bash
# Contract fuzzing: schemathesis (PyPI, pinned) generates requests for every operation of
# openapi/functions.json and sends them through the gateway of a running stack; every
# response must be documented (status, content type, schema) and none may be a 5xx.
# Each credential the functions take is presented to the operations that take it, so the
# fuzzing gets past authentication: the secret key (in `apikey`, as servers send it), the
# database webhook's secret, and Make's callback token.
#   STACK_ENV_FILE, FUNCTIONS_ENV_FILE: the stack's variables and the functions' secrets
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
venv="$root/.local/venv"
if ! "$venv/bin/st" --version 2>/dev/null | grep -q "3.39.16"; then
  if ! python3 -m venv "$venv" 2>/dev/null; then # Debian's python3 wants python3-venv for this
    if [ "$(id -u)" = 0 ]; then sudo_cmd=(); else sudo_cmd=(sudo); fi
    DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq python3-venv >&2
    rm -rf "$venv"; python3 -m venv "$venv"
  fi
  "$venv/bin/pip" install -q "schemathesis==3.39.16" "hypothesis==6.122.3"
fi
value() { sed -n "s/^$1=//p" "$2" | tail -n 1; }
url="$(value SUPABASE_URL "$STACK_ENV_FILE")/functions/v1"
secret_key="$(value SUPABASE_SECRET_KEY "$STACK_ENV_FILE")"
# The user routes take a JWT: here a service-role one signed with the project's current key
# (what the gateway makes of the secret key), so the fuzzing gets past authentication.
service_jwt="$(cd "$root" && SIGNING_KEY_FILE="$(value SUPABASE_JWT_SIGNING_KEY_FILE "$STACK_ENV_FILE")" node --input-type=module -e '
  import { importJWK, SignJWT } from "jose"; import { readFileSync } from "node:fs";
  const jwk = JSON.parse(readFileSync(process.env.SIGNING_KEY_FILE, "utf8"));
  console.log(await new SignJWT({ role: "service_role" }).setProtectedHeader({ alg: "ES256", kid: jwk.kid })
    .setExpirationTime("1h").sign(await importJWK(jwk, "ES256")));')"
webhook="$(value ONBOARDING_WEBHOOK_SECRET "$STACK_ENV_FILE")"
callback="$(value MAKE_ONBOARDING_CALLBACK_TOKEN "$FUNCTIONS_ENV_FILE")"
fuzz() { # an Authorization bearer or "" (all get the secret key as apikey), schemathesis filters...
  local bearer=(); [ -n "$1" ] && bearer=(-H "Authorization: Bearer $1"); shift
  (cd "$root/.local" && "$venv/bin/st" run "$root/openapi/functions.json" --experimental=openapi-3.1 \
    --base-url "$url" "${bearer[@]}" -H "apikey: $secret_key" \
    --hypothesis-max-examples "${CONTRACT_EXAMPLES:-25}" --hypothesis-seed 1 --hypothesis-derandomize \
    -c not_a_server_error -c status_code_conformance -c content_type_conformance -c response_schema_conformance \
    --no-color "$@") | tee "$root/.local/contract.log"
  # An empty selection would pass silently: each run must have exercised operations.
  if grep -q "Collected API operations: 0" "$root/.local/contract.log"; then
    echo "contract: no operation matched $*" >&2
    exit 1
  fi
}
fuzz "$service_jwt" --include-path-regex '/(send-invite-email|validate-invite|accept-invite|user-onboarding/request)$'
fuzz "" --include-path-regex '/(user-onboarding/dispatch|deliver-webhooks)$'
fuzz "$webhook" --include-path-regex '/on-signup-create-org$'
fuzz "$callback" --include-path-regex '/user-onboarding/callback$'
