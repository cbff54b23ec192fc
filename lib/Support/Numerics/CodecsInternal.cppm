//===- CodecsInternal.cppm - Block codec internals --------------*- C++ -*-===//
//
// What the codec implementation units share and nothing outside the module
// sees: views of ggml's block structs, fp16 loads and stores, and one entry
// point per format and path (CodecsLegacy.cpp, CodecsK.cpp), which Codecs.cpp
// dispatches to. ggml's scale searches are in CodecsSearch.cppm.
//
// Every kernel is a transcription of ggml-quants.c: the same float operations
// in the same order, so that the bytes match llama.cpp's. Kernels take raw
// pointers and counts that Codecs.cpp has already checked.
//
//===----------------------------------------------------------------------===//

module;

#include <cstdint>

module quantc.numerics:codecs_internal;

import :floating;

namespace quantc::numerics::codecs {

//===----------------------------------------------------------------------===//
// Block layouts (ggml-common.h). fp16 fields are two little-endian bytes so
// that every struct has alignment 1 and no padding, like ggml's.
//===----------------------------------------------------------------------===//

/// Weights in a legacy block and in a K-quant super-block.
inline constexpr int kQK = 32;
inline constexpr int kQKK = 256;

struct BlockQ4_0 {
  uint8_t d[2];
  uint8_t qs[kQK / 2];
};
struct BlockQ4_1 {
  uint8_t d[2], m[2];
  uint8_t qs[kQK / 2];
};
struct BlockQ5_0 {
  uint8_t d[2];
  uint8_t qh[4];
  uint8_t qs[kQK / 2];
};
struct BlockQ5_1 {
  uint8_t d[2], m[2];
  uint8_t qh[4];
  uint8_t qs[kQK / 2];
};
struct BlockQ8_0 {
  uint8_t d[2];
  int8_t qs[kQK];
};
struct BlockQ8_1 {
  uint8_t d[2], s[2];
  int8_t qs[kQK];
};
struct BlockQ2_K {
  uint8_t scales[kQKK / 16];
  uint8_t qs[kQKK / 4];
  uint8_t d[2], dmin[2];
};
struct BlockQ3_K {
  uint8_t hmask[kQKK / 8];
  uint8_t qs[kQKK / 4];
  uint8_t scales[12];
  uint8_t d[2];
};
struct BlockQ4_K {
  uint8_t d[2], dmin[2];
  uint8_t scales[12];
  uint8_t qs[kQKK / 2];
};
struct BlockQ5_K {
  uint8_t d[2], dmin[2];
  uint8_t scales[12];
  uint8_t qh[kQKK / 8];
  uint8_t qs[kQKK / 2];
};
struct BlockQ6_K {
  uint8_t ql[kQKK / 2];
  uint8_t qh[kQKK / 4];
  int8_t scales[kQKK / 16];
  uint8_t d[2];
};
/// Q8_K keeps a binary32 scale and 16-bit sums, stored little-endian.
struct BlockQ8_K {
  uint8_t d[4];
  int8_t qs[kQKK];
  uint8_t bsums[kQKK / 16][2];
};

static_assert(sizeof(BlockQ4_0) == 18 && sizeof(BlockQ4_1) == 20);
static_assert(sizeof(BlockQ5_0) == 22 && sizeof(BlockQ5_1) == 24);
static_assert(sizeof(BlockQ8_0) == 34 && sizeof(BlockQ8_1) == 36);
static_assert(sizeof(BlockQ2_K) == 84 && sizeof(BlockQ3_K) == 110);
static_assert(sizeof(BlockQ4_K) == 144 && sizeof(BlockQ5_K) == 176);
static_assert(sizeof(BlockQ6_K) == 210 && sizeof(BlockQ8_K) == 292);

//===----------------------------------------------------------------------===//
// Field access
//===----------------------------------------------------------------------===//

/// Rounds `value` to fp16 (nearest even, as ggml's GGML_FP32_TO_FP16) and
/// stores it little-endian.
inline void storeHalf(uint8_t (&field)[2], float value) {
  uint16_t bits = floatToHalf(value);
  field[0] = uint8_t(bits);
  field[1] = uint8_t(bits >> 8);
}

inline float loadHalf(const uint8_t (&field)[2]) {
  return halfToFloat(uint16_t(field[0] | (field[1] << 8)));
}

inline void storeU32(uint8_t (&field)[4], uint32_t value) {
  for (int i = 0; i < 4; ++i)
    field[i] = uint8_t(value >> (8 * i));
}

inline uint32_t loadU32(const uint8_t (&field)[4]) {
  return uint32_t(field[0]) | uint32_t(field[1]) << 8 | uint32_t(field[2]) << 16 |
         uint32_t(field[3]) << 24;
}

//===----------------------------------------------------------------------===//
// Kernels
//
//   quantize<F>(x, y, numBlocks)            quantize_row_<f>_ref
//   quantize<F>Weighted(x, y, nPerRow, qw)  quantize_row_<f>_impl for one row
//                                           with importance weights
//   dequantize<F>(x, y, numBlocks)          dequantize_row_<f>
//
// The definitions take their pointers __restrict, as ggml's do: inputs,
// outputs and importance never overlap (Codecs.cppm's contract). Without it
// every byte stored into a block could alias the floats being read.
//===----------------------------------------------------------------------===//

using QuantizeFn = void (*)(const float *x, uint8_t *y, int64_t numBlocks);
using QuantizeWeightedFn = void (*)(const float *x, uint8_t *y, int64_t nPerRow, const float *qw);
using DequantizeFn = void (*)(const uint8_t *x, float *y, int64_t numBlocks);

// CodecsLegacy.cpp
void quantizeQ4_0(const float *x, uint8_t *y, int64_t numBlocks);
void quantizeQ4_1(const float *x, uint8_t *y, int64_t numBlocks);
void quantizeQ5_0(const float *x, uint8_t *y, int64_t numBlocks);
void quantizeQ5_1(const float *x, uint8_t *y, int64_t numBlocks);
void quantizeQ8_0(const float *x, uint8_t *y, int64_t numBlocks);
void quantizeQ8_1(const float *x, uint8_t *y, int64_t numBlocks);
void quantizeQ4_0Weighted(const float *x, uint8_t *y, int64_t nPerRow, const float *qw);
void quantizeQ4_1Weighted(const float *x, uint8_t *y, int64_t nPerRow, const float *qw);
void quantizeQ5_0Weighted(const float *x, uint8_t *y, int64_t nPerRow, const float *qw);
void quantizeQ5_1Weighted(const float *x, uint8_t *y, int64_t nPerRow, const float *qw);
void dequantizeQ4_0(const uint8_t *x, float *y, int64_t numBlocks);
void dequantizeQ4_1(const uint8_t *x, float *y, int64_t numBlocks);
void dequantizeQ5_0(const uint8_t *x, float *y, int64_t numBlocks);
void dequantizeQ5_1(const uint8_t *x, float *y, int64_t numBlocks);
void dequantizeQ8_0(const uint8_t *x, float *y, int64_t numBlocks);
void dequantizeQ8_1(const uint8_t *x, float *y, int64_t numBlocks);

// CodecsK.cpp
void quantizeQ2_K(const float *x, uint8_t *y, int64_t numBlocks);
void quantizeQ3_K(const float *x, uint8_t *y, int64_t numBlocks);
void quantizeQ4_K(const float *x, uint8_t *y, int64_t numBlocks);
void quantizeQ5_K(const float *x, uint8_t *y, int64_t numBlocks);
void quantizeQ6_K(const float *x, uint8_t *y, int64_t numBlocks);
void quantizeQ8_K(const float *x, uint8_t *y, int64_t numBlocks);
void quantizeQ2_KWeighted(const float *x, uint8_t *y, int64_t nPerRow, const float *qw);
void quantizeQ3_KWeighted(const float *x, uint8_t *y, int64_t nPerRow, const float *qw);
void quantizeQ4_KWeighted(const float *x, uint8_t *y, int64_t nPerRow, const float *qw);
void quantizeQ5_KWeighted(const float *x, uint8_t *y, int64_t nPerRow, const float *qw);
void quantizeQ6_KWeighted(const float *x, uint8_t *y, int64_t nPerRow, const float *qw);
void dequantizeQ2_K(const uint8_t *x, float *y, int64_t numBlocks);
void dequantizeQ3_K(const uint8_t *x, float *y, int64_t numBlocks);
void dequantizeQ4_K(const uint8_t *x, float *y, int64_t numBlocks);
void dequantizeQ5_K(const uint8_t *x, float *y, int64_t numBlocks);
void dequantizeQ6_K(const uint8_t *x, float *y, int64_t numBlocks);
void dequantizeQ8_K(const uint8_t *x, float *y, int64_t numBlocks);

} // namespace quantc::numerics::codecs
