"""Writes the CMake example's built-in input, sin(0.37 i) for i < 64 as a
float32 [1, 64] .npy file (standard library only)."""
import math
import struct
import sys

def f32(x):
    return struct.unpack("<f", struct.pack("<f", x))[0]


values = [math.sin(f32(f32(0.37) * i)) for i in range(64)]
header = "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 64), }"
header += " " * (64 - 10 - len(header) - 1) + "\n"
with open(sys.argv[1], "wb") as f:
    f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode())
    f.write(struct.pack("<64f", *values))
