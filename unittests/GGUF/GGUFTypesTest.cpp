//===- GGUFTypesTest.cpp - ggml tensor type table tests -------------------===//
//
// Part of quantc.
//
// The type ids and sizes below are ggml's (ggml.h `enum ggml_type`,
// ggml.c's type_traits: blck_size and type_size).
//
//===----------------------------------------------------------------------===//

#include "absl/status/statusor.h"

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

import quantc.gguf;
import quantc.numerics;

using namespace quantc::gguf;

namespace {

TEST(GGUFTypesTest, CoversEveryGGMLTypeId) {
  // Every id of enum ggml_type that GGUF files may hold (GGML_TYPE_COUNT is
  // 43 in the ggml of node-llama-cpp 3.22.1; 4, 5, 31-33 and 36-38 were
  // removed).
  std::set<uint32_t> expected;
  for (uint32_t id = 0; id < 43; ++id)
    if (id != 4 && id != 5 && !(id >= 31 && id <= 33) && !(id >= 36 && id <= 38))
      expected.insert(id);
  std::set<uint32_t> actual;
  for (const TypeInfo &info : types())
    actual.insert(info.id);
  EXPECT_EQ(actual, expected);
  for (uint32_t removed : {4u, 5u, 31u, 32u, 33u, 36u, 37u, 38u, 43u, 1000u})
    EXPECT_EQ(getTypeInfo(removed), nullptr) << removed;
}

TEST(GGUFTypesTest, TableIsSortedAndLookupFindsEachEntry) {
  uint32_t previous = 0;
  bool first = true;
  for (const TypeInfo &info : types()) {
    if (!first)
      EXPECT_LT(previous, info.id);
    first = false;
    previous = info.id;
    EXPECT_EQ(getTypeInfo(info.id), &info);
  }
}

TEST(GGUFTypesTest, PlainTypeSizes) {
  struct Expected {
    uint32_t id;
    const char *name;
    uint32_t size;
  };
  for (Expected e : {Expected{0, "F32", 4}, {1, "F16", 2}, {24, "I8", 1}, {25, "I16", 2},
                     {26, "I32", 4}, {27, "I64", 8}, {28, "F64", 8}, {30, "BF16", 2}}) {
    const TypeInfo *info = getTypeInfo(e.id);
    ASSERT_NE(info, nullptr) << e.name;
    EXPECT_EQ(std::string(info->name), e.name);
    EXPECT_EQ(info->blockSize, 1u);
    EXPECT_EQ(info->bytesPerBlock, e.size);
    EXPECT_FALSE(info->blockFormat.has_value());
  }
}

TEST(GGUFTypesTest, QuantizedTypesComeFromTheNumericsTable) {
  for (const quantc::numerics::BlockFormatInfo &block : quantc::numerics::kBlockFormats) {
    const TypeInfo *info = getTypeInfo(block.ggmlType);
    ASSERT_NE(info, nullptr) << std::string(block.ggmlName);
    EXPECT_EQ(info->name, block.ggmlName);
    EXPECT_EQ(info->blockSize, block.blockSize);
    EXPECT_EQ(info->bytesPerBlock, block.bytesPerBlock);
    EXPECT_EQ(info->blockFormat, block.format);
  }
}

// The size rule of every type: ne0 / blockSize * bytesPerBlock per row,
// times the other dimensions; ne0 must be a multiple of the block size.
TEST(GGUFTypesTest, EveryTypeSizeRule) {
  for (const TypeInfo &info : types()) {
    SCOPED_TRACE(std::string(info.name));
    std::vector<int64_t> dims = {int64_t(info.blockSize) * 3, 5, 2};
    absl::StatusOr<uint64_t> size = tensorByteSize(info.id, dims);
    ASSERT_TRUE(size.ok()) << size.status();
    EXPECT_EQ(*size, uint64_t(3) * info.bytesPerBlock * 5 * 2);
    EXPECT_EQ(*numElements(dims), uint64_t(info.blockSize) * 3 * 10);

    // One dimension, and no dimensions (a scalar: one element).
    EXPECT_EQ(*tensorByteSize(info.id, std::vector<int64_t>{int64_t(info.blockSize)}),
              info.bytesPerBlock);
    if (info.blockSize == 1)
      EXPECT_EQ(*tensorByteSize(info.id, std::vector<int64_t>{}), info.bytesPerBlock);
    // Empty tensors take no bytes.
    EXPECT_EQ(*tensorByteSize(info.id, std::vector<int64_t>{0, 7}), 0u);

    if (info.blockSize > 1) {
      absl::StatusOr<uint64_t> bad =
          tensorByteSize(info.id, std::vector<int64_t>{int64_t(info.blockSize) + 1, 2});
      ASSERT_FALSE(bad.ok());
      EXPECT_NE(bad.status().message().find("not a multiple of the block size"),
                std::string::npos)
          << bad.status();
    }
  }
}

TEST(GGUFTypesTest, SizeErrors) {
  absl::StatusOr<uint64_t> unknown = tensorByteSize(31, std::vector<int64_t>{32});
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("unknown ggml type 31"), std::string::npos);

