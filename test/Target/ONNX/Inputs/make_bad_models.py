#!/usr/bin/env python3
"""Writes malformed or unsupported ONNX models into a directory, for
errors.test. Uses the protobuf writer of examples/generate_onnx_sample.py
(standard library only).

    python3 make_bad_models.py OUT_DIR
"""
import os
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "examples"))
from generate_onnx_sample import f_bytes, f_int, node, tensor, value_info  # noqa: E402


def model(nodes, inputs, outputs, initializers=(), opset=17):
    graph = b"".join(f_bytes(1, n) for n in nodes) + f_bytes(2, "bad")
    graph += b"".join(f_bytes(5, t) for t in initializers)
    graph += b"".join(f_bytes(11, value_info(n, d)) for n, d in inputs)
    graph += b"".join(f_bytes(12, value_info(n, d)) for n, d in outputs)
    return f_int(1, 8) + f_bytes(7, graph) + f_bytes(8, f_bytes(1, "") + f_int(2, opset))


def external_tensor(name, dims, location):
    msg = b"".join(f_int(1, d) for d in dims) + f_int(2, 1) + f_bytes(8, name)
    msg += f_bytes(13, f_bytes(1, "location") + f_bytes(2, location))
    msg += f_int(14, 1)  # data_location = EXTERNAL
    return msg


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    files = {
        # Add of [3] and [4]: shapes that do not broadcast.
        "shape-mismatch.onnx": model([node("Add", ["a", "b"], ["c"], "add_ab")],
                                     [("a", [3]), ("b", [4])], [("c", [4])]),
        # A weight whose data is in a file that is not there.
        "missing-external.onnx": model(
            [node("Add", ["a", "w"], ["c"], "add_w")], [("a", [4])], [("c", [4])],
            [external_tensor("w", [4], "weights.bin")]),
        # An op no converter handles.
        "unsupported-op.onnx": model([node("StringNormalizer", ["a"], ["c"], "strings")],
                                     [("a", [4])], [("c", [4])]),
        # A newer opset than quantc knows.
        "future-opset.onnx": model([node("Relu", ["a"], ["c"], "relu")],
                                   [("a", [4])], [("c", [4])], opset=99),
        # A Gemm with one input (the schema wants 2 or 3).
        "wrong-arity.onnx": model([node("Gemm", ["a"], ["c"], "gemm1")],
                                  [("a", [2, 2])], [("c", [2, 2])]),
        # An initializer whose raw data is too short for its shape.
        "short-initializer.onnx": model(
            [node("Add", ["a", "w"], ["c"], "add_w")], [("a", [4])], [("c", [4])],
            [tensor("w", [4], [1.0, 2.0])]),
    }
    for name, data in files.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)
    # Not a protobuf at all, and a truncated real model.
    with open(os.path.join(out, "garbage.onnx"), "wb") as f:
        f.write(b"\xff\xff\xff\xff this is not an ONNX model")
    good = model([node("Relu", ["a"], ["c"], "relu")], [("a", [4])], [("c", [4])])
    with open(os.path.join(out, "truncated.onnx"), "wb") as f:
        f.write(good[: len(good) // 2])


if __name__ == "__main__":
    main()
