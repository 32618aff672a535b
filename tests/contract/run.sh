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
fuzz() { # operations expected, an Authorization bearer or "" (all get the secret key as apikey), schemathesis filters...
  local expected=$1; shift
  local bearer=(); [ -n "$1" ] && bearer=(-H "Authorization: Bearer $1"); shift
  (cd "$root/.local" && "$venv/bin/st" run "$root/openapi/functions.json" --experimental=openapi-3.1 \
    --base-url "$url" "${bearer[@]}" -H "apikey: $secret_key" \
    --hypothesis-max-examples "${CONTRACT_EXAMPLES:-25}" --hypothesis-seed 1 --hypothesis-derandomize \
    -c not_a_server_error -c status_code_conformance -c content_type_conformance -c response_schema_conformance \
    --no-color "$@") | tee "$root/.local/contract.log"
  # Each run exercises exactly the operations its group has in the document.
  if ! grep -q "Collected API operations: $expected\b" "$root/.local/contract.log"; then
    echo "contract: expected $expected operations for $*, schemathesis collected $(grep -o 'Collected API operations: [0-9]*' "$root/.local/contract.log")" >&2
    exit 1
  fi
}
# Which credential each operation takes. Every operation of the document must be in
# exactly one group: the list is checked against the document before anything runs, so an
# operation added to it and forgotten here fails the run instead of going unfuzzed.
groups=(
  "user:/(send-invite-email|validate-invite|accept-invite|export-organization|user-onboarding/request)$"
  "server:/(user-onboarding/dispatch|deliver-webhooks)$"
  "webhook:/on-signup-create-org$"
  "callback:/user-onboarding/callback$"
)
declare -A operations
while read -r name count; do operations[$name]=$count; done < <(python3 - "$root/openapi/functions.json" "${groups[@]}" <<'PY'
import json, re, sys
document = json.load(open(sys.argv[1]))
groups = [group.split(":", 1) for group in sys.argv[2:]]
methods = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}
counts, problems = {name: 0 for name, _ in groups}, []
for path, item in document["paths"].items():
    matched = [name for name, pattern in groups if re.search(pattern, path)]
    if len(matched) != 1:
        problems.append(f"{path}: matched by {len(matched)} credential groups, not 1")
    else:
        counts[matched[0]] += len(methods & set(item))
if problems:
    sys.exit("contract: " + "; ".join(problems))
for name, count in counts.items():
    print(name, count)
PY
)
[ "${#operations[@]}" = "${#groups[@]}" ] || { echo "contract: the operations could not be read from the document" >&2; exit 1; }
for group in "${groups[@]}"; do
  name=${group%%:*}
  case "$name" in
    user) bearer=$service_jwt ;; server) bearer="" ;; webhook) bearer=$webhook ;; callback) bearer=$callback ;;
  esac
  fuzz "${operations[$name]}" "$bearer" --include-path-regex "${group#*:}"
done