  absl::StatusOr<uint64_t> negative = tensorByteSize(kTypeF32, std::vector<int64_t>{4, -1});
  ASSERT_FALSE(negative.ok());
  EXPECT_NE(negative.status().message().find("negative"), std::string::npos);

  absl::StatusOr<uint64_t> tooManyDims =
      tensorByteSize(kTypeF32, std::vector<int64_t>{1, 1, 1, 1, 1});
  ASSERT_FALSE(tooManyDims.ok());
  EXPECT_NE(tooManyDims.status().message().find("5 dimensions"), std::string::npos);

  // The element count overflows int64.
  absl::StatusOr<uint64_t> count =
      tensorByteSize(kTypeF32, std::vector<int64_t>{int64_t(1) << 40, int64_t(1) << 40});
  ASSERT_FALSE(count.ok());
  EXPECT_NE(count.status().message().find("overflows"), std::string::npos);

  // The count fits (2^62) but the bytes (2^65) do not.
  absl::StatusOr<uint64_t> bytes =
      tensorByteSize(kTypeF64, std::vector<int64_t>{int64_t(1) << 31, int64_t(1) << 31});
  ASSERT_FALSE(bytes.ok());
  EXPECT_NE(bytes.status().message().find("overflows 64 bits"), std::string::npos);
}

TEST(GGUFTypesTest, ValueTypeNamesAndIds) {
  static_assert(valueTypeOf<uint8_t>() == ValueType::U8);
  static_assert(valueTypeOf<int8_t>() == ValueType::I8);
  static_assert(valueTypeOf<uint16_t>() == ValueType::U16);
  static_assert(valueTypeOf<int16_t>() == ValueType::I16);
  static_assert(valueTypeOf<uint32_t>() == ValueType::U32);
  static_assert(valueTypeOf<int32_t>() == ValueType::I32);
  static_assert(valueTypeOf<float>() == ValueType::F32);
  static_assert(valueTypeOf<bool>() == ValueType::Bool);
  static_assert(valueTypeOf<std::string>() == ValueType::String);
  static_assert(valueTypeOf<Array>() == ValueType::Array);
  static_assert(valueTypeOf<uint64_t>() == ValueType::U64);
  static_assert(valueTypeOf<int64_t>() == ValueType::I64);
  static_assert(valueTypeOf<double>() == ValueType::F64);
  const char *names[] = {"u8",   "i8",     "u16",   "i16", "u32", "i32", "f32",
                         "bool", "string", "array", "u64", "i64", "f64"};
  for (uint32_t i = 0; i < kNumValueTypes; ++i)
    EXPECT_EQ(std::string(valueTypeName(static_cast<ValueType>(i))), names[i]);
}

} // namespace
