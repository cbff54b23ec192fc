#!/usr/bin/env python3
"""Writes the com.microsoft MatMulNBits test models and their data.

No ONNX node test covers this contrib op, so these are ours: deterministic
(seeded numpy), the expected outputs computed by the numpy reference below
(codes packed low nibble first along K, (code - zero_point) * scale per
block of block_size along K).

  matmulnbits_u8zp.onnx:  A [2, 3, 40], K=40 (last block partial), N=5,
                          block_size=16, packed uint8 zero points, bias.
  matmulnbits_fzp.onnx:   A [3, 32], K=32, N=4, block_size=16, float zero
                          points, no bias.
  matmulnbits_nozp.onnx:  A [2, 32], K=32, N=3, block_size=32, default
                          zero point 8.

Each model gets <name>.input_0.pb and <name>.output_0.pb (TensorProtos).
Usage: make_matmulnbits.py [OUTPUT_DIR]  (default: this script's directory)
"""

import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

BITS = 4


def pack_codes(codes):
    """codes [N, blocks, block_size] in 0..15 -> bytes [N, blocks, bs/2]."""
    lo = codes[..., 0::2].astype(np.uint8)
    hi = codes[..., 1::2].astype(np.uint8)
    return (lo | (hi << 4)).astype(np.uint8)


def pack_zero_points(zp):
    """zp [N, blocks] in 0..15 -> [N * ceil(blocks / 2)] uint8."""
    n, blocks = zp.shape
    padded = np.zeros((n, (blocks + 1) // 2 * 2), np.uint8)
    padded[:, :blocks] = zp
    return (padded[:, 0::2] | (padded[:, 1::2] << 4)).reshape(-1)


def reference(a, codes, scales, zp, k, bias):
    """Y = A @ W^T, W[n, k] = (code - zp) * scale of k's block."""
    n, blocks, bs = codes.shape
    w = ((codes.astype(np.float32) - zp[:, :, None]) * scales[:, :, None])
    w = w.reshape(n, blocks * bs)[:, :k]
    y = a @ w.T
    if bias is not None:
        y = y + bias
    return y.astype(np.float32)


def make(out_dir, name, a_shape, k, n, block_size, zp_kind, with_bias, seed):
    rng = np.random.default_rng(seed)
    blocks = (k + block_size - 1) // block_size
    codes = rng.integers(0, 16, size=(n, blocks, block_size), dtype=np.uint8)
    # Codes past K (the last block's padding) are zero, as quantizers write.
    flat = codes.reshape(n, -1)
    flat[:, k:] = 0
    codes = flat.reshape(n, blocks, block_size)
    scales = rng.uniform(0.01, 0.2, size=(n, blocks)).astype(np.float32)
    a = rng.standard_normal(a_shape).astype(np.float32)
    inits = [
        numpy_helper.from_array(pack_codes(codes), "B"),
        numpy_helper.from_array(scales.reshape(-1), "scales"),
    ]
    inputs = ["A", "B", "scales"]
    if zp_kind == "u8":
        zp = rng.integers(0, 16, size=(n, blocks)).astype(np.uint8)
        inits.append(numpy_helper.from_array(pack_zero_points(zp), "zp"))
        inputs.append("zp")
        zp_ref = zp.astype(np.float32)
    elif zp_kind == "float":
        zp_ref = rng.uniform(6.0, 9.0, size=(n, blocks)).astype(np.float32)
        inits.append(numpy_helper.from_array(zp_ref.reshape(-1), "zp"))
        inputs.append("zp")
    else:
        zp_ref = np.full((n, blocks), 8.0, np.float32)
    bias = None
    if with_bias:
        bias = rng.standard_normal(n).astype(np.float32)
        if zp_kind == "none":
            inputs.append("")  # no zero_points
        inputs += ["", "bias"]  # g_idx omitted
        inits.append(numpy_helper.from_array(bias, "bias"))
    y = reference(a, codes, scales, zp_ref, k, bias)
    node = helper.make_node("MatMulNBits", inputs, ["Y"],
                            domain="com.microsoft", K=k,
                            N=n, bits=BITS, block_size=block_size)
    graph = helper.make_graph(
        [node], name,
        [helper.make_tensor_value_info("A", TensorProto.FLOAT, list(a_shape))],
        [helper.make_tensor_value_info("Y", TensorProto.FLOAT, list(y.shape))],
        inits)
    model = helper.make_model(
        graph, producer_name="quantc-test",
        opset_imports=[helper.make_opsetid("", 17),
                       helper.make_opsetid("com.microsoft", 1)])
    model.ir_version = 8
    onnx.save(model, os.path.join(out_dir, name + ".onnx"))
    for suffix, arr, tname in (("input_0", a, "A"), ("output_0", y, "Y")):
        with open(os.path.join(out_dir, f"{name}.{suffix}.pb"), "wb") as f:
            f.write(numpy_helper.from_array(arr, tname).SerializeToString())


def main():
    out_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(
        os.path.abspath(__file__))
    make(out_dir, "matmulnbits_u8zp", (2, 3, 40), 40, 5, 16, "u8", True, 1)
    make(out_dir, "matmulnbits_fzp", (3, 32), 32, 4, 16, "float", False, 2)
    make(out_dir, "matmulnbits_nozp", (2, 32), 32, 3, 32, "none", False, 3)


if __name__ == "__main__":
    main()
