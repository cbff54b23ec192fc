// RUN: quantc-opt %s --split-input-file --qc-lower-bitwidth=isa=avx512vnni --verify-diagnostics | FileCheck %s
// RUN: quantc-opt %s --split-input-file --qc-lower-bitwidth=isa=avx512vnni --qc-build-kernels --verify-diagnostics | FileCheck %s --check-prefix=VNNI
// RUN: quantc-opt %s --split-input-file --qc-lower-bitwidth=isa=avx2 --qc-build-kernels --verify-diagnostics | FileCheck %s --check-prefix=AVX2
// RUN: quantc-opt %s --split-input-file --qc-lower-bitwidth=isa=neon-dotprod --qc-build-kernels --verify-diagnostics | FileCheck %s --check-prefix=NEON
// RUN: quantc-opt %s --split-input-file --qc-lower-bitwidth=isa=generic --qc-build-kernels --verify-diagnostics | FileCheck %s --check-prefix=GENERIC
// RUN: not quantc-opt %s --split-input-file --qc-lower-bitwidth=isa=sse9 2>&1 | FileCheck %s --check-prefix=BADISA

// BADISA: qc-lower-bitwidth: unknown isa 'sse9' (expected generic, avx2, avxvnni, avx512vnni, neon-dotprod)

// Tests that a 2-D matmul becomes a call of the q4_0 kernel on the weight's
// packed bytes (18 bytes per block of 32: 8 x 64 weights take 288 bytes),
// with the activations read in place and the result in a fresh buffer, and
// that the kernel is declared once with its descriptor.
// CHECK-LABEL: func.func @matmul_2d
// CHECK-SAME: (%[[X:.*]]: tensor<3x64xf32>, %[[W:.*]]: tensor<8x64x!qc.block<q4_0>>)
// CHECK: %[[XB:.*]] = bufferization.to_buffer %[[X]] read_only : tensor<3x64xf32> to memref<3x64xf32>
// CHECK: %[[XC:.*]] = memref.cast %[[XB]] : memref<3x64xf32> to memref<?x?xf32>
// CHECK: %[[S:.*]] = qc.storage %[[W]] : tensor<8x64x!qc.block<q4_0>> -> tensor<288xi8>
// CHECK: %[[WB:.*]] = bufferization.to_buffer %[[S]] read_only : tensor<288xi8> to memref<288xi8>
// CHECK: %[[WC:.*]] = memref.cast %[[WB]] : memref<288xi8> to memref<?xi8>
// CHECK: %[[Y:.*]] = memref.alloc() {alignment = 64 : i64} : memref<3x8xf32>
// CHECK: %[[YC:.*]] = memref.cast %[[Y]] : memref<3x8xf32> to memref<?x?xf32>
// CHECK: call @qc_kernel_matmul_q4_0_avx512vnni(%[[XC]], %[[WC]], %[[YC]])
// CHECK: %[[T:.*]] = bufferization.to_tensor %[[Y]] restrict writable : memref<3x8xf32> to tensor<3x8xf32>
// CHECK: call @qc_kernel_matmul_q4_0_avx512vnni
// CHECK: return %[[T]], %{{.*}}
// CHECK: func.func private @qc_kernel_matmul_q4_0_avx512vnni(memref<?x?xf32>, memref<?xi8>, memref<?x?xf32>)
// CHECK-SAME: attributes {qc.kernel = {isa = "avx512vnni", kind = "matmul", type = !qc.block<q4_0>}}
// CHECK-NOT: func.func private @qc_kernel_matmul_q4_0

