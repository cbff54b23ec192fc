//===- Rounding.cppm - Rounding modes quantizers use ------------*- C++ -*-===//
//
// Float-to-integer rounding as the quantizers we mirror do it: ggml's
// `nearest_int` magic-number trick, ONNX's round-half-to-even, C's
// round-half-away-from-zero, and clamping into an integer range.
//
// roundHalfToEven and roundHalfAwayFromZero are integer/bit based, so unlike
// std::nearbyint they do not depend on the current rounding mode.
//
//===----------------------------------------------------------------------===//

module;

#include <bit>
#include <cstdint>

export module quantc.numerics:rounding;

namespace quantc::numerics::detail {

/// 2^23: from here on every float is an integer.
inline constexpr float kTwoPow23 = 8388608.0f;

struct IntAndFraction {
  float integer;
  /// -1, 0 or +1 as the fraction is below, at or above one half.
  int fractionVsHalf;
};

/// Splits a non-negative `magnitude` < 2^23 into its integer part and how its
/// fraction compares with one half.
constexpr IntAndFraction splitMagnitude(float magnitude) {
  // magnitude < 2^23 fits an int32 exactly, and magnitude - trunc(magnitude)
  // is exact (both lie in the same binade or the integer part is smaller).
  float integer = float(int32_t(magnitude));
  float fraction = magnitude - integer;
  int cmp = fraction < 0.5f ? -1 : (fraction > 0.5f ? 1 : 0);
  return {integer, cmp};
}

constexpr float withSignOf(float magnitude, float signSource) {
  uint32_t sign = std::bit_cast<uint32_t>(signSource) & 0x80000000u;
  return std::bit_cast<float>(std::bit_cast<uint32_t>(magnitude) | sign);
}

constexpr float absOf(float value) {
  return std::bit_cast<float>(std::bit_cast<uint32_t>(value) & 0x7fffffffu);
}

} // namespace quantc::numerics::detail

export namespace quantc::numerics {

/// ggml's `nearest_int`: rounds to the nearest integer, ties to even, by
/// adding 1.5 * 2^23 so that the float adder's own round-to-nearest-even puts
/// the integer in the low mantissa bits.
///
/// Valid only for |value| <= 4194303 (2^22 - 1), as in ggml (which asserts
/// it); outside that, and for NaN or infinity, the result is meaningless. It
/// also relies on the default rounding mode and on the compiler not
/// reassociating the addition (no -ffast-math), exactly like ggml. Use it
/// where bit-for-bit agreement with llama.cpp's quantizers matters; use
/// roundHalfToEven elsewhere.
constexpr int32_t nearestInt(float value) {
  float shifted = value + 12582912.f;
  int32_t bits = std::bit_cast<int32_t>(shifted);
  return (bits & 0x007fffff) - 0x00400000;
}

/// Rounds to the nearest integral float, ties to even (IEEE roundeven, what
/// ONNX QuantizeLinear specifies). Infinities, NaNs and values that are
/// already integral come back unchanged; the sign of zero is kept (-0.25 ->
/// -0.0). Independent of the current rounding mode.
constexpr float roundHalfToEven(float value) {
  using namespace detail;
  float magnitude = absOf(value);
  if (!(magnitude < kTwoPow23)) // integral already, infinite, or NaN
    return value;
  IntAndFraction split = splitMagnitude(magnitude);
  float result = split.integer;
  if (split.fractionVsHalf > 0 ||
      (split.fractionVsHalf == 0 && (int32_t(split.integer) & 1)))
    result += 1.0f;
  return withSignOf(result, value);
}

/// Rounds to the nearest integral float, ties away from zero (std::round,
/// C `roundf`). Infinities, NaNs and integral values come back unchanged; the
/// sign of zero is kept. Exact for inputs just below one half (0.49999997f
/// rounds to 0, unlike floor(x + 0.5)).
constexpr float roundHalfAwayFromZero(float value) {
  using namespace detail;
  float magnitude = absOf(value);
  if (!(magnitude < kTwoPow23))
    return value;
  IntAndFraction split = splitMagnitude(magnitude);
  float result = split.integer;
  if (split.fractionVsHalf >= 0)
    result += 1.0f;
  return withSignOf(result, value);
}

/// Clamps `value` into [lo, hi]. Requires lo <= hi.
constexpr int32_t saturateToRange(int64_t value, int32_t lo, int32_t hi) {
  if (value < lo)
    return lo;
  if (value > hi)
    return hi;
  return int32_t(value);
}

} // namespace quantc::numerics
