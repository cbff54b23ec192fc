#!/usr/bin/env python3
"""Writes DIR/qdq.onnx, a weight-quantized layer in ONNX's QDQ form:
DequantizeLinear(W int8 [K, N], per-channel scales, axis 1) -> MatMul ->
Add(bias) -> Relu, plus DIR/x.npy and DIR/expected.npy (the float result,
computed here in double precision). Standard library only; the protobuf
writer is examples/generate_onnx_sample.py's.

usage: make_qdq_model.py DIR M K N
"""
import os
import random
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "..", "examples"))
from generate_onnx_sample import (  # noqa: E402
    attr_int, f_bytes, f_int, node, tensor, value_info)

INT8 = 3


def int8_tensor(name, dims, values):
    msg = b"".join(f_int(1, d) for d in dims)
    msg += f_int(2, INT8) + f_bytes(8, name)
    return msg + f_bytes(9, struct.pack(f"<{len(values)}b", *values))


def write_npy(path, shape, values):
    header = "{'descr': '<f4', 'fortran_order': False, 'shape': (%s), }" % ", ".join(map(str, shape))
    header += " " * (63 - (10 + len(header)) % 64) + "\n"
    with open(path, "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode())
        f.write(struct.pack(f"<{len(values)}f", *values))


def main():
    out, m, k, n = sys.argv[1], *map(int, sys.argv[2:5])
    rng = random.Random(3)
    w = [rng.randint(-127, 127) for _ in range(k * n)]
    scales = [rng.uniform(0.005, 0.02) for _ in range(n)]
    bias = [rng.gauss(0, 0.5) for _ in range(n)]
    x = [rng.gauss(0, 1) for _ in range(m * k)]
    graph = b"".join(f_bytes(1, nd) for nd in [
        node("DequantizeLinear", ["w", "w_scale"], ["w_float"], "dq", [attr_int("axis", 1)]),
        node("MatMul", ["x", "w_float"], ["mm"], "fc"),
        node("Add", ["mm", "bias"], ["pre"], "fc_bias"),
        node("Relu", ["pre"], ["y"], "relu"),
    ])
    graph += f_bytes(2, "qdq")
    graph += f_bytes(5, int8_tensor("w", [k, n], w))
    graph += f_bytes(5, tensor("w_scale", [n], scales))
    graph += f_bytes(5, tensor("bias", [n], bias))
    graph += f_bytes(11, value_info("x", [m, k]))
    graph += f_bytes(12, value_info("y", [m, n]))
    model = f_int(1, 8) + f_bytes(7, graph) + f_bytes(8, f_bytes(1, "") + f_int(2, 13))
    with open(f"{out}/qdq.onnx", "wb") as f:
        f.write(model)
    expected = []
    for i in range(m):
        for c in range(n):
            acc = sum(x[i * k + j] * w[j * n + c] * scales[c] for j in range(k))
            expected.append(max(acc + bias[c], 0.0))
    write_npy(f"{out}/x.npy", (m, k), x)
    write_npy(f"{out}/expected.npy", (m, n), expected)


if __name__ == "__main__":
    main()