// The q4_0 kernel: the int8 dot product of each ISA on the decoded nibbles
// (offset 8 folded into the accumulator's starting value).
// VNNI-LABEL: func.func private @qc_kernel_matmul_q4_0_avx512vnni
// VNNI: scf.parallel
// VNNI: math.roundeven
// VNNI: scf.parallel
// VNNI: arith.andi %{{.*}}, %{{.*}} : vector<16xi8>
// VNNI: arith.shrui %{{.*}}, %{{.*}} : vector<16xi8>
// VNNI: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.256"(%{{.*}}, %{{.*}}, %{{.*}}) : (vector<8xi32>, vector<32xi8>, vector<32xi8>) -> vector<8xi32>
// VNNI: math.fma %{{.*}} : vector<8xf32>
// VNNI: memref.dealloc
// AVX2-LABEL: func.func private @qc_kernel_matmul_q4_0_avx2
// AVX2: llvm.call_intrinsic "llvm.x86.avx2.pmadd.ub.sw"
// AVX2: llvm.call_intrinsic "llvm.x86.avx2.pmadd.wd"
// NEON-LABEL: func.func private @qc_kernel_matmul_q4_0_neon_dotprod
// NEON: llvm.call_intrinsic "llvm.aarch64.neon.sdot.v4i32.v16i8"
// GENERIC-LABEL: func.func private @qc_kernel_matmul_q4_0_generic
// GENERIC-NOT: llvm.call_intrinsic
// GENERIC: arith.muli %{{.*}}, %{{.*}} : vector<32xi32>
// GENERIC: return
func.func @matmul_2d(%x: tensor<3x64xf32>, %w: tensor<8x64x!qc.block<q4_0>>) -> (tensor<3x8xf32>, tensor<3x8xf32>) {
  %y = qc.matmul %x, %w : tensor<3x64xf32>, tensor<8x64x!qc.block<q4_0>> -> tensor<3x8xf32>
  %z = qc.matmul %x, %w : tensor<3x64xf32>, tensor<8x64x!qc.block<q4_0>> -> tensor<3x8xf32>
  return %y, %z : tensor<3x8xf32>, tensor<3x8xf32>
}

// -----

// Tests that leading batch dimensions are collapsed into rows and expanded
// back, that a 1-D input is one row, and that a q8_0 weight on AVX-512 VNNI
// is flipped to unsigned bytes (xor 0x80) while AVX2 multiplies signed bytes
// with the sign trick.
// CHECK-LABEL: func.func @matmul_batched
// CHECK: %[[C:.*]] = tensor.collapse_shape %{{.*}} {{\[\[}}0, 1], [2]] : tensor<2x5x32xf32> into tensor<10x32xf32>
// CHECK: call @qc_kernel_matmul_q8_0_avx512vnni
// CHECK: tensor.expand_shape %{{.*}} {{\[\[}}0, 1], [2]] output_shape [2, 5, 4] : tensor<10x4xf32> into tensor<2x5x4xf32>
// CHECK: tensor.expand_shape %{{.*}} {{\[\[}}0, 1]] output_shape [1, 32] : tensor<32xf32> into tensor<1x32xf32>
// CHECK: tensor.collapse_shape %{{.*}} {{\[\[}}0, 1]] : tensor<1x4xf32> into tensor<4xf32>
// VNNI-LABEL: func.func private @qc_kernel_matmul_q8_0_avx512vnni
// VNNI: arith.xori %{{.*}}, %{{.*}} : vector<32xi8>
// VNNI: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.256"
// AVX2-LABEL: func.func private @qc_kernel_matmul_q8_0_avx2
// AVX2: math.absi %{{.*}} : vector<32xi8>
// AVX2: llvm.call_intrinsic "llvm.x86.avx2.psign.b"
func.func @matmul_batched(%x: tensor<2x5x32xf32>, %v: tensor<32xf32>, %w: tensor<4x32x!qc.block<q8_0>>) -> (tensor<2x5x4xf32>, tensor<4xf32>) {
  %y = qc.matmul %x, %w : tensor<2x5x32xf32>, tensor<4x32x!qc.block<q8_0>> -> tensor<2x5x4xf32>
  %z = qc.matmul %v, %w : tensor<32xf32>, tensor<4x32x!qc.block<q8_0>> -> tensor<4xf32>
  return %y, %z : tensor<2x5x4xf32>, tensor<4xf32>
}

// -----

