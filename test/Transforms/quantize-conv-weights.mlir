// RUN: quantc-opt %s --split-input-file --qc-quantize-conv-weights=scheme=int8 | FileCheck %s --check-prefix=INT8
// RUN: quantc-opt %s --split-input-file --qc-quantize-conv-weights=scheme=int4-g32 | FileCheck %s --check-prefix=INT4
// RUN: not quantc-opt %s --split-input-file --qc-quantize-conv-weights=scheme=int2 2>&1 | FileCheck %s --check-prefix=BAD

// BAD: qc-quantize-conv-weights: unknown scheme 'int2' (int8, int4-g32, int4-g64, int4-g128)

// A 2-D convolution with a 3 x 2 x 1 x 1 filter (rows 1 2 / -4 8 / 0.5 0):
// int8 per output channel keeps the named op on i8 codes (8 / 127 scale for
// the second row: codes -64 127) and scales its result by channel; int4
// packs channels 0 and 1 into one byte per reduction index, channel 0 in the
// low nibble (1 -> 4 of scale 2/7 and -4 -> -4 of scale 8/7: 0xC4; then
// 2 -> 7 and 8 -> 7: 0x77), channel 2 alone (0x07 0x00), with one f16 scale
// per channel and group.
// INT8-LABEL: func.func @conv2d
// INT8-DAG: %[[W:.*]] = qc.weight @w : tensor<3x2x1x1xi8>
// INT8-DAG: %[[S:.*]] = qc.weight @w.scale : tensor<3xf32>
// INT8: %[[C:.*]] = linalg.conv_2d_nchw_fchw {{.*}} ins(%{{.*}}, %[[W]] : tensor<1x2x4x4xf32>, tensor<3x2x1x1xi8>) outs(%{{.*}} : tensor<1x3x4x4xf32>)
// INT8: linalg.generic {{.*}} ins(%[[C]], %[[S]] : tensor<1x3x4x4xf32>, tensor<3xf32>)
// INT8: arith.mulf
// INT8: qc.global @w {qc.quant_error = 0.{{[0-9]+}} : f64, qc.quantized = {bytes = 18 : i64, float_bytes = 24 : i64, scheme = "int8", shape = array<i64: 3, 2, 1, 1>}} : tensor<3x2x1x1xi8> = dense_resource<w.bytes> : tensor<6xi8>
// INT8: qc.global @w.scale : tensor<3xf32>
// INT8: w.bytes: "0x08000000407FC07F7F00"

// INT4-DAG: #[[PACKED:.*]] = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d1 floordiv 2, d4, d5, d6)>
// INT4-DAG: #[[SCALE:.*]] = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d1, (d4 + d5 + d6) floordiv 32)>
// INT4-LABEL: func.func @conv2d
// INT4: linalg.generic {indexing_maps = [#{{.*}}, #[[PACKED]], #[[SCALE]], #{{.*}}], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]}
// INT4-SAME: ins(%{{.*}}, %{{.*}}, %{{.*}} : tensor<1x2x4x4xf32>, tensor<2x2x1x1xi8>, tensor<3x1xf16>)
// INT4: linalg.index 1
// INT4: arith.shli
// INT4: arith.shrsi
// INT4: arith.sitofp
// INT4: arith.extf
// INT4-NOT: linalg.conv_2d_nchw_fchw
// INT4: qc.global @w {{{.*}}scheme = "int4-g32"{{.*}}} : tensor<2x2x1x1xi8> = dense_resource<w.bytes> : tensor<4xi8>
// INT4: qc.global @w.scale : tensor<3x1xf16>
// INT4: w.bytes: "0x08000000C4770700"
func.func @conv2d(%x: tensor<1x2x4x4xf32>) -> tensor<1x3x4x4xf32> {
  %w = arith.constant dense_resource<w> : tensor<3x2x1x1xf32>
  %e = tensor.empty() : tensor<1x3x4x4xf32>
  %z = arith.constant 0.0 : f32
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<1x3x4x4xf32>) -> tensor<1x3x4x4xf32>
  %r = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%x, %w : tensor<1x2x4x4xf32>, tensor<3x2x1x1xf32>) outs(%f : tensor<1x3x4x4xf32>) -> tensor<1x3x4x4xf32>
  return %r : tensor<1x3x4x4xf32>
}
{-#
  dialect_resources: {
    builtin: {
      w: "0x040000000000803F00000040000080C0000000410000003F00000000"
    }
  }
#-}

// -----

// A depthwise convolution's [C, Kh, Kw] filter has its channels first; a
// qc.quantize_scheme on the op overrides the pass's scheme; a convolution
// on a non-constant filter stays.
// INT8-LABEL: func.func @depthwise
// INT8: linalg.depthwise_conv_2d_nchw_chw {{.*}} tensor<2x3x3xi8>
// INT8: linalg.conv_2d_nchw_fchw {{.*}} ins(%{{.*}}, %{{.*}} : tensor<1x2x5x5xf32>, tensor<2x2x3x3xf32>)
// INT8: qc.global @dw {{.*}} : tensor<2x3x3xi8>
// INT4-LABEL: func.func @depthwise
// INT4: linalg.depthwise_conv_2d_nchw_chw {{.*}} tensor<2x3x3xi8>
// INT4: qc.global @dw {{{.*}}scheme = "int8"{{.*}}} : tensor<2x3x3xi8>
func.func @depthwise(%x: tensor<1x2x5x5xf32>, %k: tensor<2x2x3x3xf32>) -> (tensor<1x2x3x3xf32>, tensor<1x2x3x3xf32>) {
  %w = arith.constant dense<[[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]], [[-1.0, 0.5, 0.25], [0.0, 0.0, 0.0], [1.0, 1.0, 1.0]]]> : tensor<2x3x3xf32>
  %w2 = arith.constant dense_resource<dw> : tensor<2x3x3xf32>
  %e = tensor.empty() : tensor<1x2x3x3xf32>
  %z = arith.constant 0.0 : f32
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<1x2x3x3xf32>) -> tensor<1x2x3x3xf32>
  %r = linalg.depthwise_conv_2d_nchw_chw {qc.quantize_scheme = "int8", dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%x, %w2 : tensor<1x2x5x5xf32>, tensor<2x3x3xf32>) outs(%f : tensor<1x2x3x3xf32>) -> tensor<1x2x3x3xf32>
  %s = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%x, %k : tensor<1x2x5x5xf32>, tensor<2x2x3x3xf32>) outs(%f : tensor<1x2x3x3xf32>) -> tensor<1x2x3x3xf32>
  return %r, %s : tensor<1x2x3x3xf32>, tensor<1x2x3x3xf32>
}
{-#
  dialect_resources: {
    builtin: {
      dw: "0x040000000000803F0000004000004040000080400000A0400000C0400000E0400000004100001041000080BF0000003F0000803E0000000000000000000000000000803F0000803F0000803F"
    }
  }
#-}
