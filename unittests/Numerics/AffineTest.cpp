//===- AffineTest.cpp - Affine quantization tests -------------------------===//
//
// Expected values come from the ONNX operator documentation and backend test
// cases (DynamicQuantizeLinear, QuantizeLinear, DequantizeLinear).
//
//===----------------------------------------------------------------------===//

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

import quantc.numerics;

using namespace quantc::numerics;

namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

/// Quantizes `x` with the parameters DynamicQuantizeLinear solves from it.
std::vector<int32_t> dynamicQuantizeUInt8(const std::vector<float> &x, AffineParams &params) {
  float lo = x[0], hi = x[0];
  for (float v : x) {
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  absl::StatusOr<AffineParams> solved = solveAffine(lo, hi, 8, /*isSigned=*/false);
  EXPECT_TRUE(solved.ok()) << solved.status();
  params = *solved;
  std::vector<int32_t> q(x.size());
  EXPECT_TRUE(quantizeAffine(x, params, IntRange{0, 255}, q).ok());
  return q;
}

TEST(IntRangeTest, Widths) {
  EXPECT_EQ(*intRange(8, true), (IntRange{-128, 127}));
  EXPECT_EQ(*intRange(8, false), (IntRange{0, 255}));
  EXPECT_EQ(*intRange(4, true), (IntRange{-8, 7}));
  EXPECT_EQ(*intRange(4, false), (IntRange{0, 15}));
  EXPECT_EQ(*intRange(1, true), (IntRange{-1, 0}));
  EXPECT_EQ(*intRange(1, false), (IntRange{0, 1}));
  EXPECT_EQ(*intRange(16, true), (IntRange{-32768, 32767}));
  EXPECT_EQ(*intRange(16, false), (IntRange{0, 65535}));
}

TEST(IntRangeTest, RejectsWidthsOutside1To16) {
  for (unsigned bits : {0u, 17u, 32u}) {
    absl::StatusOr<IntRange> r = intRange(bits, true);
    ASSERT_FALSE(r.ok()) << bits;
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  }
}

TEST(SolveAffineTest, DynamicQuantizeLinearExample) {
  // onnx/backend/test/case/node/dynamicquantizelinear.py, "expanded".
  AffineParams params;
  std::vector<int32_t> q = dynamicQuantizeUInt8({0, 2, -3, -2.5f, 1.34f, 0.5f}, params);
  EXPECT_FLOAT_EQ(params.scale, 0.0196078438f);
  EXPECT_EQ(params.scale, 5.0f / 255.0f); // binary32 arithmetic, bit for bit
  EXPECT_EQ(params.zeroPoint, 153);
  // 0.5 / scale is exactly 25.5 in binary32 (not 25.4999991 as in the reals),
  // which ties to 26: ONNX expects 179, not 178.
  EXPECT_EQ(q, (std::vector<int32_t>{153, 255, 0, 26, 221, 179}));
}

TEST(SolveAffineTest, DynamicQuantizeLinearMaxAdjusted) {
  // All negative: the range widens up to 0, which lands on qmax.
  AffineParams params;
  std::vector<int32_t> q =
      dynamicQuantizeUInt8({-1.0f, -2.1f, -1.3f, -2.5f, -3.34f, -4.0f}, params);
  EXPECT_EQ(params.scale, 4.0f / 255.0f);
  EXPECT_EQ(params.zeroPoint, 255);
  EXPECT_EQ(q, (std::vector<int32_t>{191, 121, 172, 96, 42, 0}));
}

TEST(SolveAffineTest, DynamicQuantizeLinearMinAdjusted) {
  // All positive: the range widens down to 0, which lands on qmin.
  AffineParams params;
  std::vector<int32_t> q = dynamicQuantizeUInt8(
      {1, 2.1f, 1.3f, 2.5f, 3.34f, 4.0f, 1.5f, 2.6f, 3.9f, 4.0f, 3.0f, 2.345f}, params);
  EXPECT_EQ(params.scale, 4.0f / 255.0f);
  EXPECT_EQ(params.zeroPoint, 0);
  EXPECT_EQ(q, (std::vector<int32_t>{64, 134, 83, 159, 213, 255, 96, 166, 249, 255, 191, 149}));
}

TEST(SolveAffineTest, SignedRange) {
  IntRange r{-128, 127};
  absl::StatusOr<AffineParams> exact = solveAffine(-128.0f, 127.0f, 8, /*isSigned=*/true);
  ASSERT_TRUE(exact.ok()) << exact.status();
  EXPECT_EQ(*exact, (AffineParams{1.0f, 0}));

  // binary32 arithmetic, as ONNX and onnxruntime: scale = 2/255 rounds up a
  // little, so -1/scale = -127.499992 and the zero point -128 + 127.499992
  // = -0.500008 rounds to -1, not 0.
  absl::StatusOr<AffineParams> p = solveAffine(-1.0f, 1.0f, 8, /*isSigned=*/true);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->scale, 2.0f / 255.0f);
  EXPECT_EQ(p->zeroPoint, -1);
  EXPECT_EQ(quantizeValue(-1.0f, *p, r), -128);
  EXPECT_EQ(quantizeValue(1.0f, *p, r), 126);
  EXPECT_EQ(quantizeValue(0.0f, *p, r), -1);
}

