#!/usr/bin/env python3
"""Writes, as qc IR for `quantc-translate --export-gguf`, an importance matrix
in llama-imatrix's GGUF layout for the 2-layer model of
scripts/make_tiny_llama.py: per weight `<name>.in_sum2` (f32 [columns]) and
`<name>.counts` (f32 [1]), with deterministic, strongly non-uniform values."""
import random
import struct

rng = random.Random(7)
embd, ffn, layers = 256, 512, 2
weights = []
for i in range(layers):
    for kind, cols in (("attn_q", embd), ("attn_k", embd), ("attn_v", embd),
                       ("attn_output", embd), ("ffn_gate", embd),
                       ("ffn_up", embd), ("ffn_down", ffn)):
        weights.append(("blk.%d.%s.weight" % (i, kind), cols))
weights.append(("output.weight", embd))

globals_ = []
resources = []
for n, (name, cols) in enumerate(weights):
    sums = [rng.lognormvariate(0.0, 2.0) * 10 for _ in range(cols)]
    blob = struct.pack("<%df" % cols, *sums)
    globals_.append('  qc.global @"%s.in_sum2" : tensor<1x%dxf32> = '
                    'dense_resource<s%d> : tensor<%dxi8>' % (name, cols, n, 4 * cols))
    globals_.append('  qc.global @"%s.counts" : tensor<1x1xf32> = '
                    'dense_resource<c%d> : tensor<4xi8>' % (name, n))
    resources.append('      s%d: "0x04000000%s"' % (n, blob.hex().upper()))
    resources.append('      c%d: "0x04000000%s"' % (n, struct.pack("<f", 10.0).hex().upper()))
print('module attributes {qc.metadata = [["general.type", "imatrix"], '
      '["imatrix.chunk_count", 1 : ui32]]} {')
print("\n".join(globals_))
print("}")
print("{-#\n  dialect_resources: {\n    builtin: {")
print(",\n".join(resources))
print("    }\n  }\n#-}")
