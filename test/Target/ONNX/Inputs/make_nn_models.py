#!/usr/bin/env python3
"""Writes small hand-made ONNX models for the NN-family lit tests.

  qdq_const.onnx          DequantizeLinear with constant per-axis (int8) and
                          per-tensor (uint8) parameters, QuantizeLinear with
                          constant ones; with .input_N.pb/.output_N.pb data
                          from the numpy reference below.
  conv_bad_group.onnx     Conv whose channels do not divide by group.
  maxpool_no_kernel.onnx  MaxPool without kernel_shape.
  matmulnbits_bad_bits.onnx  MatMulNBits with bits=3.
  quantize_blocked.onnx   QuantizeLinear with a block_size attribute.

Deterministic. Usage: make_nn_models.py [OUTPUT_DIR]
"""

import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def save(out_dir, name, nodes, inputs, outputs, inits=(), opset=13,
         extra_opsets=()):
    graph = helper.make_graph(nodes, name, inputs, outputs, list(inits))
    model = helper.make_model(
        graph, producer_name="quantc-test",
        opset_imports=[helper.make_opsetid("", opset)] + list(extra_opsets))
    model.ir_version = 8
    onnx.save(model, os.path.join(out_dir, name + ".onnx"))


def write_pb(out_dir, name, arrays):
    for i, (kind, arr) in enumerate(arrays):
        path = os.path.join(out_dir, f"{name}.{kind}.pb")
        with open(path, "wb") as f:
            f.write(numpy_helper.from_array(arr).SerializeToString())


def quantize(x, scale, zp, lo, hi):
    """ONNX QuantizeLinear: saturate(round_half_even(x / scale) + zp)."""
    q = np.rint(x.astype(np.float32) / np.float32(scale)) + zp
    return np.clip(q, lo, hi)


def qdq_const(out_dir):
    w = np.array([[-128, 0, 127], [5, -7, 100]], np.int8)
    w_scale = np.array([0.5, 0.25], np.float32)
    w_zp = np.array([-1, 2], np.int8)
    x_scale = np.float32(0.125)
    x_zp = np.uint8(128)
    y_scale = np.float32(0.1)
    y_zp = np.int8(-3)
    inits = [
        numpy_helper.from_array(w, "w"),
        numpy_helper.from_array(w_scale, "w_scale"),
        numpy_helper.from_array(w_zp, "w_zp"),
        numpy_helper.from_array(np.array(x_scale), "x_scale"),
        numpy_helper.from_array(np.array(x_zp), "x_zp"),
        numpy_helper.from_array(np.array(y_scale), "y_scale"),
        numpy_helper.from_array(np.array(y_zp), "y_zp"),
    ]
    nodes = [
        helper.make_node("DequantizeLinear", ["w", "w_scale", "w_zp"], ["wf"],
                         axis=0),
        helper.make_node("DequantizeLinear", ["x", "x_scale", "x_zp"], ["xf"]),
        helper.make_node("QuantizeLinear", ["f", "y_scale", "y_zp"], ["q"]),
    ]
    save(out_dir, "qdq_const", nodes,
         [helper.make_tensor_value_info("x", TensorProto.UINT8, [4]),
          helper.make_tensor_value_info("f", TensorProto.FLOAT, [6])],
         [helper.make_tensor_value_info("wf", TensorProto.FLOAT, [2, 3]),
          helper.make_tensor_value_info("xf", TensorProto.FLOAT, [4]),
          helper.make_tensor_value_info("q", TensorProto.INT8, [6])],
         inits)
    x = np.array([0, 127, 128, 255], np.uint8)
    # Ties (0.25/0.1 = 2.5 in float32 is 2.4999..., so pick exact halves of
    # 0.1's float32 value), saturation both ways, negatives.
    f = np.array([0.05, -0.15, 0.25, 100.0, -100.0, -0.349], np.float32)
    wf = ((w.astype(np.int32) - w_zp[:, None]) * w_scale[:, None]).astype(
        np.float32)
    xf = ((x.astype(np.int32) - int(x_zp)) * x_scale).astype(np.float32)
    q = quantize(f, y_scale, int(y_zp), -128, 127).astype(np.int8)
    write_pb(out_dir, "qdq_const", [("input_0", x), ("input_1", f),
                                    ("output_0", wf), ("output_1", xf),
                                    ("output_2", q)])


def negatives(out_dir):
    save(out_dir, "conv_bad_group",
         [helper.make_node("Conv", ["x", "w"], ["y"], group=2)],
         [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 5, 5]),
          helper.make_tensor_value_info("w", TensorProto.FLOAT, [4, 3, 3, 3])],
         [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)])
    save(out_dir, "maxpool_no_kernel",
         [helper.make_node("MaxPool", ["x"], ["y"])],
         [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 1, 4, 4])],
         [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)])
    save(out_dir, "matmulnbits_bad_bits",
         [helper.make_node("MatMulNBits", ["a", "b", "s"], ["y"],
                           domain="com.microsoft", K=16, N=2, bits=3,
                           block_size=16)],
         [helper.make_tensor_value_info("a", TensorProto.FLOAT, [1, 16]),
          helper.make_tensor_value_info("b", TensorProto.UINT8, [2, 1, 6]),
          helper.make_tensor_value_info("s", TensorProto.FLOAT, [2])],
         [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 2])],
         extra_opsets=[helper.make_opsetid("com.microsoft", 1)])
    save(out_dir, "quantize_blocked",
         [helper.make_node("QuantizeLinear", ["x", "s", "z"], ["y"],
                           block_size=2)],
         [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 4]),
          helper.make_tensor_value_info("s", TensorProto.FLOAT, [2, 2]),
          helper.make_tensor_value_info("z", TensorProto.UINT8, [2, 2])],
         [helper.make_tensor_value_info("y", TensorProto.UINT8, [2, 4])])


def main():
    out_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(
        os.path.abspath(__file__))
    qdq_const(out_dir)
    negatives(out_dir)


if __name__ == "__main__":
    main()
