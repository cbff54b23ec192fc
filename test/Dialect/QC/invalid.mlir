// RUN: quantc-opt %s -split-input-file -verify-diagnostics

// Cases are named after the constraint they break (QCTypes.td, QCOps.td).

// block: an unknown format is a parse error.
// expected-error @+2 {{expected ::quantc::qc::BlockFormat to be one of: q4_0, q4_1, q5_0, q5_1, q8_0, q8_1, q2_K, q3_K, q4_K, q5_K, q6_K, q8_K, iq2_xxs}}
// expected-error @+1 {{failed to parse QC_BlockType parameter 'format'}}
func.func @block_unknown_format(%a: tensor<32x!qc.block<q7_0>>)

// -----

// group_c1: too few bits.
// expected-error @+1 {{bits must be in [2, 8] (C1), got 1}}
func.func @group_c1_low(%a: tensor<32x!qc.group<1, 32, f16>>)

// -----

// group_c1: too many bits.
// expected-error @+1 {{bits must be in [2, 8] (C1), got 9}}
func.func @group_c1_high(%a: tensor<32x!qc.group<9, 32, f16>>)

// -----

// group_c2: not a power of two.
// expected-error @+1 {{group size must be a power of two in [16, 256] (C2), got 24}}
func.func @group_c2_not_pow2(%a: tensor<24x!qc.group<4, 24, f16>>)

// -----

// group_c2: too large.
// expected-error @+1 {{group size must be a power of two in [16, 256] (C2), got 512}}
func.func @group_c2_large(%a: tensor<512x!qc.group<4, 512, f16>>)

// -----

// group_c3: f64 scales.
// expected-error @+1 {{scale type must be f16, bf16 or f32 (C3), got 'f64'}}
func.func @group_c3(%a: tensor<32x!qc.group<4, 32, f64>>)

// -----

// global_c1_rank
// expected-error @+1 {{expects data to be a 1-D tensor of 8-bit integers (C1), got 'tensor<2x18xi8>'}}
qc.global @w : tensor<1x32x!qc.block<q4_0>> = dense<0> : tensor<2x18xi8>

// -----

// global_c1_element
// expected-error @+1 {{expects data to be a 1-D tensor of 8-bit integers (C1), got 'tensor<18xf32>'}}
qc.global @w : tensor<1x32x!qc.block<q4_0>> = dense<0.0> : tensor<18xf32>

// -----

// global_c2
// expected-error @+1 {{element type 'index' has no storage layout (C2)}}
qc.global @w : tensor<4xindex> = dense<0> : tensor<32xi8>

// -----

// global_c3
// expected-error @+1 {{(C3) innermost dimension 40 is not a whole number of blocks of 32 weights of '!qc.block<q4_0>'}}
qc.global @w : tensor<2x40x!qc.block<q4_0>> = dense<0> : tensor<36xi8>

// -----

// global_c4_size
// expected-error @+1 {{data holds 35 bytes but 'tensor<2x32x!qc.block<q4_0>>' takes 36 (C4)}}
qc.global @w : tensor<2x32x!qc.block<q4_0>> = dense<0> : tensor<35xi8>

// -----

// global_c4_blob
// expected-error @+1 {{resource blob 'short' holds 4 bytes but 'tensor<1x32x!qc.block<q4_0>>' takes 18 (C4)}}
qc.global @w : tensor<1x32x!qc.block<q4_0>> = dense_resource<short> : tensor<18xi8>

