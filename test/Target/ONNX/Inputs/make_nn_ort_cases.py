#!/usr/bin/env python3
"""Writes the NN-family cases checked against onnxruntime (nn-ort.test).

Each case is <out>/<name>/model.onnx with input_N.pb (and in_<name>.npy plus
inputs.list for test/models/ort-run.mjs). The expected output_N.pb files are
onnxruntime-node's results (the oracle), produced by ort_expected.sh; they
are committed, so the test itself needs no onnxruntime. Deterministic
(seeded). Cases cover grouped/depthwise/1-D/3-D/dilated Conv, grouped and
SAME_LOWER ConvTranspose, per-channel QLinearConv, int8 QLinearMatMul and
ConvInteger, MatMul promotion/broadcasting, Einsum (ellipsis, implicit
output, trace), ceil_mode/count_include_pad AveragePool, MaxPool Indices in
1-D/3-D/dilated ceil mode, LpPool, global pools, Gemm, Quantize/Dequantize
corner cases and an all-negative DynamicQuantizeLinear.

Usage: make_nn_ort_cases.py [OUTPUT_DIR]
"""

import os
import sys

import numpy as np, onnx
from onnx import helper as h, TensorProto as T, numpy_helper as nh
rng = np.random.default_rng(0)
out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
    os.path.dirname(os.path.abspath(__file__)), 'nn_ort')
cases = []
def model(name, node, ins, outs, opset=13, inits=()):
    g = h.make_graph([node] if not isinstance(node, list) else node, name,
        [h.make_tensor_value_info(n, dt, list(a.shape)) for n, dt, a in ins],
        [h.make_tensor_value_info(n, dt, None) for n, dt in outs], list(inits))
    m = h.make_model(g, opset_imports=[h.make_opsetid('', opset)]); m.ir_version = 8
    os.makedirs(f'{out}/{name}', exist_ok=True)
    onnx.save(m, f'{out}/{name}/model.onnx')
    with open(f'{out}/{name}/inputs.list', 'w') as f:
        for i, (n, dt, a) in enumerate(ins):
            np.save(f'{out}/{name}/in_{n}.npy', a)
            with open(f'{out}/{name}/input_{i}.pb', 'wb') as p: p.write(nh.from_array(a, n).SerializeToString())
            f.write(f'{n} in_{n}.npy\n')
F = lambda *s: rng.standard_normal(s).astype(np.float32)
U8 = lambda *s: rng.integers(0, 256, s).astype(np.uint8)
I8 = lambda *s: rng.integers(-128, 128, s).astype(np.int8)
model('conv_group2', h.make_node('Conv', ['x','w','b'], ['y'], group=2, pads=[1,0,2,1], strides=[2,1], dilations=[1,2]),
      [('x',T.FLOAT,F(2,4,9,8)),('w',T.FLOAT,F(6,2,3,3)),('b',T.FLOAT,F(6))], [('y',T.FLOAT)])
model('conv_dw', h.make_node('Conv', ['x','w'], ['y'], group=3, auto_pad='SAME_UPPER', strides=[2,2]),
      [('x',T.FLOAT,F(1,3,7,6)),('w',T.FLOAT,F(3,1,3,3))], [('y',T.FLOAT)])
model('conv1d_group', h.make_node('Conv', ['x','w'], ['y'], group=2, pads=[1,1], dilations=[2]),
      [('x',T.FLOAT,F(2,4,11)),('w',T.FLOAT,F(4,2,3))], [('y',T.FLOAT)])
model('conv3d_group', h.make_node('Conv', ['x','w'], ['y'], group=2, strides=[1,2,1]),
      [('x',T.FLOAT,F(1,4,4,5,4)),('w',T.FLOAT,F(2,2,2,2,2))], [('y',T.FLOAT)])
model('convT_group', h.make_node('ConvTranspose', ['x','w','b'], ['y'], group=2, strides=[2,3], pads=[1,0,0,1], output_padding=[1,0], dilations=[1,2]),
      [('x',T.FLOAT,F(1,4,3,4)),('w',T.FLOAT,F(4,3,3,2)),('b',T.FLOAT,F(6))], [('y',T.FLOAT)])
model('convT_same_lower', h.make_node('ConvTranspose', ['x','w'], ['y'], auto_pad='SAME_LOWER', strides=[2,2]),
      [('x',T.FLOAT,F(1,2,3,3)),('w',T.FLOAT,F(2,1,4,4))], [('y',T.FLOAT)])
