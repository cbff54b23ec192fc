// RUN: quantc-opt %s --canonicalize | FileCheck %s

// Tests that requantizing to the same type folds away.
// CHECK-LABEL: func.func @requantize_same_type
// CHECK-NOT: qc.requantize
// CHECK: return %arg0
func.func @requantize_same_type(%x: tensor<4x256x!qc.block<q4_K>>) -> tensor<4x256x!qc.block<q4_K>> {
  %r = qc.requantize %x : tensor<4x256x!qc.block<q4_K>> -> tensor<4x256x!qc.block<q4_K>>
  return %r : tensor<4x256x!qc.block<q4_K>>
}

// Tests that requantizing to another type stays.
// CHECK-LABEL: func.func @requantize_other_type
// CHECK: qc.requantize %arg0 : tensor<4x256x!qc.block<q4_K>> -> tensor<4x256x!qc.block<q6_K>>
func.func @requantize_other_type(%x: tensor<4x256x!qc.block<q4_K>>) -> tensor<4x256x!qc.block<q6_K>> {
  %r = qc.requantize %x : tensor<4x256x!qc.block<q4_K>> -> tensor<4x256x!qc.block<q6_K>>
  return %r : tensor<4x256x!qc.block<q6_K>>
}

// Tests that an unused read of a weight and its dequantize are erased (both
// are pure), and that the global stays.
// CHECK: qc.global @w
// CHECK-LABEL: func.func @dead_weight
// CHECK-NEXT: return
qc.global @w : tensor<1x32x!qc.block<q8_0>> = dense<0> : tensor<34xi8>
func.func @dead_weight() {
  %w = qc.weight @w : tensor<1x32x!qc.block<q8_0>>
  %d = qc.dequantize %w : tensor<1x32x!qc.block<q8_0>> -> tensor<1x32xf32>
  return
}
