//===- CompareTest.cpp - assert_allclose semantics ------------------------===//
//
// Part of quantc.
//
//===----------------------------------------------------------------------===//

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include <gtest/gtest.h>

import quantc.tensorio;

using namespace quantc::tensorio;

namespace {

template <typename T> Tensor make(int32_t dtype, std::vector<int64_t> dims, std::vector<T> values) {
  Tensor t;
  t.dtype = dtype;
  t.dims = std::move(dims);
  t.data.resize(values.size() * sizeof(T));
  std::memcpy(t.data.data(), values.data(), t.data.size());
  return t;
}

Tensor f32(std::vector<float> values) {
  int64_t n = static_cast<int64_t>(values.size());
  return make<float>(1, {n}, std::move(values));
}

bool has(const Comparison &c, const std::string &part) {
  return c.message.find(part) != std::string::npos;
}

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr float kInf = std::numeric_limits<float>::infinity();

TEST(TensorIOCompare, EqualAndWithinTolerance) {
  Comparison same = compareTensors(f32({1, 2, 3}), f32({1, 2, 3}), 0, 0);
  EXPECT_TRUE(same.equal);
  EXPECT_EQ(same.message, "");
  EXPECT_EQ(same.maxAbsError, 0);

  // |a - e| <= atol + rtol * |e|: against 100 at rtol 1e-5 the limit is
  // 0.001 (+ atol): 100.001 passes, 100.002 does not.
  Comparison close = compareTensors(f32({100}), f32({100.001f}), 1e-5, 1e-5);
  EXPECT_TRUE(close.equal) << close.message;
  EXPECT_NEAR(close.maxAbsError, 0.001, 1e-5);
  EXPECT_NEAR(close.maxRelError, 1e-5, 1e-7);
  EXPECT_FALSE(compareTensors(f32({100}), f32({100.002f}), 1e-5, 0).equal);
  // The tolerance scales with the expected value, not the actual one.
  EXPECT_TRUE(compareTensors(f32({10}), f32({11}), 0.1, 0).equal);
  EXPECT_FALSE(compareTensors(f32({11}), f32({10}), 0.05, 0).equal);
}

TEST(TensorIOCompare, MismatchMessage) {
  Tensor e = make<float>(1, {2, 3}, {0, 1, 2, 3, 4, 5});
  Tensor a = make<float>(1, {2, 3}, {0, 1, 2, 3, 4.5f, 6});
  Comparison c = compareTensors(e, a, 1e-3, 1e-5);
  EXPECT_FALSE(c.equal);
  EXPECT_EQ(c.mismatches, 2u);
  EXPECT_EQ(c.firstMismatch, 4u);
  EXPECT_DOUBLE_EQ(c.maxAbsError, 1.0);
  EXPECT_DOUBLE_EQ(c.maxRelError, 0.2);
  EXPECT_TRUE(has(c, "mismatched elements: 2 / 6")) << c.message;
  EXPECT_TRUE(has(c, "first mismatch at [1, 1] (flat index 4): expected 4, got 4.5")) << c.message;
  EXPECT_TRUE(has(c, "max absolute difference: 1")) << c.message;
  EXPECT_TRUE(has(c, "max relative difference: 0.2")) << c.message;
}

TEST(TensorIOCompare, NaNAndInfinities) {
  EXPECT_TRUE(compareTensors(f32({kNaN, 1}), f32({kNaN, 1}), 0, 0).equal);
  Comparison nanVsNumber = compareTensors(f32({kNaN}), f32({1}), 1, 1);
  EXPECT_FALSE(nanVsNumber.equal);
  EXPECT_TRUE(has(nanVsNumber, "expected nan, got 1")) << nanVsNumber.message;
  EXPECT_FALSE(compareTensors(f32({1}), f32({kNaN}), 1, 1).equal);
  EXPECT_TRUE(compareTensors(f32({kInf, -kInf}), f32({kInf, -kInf}), 0, 0).equal);
  EXPECT_FALSE(compareTensors(f32({kInf}), f32({-kInf}), 1, 1).equal);
  EXPECT_FALSE(compareTensors(f32({kInf}), f32({1e30f}), 1, 1).equal);
  Comparison zero = compareTensors(f32({0}), f32({1e-9f}), 0, 0);
  EXPECT_FALSE(zero.equal);
  EXPECT_TRUE(std::isinf(zero.maxRelError));
}

TEST(TensorIOCompare, DTypeAndShapeMustMatch) {
  Comparison dtype = compareTensors(f32({1}), make<double>(11, {1}, {1.0}), 1, 1);
  EXPECT_FALSE(dtype.equal);
  EXPECT_TRUE(has(dtype, "dtype mismatch: expected float32, got float64")) << dtype.message;
  Comparison shape =
      compareTensors(make<float>(1, {2, 2}, {1, 2, 3, 4}), make<float>(1, {4}, {1, 2, 3, 4}), 1, 1);
  EXPECT_FALSE(shape.equal);
  EXPECT_TRUE(has(shape, "shape mismatch: expected [2, 2], got [4]")) << shape.message;
  Tensor broken = f32({1, 2});
  broken.data.pop_back();
  Comparison invalid = compareTensors(f32({1, 2}), broken, 1, 1);
  EXPECT_FALSE(invalid.equal);
  EXPECT_TRUE(has(invalid, "actual tensor is invalid")) << invalid.message;
}

TEST(TensorIOCompare, IntegersAreExact) {
  // 2^53 + 1 and 2^53 are one apart; a comparison through double would
  // call them equal.
  int64_t big = (int64_t(1) << 53) + 1;
  EXPECT_FALSE(compareTensors(make<int64_t>(7, {1}, {big}), make<int64_t>(7, {1}, {big - 1}), 0, 0)
                   .equal);
  EXPECT_TRUE(
      compareTensors(make<int64_t>(7, {1}, {big}), make<int64_t>(7, {1}, {big}), 0, 0).equal);
  EXPECT_FALSE(compareTensors(make<uint64_t>(13, {1}, {UINT64_MAX}),
                              make<uint64_t>(13, {1}, {UINT64_MAX - 1}), 0, 0)
                   .equal);
  EXPECT_TRUE(compareTensors(make<int8_t>(3, {2}, {-5, 5}), make<int8_t>(3, {2}, {-4, 5}), 0, 1)
                  .equal);
  EXPECT_FALSE(
      compareTensors(make<uint8_t>(9, {2}, {1, 0}), make<uint8_t>(9, {2}, {1, 1}), 0, 0).equal);
}

TEST(TensorIOCompare, HalfPrecisionTypes) {
  // float16 1.0 and the next value up, 1 + 2^-10.
  Comparison h = compareTensors(make<uint16_t>(10, {1}, {0x3C00}),
                                make<uint16_t>(10, {1}, {0x3C01}), 1e-3, 0);
  EXPECT_TRUE(h.equal) << h.message;
  EXPECT_DOUBLE_EQ(h.maxAbsError, 0x1p-10);
  EXPECT_FALSE(compareTensors(make<uint16_t>(16, {1}, {0x3F80}),
                              make<uint16_t>(16, {1}, {0x3F81}), 1e-3, 0)
                   .equal);
}

TEST(TensorIOCompare, EmptyTensorsAreEqual) {
  EXPECT_TRUE(
      compareTensors(make<float>(1, {0, 3}, {}), make<float>(1, {0, 3}, {}), 0, 0).equal);
}

} // namespace
