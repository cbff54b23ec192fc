//===- CodecsLegacy.cpp - Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q8_1 --------------===//
//
// llama.cpp's 32-weight block formats, transcribed from ggml-quants.c:
// quantize_row_<f>_ref (round-to-nearest against the block's absolute max or
// min/max), quantize_row_<f>_impl (importance-weighted scale search, used
// when an importance matrix is given) and dequantize_row_<f>.
//
//===----------------------------------------------------------------------===//

module;

#include <cfloat>
#include <cmath>
#include <cstdint>

module quantc.numerics;

import :codecs_internal;
import :codecs_search;

// ggml's reference build does not contract a*b+c into a fused multiply-add;
// neither may we (see Codecs.cppm).
#pragma STDC FP_CONTRACT OFF

namespace quantc::numerics::codecs {

namespace {

/// The value of largest magnitude in x[0..n), the first one on ties (0 when
/// every value is 0): ggml's `if (amax < fabsf(v)) { amax = fabsf(v); max = v; }`.
float signedAbsMax(const float *x, int n) {
  float amax = 0.0f;
  float max = 0.0f;
  for (int j = 0; j < n; ++j) {
    float v = x[j];
    if (amax < std::fabs(v)) {
      amax = std::fabs(v);
      max = v;
    }
  }
  return max;
}

struct MinMax {
  float min = FLT_MAX;
  float max = -FLT_MAX;
};

MinMax minMax(const float *x, int n) {
  MinMax r;
  for (int j = 0; j < n; ++j) {
    float v = x[j];
    if (v < r.min)
      r.min = v;
    if (v > r.max)
      r.max = v;
  }
  return r;
}

/// Splits 32 five-bit codes into the low nibbles (`qs`, weight j beside
/// j + 16) and the fifth bits (`qh`, bit j for weight j).
template <typename CodeT>
void packFiveBit(const CodeT *l, uint8_t (&qs)[kQK / 2], uint8_t (&qh)[4]) {
  uint32_t high = 0;
  for (int j = 0; j < kQK / 2; ++j) {
    uint8_t xi0 = uint8_t(l[j]);
    uint8_t xi1 = uint8_t(l[j + kQK / 2]);
    qs[j] = uint8_t((xi0 & 0x0F) | ((xi1 & 0x0F) << 4));
    high |= ((xi0 & 0x10u) >> 4) << (j + 0);
    high |= ((xi1 & 0x10u) >> 4) << (j + kQK / 2);
  }
  storeU32(qh, high);
}

/// sigma^2 of a row: sum(x^2) / n in ggml's order, the base of the legacy
/// formats' importance weights.
float rowSigma2(const float *x, int64_t nPerRow) {
  float sumX2 = 0;
  for (int64_t j = 0; j < nPerRow; ++j)
    sumX2 += x[j] * x[j];
  return sumX2 / float(nPerRow);
}

/// weight[j] = qw[j] * sqrt(sigma2 + x[j]^2) over one block.
void blockWeights(const float *xb, const float *qw, float sigma2, float *weight) {
  for (int j = 0; j < kQK; ++j)
    weight[j] = qw[j] * std::sqrt(sigma2 + xb[j] * xb[j]);
}

} // namespace

//===----------------------------------------------------------------------===//
// Reference quantizers
//===----------------------------------------------------------------------===//

void quantizeQ4_0(const float *__restrict x, uint8_t *__restrict y, int64_t numBlocks) {
  auto *blocks = reinterpret_cast<BlockQ4_0 *>(y);
  for (int64_t i = 0; i < numBlocks; ++i) {
    const float *xb = x + i * kQK;
    float max = signedAbsMax(xb, kQK);
    float d = max / -8;
    float id = d != 0.0f ? 1.0f / d : 0.0f;
    storeHalf(blocks[i].d, d);
    for (int j = 0; j < kQK / 2; ++j) {
      float x0 = xb[j] * id;
      float x1 = xb[kQK / 2 + j] * id;
      int xi0 = int8_t(x0 + 8.5f);
      int xi1 = int8_t(x1 + 8.5f);
      xi0 = 15 < xi0 ? 15 : xi0;
      xi1 = 15 < xi1 ? 15 : xi1;
      blocks[i].qs[j] = uint8_t(xi0 | (xi1 << 4));
    }
  }
}

void quantizeQ4_1(const float *__restrict x, uint8_t *__restrict y, int64_t numBlocks) {
  auto *blocks = reinterpret_cast<BlockQ4_1 *>(y);
  for (int64_t i = 0; i < numBlocks; ++i) {
    const float *xb = x + i * kQK;
    auto [min, max] = minMax(xb, kQK);
    float d = (max - min) / ((1 << 4) - 1);
    float id = d != 0.0f ? 1.0f / d : 0.0f;
    storeHalf(blocks[i].d, d);
    storeHalf(blocks[i].m, min);
    for (int j = 0; j < kQK / 2; ++j) {
      float x0 = (xb[j] - min) * id;
      float x1 = (xb[kQK / 2 + j] - min) * id;
      int xi0 = int8_t(x0 + 0.5f);
      int xi1 = int8_t(x1 + 0.5f);
      xi0 = 15 < xi0 ? 15 : xi0;
      xi1 = 15 < xi1 ? 15 : xi1;
      blocks[i].qs[j] = uint8_t(xi0 | (xi1 << 4));
    }
  }
}

void quantizeQ5_0(const float *__restrict x, uint8_t *__restrict y, int64_t numBlocks) {
  auto *blocks = reinterpret_cast<BlockQ5_0 *>(y);
  for (int64_t i = 0; i < numBlocks; ++i) {
    const float *xb = x + i * kQK;
    float max = signedAbsMax(xb, kQK);
    float d = max / -16;
    float id = d != 0.0f ? 1.0f / d : 0.0f;
    storeHalf(blocks[i].d, d);
    uint8_t l[kQK];
    for (int j = 0; j < kQK; ++j) {
      int xi = int8_t(xb[j] * id + 16.5f);
      l[j] = uint8_t(31 < xi ? 31 : xi);
    }
    packFiveBit(l, blocks[i].qs, blocks[i].qh);
  }
}

void quantizeQ5_1(const float *__restrict x, uint8_t *__restrict y, int64_t numBlocks) {
  auto *blocks = reinterpret_cast<BlockQ5_1 *>(y);
  for (int64_t i = 0; i < numBlocks; ++i) {
    const float *xb = x + i * kQK;
    auto [min, max] = minMax(xb, kQK);
    float d = (max - min) / ((1 << 5) - 1);
    float id = d != 0.0f ? 1.0f / d : 0.0f;
    storeHalf(blocks[i].d, d);
    storeHalf(blocks[i].m, min);
    // No clamp: (x - min) * id + 0.5 stays below 32 (as in ggml).
    uint8_t l[kQK];
    for (int j = 0; j < kQK; ++j)
      l[j] = uint8_t((xb[j] - min) * id + 0.5f);
    packFiveBit(l, blocks[i].qs, blocks[i].qh);
  }
}

void quantizeQ8_0(const float *__restrict x, uint8_t *__restrict y, int64_t numBlocks) {
  auto *blocks = reinterpret_cast<BlockQ8_0 *>(y);
  for (int64_t i = 0; i < numBlocks; ++i) {
    const float *xb = x + i * kQK;
    float amax = 0.0f;
    for (int j = 0; j < kQK; ++j) {
      float a = std::fabs(xb[j]);
      amax = amax > a ? amax : a;
    }
    float d = amax / ((1 << 7) - 1);
    float id = d != 0.0f ? 1.0f / d : 0.0f;
    storeHalf(blocks[i].d, d);
    for (int j = 0; j < kQK; ++j)
      blocks[i].qs[j] = int8_t(std::round(xb[j] * id));
  }
}

void quantizeQ8_1(const float *__restrict x, uint8_t *__restrict y, int64_t numBlocks) {
  auto *blocks = reinterpret_cast<BlockQ8_1 *>(y);
  for (int64_t i = 0; i < numBlocks; ++i) {
    const float *xb = x + i * kQK;
    float amax = 0.0f;
    for (int j = 0; j < kQK; ++j) {
      float a = std::fabs(xb[j]);
      amax = amax > a ? amax : a;
    }
    float d = amax / ((1 << 7) - 1);
    float id = d != 0.0f ? 1.0f / d : 0.0f;
    storeHalf(blocks[i].d, d);
    int sum = 0;
    for (int j = 0; j < kQK; ++j) {
      blocks[i].qs[j] = int8_t(std::round(xb[j] * id));
      sum += blocks[i].qs[j];
    }
    storeHalf(blocks[i].s, float(sum) * d);
  }
}

//===----------------------------------------------------------------------===//
// Importance-weighted quantizers (one row)
//===----------------------------------------------------------------------===//

void quantizeQ4_0Weighted(const float *__restrict x, uint8_t *__restrict y, int64_t nPerRow,
                          const float *__restrict qw) {
  auto *blocks = reinterpret_cast<BlockQ4_0 *>(y);
  float sigma2 = rowSigma2(x, nPerRow);
  float weight[kQK];
  int8_t l[kQK];
  for (int64_t ib = 0; ib < nPerRow / kQK; ++ib) {
    const float *xb = x + kQK * ib;
    blockWeights(xb, qw + kQK * ib, sigma2, weight);
    float d = makeQxQuants(kQK, 8, xb, l, weight);
    storeHalf(blocks[ib].d, d);
    for (int j = 0; j < kQK / 2; ++j)
      blocks[ib].qs[j] = uint8_t(l[j] | (l[j + kQK / 2] << 4));
  }
}

void quantizeQ4_1Weighted(const float *__restrict x, uint8_t *__restrict y, int64_t nPerRow,
                          const float *__restrict qw) {
  auto *blocks = reinterpret_cast<BlockQ4_1 *>(y);
  float sigma2 = rowSigma2(x, nPerRow);
  float weight[kQK];
  uint8_t l[kQK], lAux[kQK];
  for (int64_t ib = 0; ib < nPerRow / kQK; ++ib) {
    const float *xb = x + kQK * ib;
    blockWeights(xb, qw + kQK * ib, sigma2, weight);
    float min;
    float d = makeQkx3Quants(kQK, 15, xb, weight, l, &min, lAux, -0.9f, 0.05f, 36, false);
    storeHalf(blocks[ib].d, d);
    storeHalf(blocks[ib].m, -min);
    for (int j = 0; j < kQK / 2; ++j)
      blocks[ib].qs[j] = uint8_t(l[j] | (l[j + kQK / 2] << 4));
  }
}

void quantizeQ5_0Weighted(const float *__restrict x, uint8_t *__restrict y, int64_t nPerRow,
                          const float *__restrict qw) {
  auto *blocks = reinterpret_cast<BlockQ5_0 *>(y);
  float sigma2 = rowSigma2(x, nPerRow);
  float weight[kQK];
  int8_t l[kQK];
  for (int64_t ib = 0; ib < nPerRow / kQK; ++ib) {
    const float *xb = x + kQK * ib;
    blockWeights(xb, qw + kQK * ib, sigma2, weight);
    float d = makeQxQuants(kQK, 16, xb, l, weight);
    storeHalf(blocks[ib].d, d);
    packFiveBit(l, blocks[ib].qs, blocks[ib].qh);
  }
}

void quantizeQ5_1Weighted(const float *__restrict x, uint8_t *__restrict y, int64_t nPerRow,
                          const float *__restrict qw) {
  auto *blocks = reinterpret_cast<BlockQ5_1 *>(y);
  float sigma2 = rowSigma2(x, nPerRow);
  float weight[kQK];
  uint8_t l[kQK], lAux[kQK];
  for (int64_t ib = 0; ib < nPerRow / kQK; ++ib) {
    const float *xb = x + kQK * ib;
    blockWeights(xb, qw + kQK * ib, sigma2, weight);
    float min;
    float d = makeQkx3Quants(kQK, 31, xb, weight, l, &min, lAux, -0.9f, 0.05f, 36, false);
    storeHalf(blocks[ib].d, d);
    storeHalf(blocks[ib].m, -min);
    packFiveBit(l, blocks[ib].qs, blocks[ib].qh);
  }
}

//===----------------------------------------------------------------------===//
// Dequantizers
//===----------------------------------------------------------------------===//

void dequantizeQ4_0(const uint8_t *__restrict x, float *__restrict y, int64_t numBlocks) {
  const auto *blocks = reinterpret_cast<const BlockQ4_0 *>(x);
  for (int64_t i = 0; i < numBlocks; ++i, y += kQK) {
    float d = loadHalf(blocks[i].d);
    for (int j = 0; j < kQK / 2; ++j) {
      int x0 = (blocks[i].qs[j] & 0x0F) - 8;
      int x1 = (blocks[i].qs[j] >> 4) - 8;
      y[j] = float(x0) * d;
      y[j + kQK / 2] = float(x1) * d;
    }
  }
}

void dequantizeQ4_1(const uint8_t *__restrict x, float *__restrict y, int64_t numBlocks) {
  const auto *blocks = reinterpret_cast<const BlockQ4_1 *>(x);
  for (int64_t i = 0; i < numBlocks; ++i, y += kQK) {
    float d = loadHalf(blocks[i].d);
    float m = loadHalf(blocks[i].m);
    for (int j = 0; j < kQK / 2; ++j) {
      int x0 = blocks[i].qs[j] & 0x0F;
      int x1 = blocks[i].qs[j] >> 4;
      y[j] = float(x0) * d + m;
      y[j + kQK / 2] = float(x1) * d + m;
    }
  }
}

void dequantizeQ5_0(const uint8_t *__restrict x, float *__restrict y, int64_t numBlocks) {
  const auto *blocks = reinterpret_cast<const BlockQ5_0 *>(x);
  for (int64_t i = 0; i < numBlocks; ++i, y += kQK) {
    float d = loadHalf(blocks[i].d);
    uint32_t qh = loadU32(blocks[i].qh);
    for (int j = 0; j < kQK / 2; ++j) {
      int xh0 = int(((qh >> (j + 0)) << 4) & 0x10);
      int xh1 = int((qh >> (j + 12)) & 0x10);
      int x0 = ((blocks[i].qs[j] & 0x0F) | xh0) - 16;
      int x1 = ((blocks[i].qs[j] >> 4) | xh1) - 16;
      y[j] = float(x0) * d;
      y[j + kQK / 2] = float(x1) * d;
    }
  }
}

void dequantizeQ5_1(const uint8_t *__restrict x, float *__restrict y, int64_t numBlocks) {
  const auto *blocks = reinterpret_cast<const BlockQ5_1 *>(x);
  for (int64_t i = 0; i < numBlocks; ++i, y += kQK) {
    float d = loadHalf(blocks[i].d);
    float m = loadHalf(blocks[i].m);
    uint32_t qh = loadU32(blocks[i].qh);
    for (int j = 0; j < kQK / 2; ++j) {
      int xh0 = int(((qh >> (j + 0)) << 4) & 0x10);
      int xh1 = int((qh >> (j + 12)) & 0x10);
      int x0 = (blocks[i].qs[j] & 0x0F) | xh0;
      int x1 = (blocks[i].qs[j] >> 4) | xh1;
      y[j] = float(x0) * d + m;
      y[j + kQK / 2] = float(x1) * d + m;
    }
  }
}

void dequantizeQ8_0(const uint8_t *__restrict x, float *__restrict y, int64_t numBlocks) {
  const auto *blocks = reinterpret_cast<const BlockQ8_0 *>(x);
  for (int64_t i = 0; i < numBlocks; ++i, y += kQK) {
    float d = loadHalf(blocks[i].d);
    for (int j = 0; j < kQK; ++j)
      y[j] = float(blocks[i].qs[j]) * d;
  }
}

void dequantizeQ8_1(const uint8_t *__restrict x, float *__restrict y, int64_t numBlocks) {
  const auto *blocks = reinterpret_cast<const BlockQ8_1 *>(x);
  for (int64_t i = 0; i < numBlocks; ++i, y += kQK) {
    float d = loadHalf(blocks[i].d);
    for (int j = 0; j < kQK; ++j)
      y[j] = float(blocks[i].qs[j]) * d;
  }
}

} // namespace quantc::numerics::codecs
