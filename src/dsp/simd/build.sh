#!/usr/bin/env bash
# Builds estimator.c into a WebAssembly SIMD module and writes it, base64-embedded, as estimator-wasm.ts.
#
#   bash src/dsp/simd/build.sh [out.ts]      (default: src/dsp/simd/estimator-wasm.ts next to this script)
#
# Needs clang + wasm-ld (Debian: apt-get install clang lld; clang 14 produced the committed file) and node.
# The generated file is committed, so users and CI need no clang. test/dsp/simd.kernels.test.ts rebuilds into a
# temporary file and checks it matches the committed one when clang is present.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="${1:-$here/estimator-wasm.ts}"
CLANG="${CLANG:-clang}"

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# --strip-all drops the name/producers sections, so the bytes depend only on the source and the clang version.
"$CLANG" --target=wasm32 -O3 -msimd128 -mbulk-memory -nostdlib -ffreestanding \
  -Wl,--no-entry -Wl,--export=__heap_base -Wl,--strip-all \
  -o "$tmp/estimator.wasm" "$here/estimator.c"

version="$("$CLANG" --version | head -n 1)"

node - "$tmp/estimator.wasm" "$out" "$version" <<'EOF'
const fs = require('fs');
const [wasmPath, outPath, version] = process.argv.slice(2);
const bytes = fs.readFileSync(wasmPath);
const b64 = bytes.toString('base64');
const lines = [];
for (let i = 0; i < b64.length; i += 120) lines.push(`  '${b64.slice(i, i + 120)}'`);
const text = `// GENERATED FILE — do not edit by hand. Regenerate with: bash src/dsp/simd/build.sh
// WebAssembly SIMD kernels for the realtime estimator, compiled from src/dsp/simd/estimator.c
// (${version}; --target=wasm32 -O3 -msimd128 -mbulk-memory -nostdlib), embedded as base64 so
// src/dsp/simd/simd.ts can instantiate it synchronously anywhere, including an AudioWorkletGlobalScope.

/** Byte length of the embedded module. */
export const ESTIMATOR_SIMD_WASM_BYTES = ${bytes.length};

/** The wasm module, base64 (RFC 4648, with padding). */
export const ESTIMATOR_SIMD_WASM_BASE64 =
${lines.join(' +\n')};
`;
fs.writeFileSync(outPath, text);
EOF
echo "wrote $out ($(wc -c < "$tmp/estimator.wasm") wasm bytes)"