TEST(SolveAffineTest, ZeroPointTiesToEven) {
  // Scale exactly 1 and an intermediate zero point exactly k + 0.5.
  absl::StatusOr<AffineParams> p = solveAffine(-2.5f, 252.5f, 8, false);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(*p, (AffineParams{1.0f, 2})); // 2.5 -> 2, not 3
  p = solveAffine(-0.5f, 254.5f, 8, false);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(*p, (AffineParams{1.0f, 0})); // 0.5 -> 0
  p = solveAffine(-131.5f, 123.5f, 8, true);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(*p, (AffineParams{1.0f, 4})); // -128 + 131.5 = 3.5 -> 4
}

TEST(SolveAffineTest, ZeroIsExactlyRepresentable) {
  std::mt19937 rng(1234);
  std::uniform_real_distribution<float> dist(-100.0f, 100.0f);
  for (int i = 0; i < 1000; ++i) {
    float a = dist(rng), b = dist(rng);
    for (bool isSigned : {false, true}) {
      for (unsigned bits : {2u, 4u, 8u, 16u}) {
        absl::StatusOr<AffineParams> p = solveAffine(std::min(a, b), std::max(a, b), bits, isSigned);
        ASSERT_TRUE(p.ok()) << p.status();
        IntRange r = *intRange(bits, isSigned);
        EXPECT_GE(p->zeroPoint, r.min);
        EXPECT_LE(p->zeroPoint, r.max);
        EXPECT_EQ(dequantizeValue(quantizeValue(0.0f, *p, r), *p), 0.0f);
      }
    }
  }
}

TEST(SolveAffineTest, AllZeroRange) {
  absl::StatusOr<AffineParams> u = solveAffine(0.0f, 0.0f, 8, false);
  ASSERT_TRUE(u.ok()) << u.status();
  EXPECT_EQ(*u, (AffineParams{1.0f, 0}));
  absl::StatusOr<AffineParams> s = solveAffine(0.0f, 0.0f, 8, true);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->scale, 1.0f);
  EXPECT_EQ(s->zeroPoint, -128); // qmin, as onnxruntime
  EXPECT_EQ(quantizeValue(0.0f, *s, IntRange{-128, 127}), -128);
  EXPECT_EQ(dequantizeValue(-128, *s), 0.0f);
}

TEST(SolveAffineTest, RoundTripErrorIsAtMostHalfAStep) {
  std::mt19937 rng(99);
  std::uniform_real_distribution<float> dist(-3.0f, 7.0f);
  absl::StatusOr<AffineParams> p = solveAffine(-3.0f, 7.0f, 8, false);
  ASSERT_TRUE(p.ok());
  for (int i = 0; i < 10000; ++i) {
    float x = dist(rng);
    float back = dequantizeValue(quantizeValue(x, *p, IntRange{0, 255}), *p);
    EXPECT_LE(std::fabs(back - x), p->scale * 0.5f * 1.0001f) << x;
  }
}

