//===- CodecsK.cpp - Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, Q8_K -------------------===//
//
// llama.cpp's 256-weight super-block formats, transcribed from
// ggml-quants.c. Each super-block splits into sub-blocks of 16 (Q2_K, Q3_K,
// Q6_K) or 32 (Q4_K, Q5_K) weights whose scales (and mins) are themselves
// quantized against one fp16 super-block scale (and min).
//
//   quantizeQx_K          quantize_row_qx_K_ref
//   quantizeQx_KWeighted  quantize_row_qx_K_impl with an importance matrix
//   dequantizeQx_K        dequantize_row_qx_K
//
// Q8_K is the activation format of the K-quant dot products: a binary32
// scale and per-16 sums; it has no weighted path.
//
//===----------------------------------------------------------------------===//

module;

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>

module quantc.numerics;

import :codecs_internal;
import :codecs_search;

// ggml's reference build does not contract a*b+c into a fused multiply-add;
// neither may we (see Codecs.cppm).
#pragma STDC FP_CONTRACT OFF

namespace quantc::numerics::codecs {

namespace {

/// sum(x^2) over one super-block, in ggml's order.
float sumSquares(const float *x) {
  float sum = 0;
  for (int j = 0; j < kQKK; ++j)
    sum += x[j] * x[j];
  return sum;
}

/// Packs 256 two-bit codes four to a byte: byte l of each 32-byte group holds
/// codes l, l + 32, l + 64 and l + 96 of its 128 weights (Q2_K, Q3_K).
template <typename CodeT> void packTwoBit(const CodeT *l, uint8_t (&qs)[kQKK / 4]) {
  for (int j = 0; j < kQKK; j += 128)
    for (int i = 0; i < 32; ++i)
      qs[j / 4 + i] =
          uint8_t(l[j + i] | (l[j + i + 32] << 2) | (l[j + i + 64] << 4) | (l[j + i + 96] << 6));
}

//===----------------------------------------------------------------------===//
// Q2_K helpers
//===----------------------------------------------------------------------===//

/// Requantizes every sub-block against its decoded scale and min (the final
/// loop of quantize_row_q2_K_ref / _impl).
void requantizeQ2_K(const float *__restrict x, const BlockQ2_K &block, float dm, float mm,
                    uint8_t *__restrict l) {
  for (int j = 0; j < kQKK / 16; ++j) {
    float d = dm * float(block.scales[j] & 0xF);
    if (d == 0.0f)
      continue;
    float m = mm * float(block.scales[j] >> 4);
    for (int ii = 0; ii < 16; ++ii)
      l[16 * j + ii] = uint8_t(clampInt(nearestInt((x[16 * j + ii] + m) / d), 0, 3));
  }
}

//===----------------------------------------------------------------------===//
// Q3_K helpers: 16 six-bit scales, low nibbles in bytes 0..7 (sub-blocks
// 0..7 low, 8..15 high), top two bits in bytes 8..11.
//===----------------------------------------------------------------------===//

/// Stores code `l` (0..63) of sub-block `j` into zeroed `scales`.
void setScaleQ3_K(uint8_t (&scales)[12], int j, int l) {
  if (j < 8)
    scales[j] = uint8_t(l & 0xF);
  else
    scales[j - 8] = uint8_t(scales[j - 8] | ((l & 0xF) << 4));
  l >>= 4;
  scales[j % 4 + 8] = uint8_t(scales[j % 4 + 8] | (l << (2 * (j / 4))));
}

/// The signed scale of sub-block `j` (code - 32).
int getScaleQ3_K(const uint8_t (&scales)[12], int j) {
  int8_t sc = int8_t(j < 8 ? scales[j] & 0xF : scales[j - 8] >> 4);
  return int8_t((sc | (((scales[8 + j % 4] >> (2 * (j / 4))) & 3) << 4)) - 32);
}

/// The final requantization, high-bit mask and packing of a Q3_K block whose
/// scales and d are set (shared by quantize_row_q3_K_ref and _impl).
void finishQ3_K(const float *__restrict x, BlockQ3_K &block, int8_t *__restrict l) {
  float dAll = loadHalf(block.d);
  for (int j = 0; j < kQKK / 16; ++j) {
    float d = dAll * float(getScaleQ3_K(block.scales, j));
    if (d == 0.0f)
      continue;
    for (int ii = 0; ii < 16; ++ii)
      l[16 * j + ii] = int8_t(clampInt(nearestInt(x[16 * j + ii] / d), -4, 3) + 4);
  }
  // The high bit of the first 32 codes goes into bit 0 of hmask[0..31], the
  // next 32 into bit 1, and so on.
  std::memset(block.hmask, 0, sizeof(block.hmask));
  int m = 0;
  uint8_t hm = 1;
  for (int j = 0; j < kQKK; ++j) {
    if (l[j] > 3) {
      block.hmask[m] |= hm;
      l[j] = int8_t(l[j] - 4);
    }
    if (++m == kQKK / 8) {
      m = 0;
      hm = uint8_t(hm << 1);
    }
  }
  packTwoBit(l, block.qs);
}

//===----------------------------------------------------------------------===//
// Q4_K / Q5_K helpers: 8 six-bit scales and 8 six-bit mins in 12 bytes
// (get_scale_min_k4).
//===----------------------------------------------------------------------===//

void setScaleMinK4(uint8_t (&scales)[12], int j, uint8_t ls, uint8_t lm) {
  if (j < 4) {
    scales[j] = ls;
    scales[j + 4] = lm;
  } else {
    scales[j + 4] = uint8_t((ls & 0xF) | ((lm & 0xF) << 4));
    scales[j - 4] = uint8_t(scales[j - 4] | ((ls >> 4) << 6));
    scales[j - 0] = uint8_t(scales[j - 0] | ((lm >> 4) << 6));
  }
}

void getScaleMinK4(int j, const uint8_t (&q)[12], uint8_t &d, uint8_t &m) {
  if (j < 4) {
    d = q[j] & 63;
    m = q[j + 4] & 63;
  } else {
    d = uint8_t((q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4));
    m = uint8_t((q[j + 4] >> 4) | ((q[j - 0] >> 6) << 4));
  }
}

/// Requantizes the 8 sub-blocks of a Q4_K/Q5_K block against their decoded
/// scales and mins, codes in [0, nmax].
void requantizeK4(const float *__restrict x, const uint8_t (&scales)[12], float dAll, float minAll,
                  int nmax, uint8_t *__restrict l) {
  for (int j = 0; j < kQKK / 32; ++j) {
    uint8_t sc, m;
    getScaleMinK4(j, scales, sc, m);
    float d = dAll * float(sc);
    if (d == 0.0f)
      continue;
    float dm = minAll * float(m);
    for (int ii = 0; ii < 32; ++ii)
      l[32 * j + ii] = uint8_t(clampInt(nearestInt((x[32 * j + ii] + dm) / d), 0, nmax));
  }
}

/// The scale/min search of quantize_row_q4_K_ref and _q5_K_ref: per
/// sub-block make_qkx2_quants with weights av_x + |x|, then 6-bit codes
/// against the largest scale and min. Inlined so that `nmax` is a constant.
[[gnu::always_inline]] inline void searchK4Ref(const float *__restrict x, int nmax, float rmin,
                                               float rdelta, int nstep, uint8_t (&scales)[12],
                                               uint8_t (&d)[2], uint8_t (&dmin)[2],
                                               uint8_t *__restrict l) {
  float mins[kQKK / 32], subScales[kQKK / 32], weights[32];
  uint8_t lAux[32];
  float maxScale = 0;
  float maxMin = 0;
  for (int j = 0; j < kQKK / 32; ++j) {
    float sumX2 = 0;
    for (int i = 0; i < 32; ++i)
      sumX2 += x[32 * j + i] * x[32 * j + i];
    float avX = std::sqrt(sumX2 / 32);
    for (int i = 0; i < 32; ++i)
      weights[i] = avX + std::fabs(x[32 * j + i]);
    subScales[j] = makeQkx2Quants(32, nmax, x + 32 * j, weights, l + 32 * j, &mins[j], lAux, rmin,
                                  rdelta, nstep, false);
    if (subScales[j] > maxScale)
      maxScale = subScales[j];
    if (mins[j] > maxMin)
      maxMin = mins[j];
  }
  float invScale = maxScale > 0 ? 63.f / maxScale : 0.f;
  float invMin = maxMin > 0 ? 63.f / maxMin : 0.f;
  for (int j = 0; j < kQKK / 32; ++j) {
    uint8_t ls = uint8_t(nearestInt(invScale * subScales[j]));
    uint8_t lm = uint8_t(nearestInt(invMin * mins[j]));
    ls = 63 < ls ? 63 : ls;
    lm = 63 < lm ? 63 : lm;
    setScaleMinK4(scales, j, ls, lm);
  }
  storeHalf(d, maxScale / 63.f);
  storeHalf(dmin, maxMin / 63.f);
}

/// The importance-weighted search of quantize_row_q4_K_impl and _q5_K_impl:
/// make_qkx3_quants per sub-block, make_qp_quants over the scales and mins.
/// `clampCodes` is Q5_K's extra MIN(63, .) on the codes.
[[gnu::always_inline]] inline void searchK4Weighted(const float *__restrict x,
                                                    const float *__restrict qw, int nmax,
                                                    bool clampCodes, uint8_t (&scales)[12],
                                                    uint8_t (&d)[2], uint8_t (&dmin)[2],
                                                    uint8_t *__restrict l) {
  float mins[kQKK / 32], subScales[kQKK / 32], sw[kQKK / 32], weights[32];
  uint8_t lAux[32], ls[kQKK / 32], lm[kQKK / 32];
  float sigma2 = 2 * sumSquares(x) / kQKK;
  for (int j = 0; j < kQKK / 32; ++j) {
    for (int i = 0; i < 32; ++i)
      weights[i] = qw[32 * j + i] * std::sqrt(sigma2 + x[32 * j + i] * x[32 * j + i]);
    float sumW = 0;
    for (int i = 0; i < 32; ++i)
      sumW += weights[i];
    sw[j] = sumW;
    subScales[j] = makeQkx3Quants(32, nmax, x + 32 * j, weights, l + 32 * j, &mins[j], lAux, -0.9f,
                                  0.05f, 36, false);
  }
  float dBlock = makeQpQuants(kQKK / 32, 63, subScales, ls, sw);
  float mBlock = makeQpQuants(kQKK / 32, 63, mins, lm, sw);
  for (int j = 0; j < kQKK / 32; ++j) {
    uint8_t s = ls[j], m = lm[j];
    if (clampCodes) {
      s = 63 < s ? 63 : s;
      m = 63 < m ? 63 : m;
    }
    setScaleMinK4(scales, j, s, m);
  }
  storeHalf(d, dBlock);
  storeHalf(dmin, mBlock);
}

/// Q4_K packing: byte l of each 32-byte group holds codes l and l + 32 of
/// its 64 weights.
void packQ4_K(const uint8_t *l, uint8_t (&qs)[kQKK / 2]) {
  uint8_t *q = qs;
  for (int j = 0; j < kQKK; j += 64, q += 32)
    for (int i = 0; i < 32; ++i)
      q[i] = uint8_t(l[j + i] | (l[j + i + 32] << 4));
}

/// Q5_K packing: Q4_K's nibbles plus the fifth bits, two bit planes per 64
/// weights in qh.
void packQ5_K(const uint8_t *l, uint8_t (&qs)[kQKK / 2], uint8_t (&qh)[kQKK / 8]) {
  std::memset(qh, 0, sizeof(qh));
  uint8_t *ql = qs;
  uint8_t m1 = 1, m2 = 2;
  for (int n = 0; n < kQKK; n += 64, ql += 32) {
    for (int j = 0; j < 32; ++j) {
      int l1 = l[n + j];
      if (l1 > 15) {
        l1 -= 16;
        qh[j] |= m1;
      }
      int l2 = l[n + j + 32];
      if (l2 > 15) {
        l2 -= 16;
        qh[j] |= m2;
      }
      ql[j] = uint8_t(l1 | (l2 << 4));
    }
    m1 = uint8_t(m1 << 2);
    m2 = uint8_t(m2 << 2);
  }
}

//===----------------------------------------------------------------------===//
// Q6_K: the reference and weighted quantizers differ only in make_qx_quants'
// weights (x^2 or the importance matrix).
//===----------------------------------------------------------------------===//

void quantizeQ6_KBlock(const float *__restrict x, BlockQ6_K &block, const float *__restrict qw) {
  int8_t l[kQKK];
  float scales[kQKK / 16];
  float maxScale = 0;
  float maxAbsScale = 0;
  for (int ib = 0; ib < kQKK / 16; ++ib) {
    float scale = makeQxQuants(16, 32, x + 16 * ib, l + 16 * ib, qw ? qw + 16 * ib : nullptr);
    scales[ib] = scale;
    float absScale = std::fabs(scale);
    if (absScale > maxAbsScale) {
      maxAbsScale = absScale;
      maxScale = scale;
    }
  }
  if (maxAbsScale < kGroupMaxEps) {
    std::memset(&block, 0, sizeof(block));
    return;
  }
  float iscale = -128.f / maxScale;
  storeHalf(block.d, 1 / iscale);
  for (int ib = 0; ib < kQKK / 16; ++ib) {
    int s = nearestInt(iscale * scales[ib]);
    block.scales[ib] = int8_t(127 < s ? 127 : s);
  }
  float dAll = loadHalf(block.d);
  for (int j = 0; j < kQKK / 16; ++j) {
    float d = dAll * float(block.scales[j]);
    if (d == 0.0f)
      continue;
    for (int ii = 0; ii < 16; ++ii)
      l[16 * j + ii] = int8_t(clampInt(nearestInt(x[16 * j + ii] / d), -32, 31) + 32);
  }
  uint8_t *ql = block.ql;
  uint8_t *qh = block.qh;
  for (int j = 0; j < kQKK; j += 128, ql += 64, qh += 32) {
    for (int i = 0; i < 32; ++i) {
      uint8_t q1 = l[j + i + 0] & 0xF;
      uint8_t q2 = l[j + i + 32] & 0xF;
      uint8_t q3 = l[j + i + 64] & 0xF;
      uint8_t q4 = l[j + i + 96] & 0xF;
      ql[i + 0] = uint8_t(q1 | (q3 << 4));
      ql[i + 32] = uint8_t(q2 | (q4 << 4));
      qh[i] = uint8_t((l[j + i] >> 4) | ((l[j + i + 32] >> 4) << 2) | ((l[j + i + 64] >> 4) << 4) |
                      ((l[j + i + 96] >> 4) << 6));
    }
  }
}

} // namespace

//===----------------------------------------------------------------------===//
// Q2_K
//===----------------------------------------------------------------------===//

void quantizeQ2_K(const float *__restrict x, uint8_t *__restrict y, int64_t numBlocks) {
  constexpr float kQ4Scale = 15.f;
  auto *blocks = reinterpret_cast<BlockQ2_K *>(y);
  uint8_t l[kQKK], lAux[16];
  float weights[16], mins[kQKK / 16], scales[kQKK / 16];
  for (int64_t i = 0; i < numBlocks; ++i, x += kQKK) {
    BlockQ2_K &block = blocks[i];
    float maxScale = 0;
    float maxMin = 0;
    for (int j = 0; j < kQKK / 16; ++j) {
      for (int k = 0; k < 16; ++k)
        weights[k] = std::fabs(x[16 * j + k]);
      scales[j] = makeQkx2Quants(16, 3, x + 16 * j, weights, l + 16 * j, &mins[j], lAux, -0.5f,
                                 0.1f, 15, true);
      if (scales[j] > maxScale)
        maxScale = scales[j];
      if (mins[j] > maxMin)
        maxMin = mins[j];
    }
    if (maxScale > 0) {
      float iscale = kQ4Scale / maxScale;
      for (int j = 0; j < kQKK / 16; ++j)
        block.scales[j] = uint8_t(nearestInt(iscale * scales[j]));
      storeHalf(block.d, maxScale / kQ4Scale);
    } else {
      std::memset(block.scales, 0, sizeof(block.scales));
      storeHalf(block.d, 0.f);
    }
    if (maxMin > 0) {
      float iscale = kQ4Scale / maxMin;
      for (int j = 0; j < kQKK / 16; ++j)
        block.scales[j] = uint8_t(block.scales[j] | (nearestInt(iscale * mins[j]) << 4));
      storeHalf(block.dmin, maxMin / kQ4Scale);
    } else {
      storeHalf(block.dmin, 0.f);
    }
    requantizeQ2_K(x, block, loadHalf(block.d), loadHalf(block.dmin), l);
    packTwoBit(l, block.qs);
  }
}

void quantizeQ2_KWeighted(const float *__restrict x, uint8_t *__restrict y, int64_t nPerRow,
                          const float *__restrict qw) {
  auto *blocks = reinterpret_cast<BlockQ2_K *>(y);
  uint8_t l[kQKK], lAux[16], ls[kQKK / 16], lm[kQKK / 16];
  float mins[kQKK / 16], scales[kQKK / 16], sw[kQKK / 16], weight[16];
  for (int64_t i = 0; i < nPerRow / kQKK; ++i, x += kQKK) {
    BlockQ2_K &block = blocks[i];
    float sigma2 = sumSquares(x) / kQKK;
    for (int j = 0; j < kQKK / 16; ++j) {
      const float *w = qw + kQKK * i + 16 * j;
      for (int k = 0; k < 16; ++k)
        weight[k] = w[k] * std::sqrt(sigma2 + x[16 * j + k] * x[16 * j + k]);
      sw[j] = 0;
      for (int k = 0; k < 16; ++k)
        sw[j] += weight[k];
      scales[j] = makeQkx3Quants(16, 3, x + 16 * j, weight, l + 16 * j, &mins[j], lAux, -0.9f,
                                 0.05f, 36, false);
    }
    float dm = makeQpQuants(kQKK / 16, 15, scales, ls, sw);
    float mm = makeQpQuants(kQKK / 16, 15, mins, lm, sw);
    storeHalf(block.d, dm);
    storeHalf(block.dmin, mm);
    for (int j = 0; j < kQKK / 16; ++j)
      block.scales[j] = uint8_t(ls[j] | (lm[j] << 4));
    requantizeQ2_K(x, block, loadHalf(block.d), loadHalf(block.dmin), l);
    packTwoBit(l, block.qs);
  }
}

void dequantizeQ2_K(const uint8_t *__restrict x, float *__restrict y, int64_t numBlocks) {
  const auto *blocks = reinterpret_cast<const BlockQ2_K *>(x);
  for (int64_t i = 0; i < numBlocks; ++i) {
    float d = loadHalf(blocks[i].d);
    float min = loadHalf(blocks[i].dmin);
    const uint8_t *q = blocks[i].qs;
    int is = 0;
    for (int n = 0; n < kQKK; n += 128, q += 32) {
      for (int shift = 0; shift < 8; shift += 2) {
        for (int half = 0; half < 2; ++half) {
          uint8_t sc = blocks[i].scales[is++];
          float dl = d * float(sc & 0xF);
          float ml = min * float(sc >> 4);
          for (int k = 0; k < 16; ++k)
            *y++ = dl * float((q[k + 16 * half] >> shift) & 3) - ml;
        }
      }
    }
  }
}

//===----------------------------------------------------------------------===//
// Q3_K
//===----------------------------------------------------------------------===//

void quantizeQ3_K(const float *__restrict x, uint8_t *__restrict y, int64_t numBlocks) {
  auto *blocks = reinterpret_cast<BlockQ3_K *>(y);
  int8_t l[kQKK];
  float scales[kQKK / 16];
  for (int64_t i = 0; i < numBlocks; ++i, x += kQKK) {
    BlockQ3_K &block = blocks[i];
    float maxScale = 0;
    float amax = 0;
    for (int j = 0; j < kQKK / 16; ++j) {
      scales[j] = makeQ3Quants(16, 4, x + 16 * j, l + 16 * j);
      float scale = std::fabs(scales[j]);
      if (scale > amax) {
        amax = scale;
        maxScale = scales[j];
      }
    }
    std::memset(block.scales, 0, sizeof(block.scales));
    if (maxScale != 0.0f) {
      float iscale = -32.f / maxScale;
      for (int j = 0; j < kQKK / 16; ++j) {
        int8_t code = int8_t(nearestInt(iscale * scales[j]));
        setScaleQ3_K(block.scales, j, clampInt(code, -32, 31) + 32);
      }
      storeHalf(block.d, 1 / iscale);
    } else {
      storeHalf(block.d, 0.f);
    }
    finishQ3_K(x, block, l);
  }
}

void quantizeQ3_KWeighted(const float *__restrict x, uint8_t *__restrict y, int64_t nPerRow,
                          const float *__restrict qw) {
  auto *blocks = reinterpret_cast<BlockQ3_K *>(y);
  int8_t l[kQKK], ls[kQKK / 16];
  float scales[kQKK / 16], weight[16], sw[kQKK / 16];
  for (int64_t i = 0; i < nPerRow / kQKK; ++i, x += kQKK) {
    BlockQ3_K &block = blocks[i];
    float sigma2 = 2 * sumSquares(x) / kQKK;
    for (int j = 0; j < kQKK / 16; ++j) {
      const float *w = qw + kQKK * i + 16 * j;
      for (int k = 0; k < 16; ++k)
        weight[k] = w[k] * std::sqrt(sigma2 + x[16 * j + k] * x[16 * j + k]);
      float sumW = 0;
      for (int k = 0; k < 16; ++k)
        sumW += weight[k];
      sw[j] = sumW;
      scales[j] = makeQxQuants(16, 4, x + 16 * j, l + 16 * j, weight);
    }
    std::memset(block.scales, 0, sizeof(block.scales));
    float dBlock = makeQxQuants(kQKK / 16, 32, scales, ls, sw);
    for (int j = 0; j < kQKK / 16; ++j)
      setScaleQ3_K(block.scales, j, ls[j]);
    storeHalf(block.d, dBlock);
    finishQ3_K(x, block, l);
  }
}

void dequantizeQ3_K(const uint8_t *__restrict x, float *__restrict y, int64_t numBlocks) {
  const auto *blocks = reinterpret_cast<const BlockQ3_K *>(x);
  for (int64_t i = 0; i < numBlocks; ++i) {
    const BlockQ3_K &block = blocks[i];
    float dAll = loadHalf(block.d);
    const uint8_t *q = block.qs;
    const uint8_t *hm = block.hmask;
    uint8_t m = 1;
    int is = 0;
    for (int n = 0; n < kQKK; n += 128, q += 32) {
      for (int shift = 0; shift < 8; shift += 2, m = uint8_t(m << 1)) {
        for (int half = 0; half < 2; ++half) {
          float dl = dAll * float(getScaleQ3_K(block.scales, is++));
          for (int k = 0; k < 16; ++k) {
            int code = ((q[k + 16 * half] >> shift) & 3) - ((hm[k + 16 * half] & m) ? 0 : 4);
            *y++ = dl * float(code);
          }
        }
      }
    }
  }
}

//===----------------------------------------------------------------------===//
// Q4_K
//===----------------------------------------------------------------------===//

void quantizeQ4_K(const float *__restrict x, uint8_t *__restrict y, int64_t numBlocks) {
  auto *blocks = reinterpret_cast<BlockQ4_K *>(y);
  uint8_t l[kQKK];
  for (int64_t i = 0; i < numBlocks; ++i, x += kQKK) {
    BlockQ4_K &block = blocks[i];
    searchK4Ref(x, 15, -1.f, 0.1f, 20, block.scales, block.d, block.dmin, l);
    requantizeK4(x, block.scales, loadHalf(block.d), loadHalf(block.dmin), 15, l);
    packQ4_K(l, block.qs);
  }
}

void quantizeQ4_KWeighted(const float *__restrict x, uint8_t *__restrict y, int64_t nPerRow,
                          const float *__restrict qw) {
  auto *blocks = reinterpret_cast<BlockQ4_K *>(y);
  uint8_t l[kQKK];
  for (int64_t i = 0; i < nPerRow / kQKK; ++i, x += kQKK) {
    BlockQ4_K &block = blocks[i];
    searchK4Weighted(x, qw + kQKK * i, 15, false, block.scales, block.d, block.dmin, l);
    requantizeK4(x, block.scales, loadHalf(block.d), loadHalf(block.dmin), 15, l);
    packQ4_K(l, block.qs);
  }
}

void dequantizeQ4_K(const uint8_t *__restrict x, float *__restrict y, int64_t numBlocks) {
  const auto *blocks = reinterpret_cast<const BlockQ4_K *>(x);
  for (int64_t i = 0; i < numBlocks; ++i) {
    const BlockQ4_K &block = blocks[i];
    float d = loadHalf(block.d);
    float min = loadHalf(block.dmin);
    const uint8_t *q = block.qs;
    for (int is = 0; is < kQKK / 32; is += 2, q += 32) {
      uint8_t sc, m;
      getScaleMinK4(is + 0, block.scales, sc, m);
      float d1 = d * float(sc), m1 = min * float(m);
      getScaleMinK4(is + 1, block.scales, sc, m);
      float d2 = d * float(sc), m2 = min * float(m);
      // One loop for both nibbles: clang vectorizes it, not two.
      for (int k = 0; k < 32; ++k) {
        y[k] = d1 * float(q[k] & 0xF) - m1;
        y[k + 32] = d2 * float(q[k] >> 4) - m2;
      }
      y += 64;
    }
  }
}

//===----------------------------------------------------------------------===//
// Q5_K
//===----------------------------------------------------------------------===//

void quantizeQ5_K(const float *__restrict x, uint8_t *__restrict y, int64_t numBlocks) {
  auto *blocks = reinterpret_cast<BlockQ5_K *>(y);
  uint8_t l[kQKK];
  for (int64_t i = 0; i < numBlocks; ++i, x += kQKK) {
    BlockQ5_K &block = blocks[i];
    searchK4Ref(x, 31, -0.5f, 0.1f, 15, block.scales, block.d, block.dmin, l);
    requantizeK4(x, block.scales, loadHalf(block.d), loadHalf(block.dmin), 31, l);
    packQ5_K(l, block.qs, block.qh);
  }
}

void quantizeQ5_KWeighted(const float *__restrict x, uint8_t *__restrict y, int64_t nPerRow,
                          const float *__restrict qw) {
  auto *blocks = reinterpret_cast<BlockQ5_K *>(y);
  uint8_t l[kQKK];
  for (int64_t i = 0; i < nPerRow / kQKK; ++i, x += kQKK) {
    BlockQ5_K &block = blocks[i];
    searchK4Weighted(x, qw + kQKK * i, 31, true, block.scales, block.d, block.dmin, l);
    requantizeK4(x, block.scales, loadHalf(block.d), loadHalf(block.dmin), 31, l);
    packQ5_K(l, block.qs, block.qh);
  }
}

void dequantizeQ5_K(const uint8_t *__restrict x, float *__restrict y, int64_t numBlocks) {
  const auto *blocks = reinterpret_cast<const BlockQ5_K *>(x);
  for (int64_t i = 0; i < numBlocks; ++i) {
    const BlockQ5_K &block = blocks[i];
    float d = loadHalf(block.d);
    float min = loadHalf(block.dmin);
    const uint8_t *ql = block.qs;
    const uint8_t *qh = block.qh;
    // Bits is and is + 1 of qh[k] are the fifth bits of weight k of
    // sub-blocks is and is + 1 (ggml tests them with masks u1, u2).
    for (int is = 0; is < kQKK / 32; is += 2, ql += 32) {
      uint8_t sc, m;
      getScaleMinK4(is + 0, block.scales, sc, m);
      float d1 = d * float(sc), m1 = min * float(m);
      getScaleMinK4(is + 1, block.scales, sc, m);
      float d2 = d * float(sc), m2 = min * float(m);
      for (int k = 0; k < 32; ++k) {
        int h1 = ((qh[k] >> is) & 1) << 4;
        int h2 = ((qh[k] >> (is + 1)) & 1) << 4;
        y[k] = d1 * float((ql[k] & 0xF) + h1) - m1;
        y[k + 32] = d2 * float((ql[k] >> 4) + h2) - m2;
      }
      y += 64;
    }
  }
}

//===----------------------------------------------------------------------===//
// Q6_K
//===----------------------------------------------------------------------===//

void quantizeQ6_K(const float *__restrict x, uint8_t *__restrict y, int64_t numBlocks) {
  auto *blocks = reinterpret_cast<BlockQ6_K *>(y);
  for (int64_t i = 0; i < numBlocks; ++i)
    quantizeQ6_KBlock(x + kQKK * i, blocks[i], nullptr);
}

void quantizeQ6_KWeighted(const float *__restrict x, uint8_t *__restrict y, int64_t nPerRow,
                          const float *__restrict qw) {
  auto *blocks = reinterpret_cast<BlockQ6_K *>(y);
  for (int64_t i = 0; i < nPerRow / kQKK; ++i)
    quantizeQ6_KBlock(x + kQKK * i, blocks[i], qw + kQKK * i);
}

void dequantizeQ6_K(const uint8_t *__restrict x, float *__restrict y, int64_t numBlocks) {
  const auto *blocks = reinterpret_cast<const BlockQ6_K *>(x);
  for (int64_t i = 0; i < numBlocks; ++i) {
    float d = loadHalf(blocks[i].d);
    const uint8_t *ql = blocks[i].ql;
    const uint8_t *qh = blocks[i].qh;
    const int8_t *sc = blocks[i].scales;
    for (int n = 0; n < kQKK; n += 128, y += 128, ql += 64, qh += 32, sc += 8) {
      for (int k = 0; k < 32; ++k) {
        int is = k / 16;
        int q1 = int8_t((ql[k + 0] & 0xF) | (((qh[k] >> 0) & 3) << 4)) - 32;
        int q2 = int8_t((ql[k + 32] & 0xF) | (((qh[k] >> 2) & 3) << 4)) - 32;
        int q3 = int8_t((ql[k + 0] >> 4) | (((qh[k] >> 4) & 3) << 4)) - 32;
        int q4 = int8_t((ql[k + 32] >> 4) | (((qh[k] >> 6) & 3) << 4)) - 32;
        y[k + 0] = d * float(sc[is + 0]) * float(q1);
        y[k + 32] = d * float(sc[is + 2]) * float(q2);
        y[k + 64] = d * float(sc[is + 4]) * float(q3);
        y[k + 96] = d * float(sc[is + 6]) * float(q4);
      }
    }
  }
}

//===----------------------------------------------------------------------===//
// Q8_K
//===----------------------------------------------------------------------===//

void quantizeQ8_K(const float *__restrict x, uint8_t *__restrict y, int64_t numBlocks) {
  auto *blocks = reinterpret_cast<BlockQ8_K *>(y);
  for (int64_t i = 0; i < numBlocks; ++i, x += kQKK) {
    BlockQ8_K &block = blocks[i];
    // ggml scans `if (ax > amax) { amax = ax; max = x[j]; }`: max is the
    // first value of largest magnitude (NaNs never win). Found in two passes
    // so that the first runs in independent lanes: a max of magnitudes is
    // exact whatever the order.
    float lanes[8] = {};
    for (int j = 0; j < kQKK; j += 8)
      for (int k = 0; k < 8; ++k) {
        float ax = std::fabs(x[j + k]);
        lanes[k] = ax > lanes[k] ? ax : lanes[k];
      }
    float amax = 0;
    for (float lane : lanes)
      amax = lane > amax ? lane : amax;
    float max = 0;
    for (int j = 0; j < kQKK && amax != 0.0f; ++j)
      if (std::fabs(x[j]) == amax) {
        max = x[j];
        break;
      }
    if (amax == 0.0f) {
      // ggml leaves bsums unwritten here; zero is what they sum to.
      std::memset(&block, 0, sizeof(block));
      continue;
    }
    // -127, not -128: IQ2_XXS's AVX dot product needs the symmetric range.
    float iscale = -127.f / max;
    // Codes go through a local array: summing them back out of the block
    // would make the compiler assume the bsums stores may change them.
    int8_t q[kQKK];
    for (int j = 0; j < kQKK; ++j) {
      int v = nearestInt(iscale * x[j]);
      q[j] = int8_t(127 < v ? 127 : v);
    }
    std::memcpy(block.qs, q, sizeof(q));
    for (int j = 0; j < kQKK / 16; ++j) {
      int sum = 0;
      for (int ii = 0; ii < 16; ++ii)
        sum += q[j * 16 + ii];
      auto bits = uint16_t(int16_t(sum));
      block.bsums[j][0] = uint8_t(bits);
      block.bsums[j][1] = uint8_t(bits >> 8);
    }
    storeU32(block.d, std::bit_cast<uint32_t>(1 / iscale));
  }
}

void dequantizeQ8_K(const uint8_t *__restrict x, float *__restrict y, int64_t numBlocks) {
  const auto *blocks = reinterpret_cast<const BlockQ8_K *>(x);
  for (int64_t i = 0; i < numBlocks; ++i) {
    float d = std::bit_cast<float>(loadU32(blocks[i].d));
    for (int j = 0; j < kQKK; ++j)
      *y++ = d * float(blocks[i].qs[j]);
  }
}

} // namespace quantc::numerics::codecs
