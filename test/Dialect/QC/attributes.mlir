// RUN: quantc-opt %s | quantc-opt | FileCheck %s

// Tests that model metadata keeps its order and each value its GGUF type,
// and that a quantization plan on a global round-trips.
// CHECK: module attributes {qc.gguf_version = 3 : ui32, qc.metadata = {{\[\[}}"general.architecture", "llama"], ["llama.block_count", 2 : ui32], ["general.alignment", 32 : ui32], ["x.flag", true], ["x.i8", -3 : si8], ["x.f64", 2.500000e+00], ["tokenizer.ggml.scores", dense<[0.000000e+00, 1.500000e+00]> : tensor<2xf32>], ["tokenizer.ggml.tokens", ["<s>", "a"{{\]\]}}, ["x.nested", [dense<[1, 2]> : tensor<2xsi32>, dense<> : tensor<0xsi32>{{\]\]\]}}}
// CHECK: qc.global @w {qc.quantize_to = tensor<1x32x!qc.block<q8_0>>} : tensor<1x32xf32>
// CHECK: qc.global @v {qc.quant_error = 2.500000e-03 : f64, qc.quantize_to = tensor<1x32x!qc.block<q4_0>>} : tensor<1x32xf32>
module attributes {qc.gguf_version = 3 : ui32, qc.metadata = [["general.architecture", "llama"], ["llama.block_count", 2 : ui32], ["general.alignment", 32 : ui32], ["x.flag", true], ["x.i8", -3 : si8], ["x.f64", 2.5 : f64], ["tokenizer.ggml.scores", dense<[0.0, 1.5]> : tensor<2xf32>], ["tokenizer.ggml.tokens", ["<s>", "a"]], ["x.nested", [dense<[1, 2]> : tensor<2xsi32>, dense<> : tensor<0xsi32>]]]} {
  qc.global @w {qc.quantize_to = tensor<1x32x!qc.block<q8_0>>} : tensor<1x32xf32> = dense<0> : tensor<128xi8>
  qc.global @v {qc.quant_error = 2.5e-3 : f64, qc.quantize_to = tensor<1x32x!qc.block<q4_0>>} : tensor<1x32xf32> = dense<0> : tensor<128xi8>
}
