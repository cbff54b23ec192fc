// RUN: quantc-opt %s --split-input-file --qc-quantize-matmul-weights=scheme=int8 | FileCheck %s --check-prefix=INT8
// RUN: quantc-opt %s --split-input-file --qc-quantize-matmul-weights=scheme=int4-g32 | FileCheck %s --check-prefix=INT4
// RUN: not quantc-opt %s --qc-quantize-matmul-weights=scheme=int3 2>&1 | FileCheck %s --check-prefix=BAD

// BAD: qc-quantize-matmul-weights: unknown scheme 'int3' (int8, int4-g32, int4-g64, int4-g128)

// Tests that a constant f32 weight K x N (K = 40, padded to 64 for int8's
// groups of 64 and int4's of 32) becomes an N x Kp group weight named after
// its resource, with the activations padded with zeros and the error
// recorded; and that a matmul on a non-constant operand stays.
// INT8-LABEL: func.func @f
// INT8: %[[W:.*]] = qc.weight @w : tensor<3x64x!qc.group<8, 64, f32>>
// INT8: %[[P:.*]] = tensor.pad %{{.*}} low[0, 0] high[0, 24]
// INT8: qc.matmul %[[P]], %[[W]] : tensor<2x64xf32>, tensor<3x64x!qc.group<8, 64, f32>> -> tensor<2x3xf32>
// INT8: linalg.matmul
// INT8: qc.global @w {qc.quant_error = {{[0-9.eE+-]+}} : f64, qc.weight_only} : tensor<3x64x!qc.group<8, 64, f32>> = dense_resource<w_packed> : tensor<204xi8>
// INT4: qc.weight @w : tensor<3x64x!qc.group<4, 32, f16>>
// INT4: qc.global @w {qc.quant_error = {{[0-9.eE+-]+}} : f64, qc.weight_only} : tensor<3x64x!qc.group<4, 32, f16>> = dense_resource<w_packed> : tensor<108xi8>
func.func @f(%x: tensor<2x40xf32>, %y: tensor<40x3xf32>) -> (tensor<2x3xf32>, tensor<2x3xf32>) {
  %w = arith.constant dense_resource<w> : tensor<40x3xf32>
  %e = tensor.empty() : tensor<2x3xf32>
  %z = arith.constant 0.0 : f32
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<2x3xf32>) -> tensor<2x3xf32>
  %r = linalg.matmul ins(%x, %w : tensor<2x40xf32>, tensor<40x3xf32>) outs(%f : tensor<2x3xf32>) -> tensor<2x3xf32>
  %s = linalg.matmul ins(%x, %y : tensor<2x40xf32>, tensor<40x3xf32>) outs(%f : tensor<2x3xf32>) -> tensor<2x3xf32>
  return %r, %s : tensor<2x3xf32>, tensor<2x3xf32>
}
{-#
  dialect_resources: {
    builtin: {
      w: "0x040000000000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F"
    }
  }
#-}
