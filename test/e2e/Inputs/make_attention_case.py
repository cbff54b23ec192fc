#!/usr/bin/env python3
"""Writes a qc.attention model, its inputs and the expected output (plain
Python reference: causal grouped-query attention over the cache positions
0 .. pos + t) as .npy files into DIR.

usage: make_attention_case.py DIR T H HKV D C POS
"""
import math
import random
import struct
import sys


def write_npy(path, shape, values, dtype="<f4"):
    header = "{'descr': '%s', 'fortran_order': False, 'shape': (%s), }" % (
        dtype, "".join(f"{d}, " for d in shape) if len(shape) != 1 else f"{shape[0]},")
    header += " " * (63 - (10 + len(header)) % 64) + "\n"
    fmt = {"<f4": "f", "<i4": "i"}[dtype]
    with open(path, "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode())
        f.write(struct.pack("<%d%s" % (len(values), fmt), *values))


def main():
    out, T, H, HKV, D, C, POS = sys.argv[1], *map(int, sys.argv[2:8])
    rng = random.Random(7)
    q = [[[rng.gauss(0, 1) for _ in range(D)] for _ in range(H)] for _ in range(T)]
    k = [[[rng.gauss(0, 1) for _ in range(D)] for _ in range(HKV)] for _ in range(C)]
    v = [[[rng.gauss(0, 1) for _ in range(D)] for _ in range(HKV)] for _ in range(C)]
    scale = 1.0 / math.sqrt(D)
    ref = []
    for t in range(T):
        for h in range(H):
            kv = h // (H // HKV)
            end = min(POS + t + 1, C)
            s = [scale * sum(a * b for a, b in zip(q[t][h], k[j][kv])) for j in range(end)]
            m = max(s)
            p = [math.exp(x - m) for x in s]
            z = sum(p)
            ref.extend(sum(p[j] * v[j][kv][d] for j in range(end)) / z for d in range(D))
    flat = lambda a: [x for b in a for c in b for x in c]
    write_npy(f"{out}/q.npy", (T, H, D), flat(q))
    write_npy(f"{out}/k.npy", (C, HKV, D), flat(k))
    write_npy(f"{out}/v.npy", (C, HKV, D), flat(v))
    write_npy(f"{out}/pos.npy", (1,), [POS], "<i4")
    write_npy(f"{out}/expected.npy", (T, H, D), ref)
    ty = lambda *s: "tensor<" + "x".join(map(str, s)) + "xf32>"
    qt, kt = ty(T, H, D), ty(C, HKV, D)
    with open(f"{out}/attention.mlir", "w") as f:
        f.write(f"""func.func @attention(%q: {qt}, %k: {kt}, %v: {kt}, %pos: tensor<1xi32>) -> {qt} {{
  %o = qc.attention %q, %k, %v, %pos {{scale = {scale!r} : f32}} : {qt}, {kt}, {kt}, tensor<1xi32> -> {qt}
  return %o : {qt}
}}
""")


main()
