#!/usr/bin/env python3
"""Writes small ONNX models for the signal and misc lit tests, each with
.input_N.pb/.output_N.pb data from a numpy reference: numpy's FFT and
determinant where numpy has the op, otherwise the reference algorithm below.

  dft_rfft_padded       DFT-17, real signal, onesided, dft_length 12 > 10
                        (zero padding), axis 2 (np.fft.rfft).
  dft_complex_cut       DFT-17, complex signal, dft_length 6 < 8 (truncated),
                        inverse (np.fft.ifft).
  stft_complex          STFT-17, complex signal, onesided=0, a window.
  window_double         HannWindow-17, symmetric, output_datatype double.
  det_batched           Det-11 on [2, 2, 3, 3] (np.linalg.det), one
                        singular matrix and one that needs pivoting.
  roialign_max_adaptive RoiAlign-16, mode max, sampling_ratio 0 (the sample
                        count per bin depends on each RoI at run time).
  roialign_avg_opset10  RoiAlign-10 (output_half_pixel), adaptive sampling.
  dft_dynamic_length    DFT whose dft_length is a graph input (error case).
  gridsample_bad_mode   GridSample with mode='area' (error case).

Deterministic. Usage: make_signal_misc_models.py [OUTPUT_DIR]
"""

import math
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def save(out_dir, name, nodes, inputs, outputs, opset, data=None):
    graph = helper.make_graph(nodes, name, inputs, outputs)
    model = helper.make_model(
        graph, producer_name="quantc-test",
        opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 8
    onnx.save(model, os.path.join(out_dir, name + ".onnx"))
    for kind, arrays in (data or {}).items():
        for i, arr in enumerate(arrays):
            path = os.path.join(out_dir, f"{name}.{kind}_{i}.pb")
            with open(path, "wb") as f:
                f.write(numpy_helper.from_array(arr).SerializeToString())


def vi(name, dtype, shape):
    return helper.make_tensor_value_info(name, dtype, shape)


def complex_to_pairs(c):
    return np.stack((c.real, c.imag), axis=-1).astype(np.float32)


def dft_models(out_dir, rng):
    # [batch, 3, 10, 1] real, along axis 2, padded to 12, onesided.
    x = rng.standard_normal((2, 3, 10, 1)).astype(np.float32)
    y = complex_to_pairs(np.fft.rfft(x[..., 0].astype(np.float64), n=12,
                                     axis=2))
    length = np.array(12, np.int64)
    node = helper.make_node("DFT", ["x", "len"], ["y"], axis=2, onesided=1)
    len_init = numpy_helper.from_array(length, "len")
    graph = helper.make_graph([node], "dft_rfft_padded",
                              [vi("x", TensorProto.FLOAT, x.shape)],
                              [vi("y", TensorProto.FLOAT, y.shape)],
                              [len_init])
    model = helper.make_model(graph, producer_name="quantc-test",
                              opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, os.path.join(out_dir, "dft_rfft_padded.onnx"))
    save_data(out_dir, "dft_rfft_padded", [x], [y])

    # Complex [2, 8, 2] along axis 1, truncated to 6, inverse.
    c = (rng.standard_normal((2, 8)) + 1j * rng.standard_normal((2, 8)))
    x = complex_to_pairs(c)
    y = complex_to_pairs(np.fft.ifft(c[:, :6], axis=1))
    node = helper.make_node("DFT", ["x", "len"], ["y"], axis=1, inverse=1)
    graph = helper.make_graph(
        [node], "dft_complex_cut", [vi("x", TensorProto.FLOAT, x.shape)],
        [vi("y", TensorProto.FLOAT, y.shape)],
        [numpy_helper.from_array(np.array(6, np.int64), "len")])
    model = helper.make_model(graph, producer_name="quantc-test",
                              opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, os.path.join(out_dir, "dft_complex_cut.onnx"))
    save_data(out_dir, "dft_complex_cut", [x], [y])

    # dft_length from a graph input: not a compile-time constant.
    node = helper.make_node("DFT", ["x", "len"], ["y"], axis=1)
    save(out_dir, "dft_dynamic_length", [node],
         [vi("x", TensorProto.FLOAT, [1, 8, 1]), vi("len", TensorProto.INT64, [])],
         [vi("y", TensorProto.FLOAT, [1, "L", 2])], 17)


def save_data(out_dir, name, inputs, outputs):
    for kind, arrays in (("input", inputs), ("output", outputs)):
        for i, arr in enumerate(arrays):
            path = os.path.join(out_dir, f"{name}.{kind}_{i}.pb")
            with open(path, "wb") as f:
                f.write(numpy_helper.from_array(arr).SerializeToString())


def stft_model(out_dir, rng):
    c = rng.standard_normal((2, 40)) + 1j * rng.standard_normal((2, 40))
    signal = complex_to_pairs(c)
    window = rng.uniform(0.5, 1.0, 8).astype(np.float32)
    step = 5
    frames = (40 - 8) // step + 1
    y = np.empty((2, frames, 8, 2), np.float32)
    for f in range(frames):
        seg = c[:, f * step:f * step + 8] * window.astype(np.float64)
        y[:, f] = complex_to_pairs(np.fft.fft(seg, axis=1))
    node = helper.make_node("STFT", ["signal", "step", "window"], ["y"],
                            onesided=0)
    graph = helper.make_graph(
        [node], "stft_complex",
        [vi("signal", TensorProto.FLOAT, signal.shape),
         vi("window", TensorProto.FLOAT, window.shape)],
        [vi("y", TensorProto.FLOAT, y.shape)],
        [numpy_helper.from_array(np.array(step, np.int64), "step")])
    model = helper.make_model(graph, producer_name="quantc-test",
                              opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, os.path.join(out_dir, "stft_complex.onnx"))
    save_data(out_dir, "stft_complex", [signal, window], [y])


def window_model(out_dir):
    n = 7
    y = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(n) / (n - 1))
    node = helper.make_node("HannWindow", ["size"], ["y"], periodic=0,
                            output_datatype=TensorProto.DOUBLE)
    graph = helper.make_graph(
        [node], "window_double", [], [vi("y", TensorProto.DOUBLE, [n])],
        [numpy_helper.from_array(np.array(n, np.int64), "size")])
    model = helper.make_model(graph, producer_name="quantc-test",
                              opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, os.path.join(out_dir, "window_double.onnx"))
    save_data(out_dir, "window_double", [], [y.astype(np.float64)])


