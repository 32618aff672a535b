#!/usr/bin/env bash
# Builds every function crate (functions/<name>/, beside its shim) to WebAssembly for Deno:
#   cargo (wasm32, size profile) → wasm-bindgen --target web → wasm-opt -Oz
# `--target web`: the glue is a plain ES module that instantiates from bytes the shim
# reads (a static file on Supabase); `module` would emit `import source`, which Deno 2.1.4
# (Supabase's edge-runtime) cannot load. `--experimental-reset-state-function` exports
# `__wbg_reset_state`, the fresh instance after a panic.
# into functions/<name>/pkg/. Extra crate directories (test fixtures) can be
# passed as arguments; their output goes to <dir>/pkg/.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"

crates=()
for manifest in functions/*/Cargo.toml; do crates+=("$(dirname "$manifest")/"); done
crates+=("$@")
packages=()
for dir in "${crates[@]}"; do packages+=(-p "$(basename "$dir")"); done
cargo build --quiet --release --target wasm32-unknown-unknown "${packages[@]}"

bindgen_flags=(--target web --experimental-reset-state-function --no-typescript)
for dir in "${crates[@]}"; do
  name=$(basename "$dir")
  lib=${name//-/_}
  case "$dir" in
    functions/*) out="functions/$name/pkg" ;;
    *) out="${dir%/}/pkg" ;;
  esac
  input="${CARGO_TARGET_DIR:-target}/wasm32-unknown-unknown/release/$lib.wasm"
  # Rebuilt when the crate changed, or when an earlier build used other bindgen flags.
  if [ -f "$out/${lib}_bg.wasm" ] && [ "$out/${lib}_bg.wasm" -nt "$input" ] \
    && [ "$(cat "$out/.bindgen-flags" 2>/dev/null)" = "${bindgen_flags[*]}" ]; then continue; fi
  rm -rf "$out"
  wasm-bindgen "${bindgen_flags[@]}" --out-dir "$out" "$input"
  echo "${bindgen_flags[*]}" > "$out/.bindgen-flags"
  # binaryen from npm: Debian's binaryen 108 corrupts wasm-bindgen output.
  node_modules/.bin/wasm-opt -Oz "$out/${lib}_bg.wasm" -o "$out/${lib}_bg.wasm"
  printf '[build] %s: %s bytes, %s gzipped\n' "$name" \
    "$(stat -c %s "$out/${lib}_bg.wasm")" "$(gzip -9c "$out/${lib}_bg.wasm" | wc -c)" >&2
done

# The reference web app (web/), which the gateway serves: its npm packages when the lock
# file changed, and a build when a source is newer than the last one.
if [ -f web/package.json ] && [ "${SKIP_WEB_BUILD:-}" != 1 ]; then
  if [ ! -f web/node_modules/.package-lock.json ] || [ web/package-lock.json -nt web/node_modules/.package-lock.json ]; then
    (cd web && npm install --no-save --no-audit --no-fund --loglevel=error >&2)
  fi
  if [ ! -f web/dist/index.html ] || [ -n "$(find web/src web/index.html web/vite.config.ts clients/ts/src -newer web/dist/index.html -type f | head -n 1)" ]; then
    (cd web && node_modules/.bin/vite build --logLevel warn >&2)
    printf '[build] web app: %s bytes of JavaScript\n' "$(cat web/dist/assets/*.js | wc -c)" >&2
  fi
fi
