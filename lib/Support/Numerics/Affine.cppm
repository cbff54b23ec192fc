//===- Affine.cppm - Affine quantization parameters -------------*- C++ -*-===//
//
// Scale / zero-point solving and affine (de)quantization with ONNX
// QuantizeLinear / DequantizeLinear / DynamicQuantizeLinear semantics:
//
//   q = saturate(roundHalfToEven(x / scale) + zeroPoint)
//   x = (q - zeroPoint) * scale
//
// All arithmetic is binary32, as the ONNX reference and onnxruntime do it, so
// solved parameters match theirs bit for bit.
//
//===----------------------------------------------------------------------===//

module;

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <span>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"

export module quantc.numerics:affine;

import :rounding;

export namespace quantc::numerics {

/// An inclusive range of integer codes.
struct IntRange {
  int32_t min;
  int32_t max;

  friend constexpr bool operator==(const IntRange &, const IntRange &) = default;
};

/// The codes of a `bits`-wide integer: [-2^(bits-1), 2^(bits-1) - 1] when
/// signed, [0, 2^bits - 1] when not. `bits` must be 1..16.
absl::StatusOr<IntRange> intRange(unsigned bits, bool isSigned) {
  if (bits < 1 || bits > 16)
    return absl::InvalidArgumentError(
        absl::StrCat("intRange: bit width ", bits, " is outside 1..16"));
  if (isSigned)
    return IntRange{-(int32_t(1) << (bits - 1)), (int32_t(1) << (bits - 1)) - 1};
  return IntRange{0, (int32_t(1) << bits) - 1};
}

/// Affine quantization parameters: x ~= (q - zeroPoint) * scale.
struct AffineParams {
  float scale;
  int32_t zeroPoint;