model('qlinearconv_perchan', h.make_node('QLinearConv', ['x','xs','xz','w','ws','wz','ys','yz','b'], ['y'], pads=[1,1,1,1], strides=[2,2]),
      [('x',T.UINT8,U8(1,3,8,8)),('xs',T.FLOAT,np.array(0.02,np.float32)),('xz',T.UINT8,np.array(120,np.uint8)),
       ('w',T.INT8,I8(4,3,3,3)),('ws',T.FLOAT,rng.uniform(0.001,0.01,4).astype(np.float32)),('wz',T.INT8,np.zeros(4,np.int8)),
       ('ys',T.FLOAT,np.array(0.05,np.float32)),('yz',T.UINT8,np.array(128,np.uint8)),('b',T.INT32,rng.integers(-500,500,4).astype(np.int32))], [('y',T.UINT8)], opset=10)
model('qlinearconv_s8', h.make_node('QLinearConv', ['x','xs','xz','w','ws','wz','ys','yz'], ['y'], group=2),
      [('x',T.INT8,I8(1,4,5,5)),('xs',T.FLOAT,np.array(0.03,np.float32)),('xz',T.INT8,np.array(-5,np.int8)),
       ('w',T.INT8,I8(4,2,2,2)),('ws',T.FLOAT,np.array(0.004,np.float32)),('wz',T.INT8,np.array(0,np.int8)),
       ('ys',T.FLOAT,np.array(0.07,np.float32)),('yz',T.INT8,np.array(3,np.int8))], [('y',T.INT8)], opset=10)
model('convinteger_s8', h.make_node('ConvInteger', ['x','w','xz','wz'], ['y'], pads=[0,1,1,0]),
      [('x',T.INT8,I8(1,2,4,4)),('w',T.INT8,I8(3,2,2,2)),('xz',T.INT8,np.array(7,np.int8)),('wz',T.INT8,np.array(-3,np.int8))], [('y',T.INT32)], opset=10)
model('qlinearmatmul_s8', h.make_node('QLinearMatMul', ['a','as','az','b','bs','bz','ys','yz'], ['y']),
      [('a',T.INT8,I8(3,2,5)),('as',T.FLOAT,np.array(0.05,np.float32)),('az',T.INT8,np.array(2,np.int8)),
       ('b',T.INT8,I8(5,4)),('bs',T.FLOAT,np.array(0.02,np.float32)),('bz',T.INT8,np.array(-1,np.int8)),
       ('ys',T.FLOAT,np.array(0.1,np.float32)),('yz',T.INT8,np.array(-4,np.int8))], [('y',T.INT8)], opset=10)
model('matmul_1d', h.make_node('MatMul', ['a','b'], ['y']), [('a',T.FLOAT,F(4)),('b',T.FLOAT,F(2,4,3))], [('y',T.FLOAT)])
model('matmul_bcast', h.make_node('MatMul', ['a','b'], ['y']), [('a',T.FLOAT,F(3,1,2,4)),('b',T.FLOAT,F(5,4,6))], [('y',T.FLOAT)])
model('matmul_vec', h.make_node('MatMul', ['a','b'], ['y']), [('a',T.FLOAT,F(2,3,4)),('b',T.FLOAT,F(4))], [('y',T.FLOAT)])
model('einsum_mix', h.make_node('Einsum', ['a','b'], ['y'], equation='b...ij,jk->bk...i'), [('a',T.FLOAT,F(2,3,4,5)),('b',T.FLOAT,F(5,6))], [('y',T.FLOAT)])
model('einsum_implicit', h.make_node('Einsum', ['a','b'], ['y'], equation='ij,jk'), [('a',T.FLOAT,F(3,4)),('b',T.FLOAT,F(4,2))], [('y',T.FLOAT)])
model('einsum_trace', h.make_node('Einsum', ['a'], ['y'], equation='ii'), [('a',T.FLOAT,F(4,4))], [('y',T.FLOAT)])
model('avgpool_ceil_incl', h.make_node('AveragePool', ['x'], ['y'], kernel_shape=[3,3], strides=[2,2], pads=[1,1,1,1], ceil_mode=1, count_include_pad=1),
      [('x',T.FLOAT,F(1,2,6,7))], [('y',T.FLOAT)])
