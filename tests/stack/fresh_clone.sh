#!/usr/bin/env bash
# A fresh clone starts first time: clones this repository (its committed HEAD) into a
# temporary directory and runs the README's `make up` there, then `make down`. Tools
# already installed on the machine (the wasm target, wasm-bindgen, PostgreSQL, npm's
# cache, and a target directory kept for this test) are reused; everything of the clone's
# own (node_modules, keys, the database, ports) starts from nothing, and the checkout is
# left as it was.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
clone=$(mktemp -d /tmp/fresh-clone-XXXXXX)
chmod 755 "$clone" # PostgreSQL's user keeps its cluster inside, as in a checkout
cleanup() { (cd "$clone" && make down >/dev/null 2>&1) || true; rm -rf "$clone"; }
trap cleanup EXIT
git clone --quiet "$root" "$clone"
cd "$clone"
[ ! -e node_modules ] && [ ! -e .local ] || { echo "the clone is not fresh" >&2; exit 1; }
# Only what a developer's shell would have: none of the test suite's settings or keys.
keep=(PATH="$PATH" HOME="$HOME")
for name in CARGO_HOME RUSTUP_HOME LANG; do [ -n "${!name:-}" ] && keep+=("$name=${!name}"); done
# A target directory of its own (kept between runs): a build at another path must not
# overwrite this checkout's binaries, which carry their source paths.
if ! env -i "${keep[@]}" CARGO_TARGET_DIR="$root/target/fresh-clone" make up >"$clone.log" 2>&1; then
  tail -n 40 "$clone.log" >&2; rm -f "$clone.log"
  echo "make up failed on a fresh clone" >&2; exit 1
fi
rm -f "$clone.log"
# The first run leaves the checkout as it was (no lock file rewritten, nothing generated
# outside the git-ignored folders).
dirty=$(git status --porcelain)
[ -z "$dirty" ] || { echo "make up changed the checkout:" >&2; echo "$dirty" >&2; exit 1; }
grep -q '^SUPABASE_SERVICE_ROLE_KEY=ey' .local/stack.env || { echo "no service role key in .local/stack.env" >&2; exit 1; }
grep -q '^SUPABASE_PUBLISHABLE_KEY=sb_publishable_' .local/stack.env || { echo "no publishable key in .local/stack.env" >&2; exit 1; }
grep -q '^SUPABASE_SECRET_KEY=sb_secret_' .local/stack.env || { echo "no secret key in .local/stack.env" >&2; exit 1; }
. .local/stack.env
curl -fsS "$SUPABASE_URL/health" >/dev/null || { echo "the fresh stack's gateway does not answer" >&2; exit 1; }
env -i "${keep[@]}" make down >/dev/null 2>&1

# No hidden state: a secrets file named for one start is not read by the next. `make up`
# says which file it read; the secrets the functions got are in function-secrets.env.
secrets_of_start() { # [env assignments…]: runs make up, prints the file it names
  env -i "${keep[@]}" CARGO_TARGET_DIR="$root/target/fresh-clone" "$@" make up 2>&1 \
    | sed -n 's/^  function secrets  \([^ ]*\).*/\1/p'
  env -i "${keep[@]}" make down >/dev/null 2>&1
}
named="$clone.secrets.env"
echo "APP_URL=https://named-for-one-start.example" > "$named"
[ "$(secrets_of_start FUNCTIONS_ENV_FILE="$named")" = "$named" ] || { echo "make up did not say it read FUNCTIONS_ENV_FILE" >&2; exit 1; }
grep -q named-for-one-start .local/function-secrets.env || { echo "FUNCTIONS_ENV_FILE was not read" >&2; exit 1; }
[ "$(secrets_of_start)" = supabase/functions/.env ] || { echo "the next make up did not go back to supabase/functions/.env" >&2; exit 1; }
! grep -q named-for-one-start .local/function-secrets.env || { echo "the next make up kept the earlier start's secrets file" >&2; exit 1; }
rm -f "$named"
echo "2 passed, 0 failed"
