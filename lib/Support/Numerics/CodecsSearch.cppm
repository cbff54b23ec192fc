//===- CodecsSearch.cppm - ggml's scale searches ----------------*- C++ -*-===//
//
// The scale and min searches of ggml-quants.c, transcribed operation for
// operation: make_qx_quants (rmse_type 1), make_q3_quants (do_rmse),
// make_qkx2_quants, make_qkx3_quants and make_qp_quants. Integer codes enter
// float arithmetic exactly where C's usual conversions put them, sums run in
// ggml's order, and ggml's MAX/MIN macros on floats are spelled out as the
// same ternaries (they differ from std::max/std::min on signed zeros).
//
// An internal partition of inline functions, as ggml's are static: the
// kernels call them with constant sizes, nmax and flags, and the two hot ones
// are always inlined so that each call is specialised (as GCC does for
// ggml's own build).
//
//===----------------------------------------------------------------------===//

module;

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>

module quantc.numerics:codecs_search;

import :rounding;

// ggml's reference build does not contract a*b+c into a fused multiply-add;
// neither may we (see Codecs.cppm).
#pragma STDC FP_CONTRACT OFF

namespace quantc::numerics::codecs {

/// Below this every group counts as all zero (GROUP_MAX_EPS).
inline constexpr float kGroupMaxEps = 1e-15f;

/// ggml's MAX(lo, MIN(hi, v)) on ints.
constexpr int clampInt(int v, int lo, int hi) { return std::max(lo, std::min(hi, v)); }

/// make_qx_quants with rmse_type 1: symmetric codes L[i] in [0, 2 * nmax),
/// weighted by `qw`, or by x^2 when `qw` is null. Returns the scale.
[[gnu::always_inline]] inline float makeQxQuants(int n, int nmax, const float *__restrict x,
                                                 int8_t *__restrict l, const float *__restrict qw) {
  float max = 0;
  float amax = 0;
  for (int i = 0; i < n; ++i) {
    float ax = std::fabs(x[i]);
    if (ax > amax) {
      amax = ax;
      max = x[i];
    }
  }
  if (amax < kGroupMaxEps) {
    for (int i = 0; i < n; ++i)
      l[i] = 0;
    return 0.f;
  }
  auto weight = [&](int i) { return qw ? qw[i] : x[i] * x[i]; };
  float iscale = float(-nmax) / max;
  float sumlx = 0;
  float suml2 = 0;
  for (int i = 0; i < n; ++i) {
    int li = clampInt(nearestInt(iscale * x[i]), -nmax, nmax - 1);
    l[i] = int8_t(li + nmax);
    float w = weight(i);
    sumlx += w * x[i] * float(li);
    suml2 += w * float(li) * float(li);
  }
  float scale = suml2 != 0.0f ? sumlx / suml2 : 0.0f;
  float best = scale * sumlx;
  for (int is = -9; is <= 9; ++is) {
    if (is == 0)
      continue;
    iscale = -(float(nmax) + 0.1f * float(is)) / max;
    sumlx = suml2 = 0;
    for (int i = 0; i < n; ++i) {
      int li = clampInt(nearestInt(iscale * x[i]), -nmax, nmax - 1);
      float w = weight(i);
      sumlx += w * x[i] * float(li);
      suml2 += w * float(li) * float(li);
    }
    if (suml2 > 0 && sumlx * sumlx > best * suml2) {
      for (int i = 0; i < n; ++i)
        l[i] = int8_t(nmax + clampInt(nearestInt(iscale * x[i]), -nmax, nmax - 1));
      scale = sumlx / suml2;
      best = scale * sumlx;
    }
  }
  return scale;
}

/// make_q3_quants with do_rmse: symmetric codes refined by coordinate
/// descent with x^2 weights. Returns the scale.
inline float makeQ3Quants(int n, int nmax, const float *__restrict x, int8_t *__restrict l) {
  float max = 0;
  float amax = 0;
  for (int i = 0; i < n; ++i) {
    float ax = std::fabs(x[i]);
    if (ax > amax) {
      amax = ax;
      max = x[i];
    }
  }
  if (amax < kGroupMaxEps) {
    for (int i = 0; i < n; ++i)
      l[i] = 0;
    return 0.f;
  }
  float iscale = float(-nmax) / max;
  float sumlx = 0;
  float suml2 = 0;
  for (int i = 0; i < n; ++i) {
    int li = clampInt(nearestInt(iscale * x[i]), -nmax, nmax - 1);
    l[i] = int8_t(li);
    float w = x[i] * x[i];
    sumlx += w * x[i] * float(li);
    suml2 += w * float(li) * float(li);
  }
  for (int itry = 0; itry < 5; ++itry) {
    int numChanged = 0;
    for (int i = 0; i < n; ++i) {
      float w = x[i] * x[i];
      float slx = sumlx - w * x[i] * float(l[i]);
      if (slx > 0) {
        float sl2 = suml2 - w * float(l[i]) * float(l[i]);
        int newL = clampInt(nearestInt(x[i] * sl2 / slx), -nmax, nmax - 1);
        if (newL != l[i]) {
          slx += w * x[i] * float(newL);
          sl2 += w * float(newL) * float(newL);
          if (sl2 > 0 && slx * slx * suml2 > sumlx * sumlx * sl2) {
            l[i] = int8_t(newL);
            sumlx = slx;
            suml2 = sl2;
            ++numChanged;
          }
        }
      }
    }
    if (!numChanged)
      break;
  }
  for (int i = 0; i < n; ++i)
    l[i] = int8_t(l[i] + nmax);
  return suml2 > 0.0f ? sumlx / suml2 : 0.0f;
}

/// make_qkx2_quants and make_qkx3_quants with explicit weights (every
/// caller passes them): asymmetric codes L[i] in [0, nmax] with a min,
/// searched over `nstep` + 1 candidate scales; stores -min in `theMin`.
/// ggml's two differ only in how they detect a constant group (`max == min`
/// against `max <= min`), the same for non-NaN input.
[[gnu::always_inline]] inline float makeQkxQuants(int n, int nmax, const float *__restrict x,
                                                  const float *__restrict weights,
                                                  uint8_t *__restrict l, float *__restrict theMin,
                                                  uint8_t *__restrict lAux, float rmin,
                                                  float rdelta, int nstep, bool useMad) {
  float min = x[0];
  float max = x[0];
  float sumW = weights[0];
  float sumX = sumW * x[0];
  for (int i = 1; i < n; ++i) {
    if (x[i] < min)
      min = x[i];
    if (x[i] > max)
      max = x[i];
    float w = weights[i];
    sumW += w;
    sumX += w * x[i];
  }
  if (min > 0)
    min = 0;
  if (max <= min) {
    std::memset(l, 0, size_t(n));
    *theMin = -min;
    return 0.f;
  }
  float iscale = float(nmax) / (max - min);
  float scale = 1 / iscale;
  float bestError = 0;
  for (int i = 0; i < n; ++i) {
    int li = nearestInt(iscale * (x[i] - min));
    l[i] = uint8_t(clampInt(li, 0, nmax));
    float diff = scale * float(l[i]) + min - x[i];
    diff = useMad ? std::fabs(diff) : diff * diff;
    bestError += weights[i] * diff;
  }
  if (nstep < 1) {
    *theMin = -min;
    return scale;
  }
  for (int is = 0; is <= nstep; ++is) {
    iscale = (rmin + rdelta * float(is) + float(nmax)) / (max - min);
    float sumL = 0, sumL2 = 0, sumXL = 0;
    for (int i = 0; i < n; ++i) {
      int li = clampInt(nearestInt(iscale * (x[i] - min)), 0, nmax);
      lAux[i] = uint8_t(li);
      float w = weights[i];
      sumL += w * float(li);
      sumL2 += w * float(li) * float(li);
      sumXL += w * float(li) * x[i];
    }
    float det = sumW * sumL2 - sumL * sumL;
    if (det > 0) {
      float thisScale = (sumW * sumXL - sumX * sumL) / det;
      float thisMin = (sumL2 * sumX - sumL * sumXL) / det;
      if (thisMin > 0) {
        thisMin = 0;
        thisScale = sumXL / sumL2;
      }
      float curError = 0;
      for (int i = 0; i < n; ++i) {
        float diff = thisScale * float(lAux[i]) + thisMin - x[i];
        diff = useMad ? std::fabs(diff) : diff * diff;
        curError += weights[i] * diff;
      }
      if (curError < bestError) {
        for (int i = 0; i < n; ++i)
          l[i] = lAux[i];
        bestError = curError;
        scale = thisScale;
        min = thisMin;
      }
    }
  }
  *theMin = -min;
  return scale;
}

[[gnu::always_inline]] inline float makeQkx2Quants(int n, int nmax, const float *__restrict x,
                                                   const float *__restrict weights,
                                                   uint8_t *__restrict l, float *__restrict theMin,
                                                   uint8_t *__restrict lAux, float rmin,
                                                   float rdelta, int nstep, bool useMad) {
  return makeQkxQuants(n, nmax, x, weights, l, theMin, lAux, rmin, rdelta, nstep, useMad);
}

[[gnu::always_inline]] inline float makeQkx3Quants(int n, int nmax, const float *__restrict x,
                                                   const float *__restrict weights,
                                                   uint8_t *__restrict l, float *__restrict theMin,
                                                   uint8_t *__restrict lAux, float rmin,
                                                   float rdelta, int nstep, bool useMad) {
  return makeQkxQuants(n, nmax, x, weights, l, theMin, lAux, rmin, rdelta, nstep, useMad);
}

/// make_qp_quants: codes in [0, nmax] for non-negative values (the
/// sub-block scales and mins of the K-quants), weighted by `quantWeights`.
inline float makeQpQuants(int n, int nmax, const float *__restrict x, uint8_t *__restrict l,
                          const float *__restrict quantWeights) {
  float max = 0;
  for (int i = 0; i < n; ++i)
    max = max > x[i] ? max : x[i];
  if (max < kGroupMaxEps) {
    for (int i = 0; i < n; ++i)
      l[i] = 0;
    return 0.f;
  }
  float iscale = float(nmax) / max;
  for (int i = 0; i < n; ++i)
    l[i] = uint8_t(nearestInt(iscale * x[i]));
  float scale = 1 / iscale;
  float bestMse = 0;
  for (int i = 0; i < n; ++i) {
    float diff = x[i] - scale * float(l[i]);
    float w = quantWeights[i];
    bestMse += w * diff * diff;
  }
  for (int is = -4; is <= 4; ++is) {
    if (is == 0)
      continue;
    float iscaleIs = (0.1f * float(is) + float(nmax)) / max;
    float scaleIs = 1 / iscaleIs;
    float mse = 0;
    for (int i = 0; i < n; ++i) {
      int li = nearestInt(iscaleIs * x[i]);
      li = nmax < li ? nmax : li;
      float diff = x[i] - scaleIs * float(li);
      float w = quantWeights[i];
      mse += w * diff * diff;
    }
    if (mse < bestMse) {
      bestMse = mse;
      iscale = iscaleIs;
    }
  }
  float sumlx = 0;
  float suml2 = 0;
  for (int i = 0; i < n; ++i) {
    int li = nearestInt(iscale * x[i]);
    li = nmax < li ? nmax : li;
    l[i] = uint8_t(li);
    float w = quantWeights[i];
    sumlx += w * x[i] * float(li);
    suml2 += w * float(li) * float(li);
  }
  for (int itry = 0; itry < 5; ++itry) {
    int numChanged = 0;
    for (int i = 0; i < n; ++i) {
      float w = quantWeights[i];
      float slx = sumlx - w * x[i] * float(l[i]);
      float sl2 = suml2 - w * float(l[i]) * float(l[i]);
      if (slx > 0 && sl2 > 0) {
        int newL = nearestInt(x[i] * sl2 / slx);
        newL = nmax < newL ? nmax : newL;
        if (newL != l[i]) {
          slx += w * x[i] * float(newL);
          sl2 += w * float(newL) * float(newL);
          if (slx * slx * suml2 > sumlx * sumlx * sl2) {
            l[i] = uint8_t(newL);
            sumlx = slx;
            suml2 = sl2;
            ++numChanged;
          }
        }
      }
    }
    if (!numChanged)
      break;
  }
  return suml2 > 0.0f ? sumlx / suml2 : 0.0f;
}

} // namespace quantc::numerics::codecs
