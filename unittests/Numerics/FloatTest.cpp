//===- FloatTest.cpp - fp16 / bf16 / fp8 conversion tests -----------------===//
//
// The binary16 narrowing is checked against clang's _Float16 conversion: the
// software __truncsfhf2 (baseline x86-64) at every rounding boundary and over
// a stride, and the F16C instruction over all 2^32 floats.
// bfloat16 and fp8 narrowing are checked against references that pick the
// nearer candidate with double arithmetic. The sweeps over all 2^32 floats
// run in optimized builds (NDEBUG); unoptimized builds sweep a stride.
//
//===----------------------------------------------------------------------===//

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

import quantc.numerics;

using namespace quantc::numerics;

namespace {

float f32(uint32_t bits) { return std::bit_cast<float>(bits); }
uint32_t bitsOf(float value) { return std::bit_cast<uint32_t>(value); }

bool isHalfNaN(uint16_t h) { return (h & 0x7c00u) == 0x7c00u && (h & 0x03ffu) != 0; }

#ifdef NDEBUG
constexpr uint32_t kSweepStride = 1;
#else
constexpr uint32_t kSweepStride = 257;
#endif

/// Runs `check(bits)` over every kSweepStride'th binary32 bit pattern, split
/// across threads. `check` returns true when the pattern passes. Returns the
/// number of failures and reports the first few.
template <typename Check>
uint64_t sweepAllFloats(const char *what, Check check) {
  unsigned numThreads = std::clamp(std::thread::hardware_concurrency(), 1u, 8u);
  std::vector<uint64_t> failures(numThreads, 0);
  std::vector<uint32_t> firstFailure(numThreads, 0);
  const uint64_t total = uint64_t(1) << 32;
  auto work = [&](unsigned t) {
    uint64_t begin = total * t / numThreads;
    uint64_t end = total * (t + 1) / numThreads;
    begin = (begin + kSweepStride - 1) / kSweepStride * kSweepStride;
    uint64_t count = 0;
    for (uint64_t b = begin; b < end; b += kSweepStride) {
      if (!check(uint32_t(b))) {
        if (count == 0)
          firstFailure[t] = uint32_t(b);
        ++count;
      }
    }
    failures[t] = count;
  };
  std::vector<std::thread> threads;
  for (unsigned t = 0; t < numThreads; ++t)
    threads.emplace_back(work, t);
  for (std::thread &thread : threads)
    thread.join();
  uint64_t sum = 0;
  for (unsigned t = 0; t < numThreads; ++t) {
    if (failures[t] != 0)
      ADD_FAILURE() << what << ": " << failures[t] << " failures, first at 0x" << std::hex
                    << firstFailure[t];
    sum += failures[t];
  }
  return sum;
}

//===----------------------------------------------------------------------===//
// constexpr-ness
//===----------------------------------------------------------------------===//

static_assert(floatToHalf(1.0f) == 0x3c00);
static_assert(halfToFloat(0x3c00) == 1.0f);
static_assert(floatToBFloat16(1.0f) == 0x3f80);
static_assert(bfloat16ToFloat(0x3f80) == 1.0f);
static_assert(floatToF8E4M3FN(448.0f) == 0x7e);
static_assert(f8E4M3FNToFloat(0x7e) == 448.0f);
static_assert(floatToF8E5M2(57344.0f) == 0x7b);
static_assert(f8E5M2ToFloat(0x7b) == 57344.0f);

//===----------------------------------------------------------------------===//
// binary16
//===----------------------------------------------------------------------===//

TEST(HalfTest, KnownValues) {
  EXPECT_EQ(floatToHalf(0.0f), 0x0000);
  EXPECT_EQ(floatToHalf(-0.0f), 0x8000);
  EXPECT_EQ(floatToHalf(1.0f), 0x3c00);
  EXPECT_EQ(floatToHalf(-2.0f), 0xc000);
  EXPECT_EQ(floatToHalf(0.333333343f), 0x3555);
  EXPECT_EQ(floatToHalf(65504.0f), 0x7bff);               // max finite
  EXPECT_EQ(floatToHalf(0x1p-14f), 0x0400);               // min normal
  EXPECT_EQ(floatToHalf(0x1p-24f), 0x0001);               // min subnormal
  EXPECT_EQ(floatToHalf(0x3ffp-24f), 0x03ff);             // max subnormal
  EXPECT_EQ(floatToHalf(std::numeric_limits<float>::infinity()), 0x7c00);
  EXPECT_EQ(floatToHalf(-std::numeric_limits<float>::infinity()), 0xfc00);
  EXPECT_EQ(floatToHalf(std::numeric_limits<float>::denorm_min()), 0x0000);
  EXPECT_EQ(floatToHalf(-std::numeric_limits<float>::denorm_min()), 0x8000);
  EXPECT_EQ(floatToHalf(std::numeric_limits<float>::max()), 0x7c00);

  EXPECT_EQ(halfToFloat(0x0001), 0x1p-24f);
  EXPECT_EQ(halfToFloat(0x03ff), 0x3ffp-24f);
  EXPECT_EQ(halfToFloat(0x0400), 0x1p-14f);
  EXPECT_EQ(halfToFloat(0x7bff), 65504.0f);
  EXPECT_EQ(halfToFloat(0x3555), 0.333251953125f);
  EXPECT_EQ(bitsOf(halfToFloat(0x8000)), 0x80000000u);
  EXPECT_EQ(halfToFloat(0xfc00), -std::numeric_limits<float>::infinity());
}

TEST(HalfTest, RoundingBoundaries) {
  // Ties between 1 and its successor 1 + 2^-10 go to the even mantissa.
  EXPECT_EQ(floatToHalf(1.0f + 0x1p-11f), 0x3c00);
  EXPECT_EQ(floatToHalf(1.0f + 0x3p-11f), 0x3c02);
  EXPECT_EQ(floatToHalf(std::nextafter(1.0f + 0x1p-11f, 2.0f)), 0x3c01);
  EXPECT_EQ(floatToHalf(-(1.0f + 0x1p-11f)), 0xbc00);
  EXPECT_EQ(floatToHalf(-(1.0f + 0x3p-11f)), 0xbc02);
  // Overflow: 65520 is the midpoint between 65504 (odd mantissa) and 65536.
  EXPECT_EQ(floatToHalf(65519.996f), 0x7bff);
  EXPECT_EQ(floatToHalf(65520.0f), 0x7c00);
  EXPECT_EQ(floatToHalf(-65520.0f), 0xfc00);
  EXPECT_EQ(floatToHalf(std::nextafter(65520.0f, 0.0f)), 0x7bff);
  // Underflow: 2^-25 is the midpoint between 0 and 2^-24; ties go to zero.
  EXPECT_EQ(floatToHalf(0x1p-25f), 0x0000);
  EXPECT_EQ(floatToHalf(-0x1p-25f), 0x8000);
  EXPECT_EQ(floatToHalf(std::nextafter(0x1p-25f, 1.0f)), 0x0001);
  EXPECT_EQ(floatToHalf(0x3p-25f), 0x0002); // 1.5 units -> 2
  EXPECT_EQ(floatToHalf(0x5p-25f), 0x0002); // 2.5 units -> 2
  // The midpoint between the largest subnormal and the smallest normal.
  EXPECT_EQ(floatToHalf(0x7ffp-25f), 0x0400);
  EXPECT_EQ(floatToHalf(std::nextafter(0x7ffp-25f, 0.0f)), 0x03ff);
}

TEST(HalfTest, NaNStaysQuietNaNWithSignAndPayload) {
  EXPECT_EQ(floatToHalf(std::numeric_limits<float>::quiet_NaN()), 0x7e00);
  EXPECT_EQ(floatToHalf(-std::numeric_limits<float>::quiet_NaN()), 0xfe00);
  // Signalling NaN whose payload sits below the kept bits: still NaN, quiet.
  EXPECT_EQ(floatToHalf(f32(0x7f800001u)), 0x7e00);
  // The top ten payload bits survive.
  EXPECT_EQ(floatToHalf(f32(0xff812345u)), 0xfe09);
  EXPECT_EQ(floatToHalf(f32(0x7fbfe000u)), 0x7fff);
  // Widening keeps the payload bit for bit, signalling or not.
  EXPECT_EQ(bitsOf(halfToFloat(0x7c01)), 0x7f802000u);
  EXPECT_EQ(bitsOf(halfToFloat(0xfe09)), 0xffc12000u);
}

TEST(HalfTest, ExhaustiveHalfRoundTrip) {
  unsigned checked = 0;
  for (uint32_t h = 0; h <= 0xffff; ++h) {
    uint16_t half = uint16_t(h);
    float widened = halfToFloat(half);
    uint16_t back = floatToHalf(widened);
    if (isHalfNaN(half)) {
      ASSERT_TRUE(std::isnan(widened)) << std::hex << h;
      ASSERT_TRUE(isHalfNaN(back)) << std::hex << h;
      // Same sign and payload, with the quiet bit set.
      ASSERT_EQ(back, half | 0x0200) << std::hex << h;
    } else {
      ASSERT_EQ(back, half) << std::hex << h;
      // Widening agrees with the compiler's own _Float16.
      ASSERT_EQ(bitsOf(widened), bitsOf(float(std::bit_cast<_Float16>(half)))) << std::hex << h;
    }
    ++checked;
  }
  EXPECT_EQ(checked, 65536u);
}

/// The expected binary16 bits for `bits`: _Float16's conversion for numbers
/// (software __truncsfhf2 on baseline x86-64), and for NaN the quiet NaN with
/// the same sign and top payload bits.
uint16_t referenceHalf(uint32_t bits) {
  float value = f32(bits);
  if (value != value)
    return uint16_t(((bits >> 16) & 0x8000u) | 0x7e00u | ((bits >> 13) & 0x3ffu));
  volatile float in = value; // keep the conversion at run time
  return std::bit_cast<uint16_t>(static_cast<_Float16>(in));
}

TEST(HalfTest, MatchesFloat16AtEveryRoundingBoundary) {
  // For every binary16 magnitude: the value itself, the midpoint to the next
  // one (a tie), and the floats right beside both; 65504's "next" is 65536,
  // where rounding overflows.
  unsigned failures = 0, checked = 0;
  for (uint32_t h = 0; h < 0x7c00u; ++h) {
    float value = halfToFloat(uint16_t(h));
    float next = h == 0x7bffu ? 65536.0f : halfToFloat(uint16_t(h + 1));
    float mid = value + (next - value) / 2; // exact: one bit more than binary16
    for (float p : {value, mid}) {
      for (float q : {p, std::nextafter(p, 0.0f), std::nextafter(p, 1e30f)}) {
        for (float r : {q, -q}) {
          uint32_t bits = bitsOf(r);
          if (floatToHalf(r) != referenceHalf(bits) && ++failures <= 10)
            ADD_FAILURE() << "floatToHalf(0x" << std::hex << bits << ")";
          ++checked;
        }
      }
    }
  }
  EXPECT_GT(checked, 380'000u);
  EXPECT_EQ(failures, 0u);
}

TEST(HalfTest, MatchesFloat16OverStridedFloats) {
  // Every 257th float against the software conversion (all exponents, NaNs
  // and infinities included).
  unsigned failures = 0;
  for (uint64_t b = 0; b <= 0xffffffffu; b += 257)
    if (floatToHalf(f32(uint32_t(b))) != referenceHalf(uint32_t(b)) && ++failures <= 10)
      ADD_FAILURE() << "floatToHalf(0x" << std::hex << b << ")";
  EXPECT_EQ(failures, 0u);
}

#if defined(__x86_64__)
/// _Float16's conversion compiled for F16C: one vcvtps2ph, rounding by MXCSR
/// (round to nearest even unless a test changed it).
__attribute__((target("f16c"))) uint16_t f16cHalf(float value) {
  return std::bit_cast<uint16_t>(static_cast<_Float16>(value));
}

TEST(HalfTest, MatchesF16COverAllFloats) {
  // The software conversion takes minutes over all 2^32 floats; the same
  // _Float16 conversion compiled to the F16C instruction takes seconds.
  // Every x86-64 CPU since 2012 has F16C; without it this check cannot run,
  // and that is a failure, not a skip.
  ASSERT_TRUE(__builtin_cpu_supports("f16c"))
      << "the exhaustive fp16 check needs the F16C instruction set";
  uint64_t failures = sweepAllFloats("floatToHalf vs F16C", [](uint32_t bits) {
    uint16_t ours = floatToHalf(f32(bits));
    if ((bits & 0x7fffffffu) > 0x7f800000u) // NaN: checked on its own below
      return ours == referenceHalf(bits);
    return ours == f16cHalf(f32(bits));
  });
  EXPECT_EQ(failures, 0u);
}
#endif

//===----------------------------------------------------------------------===//
// bfloat16
//===----------------------------------------------------------------------===//

/// Reference bfloat16 rounding: of the two bfloat16 values around |x|, pick
/// the nearer by exact double arithmetic, ties to the even encoding. One past
/// the largest finite value is infinity, worth 2^128 for the comparison.
uint16_t referenceBFloat16(uint32_t bits) {
  uint16_t sign = uint16_t((bits >> 16) & 0x8000u);
  uint32_t abs = bits & 0x7fffffffu;
  if (abs >= 0x7f800000u)
    return uint16_t(sign | (abs >> 16)); // infinity (NaN is handled elsewhere)
  uint32_t below = abs & 0xffff0000u;
  uint32_t above = below + 0x10000u;
  double x = double(f32(abs));
  double lo = double(f32(below));
  double hi = above == 0x7f800000u ? std::ldexp(1.0, 128) : double(f32(above));
  double toLo = x - lo, toHi = hi - x;
  uint32_t pick;
  if (toLo < toHi)
    pick = below;
  else if (toHi < toLo)
    pick = above;
  else
    pick = ((below >> 16) & 1) ? above : below;
  return uint16_t(sign | (pick >> 16));
}

TEST(BFloat16Test, Ties) {
  EXPECT_EQ(floatToBFloat16(f32(0x3f808000u)), 0x3f80); // tie, even stays
  EXPECT_EQ(floatToBFloat16(f32(0x3f818000u)), 0x3f82); // tie, odd rounds up
  EXPECT_EQ(floatToBFloat16(f32(0x3f808001u)), 0x3f81); // just above the tie
  EXPECT_EQ(floatToBFloat16(f32(0x3f807fffu)), 0x3f80); // just below
  EXPECT_EQ(floatToBFloat16(f32(0xbf808000u)), 0xbf80); // negative ties
  EXPECT_EQ(floatToBFloat16(f32(0xbf818000u)), 0xbf82);
  // Largest finite bfloat16 is 0x7f7f; a tie above it (odd) rounds to inf.
  EXPECT_EQ(floatToBFloat16(f32(0x7f7f7fffu)), 0x7f7f);
  EXPECT_EQ(floatToBFloat16(f32(0x7f7f8000u)), 0x7f80);
  EXPECT_EQ(floatToBFloat16(f32(0xff7f8000u)), 0xff80);
  EXPECT_EQ(floatToBFloat16(std::numeric_limits<float>::max()), 0x7f80);
  // A tie below an even neighbour at the top stays finite.
  EXPECT_EQ(floatToBFloat16(f32(0x7f7e8000u)), 0x7f7e);
  // Subnormals round like everything else.
  EXPECT_EQ(floatToBFloat16(f32(0x00008000u)), 0x0000);
  EXPECT_EQ(floatToBFloat16(f32(0x00018000u)), 0x0002);
  EXPECT_EQ(floatToBFloat16(f32(0x007fffffu)), 0x0080); // carry into min normal
  EXPECT_EQ(floatToBFloat16(-0.0f), 0x8000);
  EXPECT_EQ(floatToBFloat16(std::numeric_limits<float>::infinity()), 0x7f80);
  EXPECT_EQ(floatToBFloat16(-std::numeric_limits<float>::infinity()), 0xff80);
}

TEST(BFloat16Test, NaNIsQuietAndKeepsSign) {
  // Signalling NaNs whose payload lives in the discarded low bits would
  // become infinity under plain rounding; they must stay NaN and turn quiet.
  for (uint32_t bits : {0x7f800001u, 0x7f80ffffu, 0x7fc00000u, 0x7fffffffu, 0x7f810000u}) {
    for (uint32_t sign : {0u, 0x80000000u}) {
      uint16_t b = floatToBFloat16(f32(bits | sign));
      EXPECT_TRUE(std::isnan(bfloat16ToFloat(b))) << std::hex << (bits | sign);
      EXPECT_EQ(b & 0x0040, 0x0040) << std::hex << (bits | sign);
      EXPECT_EQ(b & 0x8000, sign >> 16) << std::hex << (bits | sign);
    }
  }
  EXPECT_EQ(floatToBFloat16(f32(0x7f810000u)), 0x7fc1); // payload top bits kept
}

TEST(BFloat16Test, WideningIsTheTopHalf) {
  for (uint32_t b = 0; b <= 0xffff; ++b)
    ASSERT_EQ(bitsOf(bfloat16ToFloat(uint16_t(b))), b << 16);
}

TEST(BFloat16Test, MatchesReferenceOverAllFloats) {
  uint64_t failures = sweepAllFloats("floatToBFloat16 vs reference", [](uint32_t bits) {
    uint16_t ours = floatToBFloat16(f32(bits));
    if ((bits & 0x7fffffffu) > 0x7f800000u)
      return (ours & 0x7fc0u) == 0x7fc0u && (ours & 0x8000u) == ((bits >> 16) & 0x8000u);
    return ours == referenceBFloat16(bits);
  });
  EXPECT_EQ(failures, 0u);
}

//===----------------------------------------------------------------------===//
// FP8
//===----------------------------------------------------------------------===//

/// Reference fp8 narrowing by nearest-candidate search over every finite
/// code (`maxCode` is the largest positive finite one), ties to the even
/// code. Values that round past the largest finite value (to the virtual code
/// maxCode + 1) overflow: the result is `overflowCode` (NaN or infinity)
/// unless `saturate`.
uint8_t referenceF8(float value, bool saturate, uint8_t maxCode, float (*decode)(uint8_t),
                    float virtualNext, uint8_t overflowCode) {
  uint8_t sign = std::signbit(value) ? 0x80 : 0;
  double x = std::fabs(double(value));
  if (x >= double(virtualNext)) // past every candidate (distances would round)
    return uint8_t(sign | (saturate ? maxCode : overflowCode));
  uint8_t best = 0;
  double bestDistance = std::numeric_limits<double>::infinity();
  for (unsigned c = 0; c <= unsigned(maxCode) + 1; ++c) {
    double candidate = c <= maxCode ? double(decode(uint8_t(c))) : double(virtualNext);
    double distance = std::fabs(x - candidate);
    if (distance < bestDistance || (distance == bestDistance && (c & 1) == 0)) {
      best = uint8_t(c);
      bestDistance = distance;
    }
  }
  if (best > maxCode)
    return uint8_t(sign | (saturate ? maxCode : overflowCode));
  return uint8_t(sign | best);
}

/// Floats to check fp8 narrowing on: every bfloat16 value (covering all
/// exponents), plus every fp8 value's neighbours and the midpoints between
/// consecutive fp8 values and their neighbours.
std::vector<float> fp8Probes(float (*decode)(uint8_t), uint8_t maxCode) {
  std::vector<float> probes;
  for (uint32_t b = 0; b <= 0xffff; ++b) {
    float v = bfloat16ToFloat(uint16_t(b));
    if (std::isfinite(v)) // infinities and NaNs have their own tests
      probes.push_back(v);
  }
  for (unsigned c = 0; c <= maxCode; ++c) {
    float v = decode(uint8_t(c));
    float next = c < maxCode ? decode(uint8_t(c + 1)) : 2 * v - decode(uint8_t(c - 1));
    float mid = (v + next) / 2; // exact
    for (float p : {v, mid}) {
      probes.push_back(p);
      probes.push_back(std::nextafter(p, 0.0f));
      probes.push_back(std::nextafter(p, std::numeric_limits<float>::infinity()));
    }
  }
  size_t n = probes.size();
  for (size_t i = 0; i < n; ++i)
    probes.push_back(-probes[i]);
  return probes;
}

TEST(F8E4M3FNTest, KnownValues) {
  EXPECT_EQ(f8E4M3FNToFloat(0x7e), 448.0f);
  EXPECT_EQ(f8E4M3FNToFloat(0xfe), -448.0f);
  EXPECT_EQ(f8E4M3FNToFloat(0x01), 0x1p-9f); // min subnormal
  EXPECT_EQ(f8E4M3FNToFloat(0x07), 0x7p-9f); // max subnormal
  EXPECT_EQ(f8E4M3FNToFloat(0x08), 0x1p-6f); // min normal
  EXPECT_EQ(f8E4M3FNToFloat(0x38), 1.0f);
  EXPECT_EQ(f8E4M3FNToFloat(0x78), 256.0f); // exponent 15 is finite in FN
  EXPECT_TRUE(std::isnan(f8E4M3FNToFloat(0x7f)));
  EXPECT_TRUE(std::isnan(f8E4M3FNToFloat(0xff)));
  EXPECT_TRUE(std::signbit(f8E4M3FNToFloat(0xff)));
  EXPECT_EQ(floatToF8E4M3FN(1.0f), 0x38);
  EXPECT_EQ(floatToF8E4M3FN(-1.0f), 0xb8);
  EXPECT_EQ(floatToF8E4M3FN(0x1p-9f), 0x01);
  EXPECT_EQ(floatToF8E4M3FN(0x1p-10f), 0x00); // tie to zero
  EXPECT_EQ(floatToF8E4M3FN(std::nextafter(0x1p-10f, 1.0f)), 0x01);
  EXPECT_EQ(floatToF8E4M3FN(0x3p-10f), 0x02);
  EXPECT_EQ(floatToF8E4M3FN(-0.0f), 0x80);
}

TEST(F8E4M3FNTest, OverflowSaturateAndNaN) {
  const float inf = std::numeric_limits<float>::infinity();
  // 464 is the midpoint between 448 (even code 0x7e) and the missing 480.
  EXPECT_EQ(floatToF8E4M3FN(464.0f), 0x7e);
  EXPECT_EQ(floatToF8E4M3FN(std::nextafter(464.0f, inf)), 0x7f);
  EXPECT_EQ(floatToF8E4M3FN(std::nextafter(464.0f, inf), true), 0x7e);
  EXPECT_EQ(floatToF8E4M3FN(1e6f), 0x7f);
  EXPECT_EQ(floatToF8E4M3FN(-1e6f), 0xff);
  EXPECT_EQ(floatToF8E4M3FN(1e6f, true), 0x7e);
  EXPECT_EQ(floatToF8E4M3FN(-1e6f, true), 0xfe);
  EXPECT_EQ(floatToF8E4M3FN(inf), 0x7f);
  EXPECT_EQ(floatToF8E4M3FN(-inf), 0xff);
  EXPECT_EQ(floatToF8E4M3FN(inf, true), 0x7e);
  EXPECT_EQ(floatToF8E4M3FN(-inf, true), 0xfe);
  EXPECT_EQ(floatToF8E4M3FN(std::numeric_limits<float>::quiet_NaN()), 0x7f);
  EXPECT_EQ(floatToF8E4M3FN(-std::numeric_limits<float>::quiet_NaN()), 0xff);
  EXPECT_EQ(floatToF8E4M3FN(std::numeric_limits<float>::quiet_NaN(), true), 0x7f);
  EXPECT_EQ(floatToF8E4M3FN(f32(0x7f800001u), true), 0x7f);
}

TEST(F8E4M3FNTest, AllCodesRoundTrip) {
  for (unsigned c = 0; c < 256; ++c) {
    uint8_t code = uint8_t(c);
    float v = f8E4M3FNToFloat(code);
    if ((code & 0x7f) == 0x7f) {
      EXPECT_TRUE(std::isnan(v)) << c;
      EXPECT_EQ(floatToF8E4M3FN(v), code) << c;
      continue;
    }
    EXPECT_FALSE(std::isnan(v)) << c;
    EXPECT_EQ(floatToF8E4M3FN(v), code) << c;
    EXPECT_EQ(floatToF8E4M3FN(v, true), code) << c;
    // Codes are monotonic in magnitude.
    if ((code & 0x7f) != 0)
      EXPECT_GT(std::fabs(v), std::fabs(f8E4M3FNToFloat(uint8_t(code - 1)))) << c;
  }
}

TEST(F8E4M3FNTest, MatchesNearestCandidateReference) {
  unsigned failures = 0;
  for (float p : fp8Probes(f8E4M3FNToFloat, 0x7e)) {
    for (bool saturate : {false, true}) {
      uint8_t expected = referenceF8(p, saturate, 0x7e, f8E4M3FNToFloat, 480.0f, 0x7f);
      if (floatToF8E4M3FN(p, saturate) != expected && ++failures < 10)
        ADD_FAILURE() << "floatToF8E4M3FN(" << p << ", " << saturate << ")";
    }
  }
  EXPECT_EQ(failures, 0u);
}

TEST(F8E5M2Test, KnownValues) {
  EXPECT_EQ(f8E5M2ToFloat(0x7b), 57344.0f);
  EXPECT_EQ(f8E5M2ToFloat(0xfb), -57344.0f);
  EXPECT_EQ(f8E5M2ToFloat(0x01), 0x1p-16f); // min subnormal
  EXPECT_EQ(f8E5M2ToFloat(0x03), 0x3p-16f); // max subnormal
  EXPECT_EQ(f8E5M2ToFloat(0x04), 0x1p-14f); // min normal
  EXPECT_EQ(f8E5M2ToFloat(0x3c), 1.0f);
  EXPECT_EQ(f8E5M2ToFloat(0x7c), std::numeric_limits<float>::infinity());
  EXPECT_EQ(f8E5M2ToFloat(0xfc), -std::numeric_limits<float>::infinity());
  for (uint8_t nan : {0x7d, 0x7e, 0x7f, 0xfd, 0xfe, 0xff})
    EXPECT_TRUE(std::isnan(f8E5M2ToFloat(nan))) << int(nan);
  EXPECT_EQ(floatToF8E5M2(1.0f), 0x3c);
  EXPECT_EQ(floatToF8E5M2(0x1p-16f), 0x01);
  EXPECT_EQ(floatToF8E5M2(0x1p-17f), 0x00); // tie to zero
  EXPECT_EQ(floatToF8E5M2(0x3p-17f), 0x02);
  // E5M2 is the top byte of binary16.
  for (unsigned c = 0; c < 256; ++c) {
    float v = f8E5M2ToFloat(uint8_t(c));
    float h = halfToFloat(uint16_t(c << 8));
    EXPECT_EQ(bitsOf(v), bitsOf(h)) << c;
  }
}

TEST(F8E5M2Test, OverflowSaturateAndNaN) {
  const float inf = std::numeric_limits<float>::infinity();
  // 61440 is the midpoint between 57344 (odd code 0x7b) and 65536 (0x7c).
  EXPECT_EQ(floatToF8E5M2(61440.0f), 0x7c);
  EXPECT_EQ(floatToF8E5M2(std::nextafter(61440.0f, 0.0f)), 0x7b);
  EXPECT_EQ(floatToF8E5M2(61440.0f, true), 0x7b);
  EXPECT_EQ(floatToF8E5M2(-1e9f), 0xfc);
  EXPECT_EQ(floatToF8E5M2(-1e9f, true), 0xfb);
  EXPECT_EQ(floatToF8E5M2(inf), 0x7c);
  EXPECT_EQ(floatToF8E5M2(-inf), 0xfc);
  EXPECT_EQ(floatToF8E5M2(inf, true), 0x7b);
  EXPECT_EQ(floatToF8E5M2(-inf, true), 0xfb);
  for (bool saturate : {false, true}) {
    uint8_t q = floatToF8E5M2(std::numeric_limits<float>::quiet_NaN(), saturate);
    EXPECT_TRUE(std::isnan(f8E5M2ToFloat(q)));
    EXPECT_EQ(q & 0x02, 0x02); // quiet
    uint8_t s = floatToF8E5M2(f32(0xff800001u), saturate);
    EXPECT_TRUE(std::isnan(f8E5M2ToFloat(s)));
    EXPECT_EQ(s & 0x82, 0x82); // negative and quiet
  }
}

TEST(F8E5M2Test, AllCodesRoundTrip) {
  for (unsigned c = 0; c < 256; ++c) {
    uint8_t code = uint8_t(c);
    float v = f8E5M2ToFloat(code);
    if ((code & 0x7f) > 0x7c) {
      EXPECT_TRUE(std::isnan(v)) << c;
      uint8_t back = floatToF8E5M2(v);
      EXPECT_EQ(back, code | 0x02) << c; // same sign and payload, quiet
      continue;
    }
    EXPECT_EQ(floatToF8E5M2(v), code) << c;
    if ((code & 0x7f) != 0x7c) // finite codes are fixed points when saturating
      EXPECT_EQ(floatToF8E5M2(v, true), code) << c;
  }
}

TEST(F8E5M2Test, MatchesNearestCandidateReference) {
  unsigned failures = 0;
  for (float p : fp8Probes(f8E5M2ToFloat, 0x7b)) {
    for (bool saturate : {false, true}) {
      uint8_t expected = referenceF8(p, saturate, 0x7b, f8E5M2ToFloat, 65536.0f, 0x7c);
      if (floatToF8E5M2(p, saturate) != expected && ++failures < 10)
        ADD_FAILURE() << "floatToF8E5M2(" << p << ", " << saturate << ")";
    }
  }
  EXPECT_EQ(failures, 0u);
}

TEST(F8E5M2Test, AgreesWithHalfOnHalfValues) {
  // Narrowing an exactly representable binary16 value to E5M2 is rounding
  // its low byte away.
  for (uint32_t h = 0; h <= 0xffff; ++h) {
    if (isHalfNaN(uint16_t(h)))
      continue;
    uint32_t mag = h & 0x7fffu;
    uint32_t rounded = mag >> 8;
    uint32_t rest = mag & 0xffu;
    if (rest > 0x80 || (rest == 0x80 && (rounded & 1)))
      ++rounded;
    uint8_t expected = uint8_t(((h >> 8) & 0x80u) | std::min<uint32_t>(rounded, 0x7c));
    ASSERT_EQ(floatToF8E5M2(halfToFloat(uint16_t(h))), expected) << std::hex << h;
  }
}

} // namespace