def det_model(out_dir, rng):
    x = rng.standard_normal((2, 2, 3, 3)).astype(np.float32)
    x[0, 1] = [[1, 2, 3], [2, 4, 6], [0, 1, 1]]   # singular
    x[1, 0] = [[0, 2, 1], [3, 0, 1], [1, 1, 0]]   # zero leading pivot
    y = np.linalg.det(x.astype(np.float64)).astype(np.float32)
    node = helper.make_node("Det", ["x"], ["y"])
    save(out_dir, "det_batched", [node], [vi("x", TensorProto.FLOAT, x.shape)],
         [vi("y", TensorProto.FLOAT, y.shape)], 11,
         {"input": [x], "output": [y]})


def roi_align_reference(x, rois, batch_indices, out_h, out_w, sampling_ratio,
                        scale, half_pixel, mode):
    """RoiAlign as the ONNX reference and onnxruntime compute it."""
    n_rois = rois.shape[0]
    _, c, h, w = x.shape
    y = np.zeros((n_rois, c, out_h, out_w), np.float64)
    off = 0.5 if half_pixel else 0.0
    for r in range(n_rois):
        x1, y1, x2, y2 = [float(v) * scale - off for v in rois[r]]
        roi_w, roi_h = x2 - x1, y2 - y1
        if not half_pixel:
            roi_w, roi_h = max(roi_w, 1.0), max(roi_h, 1.0)
        bin_h, bin_w = roi_h / out_h, roi_w / out_w
        gh = sampling_ratio or int(math.ceil(roi_h / out_h))
        gw = sampling_ratio or int(math.ceil(roi_w / out_w))
        count = max(gh * gw, 1)
        img = x[int(batch_indices[r])].astype(np.float64)
        for ph in range(out_h):
            for pw in range(out_w):
                acc = np.zeros(c) if mode == "avg" else None
                for iy in range(gh):
                    yy = y1 + ph * bin_h + (iy + 0.5) * bin_h / gh
                    for ix in range(gw):
                        xx = x1 + pw * bin_w + (ix + 0.5) * bin_w / gw
                        if yy < -1 or yy > h or xx < -1 or xx > w:
                            vals = [np.zeros(c)] * 4
                        else:
                            yv, xv = max(yy, 0.0), max(xx, 0.0)
                            y0, x0 = int(yv), int(xv)
                            if y0 >= h - 1:
                                y0 = y1i = h - 1
                                yv = float(y0)
                            else:
                                y1i = y0 + 1
                            if x0 >= w - 1:
                                x0 = x1i = w - 1
                                xv = float(x0)
                            else:
                                x1i = x0 + 1
                            ly, lx = yv - y0, xv - x0
                            hy, hx = 1 - ly, 1 - lx
                            vals = [hy * hx * img[:, y0, x0],
                                    hy * lx * img[:, y0, x1i],
                                    ly * hx * img[:, y1i, x0],
                                    ly * lx * img[:, y1i, x1i]]
                        if mode == "avg":
                            acc = acc + sum(vals)
                        else:
                            v = np.maximum(np.maximum(vals[0], vals[1]),
                                           np.maximum(vals[2], vals[3]))
                            acc = v if acc is None else np.maximum(acc, v)
                if mode == "avg":
                    y[r, :, ph, pw] = acc / count
                else:
                    y[r, :, ph, pw] = acc if acc is not None else 0
    return y.astype(np.float32)