// Tests K-quant and float kernels and the row gather.
// CHECK-LABEL: func.func @kquants_float_gather
// CHECK: call @qc_kernel_matmul_q4_K_avx512vnni
// CHECK: call @qc_kernel_matmul_q6_K_avx512vnni
// CHECK: call @qc_kernel_matmul_f16_avx512vnni
// CHECK: qc.storage %{{.*}} : tensor<16x256x!qc.block<q4_K>> -> tensor<2304xi8>
// CHECK: call @qc_kernel_gather_rows_q4_K_i32
// CHECK: func.func private @qc_kernel_gather_rows_q4_K_i32(memref<?xi8>, memref<?xi32>, memref<?x?xf32>)
// CHECK-SAME: {qc.kernel = {index_type = i32, isa = "generic", kind = "gather_rows", type = !qc.block<q4_K>}}
// VNNI-LABEL: func.func private @qc_kernel_matmul_q4_K_avx512vnni
// VNNI-COUNT-8: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.256"
// VNNI-LABEL: func.func private @qc_kernel_matmul_f16_avx512vnni
// VNNI: arith.extf %{{.*}} : vector<8xf16> to vector<8xf32>
// VNNI: math.fma
// VNNI-LABEL: func.func private @qc_kernel_gather_rows_q4_K_i32
// VNNI: arith.uitofp %{{.*}} : vector<32xi8> to vector<32xf32>
// VNNI: vector.store %{{.*}} : memref<?x?xf32>, vector<32xf32>
func.func @kquants_float_gather(%x: tensor<2x256xf32>, %a: tensor<16x256x!qc.block<q4_K>>, %b: tensor<8x256x!qc.block<q6_K>>, %c: tensor<8x256xf16>, %ids: tensor<3xi32>) -> (tensor<2x16xf32>, tensor<2x8xf32>, tensor<2x8xf32>, tensor<3x256xf32>) {
  %0 = qc.matmul %x, %a : tensor<2x256xf32>, tensor<16x256x!qc.block<q4_K>> -> tensor<2x16xf32>
  %1 = qc.matmul %x, %b : tensor<2x256xf32>, tensor<8x256x!qc.block<q6_K>> -> tensor<2x8xf32>
  %2 = qc.matmul %x, %c : tensor<2x256xf32>, tensor<8x256xf16> -> tensor<2x8xf32>
  %3 = qc.gather_rows %a[%ids] : tensor<16x256x!qc.block<q4_K>>, tensor<3xi32> -> tensor<3x256xf32>
  return %0, %1, %2, %3 : tensor<2x16xf32>, tensor<2x8xf32>, tensor<2x8xf32>, tensor<3x256xf32>
}

// -----

// Tests group-wise affine weights (ONNX MatMulNBits, MLX): 4-bit codes are
// stored LSB first (weights 2j and 2j + 1 in byte j), so the decoder
// interleaves the nibbles; a zero point becomes a per-group min.
// CHECK-LABEL: func.func @group_weights
// CHECK: qc.storage %{{.*}} : tensor<8x128x!qc.group<4, 64, f16, zero_point>> -> tensor<560xi8>
// CHECK: call @qc_kernel_matmul_g4_64_f16_zero_point_avx512vnni
// CHECK: call @qc_kernel_matmul_g8_32_f16_none_avx512vnni
// VNNI-LABEL: func.func private @qc_kernel_matmul_g4_64_f16_zero_point_avx512vnni
// VNNI: vector.shuffle %{{.*}}, %{{.*}} [0, 16, 1, 17, 2, 18
// VNNI: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.256"
// VNNI: math.fma %{{.*}} : f32
// VNNI-LABEL: func.func private @qc_kernel_matmul_g8_32_f16_none_avx512vnni
// VNNI: arith.xori
// VNNI: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.256"
func.func @group_weights(%x: tensor<2x128xf32>, %a: tensor<8x128x!qc.group<4, 64, f16, zero_point>>, %b: tensor<8x128x!qc.group<8, 32, f16>>) -> (tensor<2x8xf32>, tensor<2x8xf32>) {
  %0 = qc.matmul %x, %a : tensor<2x128xf32>, tensor<8x128x!qc.group<4, 64, f16, zero_point>> -> tensor<2x8xf32>
  %1 = qc.matmul %x, %b : tensor<2x128xf32>, tensor<8x128x!qc.group<8, 32, f16>> -> tensor<2x8xf32>
  return %0, %1 : tensor<2x8xf32>, tensor<2x8xf32>
}

// -----