  friend constexpr bool operator==(const AffineParams &, const AffineParams &) = default;
};

/// Solves scale and zero point for the float range [min, max] and a
/// `bits`-wide integer, as ONNX DynamicQuantizeLinear (and onnxruntime's
/// GetQuantizationParameter) do:
///
///   min' = min(min, 0), max' = max(max, 0)     (zero is always exact)
///   scale = (max' - min') / (qmax - qmin)
///   zeroPoint = saturate(roundHalfToEven(qmin - min' / scale))
///
/// When min' == max' (all zeros) the scale is 1 and the zero point is qmin,
/// as in onnxruntime; 0 still quantizes to the zero point and back to 0.
///
/// InvalidArgument when min or max is NaN or infinite, when min > max, when
/// `bits` is outside 1..16, or when the scale over- or underflows binary32.
absl::StatusOr<AffineParams> solveAffine(float min, float max, unsigned bits, bool isSigned) {
  if (!std::isfinite(min) || !std::isfinite(max))
    return absl::InvalidArgumentError(
        absl::StrCat("solveAffine: range [", min, ", ", max, "] is not finite"));
  if (min > max)
    return absl::InvalidArgumentError(
        absl::StrCat("solveAffine: min ", min, " is greater than max ", max));
  absl::StatusOr<IntRange> codes = intRange(bits, isSigned);
  if (!codes.ok())
    return codes.status();
  float lo = min < 0.0f ? min : 0.0f;
  float hi = max > 0.0f ? max : 0.0f;
  if (lo == hi)
    return AffineParams{1.0f, codes->min};
  float scale = (hi - lo) / float(codes->max - codes->min);
  if (!std::isfinite(scale) || scale == 0.0f)
    return absl::InvalidArgumentError(absl::StrCat(
        "solveAffine: range [", min, ", ", max, "] over ", bits,
        " bits gives a scale that is not a positive finite float"));
  float zeroPoint = roundHalfToEven(float(codes->min) - lo / scale);
  return AffineParams{scale, saturateToRange(int64_t(zeroPoint), codes->min, codes->max)};
}

/// Solves symmetric signed parameters for values in [-absMax, absMax]:
/// zeroPoint 0 and scale = absMax / (2^(bits-1) - 1). A zero absMax gives
/// scale 1.
///
/// InvalidArgument when absMax is negative, NaN or infinite, when `bits` is
/// outside 2..16, or when the scale underflows to zero.
absl::StatusOr<AffineParams> solveSymmetric(float absMax, unsigned bits) {
  if (!std::isfinite(absMax) || absMax < 0.0f)
    return absl::InvalidArgumentError(absl::StrCat(
        "solveSymmetric: absMax ", absMax, " is not a finite non-negative float"));
  if (bits < 2 || bits > 16)
    return absl::InvalidArgumentError(
        absl::StrCat("solveSymmetric: bit width ", bits, " is outside 2..16"));
  if (absMax == 0.0f)
    return AffineParams{1.0f, 0};
  int32_t qmax = (int32_t(1) << (bits - 1)) - 1;
  float scale = absMax / float(qmax);
  if (scale == 0.0f)
    return absl::InvalidArgumentError(absl::StrCat(
        "solveSymmetric: absMax ", absMax, " over ", bits, " bits underflows the scale"));
  return AffineParams{scale, 0};
}

/// Quantizes one value: saturate(roundHalfToEven(x / scale) + zeroPoint)
/// into `range`. A NaN quantizes to the (saturated) zero point; infinities
/// saturate. Requires a positive finite scale and range.min <= range.max.
constexpr int32_t quantizeValue(float x, AffineParams params, IntRange range) {
  float rounded = roundHalfToEven(x / params.scale);
  if (rounded != rounded)
    return saturateToRange(params.zeroPoint, range.min, range.max);
  // Anything beyond 2^40 saturates anyway; clamp before converting so that
  // the float-to-integer conversion is defined.
  constexpr float kLimit = 1099511627776.0f;
  if (rounded > kLimit)
    rounded = kLimit;
  else if (rounded < -kLimit)
    rounded = -kLimit;
  return saturateToRange(int64_t(rounded) + params.zeroPoint, range.min, range.max);
}

/// Dequantizes one code: (q - zeroPoint) * scale.
constexpr float dequantizeValue(int32_t q, AffineParams params) {
  return float(int64_t(q) - int64_t(params.zeroPoint)) * params.scale;
}

/// Quantizes `in` into `out` element by element (see quantizeValue).
/// InvalidArgument, writing nothing, when the sizes differ, the scale is not
/// positive and finite, or range.min > range.max.
absl::Status quantizeAffine(std::span<const float> in, AffineParams params, IntRange range,
                            std::span<int32_t> out) {
  if (in.size() != out.size())
    return absl::InvalidArgumentError(absl::StrCat(
        "quantizeAffine: output holds ", out.size(), " elements, expected ", in.size()));
  if (!std::isfinite(params.scale) || !(params.scale > 0.0f))
    return absl::InvalidArgumentError(absl::StrCat(
        "quantizeAffine: scale ", params.scale, " is not a positive finite float"));
  if (range.min > range.max)
    return absl::InvalidArgumentError(absl::StrCat(
        "quantizeAffine: empty range [", range.min, ", ", range.max, "]"));
  for (size_t i = 0; i < in.size(); ++i)
    out[i] = quantizeValue(in[i], params, range);
  return absl::OkStatus();
}

/// Dequantizes `in` into `out` element by element (see dequantizeValue).
/// InvalidArgument, writing nothing, when the sizes differ or the scale is
/// not finite.
absl::Status dequantizeAffine(std::span<const int32_t> in, AffineParams params,
                              std::span<float> out) {
  if (in.size() != out.size())
    return absl::InvalidArgumentError(absl::StrCat(
        "dequantizeAffine: output holds ", out.size(), " elements, expected ", in.size()));
  if (!std::isfinite(params.scale))
    return absl::InvalidArgumentError(
        absl::StrCat("dequantizeAffine: scale ", params.scale, " is not finite"));
  for (size_t i = 0; i < in.size(); ++i)
    out[i] = dequantizeValue(in[i], params);
  return absl::OkStatus();
}

} // namespace quantc::numerics
