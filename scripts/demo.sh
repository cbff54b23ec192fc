#!/usr/bin/env bash
# The main job, on the example shipped in the repo. Until the model importers
# land, the example is IR: examples/tiny-mlp.mlir, three quantized linear
# layers (Q8_0, Q4_0, per-channel int8) whose weights are resource blobs made
# by examples/generate_sample.py.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

"$QUANTC_ROOT/scripts/build.sh" >/dev/null
bin=$QUANTC_BUILD/bin
example=$QUANTC_ROOT/examples/tiny-mlp.mlir
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$bin/quantc" --version

say "1. Parse and verify $example, print it, parse the print again"
"$bin/quantc-opt" "$example" -o "$tmp/once.mlir"
"$bin/quantc-opt" "$tmp/once.mlir" -o "$tmp/twice.mlir"
cmp -s "$tmp/once.mlir" "$tmp/twice.mlir" || die "the printed IR did not round-trip"
echo "   ok: $(grep -c 'qc\.' "$tmp/once.mlir") qc ops verified; the textual round trip is identical"
"$bin/quantc-opt" "$example" --emit-bytecode -o "$tmp/model.mlirbc"
"$bin/quantc-opt" "$tmp/model.mlirbc" -o "$tmp/from-bytecode.mlir"
cmp -s "$tmp/once.mlir" "$tmp/from-bytecode.mlir" || die "the bytecode did not round-trip"
echo "   ok: bytecode round trip identical ($(stat -c %s "$tmp/model.mlirbc") bytes of bytecode," \
     "$(stat -c %s "$example") bytes of text)"

say "2. The weights and their storage (quantc-opt --qc-print-weight-stats)"
"$bin/quantc-opt" "$example" --qc-print-weight-stats -o /dev/null | sed 's/^/   /'

say "3. Canonicalize: fold the same-type requantize, drop the unused weight read"
before=$(grep -cE 'qc\.(weight|requantize) ' "$tmp/once.mlir")
"$bin/quantc-opt" "$example" --canonicalize -o "$tmp/canon.mlir"
after=$(grep -cE 'qc\.(weight|requantize) ' "$tmp/canon.mlir")
echo "   qc.weight + qc.requantize ops: $before before, $after after"
grep -E '= qc\.' "$tmp/canon.mlir" | sed -E 's/\{[^}]{60,}\}/{...}/; s/^ */   /'