func.func @no_kernel(%x: tensor<2x256xf32>, %w: tensor<8x256x!qc.block<iq2_xs>>) -> tensor<2x8xf32> {
  // expected-error @+1 {{'qc.matmul' op has no kernel for weights of type '!qc.block<iq2_xs>' (supported: q4_0, q4_1, q5_0, q5_1, q8_0, q2_K..q6_K, 4- and 8-bit !qc.group with groups of 32 or more, f32, f16, bf16)}}
  %0 = qc.matmul %x, %w : tensor<2x256xf32>, tensor<8x256x!qc.block<iq2_xs>> -> tensor<2x8xf32>
  return %0 : tensor<2x8xf32>
}

// -----

func.func @f64_activations(%x: tensor<2x32xf64>, %w: tensor<8x32x!qc.block<q8_0>>) -> tensor<2x8xf64> {
  // expected-error @+1 {{'qc.matmul' op bit-width lowering takes f32 activations, got 'f64'}}
  %0 = qc.matmul %x, %w : tensor<2x32xf64>, tensor<8x32x!qc.block<q8_0>> -> tensor<2x8xf64>
  return %0 : tensor<2x8xf64>
}

// -----

// Tests that attention becomes a call of the head-size-64 kernel on the
// caches read in place, the position flattened to memref<?xi32>.
// CHECK-LABEL: func.func @attention
// CHECK: %[[K:.*]] = bufferization.to_buffer %{{.*}} read_only : tensor<32x2x64xf32> to memref<32x2x64xf32, strided<[128, 64, 1], offset: ?>>
// CHECK: memref.cast %[[K]] : memref<32x2x64xf32, strided<[128, 64, 1], offset: ?>> to memref<?x?x64xf32, strided<[?, 64, 1], offset: ?>>
// CHECK: %[[P:.*]] = bufferization.to_buffer %{{.*}} read_only : tensor<1xi32> to memref<1xi32>
// CHECK: %[[PC:.*]] = memref.cast %{{.*}} : memref<1xi32> to memref<?xi32>
// CHECK: %[[S:.*]] = arith.constant 1.250000e-01 : f32
// CHECK: call @qc_kernel_attention_d64_i32(%{{.*}}, %{{.*}}, %{{.*}}, %[[PC]], %{{.*}}, %[[S]])
// CHECK: func.func private @qc_kernel_attention_d64_i32(memref<?x?x64xf32>, memref<?x?x64xf32, strided<[?, 64, 1], offset: ?>>, memref<?x?x64xf32, strided<[?, 64, 1], offset: ?>>, memref<?xi32>, memref<?x?x64xf32>, f32)
// VNNI-LABEL: func.func private @qc_kernel_attention_d64_i32
// VNNI: scf.parallel
// VNNI: scf.for {{.*}} step %c8
// VNNI-NOT: math.exp
// VNNI: return
func.func @attention(%q: tensor<1x4x64xf32>, %k: tensor<32x2x64xf32>, %v: tensor<32x2x64xf32>, %pos: tensor<1xi32>) -> tensor<1x4x64xf32> {
  %o = qc.attention %q, %k, %v, %pos {scale = 0.125 : f32} : tensor<1x4x64xf32>, tensor<32x2x64xf32>, tensor<32x2x64xf32>, tensor<1xi32> -> tensor<1x4x64xf32>
  return %o : tensor<1x4x64xf32>
}

// -----

