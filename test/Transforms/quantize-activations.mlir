// RUN: quantc-opt %s --split-input-file --qc-quantize-activations | FileCheck %s

// A matmul with a calibrated input range [-1, 3]: scale 4/255, zero point
// round(-128 + 1 / (4/255)) = -64. The input is quantized (divide, round
// half to even, add -64, clamp, to i8), the matmul runs on i8 x i8 into
// i32, and the result is (acc - zp * colsum(w_q)) * s * s_w per column.
// Weight column 0 is 1, 2 (codes 64 127, scale 2/127), column 1 is -4, 0.5
// (codes -127 16, scale 4/127): sums 191 and -111. The global counts
// codes, scales and sums: 20 bytes.
// CHECK-LABEL: func.func @matmul
// CHECK: %[[Q:.*]] = linalg.generic
// CHECK:   arith.divf %{{.*}}, %{{.*}} : f32
// CHECK:   math.roundeven
// CHECK:   arith.addf
// CHECK:   arith.maximumf
// CHECK:   arith.minimumf
// CHECK:   arith.fptosi %{{.*}} : f32 to i8
// CHECK: } -> tensor<3x2xi8>
// CHECK: %[[ACC:.*]] = linalg.matmul ins(%[[Q]], %{{.*}} : tensor<3x2xi8>, tensor<2x2xi8>) outs(%{{.*}} : tensor<3x2xi32>) -> tensor<3x2xi32>
// CHECK: linalg.generic {{.*}} ins(%[[ACC]], %{{.*}}, %{{.*}} : tensor<3x2xi32>, tensor<2xi32>, tensor<2xf32>)
// CHECK:   %[[ZP:.*]] = arith.constant -64 : i32
// CHECK:   arith.muli %[[ZP]]
// CHECK:   arith.subi
// CHECK:   arith.sitofp
// CHECK:   arith.mulf
// CHECK: qc.global @w {qc.quant_error = {{.*}}, qc.quantized = {bytes = 20 : i64, float_bytes = 16 : i64, scheme = "static-int8", shape = array<i64: 2, 2>}} : tensor<2x2xi8>
// CHECK: qc.global @w.sum : tensor<2xi32>
// CHECK: qc.global @w.scale : tensor<2xf32>
// CHECK: w.bytes: "0x0800000040817F10"
// CHECK: w.sum.bytes: "0x08000000BF00000091FFFFFF"
func.func @matmul(%x: tensor<3x2xf32>) -> tensor<3x2xf32> {
  %w = arith.constant dense_resource<w> : tensor<2x2xf32>
  %e = tensor.empty() : tensor<3x2xf32>
  %z = arith.constant 0.0 : f32
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<3x2xf32>) -> tensor<3x2xf32>
  %r = linalg.matmul {qc.activation_range = array<f32: -1.0, 3.0>} ins(%x, %w : tensor<3x2xf32>, tensor<2x2xf32>) outs(%f : tensor<3x2xf32>) -> tensor<3x2xf32>
  return %r : tensor<3x2xf32>
}
{-#
  dialect_resources: {
    builtin: {
      w: "0x040000000000803F000080C0000000400000003F"
    }
  }
#-}

// -----

// A convolution: the i8 input (the padded tensor, where the padding becomes
// the zero point) and the i8 filter accumulate into i32 through the same
// named op; the range [0.5, 2] is widened to hold 0. A convolution without
// a range stays in f32.
// CHECK-LABEL: func.func @conv
// CHECK: linalg.depthwise_conv_2d_nchw_chw {{.*}} ins(%{{.*}}, %{{.*}} : tensor<1x2x4x4xi8>, tensor<2x3x3xi8>) outs(%{{.*}} : tensor<1x2x2x2xi32>)
// CHECK: linalg.depthwise_conv_2d_nchw_chw {{.*}} ins(%{{.*}}, %{{.*}} : tensor<1x2x4x4xf32>, tensor<2x3x3xf32>)
// CHECK: qc.global @{{.*}}.sum : tensor<2xi32>
func.func @conv(%x: tensor<1x2x4x4xf32>) -> (tensor<1x2x2x2xf32>, tensor<1x2x2x2xf32>) {
  %w = arith.constant dense<[[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]], [[-1.0, 0.5, 0.25], [0.0, 0.0, 0.0], [1.0, 1.0, 1.0]]]> : tensor<2x3x3xf32>
  %e = tensor.empty() : tensor<1x2x2x2xf32>
  %z = arith.constant 0.0 : f32
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<1x2x2x2xf32>) -> tensor<1x2x2x2xf32>
  %r = linalg.depthwise_conv_2d_nchw_chw {qc.activation_range = array<f32: 0.5, 2.0>, dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%x, %w : tensor<1x2x4x4xf32>, tensor<2x3x3xf32>) outs(%f : tensor<1x2x2x2xf32>) -> tensor<1x2x2x2xf32>
  %s = linalg.depthwise_conv_2d_nchw_chw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%x, %w : tensor<1x2x4x4xf32>, tensor<2x3x3xf32>) outs(%f : tensor<1x2x2x2xf32>) -> tensor<1x2x2x2xf32>
  return %r, %s : tensor<1x2x2x2xf32>, tensor<1x2x2x2xf32>
}
