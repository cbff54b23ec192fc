//===- Numerics.cppm - The quantc.numerics module ---------------*- C++ -*-===//
//
// Quantization numerics shared by the compiler, the file-format readers and
// the runtime. LLVM-free. Partitions:
//   :floating  fp16 / bf16 / fp8 conversions (round to nearest even)
//   :rounding  the rounding modes quantizers use
//   :affine    scale / zero-point solving and affine (de)quantization
//   :packing   sub-byte packing (int4, int2, any 1..8-bit LSB-first stream)
//   :blocks    llama.cpp block formats: block size, bytes per block, ids
//   :codecs    llama.cpp block codecs (Q4_0 ... Q8_1, Q2_K ... Q8_K),
//              byte-identical to ggml
//
//===----------------------------------------------------------------------===//

export module quantc.numerics;

export import :floating;
export import :rounding;
export import :affine;
export import :packing;
export import :blocks;
export import :codecs;