{-#
  dialect_resources: {
    builtin: {
      short: "0x0400000001020304"
    }
  }
#-}

// -----

func.func @weight_c1() {
  // expected-error @+1 {{'missing' does not name a qc.global (C1)}}
  %w = qc.weight @missing : tensor<1x32x!qc.block<q8_0>>
  return
}

// -----

qc.global @w : tensor<1x32x!qc.block<q8_0>> = dense<0> : tensor<34xi8>
func.func @weight_c2() {
  // expected-error @+1 {{has type 'tensor<1x32x!qc.block<q4_0>>' but 'w' is 'tensor<1x32x!qc.block<q8_0>>' (C2)}}
  %w = qc.weight @w : tensor<1x32x!qc.block<q4_0>>
  return
}

// -----

func.func @global_parent() {
  // expected-error @+1 {{expects parent op 'builtin.module'}}
  qc.global @w : tensor<1x32x!qc.block<q8_0>> = dense<0> : tensor<34xi8>
  return
}

// -----

func.func @quantize_c1(%x: tensor<4x32xf32>) {
  // expected-error @+1 {{requires the same shape for all operands and results}}
  %q = qc.quantize %x : tensor<4x32xf32> -> tensor<8x32x!qc.block<q4_0>>
  return
}

// -----

func.func @quantize_c2(%x: tensor<4x32xi8>) {
  // expected-error @+1 {{operand #0 must be ranked tensor of floating-point values}}
  %q = qc.quantize %x : tensor<4x32xi8> -> tensor<4x32x!qc.block<q4_0>>
  return
}

// -----

func.func @quantize_c3(%x: tensor<4x32xf32>) {
  // expected-error @+1 {{expects the result to have a quantized element type (C3), got 'f16'}}
  %q = qc.quantize %x : tensor<4x32xf32> -> tensor<4x32xf16>
  return
}

// -----

func.func @quantize_c4(%x: tensor<4x32xf16>) {
  // expected-error @+1 {{expressed type 'f32' of the quantized type differs from the float type 'f16' (C4)}}
  %q = qc.quantize %x : tensor<4x32xf16> -> tensor<4x32x!quant.uniform<i8:f32, 0.1>>
  return
}

// -----

func.func @quantize_c5(%x: tensor<4x40xf32>) {
  // expected-error @+1 {{(C5) innermost dimension 40 is not a whole number of blocks of 32 weights of '!qc.block<q8_0>'}}
  %q = qc.quantize %x : tensor<4x40xf32> -> tensor<4x40x!qc.block<q8_0>>
  return
}

// -----

func.func @quantize_per_axis_scales(%x: tensor<3x4xf32>) {
  // expected-error @+1 {{quantized dimension 0 has size 3 but the type has 2 scales}}
  %q = qc.quantize %x : tensor<3x4xf32> -> tensor<3x4x!quant.uniform<i8:f32:0, {0.1, 0.2}>>
  return
}

// -----

func.func @quantize_per_axis_range(%x: tensor<4xf32>) {
  // expected-error @+1 {{quantized dimension 1 is out of range for 'tensor<4x!quant.uniform<i8:f32:1, {1.000000e-01,2.000000e-01}>>'}}
  %q = qc.quantize %x : tensor<4xf32> -> tensor<4x!quant.uniform<i8:f32:1, {0.1, 0.2}>>
  return
}

// -----

func.func @quantize_odd_int4(%x: tensor<3xf32>) {
  // expected-error @+1 {{(C5) innermost dimension 3 is not a whole number of blocks of 2 weights}}
  %q = qc.quantize %x : tensor<3xf32> -> tensor<3x!quant.uniform<i4:f32, 0.1>>
  return
}

// -----

func.func @dequantize_c2(%x: tensor<4x32xi8>) {
  // expected-error @+1 {{expects the input to have a quantized element type (C2), got 'i8'}}
  %d = qc.dequantize %x : tensor<4x32xi8> -> tensor<4x32xf32>
  return
}

// -----

func.func @dequantize_c3(%x: tensor<4x32x!qc.block<q4_0>>) {
  // expected-error @+1 {{result #0 must be ranked tensor of floating-point values}}
  %d = qc.dequantize %x : tensor<4x32x!qc.block<q4_0>> -> tensor<4x32xi32>
  return
}

// -----

func.func @dequantize_c4(%x: tensor<4x!quant.uniform<i8:f32, 0.5>>) {
  // expected-error @+1 {{expressed type 'f32' of the quantized type differs from the float type 'bf16' (C4)}}
  %d = qc.dequantize %x : tensor<4x!quant.uniform<i8:f32, 0.5>> -> tensor<4xbf16>
  return
}

// -----

func.func @dequantize_c5(%x: tensor<4x100x!qc.block<q4_K>>) {
  // expected-error @+1 {{(C5) innermost dimension 100 is not a whole number of blocks of 256 weights of '!qc.block<q4_K>'}}
  %d = qc.dequantize %x : tensor<4x100x!qc.block<q4_K>> -> tensor<4x100xf32>
  return
}

// -----

func.func @requantize_c2(%x: tensor<4x32x!qc.block<q8_0>>) {
  // expected-error @+1 {{expects the result to have a quantized element type (C2), got 'f32'}}
  %r = qc.requantize %x : tensor<4x32x!qc.block<q8_0>> -> tensor<4x32xf32>
  return
}

// -----

func.func @requantize_c3(%x: tensor<4x32x!qc.block<q8_0>>) {
  // expected-error @+1 {{(C3) innermost dimension 32 is not a whole number of blocks of 256 weights of '!qc.block<q6_K>'}}
  %r = qc.requantize %x : tensor<4x32x!qc.block<q8_0>> -> tensor<4x32x!qc.block<q6_K>>
  return
}

// -----

func.func @matmul_c1_rank(%x: tensor<4x32xf32>, %w: tensor<2x8x32x!qc.block<q4_0>>) {
  // expected-error @+1 {{expects a 2-D weight (C1), got 'tensor<2x8x32x!qc.block<q4_0>>'}}
  %y = qc.matmul %x, %w : tensor<4x32xf32>, tensor<2x8x32x!qc.block<q4_0>> -> tensor<4x8xf32>
  return
}

// -----

func.func @matmul_c1_integer(%x: tensor<4x32xf32>, %w: tensor<8x32xi8>) {
  // expected-error @+1 {{expects the weight to have a quantized element type (C1), got 'i8'}}
  %y = qc.matmul %x, %w : tensor<4x32xf32>, tensor<8x32xi8> -> tensor<4x8xf32>
  return
}

// -----

func.func @matmul_c2(%x: tensor<4x64xf32>, %w: tensor<8x32x!qc.block<q4_0>>) {
  // expected-error @+1 {{input has K = 64 but the weight has K = 32 (C2)}}
  %y = qc.matmul %x, %w : tensor<4x64xf32>, tensor<8x32x!qc.block<q4_0>> -> tensor<4x8xf32>
  return
}

// -----

func.func @matmul_c3_rank(%x: tensor<4x32xf32>, %w: tensor<8x32x!qc.block<q4_0>>) {
  // expected-error @+1 {{expects a result of rank 2 (C3), got 'tensor<8xf32>'}}
  %y = qc.matmul %x, %w : tensor<4x32xf32>, tensor<8x32x!qc.block<q4_0>> -> tensor<8xf32>
  return
}

// -----

func.func @matmul_c3_batch(%x: tensor<4x32xf32>, %w: tensor<8x32x!qc.block<q4_0>>) {
  // expected-error @+1 {{result dimension 0 is 5 but the input's is 4 (C3)}}
  %y = qc.matmul %x, %w : tensor<4x32xf32>, tensor<8x32x!qc.block<q4_0>> -> tensor<5x8xf32>
  return
}

// -----

func.func @matmul_c3_n(%x: tensor<4x32xf32>, %w: tensor<8x32x!qc.block<q4_0>>) {
  // expected-error @+1 {{result has N = 9 but the weight has N = 8 (C3)}}
  %y = qc.matmul %x, %w : tensor<4x32xf32>, tensor<8x32x!qc.block<q4_0>> -> tensor<4x9xf32>
  return
}

// -----

func.func @matmul_c4(%x: tensor<4x32xf32>, %w: tensor<8x32x!qc.block<q4_0>>) {
  // expected-error @+1 {{input and result element types differ (C4): 'f32' vs 'f16'}}
  %y = qc.matmul %x, %w : tensor<4x32xf32>, tensor<8x32x!qc.block<q4_0>> -> tensor<4x8xf16>
  return
}

// -----

func.func @matmul_c5(%x: tensor<4x48xf32>, %w: tensor<8x48x!qc.block<q4_0>>) {
  // expected-error @+1 {{(C5) innermost dimension 48 is not a whole number of blocks of 32 weights of '!qc.block<q4_0>'}}
  %y = qc.matmul %x, %w : tensor<4x48xf32>, tensor<8x48x!qc.block<q4_0>> -> tensor<4x8xf32>
  return
}

// -----

func.func @matmul_c6(%x: tensor<4x2xf32>, %w: tensor<8x2x!quant.uniform<i8:f32:1, {0.1, 0.2}>>) {
  // expected-error @+1 {{a per-axis weight must be quantized along dimension 0 (N) (C6), got dimension 1}}
  %y = qc.matmul %x, %w : tensor<4x2xf32>, tensor<8x2x!quant.uniform<i8:f32:1, {0.1, 0.2}>> -> tensor<4x8xf32>
  return
}

// -----

// qc.quantize_to must keep the global's shape.
// expected-error @+1 {{'qc.quantize_to' must be a tensor type of shape 'tensor<1x32xf32>', got tensor<2x32x!qc.block<q8_0>>}}
qc.global @w {qc.quantize_to = tensor<2x32x!qc.block<q8_0>>} : tensor<1x32xf32> = dense<0> : tensor<128xi8>

// -----

// qc.quantize_to must name a type the rows can be stored in.
// expected-error @+1 {{'qc.quantize_to': innermost dimension 32 is not a whole number of blocks of 256 weights of '!qc.block<q4_K>'}}
qc.global @w {qc.quantize_to = tensor<1x32x!qc.block<q4_K>>} : tensor<1x32xf32> = dense<0> : tensor<128xi8>

// -----

// expected-error @+1 {{'qc.quantize_to' is only valid on qc.global}}
func.func @quantize_to_elsewhere() attributes {qc.quantize_to = tensor<1xf32>} {
  return
}

// -----

// qc.quant_error is a non-negative f64 on a qc.global.
// expected-error @+1 {{'qc.quant_error' must be an f64 of 0 or more on qc.global}}
qc.global @w {qc.quant_error = -1.0 : f64} : tensor<1x32xf32> = dense<0> : tensor<128xi8>

// -----

// expected-error @+1 {{'qc.quant_error' must be an f64 of 0 or more on qc.global}}
qc.global @w {qc.quant_error = 1.0 : f32} : tensor<1x32xf32> = dense<0> : tensor<128xi8>

// -----

// expected-error @+1 {{'qc.metadata' entries must be ["key", value], got ["general.name"]}}
module attributes {qc.metadata = [["general.name"]]} {
}

// -----

// expected-error @+1 {{unknown qc attribute 'qc.bogus'}}
module attributes {qc.bogus = 1} {
}

// -----

func.func @gather_rows_c1(%t: tensor<8x32xi8>, %i: tensor<2xi32>) {
  // expected-error @+1 {{expects the table to have a quantized element type (C1), got 'i8'}}
  %r = qc.gather_rows %t[%i] : tensor<8x32xi8>, tensor<2xi32> -> tensor<2x32xf32>
  return
}

// -----

func.func @gather_rows_c2(%t: tensor<8x32x!qc.block<q8_0>>, %i: tensor<2x1xi32>) {
  // expected-error @+1 {{expects 1-D indices (C2), got 'tensor<2x1xi32>'}}
  %r = qc.gather_rows %t[%i] : tensor<8x32x!qc.block<q8_0>>, tensor<2x1xi32> -> tensor<2x32xf32>
  return
}

// -----

func.func @gather_rows_c3(%t: tensor<8x32x!qc.block<q8_0>>, %i: tensor<2xi32>) {
  // expected-error @+1 {{expects a result of shape 2x32 (C3), got 'tensor<3x32xf32>'}}
  %r = qc.gather_rows %t[%i] : tensor<8x32x!qc.block<q8_0>>, tensor<2xi32> -> tensor<3x32xf32>
  return
}

// -----

func.func @gather_rows_c4(%t: tensor<8x40x!qc.block<q8_0>>, %i: tensor<2xi32>) {
  // expected-error @+1 {{(C4) innermost dimension 40 is not a whole number of blocks of 32 weights of '!qc.block<q8_0>'}}
  %r = qc.gather_rows %t[%i] : tensor<8x40x!qc.block<q8_0>>, tensor<2xi32> -> tensor<2x40xf32>
  return
}

// -----

func.func @storage_c1(%t: tensor<8x40x!qc.block<q8_0>>) {
  // expected-error @+1 {{(C1) innermost dimension 40 is not a whole number of blocks of 32 weights of '!qc.block<q8_0>'}}
  %b = qc.storage %t : tensor<8x40x!qc.block<q8_0>> -> tensor<340xi8>
  return
}

// -----

func.func @storage_c2(%t: tensor<8x32x!qc.block<q8_0>>) {
  // expected-error @+1 {{result holds 100 bytes but 'tensor<8x32x!qc.block<q8_0>>' takes 272 (C2)}}
  %b = qc.storage %t : tensor<8x32x!qc.block<q8_0>> -> tensor<100xi8>
  return
}

// -----

func.func @attention_c1(%q: tensor<1x4x64xf32>, %k: tensor<32x2x32xf32>, %p: tensor<1xi32>) {
  // expected-error @+1 {{head size 64 differs from the cache's 32 (C1)}}
  %o = qc.attention %q, %k, %k, %p {scale = 1.0 : f32} : tensor<1x4x64xf32>, tensor<32x2x32xf32>, tensor<32x2x32xf32>, tensor<1xi32> -> tensor<1x4x64xf32>
  return
}

// -----

func.func @attention_c2(%q: tensor<1x4x64xf32>, %k: tensor<32x3x64xf32>, %p: tensor<1xi32>) {
  // expected-error @+1 {{3 key/value heads do not divide 4 query heads (C2)}}
  %o = qc.attention %q, %k, %k, %p {scale = 1.0 : f32} : tensor<1x4x64xf32>, tensor<32x3x64xf32>, tensor<32x3x64xf32>, tensor<1xi32> -> tensor<1x4x64xf32>
  return
}

// -----

func.func @attention_c3(%q: tensor<1x4x64xf32>, %k: tensor<32x2x64xf32>, %p: tensor<2xi32>) {
  // expected-error @+1 {{expects a 1-element position, got 'tensor<2xi32>' (C3)}}
  %o = qc.attention %q, %k, %k, %p {scale = 1.0 : f32} : tensor<1x4x64xf32>, tensor<32x2x64xf32>, tensor<32x2x64xf32>, tensor<2xi32> -> tensor<1x4x64xf32>
  return
}
