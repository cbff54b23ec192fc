// RUN: quantc-opt %s --split-input-file --qc-fuse-dequant-matmul | FileCheck %s

// Tests that a per-channel int8 weight (K = 64, N = 2) dequantized into a
// matmul becomes a qc.matmul on a repacked N x K group weight: per row, the
// f32 scale (0.5 = 0x3F000000, 0.25 = 0x3E800000) then the 64 codes of the
// column (column 0: 63 ones then 3; then row 1: 0.25, 2, ...), after the
// blob's 4-byte alignment header.
// CHECK-LABEL: func.func @per_channel
// CHECK-SAME: (%[[X:.*]]: tensor<3x64xf32>)
// CHECK: %[[W:.*]] = qc.weight @qc_fused_weight_0 : tensor<2x64x!qc.group<8, 64, f32>>
// CHECK: %[[Y:.*]] = qc.matmul %[[X]], %[[W]] : tensor<3x64xf32>, tensor<2x64x!qc.group<8, 64, f32>> -> tensor<3x2xf32>
// CHECK: return %[[Y]]
// CHECK: qc.global @qc_fused_weight_0 : tensor<2x64x!qc.group<8, 64, f32>> = dense_resource<qc_fused_weight_0> : tensor<136xi8>
// CHECK: qc_fused_weight_0: "0x080000000000003F{{(01)+}}030000803E{{(02)+}}04"
func.func @per_channel(%x: tensor<3x64xf32>) -> tensor<3x2xf32> {
  %c = arith.constant dense<[[1, 2], [1, 2], [1, 2], [1, 2], [1, 2], [1, 2], [1, 2], [1, 2],
                             [1, 2], [1, 2], [1, 2], [1, 2], [1, 2], [1, 2], [1, 2], [1, 2],
                             [1, 2], [1, 2], [1, 2], [1, 2], [1, 2], [1, 2], [1, 2], [1, 2],
                             [1, 2], [1, 2], [1, 2], [1, 2], [1, 2], [1, 2], [1, 2], [1, 2],
                             [1, 2], [1, 2], [1, 2], [1, 2], [1, 2], [1, 2], [1, 2], [1, 2],
                             [1, 2], [1, 2], [1, 2], [1, 2], [1, 2], [1, 2], [1, 2], [1, 2],
                             [1, 2], [1, 2], [1, 2], [1, 2], [1, 2], [1, 2], [1, 2], [1, 2],
                             [1, 2], [1, 2], [1, 2], [1, 2], [1, 2], [1, 2], [1, 2], [3, 4]]> : tensor<64x2xi8>
  %q = quant.scast %c : tensor<64x2xi8> to tensor<64x2x!quant.uniform<i8:f32:1, {0.5, 0.25}>>
  %w = quant.dcast %q : tensor<64x2x!quant.uniform<i8:f32:1, {0.5, 0.25}>> to tensor<64x2xf32>
  %e = tensor.empty() : tensor<3x2xf32>
  %zero = arith.constant 0.0 : f32
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<3x2xf32>) -> tensor<3x2xf32>
  %y = linalg.matmul ins(%x, %w : tensor<3x64xf32>, tensor<64x2xf32>) outs(%f : tensor<3x2xf32>) -> tensor<3x2xf32>
  return %y : tensor<3x2xf32>
}

// -----

// Tests that a per-tensor uint8 weight with a zero point becomes a
// zero_point group weight (K = 96: groups of 32).
// CHECK-LABEL: func.func @per_tensor_uint8
// CHECK: qc.matmul %{{.*}}, %{{.*}} : tensor<1x96xf32>, tensor<4x96x!qc.group<8, 32, f32, zero_point>> -> tensor<1x4xf32>
func.func @per_tensor_uint8(%x: tensor<1x96xf32>) -> tensor<1x4xf32> {
  %c = arith.constant dense<7> : tensor<96x4xi8>
  %q = quant.scast %c : tensor<96x4xi8> to tensor<96x4x!quant.uniform<u8:f32, 0.1:128>>
  %w = quant.dcast %q : tensor<96x4x!quant.uniform<u8:f32, 0.1:128>> to tensor<96x4xf32>
  %e = tensor.empty() : tensor<1x4xf32>
  %zero = arith.constant 0.0 : f32
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<1x4xf32>) -> tensor<1x4xf32>
  %y = linalg.matmul ins(%x, %w : tensor<1x96xf32>, tensor<96x4xf32>) outs(%f : tensor<1x4xf32>) -> tensor<1x4xf32>
  return %y : tensor<1x4xf32>
}

// -----

// Tests what is left alone: K not a multiple of 32, a non-zero
// accumulator, and quantization along K (axis 0).
// CHECK-LABEL: func.func @left_alone
// CHECK-NOT: qc.matmul
// CHECK-COUNT-3: linalg.matmul
func.func @left_alone(%x: tensor<1x48xf32>, %x2: tensor<1x64xf32>, %acc: tensor<1x4xf32>) -> (tensor<1x4xf32>, tensor<1x4xf32>, tensor<1x4xf32>) {
  %c = arith.constant dense<7> : tensor<48x4xi8>
  %q = quant.scast %c : tensor<48x4xi8> to tensor<48x4x!quant.uniform<i8:f32, 0.1>>
  %w = quant.dcast %q : tensor<48x4x!quant.uniform<i8:f32, 0.1>> to tensor<48x4xf32>
  %e = tensor.empty() : tensor<1x4xf32>
  %zero = arith.constant 0.0 : f32
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<1x4xf32>) -> tensor<1x4xf32>
  %y = linalg.matmul ins(%x, %w : tensor<1x48xf32>, tensor<48x4xf32>) outs(%f : tensor<1x4xf32>) -> tensor<1x4xf32>
  %c2 = arith.constant dense<7> : tensor<64x4xi8>
  %q2 = quant.scast %c2 : tensor<64x4xi8> to tensor<64x4x!quant.uniform<i8:f32, 0.1>>
  %w2 = quant.dcast %q2 : tensor<64x4x!quant.uniform<i8:f32, 0.1>> to tensor<64x4xf32>
  %y2 = linalg.matmul ins(%x2, %w2 : tensor<1x64xf32>, tensor<64x4xf32>) outs(%acc : tensor<1x4xf32>) -> tensor<1x4xf32>
  %scales = arith.constant dense<1> : tensor<64x4xi8>
  %q3 = quant.scast %scales : tensor<64x4xi8> to tensor<64x4x!quant.uniform<i8:f32:0, {0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1}>>
  %w3 = quant.dcast %q3 : tensor<64x4x!quant.uniform<i8:f32:0, {0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1}>> to tensor<64x4xf32>
  %y3 = linalg.matmul ins(%x2, %w3 : tensor<1x64xf32>, tensor<64x4xf32>) outs(%f : tensor<1x4xf32>) -> tensor<1x4xf32>
  return %y, %y2, %y3 : tensor<1x4xf32>, tensor<1x4xf32>, tensor<1x4xf32>
}