def roialign_models(out_dir, rng):
    x = rng.uniform(0, 1, (2, 3, 9, 11)).astype(np.float32)
    rois = np.array([[0.5, 1.0, 7.3, 6.2], [2.0, 2.0, 2.4, 9.5],
                     [-1.5, 0.0, 12.0, 3.0], [3.0, 4.0, 3.0, 4.0]],
                    np.float32)
    batch = np.array([0, 1, 1, 0], np.int64)
    for name, opset, attrs, half_pixel, mode in (
            ("roialign_max_adaptive", 16,
             dict(mode="max", output_height=3, output_width=2,
                  sampling_ratio=0, spatial_scale=0.8), True, "max"),
            ("roialign_avg_opset10", 10,
             dict(output_height=2, output_width=3, spatial_scale=1.0),
             False, "avg")):
        node = helper.make_node("RoiAlign", ["x", "rois", "batch"], ["y"],
                                **attrs)
        y = roi_align_reference(x, rois, batch, attrs["output_height"],
                                attrs["output_width"],
                                attrs.get("sampling_ratio", 0),
                                attrs["spatial_scale"], half_pixel, mode)
        save(out_dir, name, [node],
             [vi("x", TensorProto.FLOAT, x.shape),
              vi("rois", TensorProto.FLOAT, rois.shape),
              vi("batch", TensorProto.INT64, batch.shape)],
             [vi("y", TensorProto.FLOAT, y.shape)], opset,
             {"input": [x, rois, batch], "output": [y]})


def gridsample_bad_mode(out_dir):
    node = helper.make_node("GridSample", ["x", "grid"], ["y"], mode="area")
    save(out_dir, "gridsample_bad_mode", [node],
         [vi("x", TensorProto.FLOAT, [1, 1, 4, 4]),
          vi("grid", TensorProto.FLOAT, [1, 2, 2, 2])],
         [vi("y", TensorProto.FLOAT, [1, 1, 2, 2])], 16)


def main():
    out_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(
        os.path.abspath(__file__))
    rng = np.random.default_rng(20240517)
    dft_models(out_dir, rng)
    stft_model(out_dir, rng)
    window_model(out_dir)
    det_model(out_dir, rng)
    roialign_models(out_dir, rng)
    gridsample_bad_mode(out_dir)


if __name__ == "__main__":
    main()
