#!/usr/bin/env python3
"""Writes a safetensors file (argv[1]) with one 64x256 weight in each 8-bit
float format, F8_E4M3 and F8_E5M2, with deterministic byte patterns that
avoid NaN codes."""
import json
import random
import struct
import sys

rng = random.Random(3)
tensors, blobs, offset = {}, [], 0
for name, dtype, nan in (("e4m3.weight", "F8_E4M3", {0x7F, 0xFF}),
                         ("e5m2.weight", "F8_E5M2", set(range(0x7C, 0x80)) | set(range(0xFC, 0x100)))):
    data = bytes(b for b in (rng.randrange(256) for _ in range(64 * 256 * 2)) if b not in nan)[:64 * 256]
    tensors[name] = {"dtype": dtype, "shape": [64, 256], "data_offsets": [offset, offset + len(data)]}
    blobs.append(data)
    offset += len(data)
header = json.dumps(tensors).encode()
header += b" " * (-len(header) % 8)
with open(sys.argv[1], "wb") as f:
    f.write(struct.pack("<Q", len(header)) + header + b"".join(blobs))
