#!/usr/bin/env python3
"""Writes small hand-made ONNX models for the reduction, activation,
normalization and loss lit tests: the opset-specific forms that the ONNX
1.12 node tests do not cover, and invalid nodes for the error tests.

  softmax_opset11.onnx          Softmax-11 on [2, 3, 4], default axis 1 (the
                                input is coerced to [2, 12]).
  reduce_max_opset18.onnx       ReduceMax-18 with constant axes [1] input.
  reduce_l1_noop_opset18.onnx   ReduceL1-18, no axes, noop_with_empty_axes.
  gelu_tanh_opset20.onnx        Gelu-20, approximate="tanh".
  group_norm_opset21.onnx       GroupNormalization-21, per-channel scale.
  reduce_repeated_axes.onnx     ReduceSum-11 with axes [1, -2] (repeated).
  batchnorm_training_opset9.onnx  BatchNormalization-9 asking for its
                                training outputs.
  gelu_bad_approximate.onnx     Gelu-20 with approximate="erf".

Deterministic. Usage: make_reduction_models.py [OUTPUT_DIR]
"""

import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

F = TensorProto.FLOAT


def save(out_dir, name, node, inputs, outputs, inits=(), opset=13):
    graph = helper.make_graph([node], name, inputs, outputs, list(inits))
    model = helper.make_model(
        graph, producer_name="quantc-test",
        opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 8
    onnx.save(model, os.path.join(out_dir, name + ".onnx"))


def tensor(name, shape, dtype=F):
    return helper.make_tensor_value_info(name, dtype, shape)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(
        os.path.abspath(__file__))
    x = tensor("x", [2, 3, 4])
    save(out, "softmax_opset11", helper.make_node("Softmax", ["x"], ["y"]),
         [x], [tensor("y", [2, 3, 4])], opset=11)
    save(out, "reduce_max_opset18",
         helper.make_node("ReduceMax", ["x", "axes"], ["y"]), [x],
         [tensor("y", [2, 1, 4])],
         [numpy_helper.from_array(np.array([1], np.int64), "axes")], opset=18)
    save(out, "reduce_l1_noop_opset18",
         helper.make_node("ReduceL1", ["x"], ["y"], noop_with_empty_axes=1),
         [x], [tensor("y", [2, 3, 4])], opset=18)
    save(out, "gelu_tanh_opset20",
         helper.make_node("Gelu", ["x"], ["y"], approximate="tanh"), [x],
         [tensor("y", [2, 3, 4])], opset=20)
    save(out, "group_norm_opset21",
         helper.make_node("GroupNormalization", ["x", "s", "b"], ["y"],
                          num_groups=3),
         [tensor("x", [2, 6, 4]), tensor("s", [6]), tensor("b", [6])],
         [tensor("y", [2, 6, 4])], opset=21)
    save(out, "reduce_repeated_axes",
         helper.make_node("ReduceSum", ["x"], ["y"], axes=[1, -2]), [x],
         [tensor("y", [2, 1, 4])], opset=11)
    save(out, "batchnorm_training_opset9",
         helper.make_node("BatchNormalization", ["x", "s", "b", "m", "v"],
                          ["y", "rm", "rv"]),
         [tensor("x", [2, 3, 4])] + [tensor(n, [3]) for n in "sbmv"],
         [tensor("y", [2, 3, 4]), tensor("rm", [3]), tensor("rv", [3])],
         opset=9)
    save(out, "gelu_bad_approximate",
         helper.make_node("Gelu", ["x"], ["y"], approximate="erf"), [x],
         [tensor("y", [2, 3, 4])], opset=20)


if __name__ == "__main__":
    main()
