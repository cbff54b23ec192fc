#!/usr/bin/env python3
"""Writes small hand-made ONNX models for the tensor/indexing lit tests.

The node tests pass slice bounds, scales, K and the like as graph inputs;
these models hold them as initializers, so quantc-translate imports them
without binding inputs.

  slice_neg_steps_const.onnx  Slice with negative steps.
  resize_linear_const.onnx    Resize (linear, half_pixel) 1x1x2x2 -> 1x1x4x4.
  resize_nearest_const.onnx   Resize (nearest, asymmetric, floor) x2.
  pad_constant_const.onnx     Pad (constant 1.5) with negative (cropping) pads.
  topk_const.onnx             TopK K=2 on axis 1.
  nonzero_dynamic.onnx        NonZero of a graph input (must fail clearly).

Deterministic. Usage: make_tensor_models.py [OUTPUT_DIR]
"""

import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def save(out_dir, name, nodes, inputs, outputs, inits=(), opset=13):
    graph = helper.make_graph(nodes, name, inputs, outputs, list(inits))
    model = helper.make_model(
        graph, producer_name="quantc-test",
        opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 8
    onnx.save(model, os.path.join(out_dir, name + ".onnx"))


def i64(name, values):
    return numpy_helper.from_array(np.array(values, dtype=np.int64), name)


def f32(name, values):
    return numpy_helper.from_array(np.array(values, dtype=np.float32), name)


def info(name, elem, shape):
    return helper.make_tensor_value_info(name, elem, shape)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(__file__)
    F = TensorProto.FLOAT
    save(out, "slice_neg_steps_const",
         [helper.make_node("Slice", ["x", "s", "e", "a", "st"], ["y"])],
         [info("x", F, [20, 10, 5])], [info("y", F, [19, 3, 2])],
         [i64("s", [20, 10, 4]), i64("e", [0, 0, 1]), i64("a", [0, 1, 2]),
          i64("st", [-1, -3, -2])])
    save(out, "resize_linear_const",
         [helper.make_node("Resize", ["x", "", "scales"], ["y"],
                           mode="linear")],
         [info("x", F, [1, 1, 2, 2])], [info("y", F, [1, 1, 4, 4])],
         [f32("scales", [1, 1, 2, 2])])
    save(out, "resize_nearest_const",
         [helper.make_node("Resize", ["x", "", "scales"], ["y"],
                           mode="nearest",
                           coordinate_transformation_mode="asymmetric",
                           nearest_mode="floor")],
         [info("x", F, [1, 2, 3, 3])], [info("y", F, [1, 2, 6, 6])],
         [f32("scales", [1, 1, 2, 2])])
    save(out, "pad_constant_const",
         [helper.make_node("Pad", ["x", "pads", "value"], ["y"])],
         [info("x", F, [3, 4])], [info("y", F, [4, 3])],
         [i64("pads", [1, 0, 0, -1]), f32("value", 1.5)])
    save(out, "topk_const",
         [helper.make_node("TopK", ["x", "k"], ["v", "i"], axis=1)],
         [info("x", F, [3, 4])],
         [info("v", F, [3, 2]), info("i", TensorProto.INT64, [3, 2])],
         [i64("k", [2])])
    save(out, "nonzero_dynamic",
         [helper.make_node("NonZero", ["x"], ["y"])],
         [info("x", F, [2, 2])], [info("y", TensorProto.INT64, [2, None])])


if __name__ == "__main__":
    main()
