//===- Float.cppm - fp16 / bf16 / fp8 conversions ---------------*- C++ -*-===//
//
// Conversions between binary32 and the narrow floating-point formats the
// quantizers store: IEEE binary16, bfloat16, and the two OCP 8-bit formats
// (E4M3FN and E5M2). Everything is bit manipulation on std::bit_cast'ed
// integers, so the results do not depend on the floating-point environment
// (rounding mode, FTZ/DAZ, -ffast-math) and every function is constexpr.
//
// Narrowing rounds to nearest, ties to even. Widening is exact.
//
//===----------------------------------------------------------------------===//

module;

#include <bit>
#include <cstdint>

export module quantc.numerics:floating;

namespace quantc::numerics::detail {

inline constexpr uint32_t kF32SignMask = 0x80000000u;
inline constexpr uint32_t kF32AbsMask = 0x7fffffffu;
inline constexpr uint32_t kF32ExpMask = 0x7f800000u;
inline constexpr uint32_t kF32MantMask = 0x007fffffu;
inline constexpr unsigned kF32MantBits = 23;
inline constexpr int kF32Bias = 127;

/// `value >> shift`, rounded to nearest with ties to even. `shift` < 32.
constexpr uint32_t shiftRightRNE(uint32_t value, unsigned shift) {
  if (shift == 0)
    return value;
  uint32_t kept = value >> shift;
  uint32_t rest = value & ((uint32_t(1) << shift) - 1);
  uint32_t half = uint32_t(1) << (shift - 1);
  if (rest > half || (rest == half && (kept & 1)))
    ++kept;
  return kept;
}

/// Rounds the finite, non-negative binary32 magnitude `absBits` to a format
/// with `mantBits` stored mantissa bits, exponent bias `bias` and no upper
/// exponent limit. Returns the encoding without its sign: exponent field above
/// `mantBits` mantissa bits. A rounding carry moves into the exponent field,
/// so the caller detects overflow by comparing the result against its largest
/// finite encoding.
constexpr uint32_t narrowMagnitude(uint32_t absBits, unsigned mantBits, int bias) {
  int expField = int(absBits >> kF32MantBits);
  uint32_t mant = absBits & kF32MantMask;
  // Unbiased exponent and full significand (implicit bit made explicit) of a
  // binary32 subnormal use exponent 1 - bias with no implicit bit.
  int exponent = expField == 0 ? 1 - kF32Bias : expField - kF32Bias;
  uint32_t significand = expField == 0 ? mant : (mant | (uint32_t(1) << kF32MantBits));
  if (exponent >= 1 - bias) {
    // Normal in the target format: re-bias the exponent and round the
    // mantissa; a carry out of the mantissa increments the exponent.
    uint32_t rebiased = (uint32_t(exponent + bias) << kF32MantBits) | mant;
    return shiftRightRNE(rebiased, kF32MantBits - mantBits);
  }
  // Subnormal (or zero) in the target format: count in units of the target's
  // smallest subnormal, 2^(1 - bias - mantBits). The significand is worth
  // 2^(exponent - 23) per unit.
  int shift = (1 - bias - int(mantBits)) - (exponent - int(kF32MantBits));
  if (shift > int(kF32MantBits) + 1) // below half the smallest subnormal
    return 0;
  // Rounding up to 1 << mantBits yields the smallest normal encoding.
  return shiftRightRNE(significand, unsigned(shift));
}

/// Widens the finite magnitude encoding `bits` (exponent field above
/// `mantBits` mantissa bits, exponent bias `bias`) to binary32 bits. Exact
/// for every format here: each has fewer mantissa bits and a narrower
/// exponent range than binary32.
constexpr uint32_t widenMagnitude(uint32_t bits, unsigned mantBits, int bias) {
  uint32_t expField = bits >> mantBits;
  uint32_t mant = bits & ((uint32_t(1) << mantBits) - 1);
  if (expField == 0) {
    if (mant == 0)
      return 0;
    // Subnormal: value = mant * 2^(1 - bias - mantBits). Normalize so that
    // the leading one becomes the implicit bit.
    int lead = std::bit_width(mant) - 1;
    int exponent = lead + 1 - bias - int(mantBits);
    uint32_t frac = (mant & ~(uint32_t(1) << lead)) << (kF32MantBits - unsigned(lead));
    return (uint32_t(exponent + kF32Bias) << kF32MantBits) | frac;
  }
  return (uint32_t(int(expField) - bias + kF32Bias) << kF32MantBits) |
         (mant << (kF32MantBits - mantBits));
}

constexpr bool isNaNBits(uint32_t bits) { return (bits & kF32AbsMask) > kF32ExpMask; }
constexpr bool isInfBits(uint32_t bits) { return (bits & kF32AbsMask) == kF32ExpMask; }

} // namespace quantc::numerics::detail

