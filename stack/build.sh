#!/usr/bin/env bash
# Builds every function crate under functions/ to WebAssembly for Deno:
#   cargo (wasm32, size profile) → wasm-bindgen --target module → wasm-opt -Oz
# into supabase/functions/<name>/pkg/. Extra crate directories (test fixtures) can be
# passed as arguments; their output goes to <dir>/pkg/.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

crates=(functions/*/)
crates+=("$@")
packages=()
for dir in "${crates[@]}"; do packages+=(-p "$(basename "$dir")"); done
cargo build --quiet --release --target wasm32-unknown-unknown "${packages[@]}"

for dir in "${crates[@]}"; do
  name=$(basename "$dir")
  lib=${name//-/_}
  case "$dir" in
    functions/*) out="supabase/functions/$name/pkg" ;;
    *) out="${dir%/}/pkg" ;;
  esac
  input="target/wasm32-unknown-unknown/release/$lib.wasm"
  if [ -f "$out/${lib}_bg.wasm" ] && [ "$out/${lib}_bg.wasm" -nt "$input" ]; then continue; fi
  rm -rf "$out"
  wasm-bindgen --target module --out-dir "$out" "$input"
  # binaryen from npm: Debian's binaryen 108 corrupts wasm-bindgen output.
  node_modules/.bin/wasm-opt -Oz "$out/${lib}_bg.wasm" -o "$out/${lib}_bg.wasm"
  printf '[build] %s: %s bytes, %s gzipped\n' "$name" \
    "$(stat -c %s "$out/${lib}_bg.wasm")" "$(gzip -9c "$out/${lib}_bg.wasm" | wc -c)" >&2
done