// Tests epilogue fusion: the bias add, ReLU and residual add that consume
// the matmul run in the kernel's store, through a scalar function holding
// the generic's body; the kernel takes the bias (by column) and the
// residual (by row and column) after the output.
#id = affine_map<(d0, d1) -> (d0, d1)>
#col = affine_map<(d0, d1) -> (d1)>
// CHECK-LABEL: func.func @epilogue
// CHECK-NOT: linalg.generic
// CHECK: call @qc_kernel_matmul_q8_0_avx512vnni_qc_epilogue_0(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}) : (memref<?x?xf32>, memref<?xi8>, memref<?x?xf32>, memref<?xf32>, memref<?x?xf32>) -> ()
// CHECK: func.func private @qc_epilogue_0(%[[ACC:.*]]: f32, %[[B:.*]]: f32, %[[R:.*]]: f32) -> f32
// CHECK: %[[S:.*]] = arith.addf %[[ACC]], %[[B]] : f32
// CHECK: %[[M:.*]] = arith.maximumf %[[S]], %{{.*}} : f32
// CHECK: %[[T:.*]] = arith.addf %[[M]], %[[R]] : f32
// CHECK: return %[[T]] : f32
// CHECK: {qc.kernel = {epilogue = @qc_epilogue_0, isa = "avx512vnni", kind = "matmul", type = !qc.block<q8_0>}}
// VNNI-LABEL: func.func private @qc_kernel_matmul_q8_0_avx512vnni_qc_epilogue_0
// VNNI: %[[V:.*]] = func.call @qc_epilogue_0(%{{.*}}, %{{.*}}, %{{.*}}) : (f32, f32, f32) -> f32
// VNNI: memref.store %[[V]]
func.func @epilogue(%x: tensor<2x64xf32>, %w: tensor<8x64x!qc.block<q8_0>>, %b: tensor<8xf32>, %r: tensor<2x8xf32>) -> tensor<2x8xf32> {
  %y = qc.matmul %x, %w : tensor<2x64xf32>, tensor<8x64x!qc.block<q8_0>> -> tensor<2x8xf32>
  %e = tensor.empty() : tensor<2x8xf32>
  %z = linalg.generic {indexing_maps = [#id, #col, #id, #id], iterator_types = ["parallel", "parallel"]} ins(%y, %b, %r : tensor<2x8xf32>, tensor<8xf32>, tensor<2x8xf32>) outs(%e : tensor<2x8xf32>) {
  ^bb0(%a: f32, %bb: f32, %rr: f32, %o: f32):
    %s = arith.addf %a, %bb : f32
    %zero = arith.constant 0.0 : f32
    %m = arith.maximumf %s, %zero : f32
    %t = arith.addf %m, %rr : f32
    linalg.yield %t : f32
  } -> tensor<2x8xf32>
  return %z : tensor<2x8xf32>
}

// -----

// Tests that a consumer reading its output, or a second use of the matmul,
// keeps the generic.
#id2 = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-LABEL: func.func @no_epilogue
// CHECK: call @qc_kernel_matmul_q8_0_avx512vnni(
// CHECK: linalg.generic
func.func @no_epilogue(%x: tensor<2x64xf32>, %w: tensor<8x64x!qc.block<q8_0>>, %acc: tensor<2x8xf32>) -> tensor<2x8xf32> {
  %y = qc.matmul %x, %w : tensor<2x64xf32>, tensor<8x64x!qc.block<q8_0>> -> tensor<2x8xf32>
  %z = linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]} ins(%y : tensor<2x8xf32>) outs(%acc : tensor<2x8xf32>) {
  ^bb0(%a: f32, %o: f32):
    %s = arith.addf %a, %o : f32
    linalg.yield %s : f32
  } -> tensor<2x8xf32>
  return %z : tensor<2x8xf32>
}

// -----

// Tests that a weight quantized weight-only (qc.weight_only, from
// qc-quantize-matmul-weights) gets the kernel that keeps f32 activations:
// each group decoded to f32 and multiplied with FMAs, no int8 dot product.
// CHECK-LABEL: func.func @weight_only
// CHECK: call @qc_kernel_matmul_g8_32_f32_none_avx512vnni_f32act(
// CHECK: {qc.kernel = {activations = "f32", isa = "avx512vnni", kind = "matmul", type = !qc.group<8, 32, f32>}}
// VNNI-LABEL: func.func private @qc_kernel_matmul_g8_32_f32_none_avx512vnni_f32act
// VNNI-NOT: llvm.call_intrinsic
// VNNI: arith.sitofp %{{.*}} : vector<32xi8> to vector<32xf32>
// VNNI: math.fma %{{.*}} : vector<8xf32>
// VNNI: return
module {
  qc.global @w {qc.weight_only} : tensor<4x32x!qc.group<8, 32, f32>> = dense<0> : tensor<144xi8>
  func.func @weight_only(%x: tensor<2x32xf32>) -> tensor<2x4xf32> {
    %w = qc.weight @w : tensor<4x32x!qc.group<8, 32, f32>>
    %y = qc.matmul %x, %w : tensor<2x32xf32>, tensor<4x32x!qc.group<8, 32, f32>> -> tensor<2x4xf32>
    return %y : tensor<2x4xf32>
  }
}
