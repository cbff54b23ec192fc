//===- TensorIOTest.cpp - Round trips through .pb and .npy ----------------===//
//
// Part of quantc.
//
// Every element type through serialize-then-parse in both formats, in memory
// and through files, at ranks 0 to 4 and with empty dimensions; the file
// reader's choice of format; and the element values the comparison uses.
//
//===----------------------------------------------------------------------===//

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "TensorIOTestUtil.h"

import quantc.runtime;
import quantc.tensorio;

using namespace quantc::tensorio;
using quantc::testing::sampleData;
using quantc::testing::ScratchDir;

namespace {

const std::vector<std::vector<int64_t>> kShapes = {{}, {1}, {7}, {2, 3}, {0, 5}, {2, 1, 3, 2}};

Tensor sample(int32_t dtype, std::vector<int64_t> dims, std::string name, uint32_t seed) {
  Tensor t;
  t.name = std::move(name);
  t.dtype = dtype;
  t.dims = std::move(dims);
  t.data = sampleData(dtype, *numElements(t.dims), quantc::runtime::dtypeSize(dtype), seed);
  return t;
}

TEST(TensorIORoundTrip, PbEveryDTypeAndShape) {
  uint32_t seed = 1;
  for (const quantc::runtime::DTypeInfo &info : quantc::runtime::kDTypes)
    for (const std::vector<int64_t> &dims : kShapes)
      for (const char *name : {"", "x", "a name with spaces/and:punctuation"}) {
        Tensor t = sample(info.dtype, dims, name, seed++);
        absl::StatusOr<std::vector<std::byte>> bytes = serializeTensorPb(t);
        ASSERT_TRUE(bytes.ok()) << bytes.status();
        absl::StatusOr<Tensor> back = parseTensorPb(*bytes, "t.pb");
        ASSERT_TRUE(back.ok()) << info.name << " " << formatDims(dims) << ": " << back.status();
        EXPECT_EQ(*back, t) << info.name << " " << formatDims(dims);
      }
}

TEST(TensorIORoundTrip, NpyEveryDTypeAndShape) {
  uint32_t seed = 100;
  for (const quantc::runtime::DTypeInfo &info : quantc::runtime::kDTypes)
    for (const std::vector<int64_t> &dims : kShapes) {
      Tensor t = sample(info.dtype, dims, "", seed++);
      absl::StatusOr<std::vector<std::byte>> bytes = serializeNpy(t);
      if (info.dtype == 16) { // numpy has no bfloat16
        ASSERT_FALSE(bytes.ok());
        EXPECT_NE(std::string(bytes.status().message()).find("no numpy dtype"),
                  std::string::npos);
        continue;
      }
      ASSERT_TRUE(bytes.ok()) << bytes.status();
      EXPECT_EQ((bytes->size() - t.data.size()) % 64, 0u) << "data must start 64-byte aligned";
      absl::StatusOr<Tensor> back = parseNpy(*bytes, "t.npy");
      ASSERT_TRUE(back.ok()) << info.name << " " << formatDims(dims) << ": " << back.status();
      EXPECT_EQ(*back, t) << info.name << " " << formatDims(dims);
    }
}

TEST(TensorIORoundTrip, ThroughFiles) {
  ScratchDir dir;
  Tensor t = sample(1, {3, 4, 5}, "x", 7);
  ASSERT_TRUE(writeTensorPb(t, dir.file("x.pb")).ok());
  absl::StatusOr<Tensor> pb = readTensorFile(dir.file("x.pb"));
  ASSERT_TRUE(pb.ok()) << pb.status();
  EXPECT_EQ(*pb, t);

  t.name.clear();
  ASSERT_TRUE(writeNpy(t, dir.file("x.npy")).ok());
  absl::StatusOr<Tensor> npy = readTensorFile(dir.file("x.npy"));
  ASSERT_TRUE(npy.ok()) << npy.status();
  EXPECT_EQ(*npy, t);

  // The format is told by the content, not the name.
  std::filesystem::rename(dir.file("x.npy"), dir.file("y.pb"));
  absl::StatusOr<Tensor> renamed = readTensorFile(dir.file("y.pb"));
  ASSERT_TRUE(renamed.ok()) << renamed.status();
  EXPECT_EQ(*renamed, t);
}

TEST(TensorIORoundTrip, FileErrorsNameThePath) {
  ScratchDir dir;
  absl::StatusOr<Tensor> missing = readTensorFile(dir.file("missing.pb"));
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(std::string(missing.status().message()).find("missing.pb"), std::string::npos);

  Tensor t = sample(1, {2}, "x", 1);
  absl::Status unwritable = writeNpy(t, dir.file("no/such/dir/x.npy"));
  ASSERT_FALSE(unwritable.ok());
  EXPECT_NE(std::string(unwritable.message()).find("x.npy"), std::string::npos);

  // A .npy name with other content is parsed as .npy, and fails as one.
  ASSERT_TRUE(writeTensorPb(t, dir.file("fake.npy")).ok());
  absl::StatusOr<Tensor> fake = readTensorFile(dir.file("fake.npy"));
  ASSERT_FALSE(fake.ok());
  EXPECT_NE(std::string(fake.status().message()).find("magic"), std::string::npos);
}

TEST(TensorIORoundTrip, WritersRejectInconsistentTensors) {
  Tensor t = sample(1, {2, 3}, "x", 1);
  t.data.pop_back();
  EXPECT_FALSE(serializeTensorPb(t).ok());
  EXPECT_FALSE(serializeNpy(t).ok());
  EXPECT_FALSE(checkTensor(t).ok());
  Tensor unknown = sample(1, {2}, "x", 1);
  unknown.dtype = 8;
  EXPECT_FALSE(serializeTensorPb(unknown).ok());
  Tensor negative;
  negative.dtype = 1;
  negative.dims = {-1};
  EXPECT_FALSE(checkTensor(negative).ok());
}

TEST(TensorIOElements, HalfAndBFloat16) {
  EXPECT_EQ(halfToFloat(0x3C00), 1.0f);
  EXPECT_EQ(halfToFloat(0xC000), -2.0f);
  EXPECT_EQ(halfToFloat(0x7BFF), 65504.0f);
  EXPECT_EQ(halfToFloat(0x0001), 0x1p-24f);
  EXPECT_EQ(halfToFloat(0x03FF), 1023 * 0x1p-24f);
  EXPECT_EQ(halfToFloat(0x0400), 0x1p-14f);
  EXPECT_TRUE(std::signbit(halfToFloat(0x8000)));
  EXPECT_EQ(halfToFloat(0x7C00), INFINITY);
  EXPECT_EQ(halfToFloat(0xFC00), -INFINITY);
  EXPECT_TRUE(std::isnan(halfToFloat(0x7E00)));
  EXPECT_EQ(bfloat16ToFloat(0x3F80), 1.0f);
  EXPECT_EQ(bfloat16ToFloat(0xC2F7), -123.5f);
  EXPECT_TRUE(std::isnan(bfloat16ToFloat(0x7FC0)));
}

TEST(TensorIOElements, ValuesOfEveryDType) {
  auto one = [](int32_t dtype, auto value) {
    Tensor t;
    t.dtype = dtype;
    t.data.resize(sizeof(value));
    std::memcpy(t.data.data(), &value, sizeof(value));
    return elementValue(t, 0);
  };
  EXPECT_EQ(one(1, 1.5f), 1.5L);
  EXPECT_EQ(one(2, uint8_t(200)), 200);
  EXPECT_EQ(one(3, int8_t(-100)), -100);
  EXPECT_EQ(one(4, uint16_t(60000)), 60000);
  EXPECT_EQ(one(5, int16_t(-30000)), -30000);
  EXPECT_EQ(one(6, int32_t(-2000000000)), -2000000000);
  EXPECT_EQ(one(7, int64_t(-9007199254740993)), -9007199254740993.0L);
  EXPECT_EQ(one(9, uint8_t(1)), 1);
  EXPECT_EQ(one(10, uint16_t(0x3555)), static_cast<long double>(halfToFloat(0x3555)));
  EXPECT_EQ(one(11, 0.1), static_cast<long double>(0.1));
  EXPECT_EQ(one(12, uint32_t(4000000000u)), 4000000000.0L);
  EXPECT_EQ(one(13, uint64_t(18446744073709551615ull)), 18446744073709551615.0L);
  EXPECT_EQ(one(16, uint16_t(0x4049)), 3.140625L);
}

} // namespace
