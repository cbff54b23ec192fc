// RUN: quantc-opt %s --split-input-file --qc-plan-quantization=file-type=Q4_K_M | FileCheck %s
// RUN: quantc-opt %s --split-input-file --qc-plan-quantization="file-type=Q4_K_M pure=true" | FileCheck %s --check-prefix=PURE
// RUN: quantc-opt %s --split-input-file --qc-plan-quantization="file-type=Q4_0 tensor-type=attn_q=q8_0 output-tensor-type=f16" | FileCheck %s --check-prefix=OVERRIDE
// RUN: not quantc-opt %s --split-input-file --qc-plan-quantization=file-type=Q7_K 2>&1 | FileCheck %s --check-prefix=BADTYPE

// Tests the Q4_K_M mix on a 2-layer llama: norms stay f32, attn_v and
// ffn_down of layer 1 (the last eighth) get q6_K, the output matrix q6_K,
// the rest q4_K; the metadata records the file type (15) and the
// quantization version, updated in place or appended.

// CHECK-LABEL: module attributes
// CHECK-SAME: ["general.file_type", 15 : ui32]
// CHECK-SAME: ["llama.block_count", 2 : ui32]
// CHECK-SAME: ["general.quantization_version", 2 : ui32]
// CHECK: qc.global @token_embd.weight {qc.quantize_to = tensor<8x256x!qc.block<q4_K>>}
// CHECK: qc.global @blk.0.attn_norm.weight : tensor<256xf32>
// CHECK: qc.global @blk.0.attn_v.weight {qc.quantize_to = tensor<256x256x!qc.block<q4_K>>}
// CHECK: qc.global @blk.0.ffn_down.weight {qc.quantize_to = tensor<256x512x!qc.block<q4_K>>}
// CHECK: qc.global @blk.1.attn_v.weight {qc.quantize_to = tensor<256x256x!qc.block<q6_K>>}
// CHECK: qc.global @blk.1.ffn_down.weight {qc.quantize_to = tensor<256x512x!qc.block<q6_K>>}
// CHECK: qc.global @output.weight {qc.quantize_to = tensor<8x256x!qc.block<q6_K>>}

// PURE: qc.global @blk.1.attn_v.weight {qc.quantize_to = tensor<256x256x!qc.block<q4_K>>}
// PURE: qc.global @output.weight {qc.quantize_to = tensor<8x256x!qc.block<q4_K>>}

// OVERRIDE: ["general.file_type", 2 : ui32]
// OVERRIDE: qc.global @blk.0.attn_q.weight {qc.quantize_to = tensor<256x256x!qc.block<q8_0>>}
// OVERRIDE: qc.global @blk.0.attn_v.weight {qc.quantize_to = tensor<256x256x!qc.block<q4_0>>}
// OVERRIDE: qc.global @output.weight {qc.quantize_to = tensor<8x256xf16>}

// BADTYPE: error: unknown file type 'Q7_K'; expected one of Q4_0 Q4_1

module attributes {qc.metadata = [["general.architecture", "llama"], ["general.file_type", 0 : ui32], ["llama.block_count", 2 : ui32], ["llama.attention.head_count", 4 : ui32]]} {
  qc.global @token_embd.weight : tensor<8x256xf32> = dense<0> : tensor<8192xi8>
  qc.global @blk.0.attn_norm.weight : tensor<256xf32> = dense<0> : tensor<1024xi8>
  qc.global @blk.0.attn_q.weight : tensor<256x256xf32> = dense<0> : tensor<262144xi8>
  qc.global @blk.0.attn_v.weight : tensor<256x256xf32> = dense<0> : tensor<262144xi8>
  qc.global @blk.0.ffn_down.weight : tensor<256x512xf32> = dense<0> : tensor<524288xi8>
  qc.global @blk.1.attn_v.weight : tensor<256x256xf32> = dense<0> : tensor<262144xi8>
  qc.global @blk.1.ffn_down.weight : tensor<256x512xf32> = dense<0> : tensor<524288xi8>
  qc.global @output.weight : tensor<8x256xf32> = dense<0> : tensor<8192xi8>
}
