#!/usr/bin/env python3
"""Writes DIR/conv.onnx, a small convolutional classifier:
x [1, 8, 12, 12] -> Conv 3x3 (16 filters, pads 1) -> Relu -> Conv 1x1 (16)
-> Relu -> GlobalAveragePool -> Flatten -> Gemm (16 x 10) -> y [1, 10],
with deterministic weights, and calibration samples DIR/cal/s<i>/x.npy
(i < SAMPLES) plus a test input DIR/x.npy. Standard library only; the
protobuf writer is examples/generate_onnx_sample.py's.

usage: make_conv_model.py DIR SAMPLES
"""
import os
import random
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "..", "examples"))
from generate_onnx_sample import (  # noqa: E402
    f_bytes, f_int, node, tensor, value_info)
from make_qdq_model import write_npy  # noqa: E402


def attr_ints(name, values):
    return f_bytes(1, name) + b"".join(f_int(8, v) for v in values) + f_int(20, 7)


def main():
    out, samples = sys.argv[1], int(sys.argv[2])
    rng = random.Random(11)

    def gauss(n, scale):
        return [rng.gauss(0, scale) for _ in range(n)]

    graph = b"".join(f_bytes(1, nd) for nd in [
        node("Conv", ["x", "w1", "b1"], ["c1"], "conv1",
             [attr_ints("kernel_shape", [3, 3]), attr_ints("pads", [1, 1, 1, 1])]),
        node("Relu", ["c1"], ["r1"], "relu1"),
        node("Conv", ["r1", "w2", "b2"], ["c2"], "conv2", [attr_ints("kernel_shape", [1, 1])]),
        node("Relu", ["c2"], ["r2"], "relu2"),
        node("GlobalAveragePool", ["r2"], ["p"], "pool"),
        node("Flatten", ["p"], ["f"], "flatten"),
        node("Gemm", ["f", "w3", "b3"], ["y"], "fc"),
    ])
    graph += f_bytes(2, "convnet")
    graph += f_bytes(5, tensor("w1", [16, 8, 3, 3], gauss(16 * 8 * 9, 0.12)))
    graph += f_bytes(5, tensor("b1", [16], gauss(16, 0.1)))
    graph += f_bytes(5, tensor("w2", [16, 16, 1, 1], gauss(256, 0.25)))
    graph += f_bytes(5, tensor("b2", [16], gauss(16, 0.1)))
    graph += f_bytes(5, tensor("w3", [16, 10], gauss(160, 0.5)))
    graph += f_bytes(5, tensor("b3", [10], gauss(10, 0.1)))
    graph += f_bytes(11, value_info("x", [1, 8, 12, 12]))
    graph += f_bytes(12, value_info("y", [1, 10]))
    model = f_int(1, 8) + f_bytes(7, graph) + f_bytes(8, f_bytes(1, "") + f_int(2, 13))
    with open(f"{out}/conv.onnx", "wb") as f:
        f.write(model)
    for i in range(samples):
        os.makedirs(f"{out}/cal/s{i}", exist_ok=True)
        write_npy(f"{out}/cal/s{i}/x.npy", [1, 8, 12, 12], gauss(8 * 144, 1.0))
    write_npy(f"{out}/x.npy", [1, 8, 12, 12], gauss(8 * 144, 1.0))


if __name__ == "__main__":
    main()