model('avgpool_ceil_excl', h.make_node('AveragePool', ['x'], ['y'], kernel_shape=[3,2], strides=[2,2], pads=[1,0,0,1], ceil_mode=1),
      [('x',T.FLOAT,F(1,2,6,7))], [('y',T.FLOAT)])
model('avgpool_1d', h.make_node('AveragePool', ['x'], ['y'], kernel_shape=[3], strides=[2], pads=[1,1]), [('x',T.FLOAT,F(2,3,9))], [('y',T.FLOAT)])
model('maxpool_1d_idx', h.make_node('MaxPool', ['x'], ['y','i'], kernel_shape=[3], strides=[2], pads=[1,1]), [('x',T.FLOAT,F(2,3,9))], [('y',T.FLOAT),('i',T.INT64)])
model('maxpool_3d_idx', h.make_node('MaxPool', ['x'], ['y','i'], kernel_shape=[2,2,2], strides=[2,1,2]), [('x',T.FLOAT,F(1,2,4,3,4))], [('y',T.FLOAT),('i',T.INT64)])
model('maxpool_ceil_dil', h.make_node('MaxPool', ['x'], ['y','i'], kernel_shape=[2,2], strides=[2,2], dilations=[2,1], ceil_mode=1), [('x',T.FLOAT,F(2,2,7,7))], [('y',T.FLOAT),('i',T.INT64)])
model('maxpool_s8', h.make_node('MaxPool', ['x'], ['y'], kernel_shape=[2,2], pads=[1,1,1,1]), [('x',T.INT8,I8(1,2,4,4))], [('y',T.INT8)])
model('lppool', h.make_node('LpPool', ['x'], ['y'], kernel_shape=[2,2], p=3, strides=[2,2]), [('x',T.FLOAT,F(1,2,6,6))], [('y',T.FLOAT)])
model('lppool2', h.make_node('LpPool', ['x'], ['y'], kernel_shape=[3,3], pads=[1,1,1,1]), [('x',T.FLOAT,F(1,2,5,5))], [('y',T.FLOAT)])
model('globallppool', h.make_node('GlobalLpPool', ['x'], ['y'], p=2), [('x',T.FLOAT,F(2,3,4,5))], [('y',T.FLOAT)])
model('globalmax_3d', h.make_node('GlobalMaxPool', ['x'], ['y']), [('x',T.FLOAT,F(2,3,4,5,2))], [('y',T.FLOAT)])
model('gemm_int_c', h.make_node('Gemm', ['a','b','c'], ['y'], alpha=2.0, beta=0.5, transB=1), [('a',T.FLOAT,F(3,4)),('b',T.FLOAT,F(5,4)),('c',T.FLOAT,F(5))], [('y',T.FLOAT)])
model('quant_s8_axis0', h.make_node('QuantizeLinear', ['x','s','z'], ['y'], axis=0), [('x',T.FLOAT,F(3,4)*50),('s',T.FLOAT,np.array([0.1,0.5,2.0],np.float32)),('z',T.INT8,np.array([-2,0,5],np.int8))], [('y',T.INT8)])
model('quant_noz', h.make_node('QuantizeLinear', ['x','s'], ['y']), [('x',T.FLOAT,np.array([-1,0.5,1.5,2.5,300,-0.4],np.float32)),('s',T.FLOAT,np.array(1.0,np.float32))], [('y',T.UINT8)])
model('dequant_s32', h.make_node('DequantizeLinear', ['x','s'], ['y']), [('x',T.INT32,rng.integers(-10**6,10**6,6).astype(np.int32)),('s',T.FLOAT,np.array(0.001,np.float32))], [('y',T.FLOAT)])
model('dequant_neg_axis', h.make_node('DequantizeLinear', ['x','s','z'], ['y'], axis=-1), [('x',T.INT8,I8(2,3)),('s',T.FLOAT,np.array([0.1,0.2,0.3],np.float32)),('z',T.INT8,np.array([1,-1,0],np.int8))], [('y',T.FLOAT)])
model('dynq_allneg', h.make_node('DynamicQuantizeLinear', ['x'], ['y','s','z']), [('x',T.FLOAT,-np.abs(F(7)))], [('y',T.UINT8),('s',T.FLOAT),('z',T.UINT8)], opset=11)