TEST(SolveAffineTest, Errors) {
  auto isInvalid = [](const absl::StatusOr<AffineParams> &p) {
    return !p.ok() && p.status().code() == absl::StatusCode::kInvalidArgument;
  };
  EXPECT_TRUE(isInvalid(solveAffine(kNaN, 1.0f, 8, false)));
  EXPECT_TRUE(isInvalid(solveAffine(-1.0f, kNaN, 8, false)));
  EXPECT_TRUE(isInvalid(solveAffine(-kInf, 1.0f, 8, false)));
  EXPECT_TRUE(isInvalid(solveAffine(-1.0f, kInf, 8, false)));
  EXPECT_TRUE(isInvalid(solveAffine(2.0f, 1.0f, 8, false)));   // min > max
  EXPECT_TRUE(isInvalid(solveAffine(-1.0f, 1.0f, 0, false)));  // bits
  EXPECT_TRUE(isInvalid(solveAffine(-1.0f, 1.0f, 17, true)));  // bits
  EXPECT_TRUE(isInvalid(solveAffine(-3e38f, 3e38f, 8, false))); // width overflows
  EXPECT_TRUE(isInvalid(solveAffine(0.0f, 1e-44f, 8, false)));  // scale underflows
  EXPECT_TRUE(solveAffine(-1e38f, 1e38f, 8, false).ok());
}

TEST(SolveSymmetricTest, Scales) {
  absl::StatusOr<AffineParams> p = solveSymmetric(127.0f, 8);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(*p, (AffineParams{1.0f, 0}));
  p = solveSymmetric(1.0f, 8);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->scale, 1.0f / 127.0f);
  EXPECT_EQ(p->zeroPoint, 0);
  p = solveSymmetric(7.0f, 4);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->scale, 1.0f);
  p = solveSymmetric(3.0f, 2); // qmax 1
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->scale, 3.0f);
  p = solveSymmetric(0.0f, 8);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(*p, (AffineParams{1.0f, 0}));
  // The extremes map to +-qmax; -qmax - 1 stays unused by +-absMax.
  p = solveSymmetric(2.5f, 8);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(quantizeValue(2.5f, *p, IntRange{-128, 127}), 127);
  EXPECT_EQ(quantizeValue(-2.5f, *p, IntRange{-128, 127}), -127);
}

TEST(SolveSymmetricTest, Errors) {
  for (float bad : {-1.0f, kNaN, kInf, -kInf}) {
    absl::StatusOr<AffineParams> p = solveSymmetric(bad, 8);
    ASSERT_FALSE(p.ok()) << bad;
    EXPECT_EQ(p.status().code(), absl::StatusCode::kInvalidArgument);
  }
  EXPECT_FALSE(solveSymmetric(1.0f, 1).ok());
  EXPECT_FALSE(solveSymmetric(1.0f, 0).ok());
  EXPECT_FALSE(solveSymmetric(1.0f, 17).ok());
  EXPECT_FALSE(solveSymmetric(1e-45f, 8).ok()); // scale underflows to 0
}

TEST(QuantizeTest, QuantizeLinearExample) {
  // onnx QuantizeLinear doc example: scale 2, zero point 128, uint8.
  std::vector<float> x = {0, 2, 3, 1000, -254, -1000};
  std::vector<int32_t> q(x.size());
  ASSERT_TRUE(quantizeAffine(x, AffineParams{2.0f, 128}, IntRange{0, 255}, q).ok());
  EXPECT_EQ(q, (std::vector<int32_t>{128, 129, 130, 255, 1, 0}));
  // The same into int8 with zero point 0; 3 / 2 = 1.5 ties to 2.
  ASSERT_TRUE(quantizeAffine(x, AffineParams{2.0f, 0}, IntRange{-128, 127}, q).ok());
  EXPECT_EQ(q, (std::vector<int32_t>{0, 1, 2, 127, -127, -128}));
}

