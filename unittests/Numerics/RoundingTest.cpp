//===- RoundingTest.cpp - Rounding mode tests -----------------------------===//

#include <bit>
#include <cfenv>
#include <cmath>
#include <cstdint>
#include <limits>

#include <gtest/gtest.h>

import quantc.numerics;

using namespace quantc::numerics;

namespace {

uint32_t bitsOf(float value) { return std::bit_cast<uint32_t>(value); }

static_assert(nearestInt(2.5f) == 2);
static_assert(roundHalfToEven(2.5f) == 2.0f);
static_assert(roundHalfAwayFromZero(2.5f) == 3.0f);
static_assert(saturateToRange(300, 0, 255) == 255);

TEST(NearestIntTest, HalfCasesGoToEven) {
  EXPECT_EQ(nearestInt(0.5f), 0);
  EXPECT_EQ(nearestInt(1.5f), 2);
  EXPECT_EQ(nearestInt(2.5f), 2);
  EXPECT_EQ(nearestInt(3.5f), 4);
  EXPECT_EQ(nearestInt(-0.5f), 0);
  EXPECT_EQ(nearestInt(-1.5f), -2);
  EXPECT_EQ(nearestInt(-2.5f), -2);
  EXPECT_EQ(nearestInt(3.7f), 4);
  EXPECT_EQ(nearestInt(-3.7f), -4);
  EXPECT_EQ(nearestInt(0.49999997f), 0);
  EXPECT_EQ(nearestInt(-0.0f), 0);
}

TEST(NearestIntTest, ValidRangeEnds) {
  EXPECT_EQ(nearestInt(4194303.0f), 4194303);
  EXPECT_EQ(nearestInt(-4194303.0f), -4194303);
  EXPECT_EQ(nearestInt(4194302.5f), 4194302);
  EXPECT_EQ(nearestInt(4194301.5f), 4194302);
  EXPECT_EQ(nearestInt(-4194302.5f), -4194302);
}

TEST(NearestIntTest, AgreesWithRoundHalfToEvenOverValidRange) {
  // Every 97th float with |x| <= 4194303, both signs.
  const uint32_t last = bitsOf(4194303.0f);
  unsigned failures = 0, checked = 0;
  for (uint32_t b = 0; b <= last; b += 97) {
    for (float x : {std::bit_cast<float>(b), -std::bit_cast<float>(b)}) {
      int32_t expected = int32_t(std::nearbyint(x));
      if (nearestInt(x) != expected || int32_t(roundHalfToEven(x)) != expected)
        ++failures;
      ++checked;
    }
  }
  EXPECT_GT(checked, 20'000'000u);
  EXPECT_EQ(failures, 0u);
}

TEST(RoundHalfToEvenTest, HalfCases) {
  EXPECT_EQ(roundHalfToEven(0.5f), 0.0f);
  EXPECT_EQ(roundHalfToEven(1.5f), 2.0f);
  EXPECT_EQ(roundHalfToEven(2.5f), 2.0f);
  EXPECT_EQ(roundHalfToEven(-1.5f), -2.0f);
  EXPECT_EQ(roundHalfToEven(-2.5f), -2.0f);
  EXPECT_EQ(roundHalfToEven(0.49999997f), 0.0f);
  EXPECT_EQ(roundHalfToEven(0.50000006f), 1.0f);
  EXPECT_EQ(roundHalfToEven(2.4999998f), 2.0f);
  EXPECT_EQ(roundHalfToEven(8388607.5f), 8388608.0f); // largest tie
  EXPECT_EQ(roundHalfToEven(8388606.5f), 8388606.0f);
  EXPECT_EQ(roundHalfToEven(16777216.0f), 16777216.0f);
  EXPECT_EQ(roundHalfToEven(1e30f), 1e30f);
  EXPECT_EQ(roundHalfToEven(-1e30f), -1e30f);
  // The sign of zero is kept.
  EXPECT_EQ(bitsOf(roundHalfToEven(-0.5f)), 0x80000000u);
  EXPECT_EQ(bitsOf(roundHalfToEven(-0.25f)), 0x80000000u);
  EXPECT_EQ(bitsOf(roundHalfToEven(-0.0f)), 0x80000000u);
  EXPECT_EQ(bitsOf(roundHalfToEven(0.25f)), 0u);
  EXPECT_EQ(roundHalfToEven(std::numeric_limits<float>::infinity()),
            std::numeric_limits<float>::infinity());
  EXPECT_EQ(roundHalfToEven(-std::numeric_limits<float>::infinity()),
            -std::numeric_limits<float>::infinity());
  EXPECT_TRUE(std::isnan(roundHalfToEven(std::numeric_limits<float>::quiet_NaN())));
}

TEST(RoundHalfAwayFromZeroTest, HalfCases) {
  EXPECT_EQ(roundHalfAwayFromZero(0.5f), 1.0f);
  EXPECT_EQ(roundHalfAwayFromZero(1.5f), 2.0f);
  EXPECT_EQ(roundHalfAwayFromZero(2.5f), 3.0f);
  EXPECT_EQ(roundHalfAwayFromZero(-0.5f), -1.0f);
  EXPECT_EQ(roundHalfAwayFromZero(-2.5f), -3.0f);
  // floor(x + 0.5) gets this wrong: 0.49999997 + 0.5 rounds up to 1.
  EXPECT_EQ(roundHalfAwayFromZero(0.49999997f), 0.0f);
  EXPECT_EQ(roundHalfAwayFromZero(-0.49999997f), -0.0f);
  EXPECT_EQ(bitsOf(roundHalfAwayFromZero(-0.49999997f)), 0x80000000u);
  EXPECT_EQ(roundHalfAwayFromZero(8388607.5f), 8388608.0f);
  EXPECT_EQ(roundHalfAwayFromZero(8388606.5f), 8388607.0f);
  EXPECT_EQ(roundHalfAwayFromZero(1e30f), 1e30f);
  EXPECT_TRUE(std::isnan(roundHalfAwayFromZero(std::numeric_limits<float>::quiet_NaN())));
}

TEST(RoundingTest, AgreesWithLibmOverStridedFloats) {
  unsigned failures = 0;
  for (uint64_t b = 0; b <= 0xffffffffu; b += 61) {
    float x = std::bit_cast<float>(uint32_t(b));
    if (std::isnan(x)) {
      failures += !std::isnan(roundHalfToEven(x)) + !std::isnan(roundHalfAwayFromZero(x));
      continue;
    }
    failures += bitsOf(roundHalfToEven(x)) != bitsOf(std::nearbyint(x));
    failures += bitsOf(roundHalfAwayFromZero(x)) != bitsOf(std::round(x));
  }
  EXPECT_EQ(failures, 0u);
}

TEST(RoundingTest, IndependentOfRoundingMode) {
  volatile float inputs[] = {0.5f, 1.5f, 2.5f, -2.5f, 2.3f, -2.7f, 8388607.5f};
  const float even[] = {0.0f, 2.0f, 2.0f, -2.0f, 2.0f, -3.0f, 8388608.0f};
  const float away[] = {1.0f, 2.0f, 3.0f, -3.0f, 2.0f, -3.0f, 8388608.0f};
  for (int mode : {FE_UPWARD, FE_DOWNWARD, FE_TOWARDZERO}) {
    ASSERT_EQ(std::fesetround(mode), 0);
    float gotEven[7], gotAway[7];
    for (int i = 0; i < 7; ++i) {
      gotEven[i] = roundHalfToEven(inputs[i]);
      gotAway[i] = roundHalfAwayFromZero(inputs[i]);
    }
    std::fesetround(FE_TONEAREST);
    for (int i = 0; i < 7; ++i) {
      EXPECT_EQ(gotEven[i], even[i]) << "mode " << mode << " input " << i;
      EXPECT_EQ(gotAway[i], away[i]) << "mode " << mode << " input " << i;
    }
  }
}

TEST(SaturateToRangeTest, Clamps) {
  EXPECT_EQ(saturateToRange(-1, 0, 255), 0);
  EXPECT_EQ(saturateToRange(0, 0, 255), 0);
  EXPECT_EQ(saturateToRange(255, 0, 255), 255);
  EXPECT_EQ(saturateToRange(256, 0, 255), 255);
  EXPECT_EQ(saturateToRange(-129, -128, 127), -128);
  EXPECT_EQ(saturateToRange(42, -128, 127), 42);
  EXPECT_EQ(saturateToRange(std::numeric_limits<int64_t>::max(), -8, 7), 7);
  EXPECT_EQ(saturateToRange(std::numeric_limits<int64_t>::min(), -8, 7), -8);
  EXPECT_EQ(saturateToRange(int64_t(1) << 40, std::numeric_limits<int32_t>::min(),
                            std::numeric_limits<int32_t>::max()),
            std::numeric_limits<int32_t>::max());
  EXPECT_EQ(saturateToRange(5, 3, 3), 3);
}

} // namespace