export namespace quantc::numerics {

//===----------------------------------------------------------------------===//
// IEEE binary16
//===----------------------------------------------------------------------===//

/// Converts to IEEE binary16 bits, rounding to nearest even. Results below
/// half the smallest subnormal (2^-25) become signed zero; results that round
/// past 65504 become infinity. A NaN stays NaN with its sign and the top ten
/// bits of its payload, and is always returned quiet.
constexpr uint16_t floatToHalf(float value) {
  using namespace detail;
  uint32_t bits = std::bit_cast<uint32_t>(value);
  uint16_t sign = uint16_t((bits & kF32SignMask) >> 16);
  uint32_t absBits = bits & kF32AbsMask;
  if (absBits > kF32ExpMask) // NaN: keep the payload's top bits, set quiet.
    return uint16_t(sign | 0x7e00u | ((absBits >> 13) & 0x03ffu));
  if (absBits == kF32ExpMask)
    return uint16_t(sign | 0x7c00u);
  uint32_t half = narrowMagnitude(absBits, 10, 15);
  if (half >= 0x7c00u)
    return uint16_t(sign | 0x7c00u);
  return uint16_t(sign | half);
}

/// Widens IEEE binary16 bits to float. Exact for every input, subnormals
/// included; NaN payloads (quiet or signalling) are carried over unchanged.
constexpr float halfToFloat(uint16_t half) {
  using namespace detail;
  uint32_t sign = uint32_t(half & 0x8000u) << 16;
  uint32_t mag = half & 0x7fffu;
  if (mag >= 0x7c00u) // infinity or NaN
    return std::bit_cast<float>(sign | kF32ExpMask | ((mag & 0x03ffu) << 13));
  return std::bit_cast<float>(sign | widenMagnitude(mag, 10, 15));
}

//===----------------------------------------------------------------------===//
// bfloat16
//===----------------------------------------------------------------------===//

/// Converts to bfloat16 bits (the top half of a binary32), rounding to
/// nearest even; finite values that round past the largest finite bfloat16
/// become infinity. A NaN becomes a quiet NaN with the same sign and the top
/// bits of its payload.
constexpr uint16_t floatToBFloat16(float value) {
  using namespace detail;
  uint32_t bits = std::bit_cast<uint32_t>(value);
  if (isNaNBits(bits))
    return uint16_t((bits >> 16) | 0x0040u);
  // bfloat16 shares binary32's exponent field, so rounding away the low 16
  // mantissa bits is the whole conversion; a carry into an all-ones exponent
  // gives exactly infinity.
  uint16_t sign = uint16_t((bits & kF32SignMask) >> 16);
  return uint16_t(sign | detail::shiftRightRNE(bits & kF32AbsMask, 16));
}

/// Widens bfloat16 bits to float. Exact.
constexpr float bfloat16ToFloat(uint16_t value) {
  return std::bit_cast<float>(uint32_t(value) << 16);
}

//===----------------------------------------------------------------------===//
// OCP FP8
//===----------------------------------------------------------------------===//

/// Largest finite float8 E4M3FN value (0x7E).
inline constexpr float kF8E4M3FNMax = 448.0f;
/// Largest finite float8 E5M2 value (0x7B).
inline constexpr float kF8E5M2Max = 57344.0f;

/// Converts to OCP float8 E4M3FN: 4 exponent bits with bias 7, 3 mantissa
/// bits, no infinities; 0x7F and 0xFF are the only NaNs, and the largest
/// finite magnitude is 448. Rounds to nearest even. Following ONNX Cast:
///   - a NaN becomes NaN (0x7F or 0xFF by its sign);
///   - with `saturate` off, an infinity or a value that rounds past 448
///     becomes NaN;
///   - with `saturate` on, either becomes +-448.
constexpr uint8_t floatToF8E4M3FN(float value, bool saturate = false) {
  using namespace detail;
  uint32_t bits = std::bit_cast<uint32_t>(value);
  uint8_t sign = uint8_t((bits & kF32SignMask) >> 24);
  uint32_t absBits = bits & kF32AbsMask;
  if (absBits > kF32ExpMask)
    return uint8_t(sign | 0x7fu);
  if (absBits == kF32ExpMask)
    return uint8_t(sign | (saturate ? 0x7eu : 0x7fu));
  uint32_t mag = narrowMagnitude(absBits, 3, 7);
  if (mag > 0x7eu)
    return uint8_t(sign | (saturate ? 0x7eu : 0x7fu));
  return uint8_t(sign | mag);
}

/// Widens float8 E4M3FN bits to float. Exact; 0x7F/0xFF give a quiet NaN of
/// the same sign.
constexpr float f8E4M3FNToFloat(uint8_t value) {
  using namespace detail;
  uint32_t sign = uint32_t(value & 0x80u) << 24;
  uint32_t mag = value & 0x7fu;
  if (mag == 0x7fu)
    return std::bit_cast<float>(sign | 0x7fc00000u);
  return std::bit_cast<float>(sign | widenMagnitude(mag, 3, 7));
}

/// Converts to OCP float8 E5M2: 5 exponent bits with bias 15, 2 mantissa
/// bits, IEEE-style infinities (0x7C) and NaNs (0x7D..0x7F); the largest
/// finite magnitude is 57344. Rounds to nearest even. Following ONNX Cast:
///   - a NaN stays NaN, quiet, with its sign and top payload bit;
///   - with `saturate` off, infinities stay infinite and values that round
///     past 57344 become infinity;
///   - with `saturate` on, either becomes +-57344.
constexpr uint8_t floatToF8E5M2(float value, bool saturate = false) {
  using namespace detail;
  uint32_t bits = std::bit_cast<uint32_t>(value);
  uint8_t sign = uint8_t((bits & kF32SignMask) >> 24);
  uint32_t absBits = bits & kF32AbsMask;
  if (absBits > kF32ExpMask)
    return uint8_t(sign | 0x7eu | ((absBits >> 21) & 0x01u));
  if (absBits == kF32ExpMask)
    return uint8_t(sign | (saturate ? 0x7bu : 0x7cu));
  uint32_t mag = narrowMagnitude(absBits, 2, 15);
  if (mag >= 0x7cu)
    return uint8_t(sign | (saturate ? 0x7bu : 0x7cu));
  return uint8_t(sign | mag);
}

/// Widens float8 E5M2 bits to float. Exact, infinities and NaN payloads
/// included.
constexpr float f8E5M2ToFloat(uint8_t value) {
  using namespace detail;
  uint32_t sign = uint32_t(value & 0x80u) << 24;
  uint32_t mag = value & 0x7fu;
  if (mag >= 0x7cu)
    return std::bit_cast<float>(sign | kF32ExpMask | ((mag & 0x03u) << 21));
  return std::bit_cast<float>(sign | widenMagnitude(mag, 2, 15));
}

} // namespace quantc::numerics