TEST(QuantizeTest, NonFiniteInputs) {
  AffineParams p{0.5f, 10};
  IntRange r{0, 255};
  EXPECT_EQ(quantizeValue(kInf, p, r), 255);
  EXPECT_EQ(quantizeValue(-kInf, p, r), 0);
  EXPECT_EQ(quantizeValue(kNaN, p, r), 10);
  EXPECT_EQ(quantizeValue(3e38f, p, r), 255);
  EXPECT_EQ(quantizeValue(-3e38f, AffineParams{1e-30f, 0}, IntRange{-128, 127}), -128);
  EXPECT_EQ(quantizeValue(kNaN, AffineParams{1.0f, 300}, r), 255); // zp saturated
}

TEST(QuantizeTest, HalfStepsTieToEven) {
  AffineParams p{1.0f, 0};
  IntRange r{-128, 127};
  EXPECT_EQ(quantizeValue(0.5f, p, r), 0);
  EXPECT_EQ(quantizeValue(1.5f, p, r), 2);
  EXPECT_EQ(quantizeValue(2.5f, p, r), 2);
  EXPECT_EQ(quantizeValue(-2.5f, p, r), -2);
  EXPECT_EQ(quantizeValue(-3.5f, p, r), -4);
}

TEST(DequantizeTest, DequantizeLinearExample) {
  // onnx DequantizeLinear doc example: scale 2, zero point 128.
  std::vector<int32_t> q = {0, 3, 128, 255};
  std::vector<float> x(q.size());
  ASSERT_TRUE(dequantizeAffine(q, AffineParams{2.0f, 128}, x).ok());
  EXPECT_EQ(x, (std::vector<float>{-256, -250, 0, 254}));
  EXPECT_EQ(dequantizeValue(std::numeric_limits<int32_t>::min(),
                            AffineParams{1.0f, std::numeric_limits<int32_t>::max()}),
            -4294967295.0f); // no int32 overflow in q - zeroPoint
}

TEST(SpanTest, SizeMismatchesAreInvalidArgument) {
  std::vector<float> x(4, 1.0f);
  std::vector<int32_t> q(3, -7);
  absl::Status s = quantizeAffine(x, AffineParams{1.0f, 0}, IntRange{0, 255}, q);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("3"), absl::string_view::npos) << s;
  EXPECT_NE(s.message().find("4"), absl::string_view::npos) << s;
  EXPECT_EQ(q, (std::vector<int32_t>(3, -7))); // nothing written
  std::vector<int32_t> q6(6);
  EXPECT_EQ(quantizeAffine(x, AffineParams{1.0f, 0}, IntRange{0, 255}, q6).code(),
            absl::StatusCode::kInvalidArgument); // too large is a mismatch too

  std::vector<int32_t> q5(5);
  std::vector<float> out(4);
  s = dequantizeAffine(q5, AffineParams{1.0f, 0}, out);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("expected 5"), absl::string_view::npos) << s;
  std::vector<float> out6(6);
  EXPECT_EQ(dequantizeAffine(q5, AffineParams{1.0f, 0}, out6).code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(SpanTest, BadParametersAreInvalidArgument) {
  std::vector<float> x(2, 1.0f);
  std::vector<int32_t> q(2);
  EXPECT_EQ(quantizeAffine(x, AffineParams{0.0f, 0}, IntRange{0, 255}, q).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(quantizeAffine(x, AffineParams{-1.0f, 0}, IntRange{0, 255}, q).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(quantizeAffine(x, AffineParams{kNaN, 0}, IntRange{0, 255}, q).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(quantizeAffine(x, AffineParams{1.0f, 0}, IntRange{5, 4}, q).code(),
            absl::StatusCode::kInvalidArgument);
  std::vector<float> out(2);
  EXPECT_EQ(dequantizeAffine(q, AffineParams{kInf, 0}, out).code(),
            absl::StatusCode::kInvalidArgument);
  // Empty spans are fine.
  EXPECT_TRUE(quantizeAffine({}, AffineParams{1.0f, 0}, IntRange{0, 255}, {}).ok());
}

} // namespace
