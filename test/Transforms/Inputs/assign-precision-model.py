#!/usr/bin/env python3
"""Prints a one-layer llama weights module for assign-precision.mlir: 8x256
f32 matrices of Gaussian weights whose scales differ by a factor of ten
(so their quantization errors differ by a hundred), and a norm. The same
bytes on every machine (Python's own generator, seeded)."""
import random
import struct

SCALES = [
    ("token_embd.weight", 0.1),
    ("blk.0.attn_norm.weight", None),
    ("blk.0.attn_q.weight", 0.01),
    ("blk.0.ffn_down.weight", 1.0),
    ("output.weight", 0.1),
]

rng = random.Random(7)
print('module attributes {qc.metadata = [["general.architecture", "llama"], '
      '["general.file_type", 0 : ui32], ["llama.block_count", 1 : ui32], '
      '["llama.attention.head_count", 4 : ui32]]} {')
for name, scale in SCALES:
    if scale is None:
        values, shape = [1.0] * 256, "256"
    else:
        values, shape = [rng.gauss(0.0, scale) for _ in range(8 * 256)], "8x256"
    data = struct.pack("<%df" % len(values), *values)
    print(f'  qc.global @{name} : tensor<{shape}xf32> = '
          f'dense<"0x{data.hex().upper()}"> : tensor<{len(data)}xi8>')
print("}")
