#!/usr/bin/env bash
# SCIM conformance: scim2-tester (PyPI, pinned), a SCIM client nobody here wrote, runs its
# checks — discovery, create, read, query with attributes, replace, PATCH add / replace /
# remove of every attribute, delete — against the stack's `scim` function, with a
# directory token of a fresh enterprise organization. Every check must pass; the one
# skipped is named in conformance.py with the reason.
#
# Needs a running stack (STACK_ENV_FILE).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
venv="$root/.local/scim-venv"
if ! "$venv/bin/python" -c "import scim2_tester" 2>/dev/null \
   || [ "$("$venv/bin/python" -m pip show scim2-tester 2>/dev/null | sed -n 's/^Version: //p')" != "0.5.2" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q "scim2-tester==0.5.2" "scim2-client==0.13.2" "scim2-models==0.12.3" "httpx2==2.17.0"
fi
set -a; . "$STACK_ENV_FILE"; set +a

# The organization and its token, as its owner makes them (create_directory_token with the
# owner's claims, exactly as PostgREST runs it for the owner's JWT).
owner=$(python3 -c "import uuid; print(uuid.uuid4())")
token=$(/usr/lib/postgresql/15/bin/psql "$DATABASE_URL" -XAtq -v ON_ERROR_STOP=1 <<SQL | tail -n 1
insert into auth.users (id, email, email_confirmed_at) values ('$owner', 'conformance-$owner@scim.test', now());
select public.create_signup_workspace('$owner', 'conformance-$owner@scim.test', '{}') ->> 'organization_id' as org \gset
update public.organizations set plan_id = 'enterprise' where id = :'org';
begin;
select set_config('role', 'authenticated', true), set_config('request.jwt.claims', '{"sub": "$owner", "role": "authenticated"}', true) \g /dev/null
select public.create_directory_token(:'org') ->> 'token';
commit;
SQL
)
SCIM_URL="$SUPABASE_URL/functions/v1/scim/v2" SCIM_TOKEN="$token" "$venv/bin/python" "$root/tests/scim/conformance.py"
