// RUN: python3 %S/Inputs/assign-precision-model.py > %t.mlir
// RUN: quantc-opt %t.mlir --qc-assign-precision="bpw=5.5 dump=true" | FileCheck %s
// RUN: quantc-opt %t.mlir --qc-assign-precision="size=4000 dump=true" -o /dev/null | FileCheck %s --check-prefix=SIZE
// RUN: quantc-opt %t.mlir --qc-assign-precision="bpw=5.5 role-weight=output=0 dump=true" -o /dev/null | FileCheck %s --check-prefix=ROLE
// RUN: quantc-opt %t.mlir --qc-assign-precision="bpw=5.5 types=q4_0,q8_0,f16" | FileCheck %s --check-prefix=TYPES
// RUN: not quantc-opt %t.mlir --qc-assign-precision=bpw=2 2>&1 | FileCheck %s --check-prefix=SMALL
// RUN: not quantc-opt %t.mlir --qc-assign-precision=types=q4_K 2>&1 | FileCheck %s --check-prefix=NOBUDGET
// RUN: not quantc-opt %t.mlir --qc-assign-precision="bpw=5 types=iq2_xs" 2>&1 | FileCheck %s --check-prefix=BADTYPE

// The input (Inputs/assign-precision-model.py) is a one-layer llama of
// 8x256 f32 matrices of Gaussian weights: attn_q with sigma 0.01,
// token_embd and output 0.1, ffn_down 1 (its errors are 10^4 times
// attn_q's), and a norm. 8448 weights; 5.5 bits per weight is 5808 bytes,
// the norm (f32, kept) takes 1024 of them.

// Tests that the measured errors decide: ffn_down (largest errors, role
// factor 2) gets the most bits, attn_q (errors 10^4 smaller) the fewest,
// the norm is left alone, the plan stays within the budget as closely as
// the types' sizes allow (the next step, q4_K -> q5_K, is 256 bytes), and
// each planned global gets its relative error. general.file_type is that of
// the most used type (q4_K: Q4_K_M, 15).

// CHECK: weight shape type bytes bpw rel. error error
// CHECK-NEXT: token_embd.weight      8x256 q4_K 1152  4.500
// CHECK-NEXT: blk.0.attn_norm.weight 256   f32  1024 32.000 (kept) -
// CHECK-NEXT: blk.0.attn_q.weight    8x256 q2_K 672   2.625
// CHECK-NEXT: blk.0.ffn_down.weight  8x256 q6_K 1680  6.562
// CHECK-NEXT: output.weight          8x256 q4_K 1152  4.500
// CHECK-NEXT: total: 5680 bytes, 5.3788 bpw (budget 5808 bytes, 5.5000 bpw)
// CHECK: ["general.file_type", 15 : ui32]
// CHECK-SAME: ["general.quantization_version", 2 : ui32]
// CHECK: qc.global @token_embd.weight {qc.quant_error = {{.*}} : f64, qc.quantize_to = tensor<8x256x!qc.block<q4_K>>}
// CHECK: qc.global @blk.0.attn_norm.weight : tensor<256xf32>
// CHECK: qc.global @blk.0.attn_q.weight {qc.quant_error = {{.*}} : f64, qc.quantize_to = tensor<8x256x!qc.block<q2_K>>}
// CHECK: qc.global @blk.0.ffn_down.weight {qc.quant_error = {{.*}} : f64, qc.quantize_to = tensor<8x256x!qc.block<q6_K>>}
// CHECK: qc.global @output.weight {qc.quant_error = {{.*}} : f64, qc.quantize_to = tensor<8x256x!qc.block<q4_K>>}

// A budget in bytes; tight, it leaves everything at q2_K but ffn_down.
// SIZE: token_embd.weight 8x256 q2_K
// SIZE: blk.0.attn_q.weight 8x256 q2_K
// SIZE: blk.0.ffn_down.weight 8x256 q3_K
// SIZE: output.weight 8x256 q2_K
// SIZE: total: 3920 bytes, {{.*}} (budget 4000 bytes

// A role factor of 0 makes output.weight's errors free: it drops to q2_K
// and ffn_down takes its bytes.
// ROLE: blk.0.ffn_down.weight 8x256 q8_0
// ROLE: output.weight 8x256 q2_K

// Other allowed types.
// TYPES: qc.global @blk.0.ffn_down.weight {{{.*}}qc.quantize_to = tensor<8x256x!qc.block<q4_0>>}

// SMALL: error: the budget of 2112 bytes is below the smallest plan the allowed types give (3712 bytes)
// NOBUDGET: error: qc-assign-precision needs one budget: bpw=X or size=BYTES
// BADTYPE: error: types: 'iq2_xs' is not a type quantc can encode
