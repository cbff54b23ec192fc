//===- BlocksTest.cpp - llama.cpp block format table tests ----------------===//

#include <cstdint>
#include <iterator>
#include <optional>
#include <string>

#include <gtest/gtest.h>

import quantc.numerics;

using namespace quantc::numerics;

namespace {

static_assert(getBlockFormatInfo(BlockFormat::Q4_0).bytesPerBlock == 18);
static_assert(parseBlockFormat("Q4_K") == BlockFormat::Q4_K);

TEST(BlocksTest, TableIsIndexedByFormat) {
  for (size_t i = 0; i < kBlockFormats.size(); ++i) {
    EXPECT_EQ(static_cast<size_t>(kBlockFormats[i].format), i);
    EXPECT_EQ(&getBlockFormatInfo(kBlockFormats[i].format), &kBlockFormats[i]);
  }
}

TEST(BlocksTest, SizesMatchGGMLStructs) {
  // Field sizes from ggml-common.h; f16 is 2 bytes, f32 4.
  struct Expected {
    BlockFormat format;
    uint32_t blockSize;
    uint32_t bytes;
  };
  const Expected expected[] = {
      {BlockFormat::Q4_0, 32, 2 + 16},
      {BlockFormat::Q4_1, 32, 2 + 2 + 16},
      {BlockFormat::Q5_0, 32, 2 + 4 + 16},
      {BlockFormat::Q5_1, 32, 2 + 2 + 4 + 16},
      {BlockFormat::Q8_0, 32, 2 + 32},
      {BlockFormat::Q8_1, 32, 2 + 2 + 32},
      {BlockFormat::Q2_K, 256, 16 + 64 + 2 + 2},
      {BlockFormat::Q3_K, 256, 32 + 64 + 12 + 2},
      {BlockFormat::Q4_K, 256, 2 + 2 + 12 + 128},
      {BlockFormat::Q5_K, 256, 2 + 2 + 12 + 32 + 128},
      {BlockFormat::Q6_K, 256, 128 + 64 + 16 + 2},
      {BlockFormat::Q8_K, 256, 4 + 256 + 2 * 16},
      {BlockFormat::IQ2_XXS, 256, 2 + 2 * 32},
      {BlockFormat::IQ2_XS, 256, 2 + 2 * 32 + 8},
      {BlockFormat::IQ3_XXS, 256, 2 + 96},
      {BlockFormat::IQ1_S, 256, 2 + 32 + 2 * 8},
      {BlockFormat::IQ4_NL, 32, 2 + 16},
      {BlockFormat::IQ3_S, 256, 2 + 64 + 8 + 32 + 4},
      {BlockFormat::IQ2_S, 256, 2 + 64 + 8 + 8},
      {BlockFormat::IQ4_XS, 256, 2 + 2 + 4 + 128},
      {BlockFormat::IQ1_M, 256, 32 + 16 + 8},
      {BlockFormat::TQ1_0, 256, 48 + 4 + 2},
      {BlockFormat::TQ2_0, 256, 64 + 2},
      {BlockFormat::MXFP4, 32, 1 + 16},
      {BlockFormat::NVFP4, 64, 4 + 32},
      {BlockFormat::Q1_0, 128, 2 + 16},
      {BlockFormat::Q2_0, 64, 2 + 16},
  };
  static_assert(std::size(expected) == kBlockFormats.size());
  for (const Expected &e : expected) {
    const BlockFormatInfo &info = getBlockFormatInfo(e.format);
    EXPECT_EQ(info.blockSize, e.blockSize) << info.name;
    EXPECT_EQ(info.bytesPerBlock, e.bytes) << info.name;
  }
  EXPECT_EQ(getBlockFormatInfo(BlockFormat::Q4_0).bytesPerBlock, 18u);
  EXPECT_EQ(getBlockFormatInfo(BlockFormat::Q4_K).bytesPerBlock, 144u);
  EXPECT_EQ(getBlockFormatInfo(BlockFormat::Q6_K).bytesPerBlock, 210u);
}

TEST(BlocksTest, BitsPerWeight) {
  EXPECT_DOUBLE_EQ(bitsPerWeight(BlockFormat::Q4_0), 4.5);
  EXPECT_DOUBLE_EQ(bitsPerWeight(BlockFormat::Q8_0), 8.5);
  EXPECT_DOUBLE_EQ(bitsPerWeight(BlockFormat::Q4_K), 4.5);
  EXPECT_DOUBLE_EQ(bitsPerWeight(BlockFormat::Q6_K), 6.5625);
  EXPECT_DOUBLE_EQ(bitsPerWeight(BlockFormat::Q2_K), 2.625);
  EXPECT_DOUBLE_EQ(bitsPerWeight(BlockFormat::IQ4_XS), 4.25);
  EXPECT_DOUBLE_EQ(bitsPerWeight(BlockFormat::TQ1_0), 1.6875);
  EXPECT_DOUBLE_EQ(bitsPerWeight(BlockFormat::MXFP4), 4.25);
}

TEST(BlocksTest, ParseBothSpellings) {
  EXPECT_EQ(parseBlockFormat("Q4_K"), BlockFormat::Q4_K);
  EXPECT_EQ(parseBlockFormat("q4_k"), BlockFormat::Q4_K);
  EXPECT_EQ(parseBlockFormat("Q4_k"), BlockFormat::Q4_K);
  EXPECT_EQ(parseBlockFormat("q8_0"), BlockFormat::Q8_0);
  EXPECT_EQ(parseBlockFormat("Q6_K"), BlockFormat::Q6_K);
  EXPECT_EQ(parseBlockFormat("IQ2_XXS"), BlockFormat::IQ2_XXS);
  EXPECT_EQ(parseBlockFormat("iq4_nl"), BlockFormat::IQ4_NL);
  EXPECT_EQ(parseBlockFormat("MxFp4"), BlockFormat::MXFP4);
  EXPECT_EQ(parseBlockFormat("iq2_xx"), std::nullopt);
  EXPECT_EQ(parseBlockFormat("q4"), std::nullopt);
  EXPECT_EQ(parseBlockFormat(""), std::nullopt);
  EXPECT_EQ(parseBlockFormat("q4_kx"), std::nullopt);
  EXPECT_EQ(parseBlockFormat("q4-k"), std::nullopt);
  EXPECT_EQ(parseBlockFormat("f16"), std::nullopt);
  for (const BlockFormatInfo &info : kBlockFormats) {
    EXPECT_EQ(parseBlockFormat(info.name), info.format) << info.name;
    EXPECT_EQ(parseBlockFormat(info.ggmlName), info.format) << info.ggmlName;
    // The two spellings differ only in case.
    std::string upper(info.name);
    for (char &c : upper)
      if (c >= 'a' && c <= 'z')
        c = char(c - 'a' + 'A');
    EXPECT_EQ(upper, info.ggmlName);
  }
}

TEST(BlocksTest, GGMLTypeIds) {
  EXPECT_EQ(blockFormatFromGGMLType(2), BlockFormat::Q4_0);
  EXPECT_EQ(blockFormatFromGGMLType(3), BlockFormat::Q4_1);
  EXPECT_EQ(blockFormatFromGGMLType(6), BlockFormat::Q5_0);
  EXPECT_EQ(blockFormatFromGGMLType(8), BlockFormat::Q8_0);
  EXPECT_EQ(blockFormatFromGGMLType(12), BlockFormat::Q4_K);
  EXPECT_EQ(blockFormatFromGGMLType(14), BlockFormat::Q6_K);
  EXPECT_EQ(blockFormatFromGGMLType(15), BlockFormat::Q8_K);
  EXPECT_EQ(blockFormatFromGGMLType(16), BlockFormat::IQ2_XXS);
  EXPECT_EQ(blockFormatFromGGMLType(23), BlockFormat::IQ4_XS);
  EXPECT_EQ(blockFormatFromGGMLType(29), BlockFormat::IQ1_M);
  EXPECT_EQ(blockFormatFromGGMLType(34), BlockFormat::TQ1_0);
  EXPECT_EQ(blockFormatFromGGMLType(35), BlockFormat::TQ2_0);
  EXPECT_EQ(blockFormatFromGGMLType(39), BlockFormat::MXFP4);
  EXPECT_EQ(blockFormatFromGGMLType(40), BlockFormat::NVFP4);
  EXPECT_EQ(blockFormatFromGGMLType(41), BlockFormat::Q1_0);
  EXPECT_EQ(blockFormatFromGGMLType(42), BlockFormat::Q2_0);
  // F32, F16, the removed Q4_2 / Q4_3, I8..F64, BF16 and the removed
  // repacked formats are not block formats.
  for (uint32_t id : {0u, 1u, 4u, 5u, 24u, 25u, 26u, 27u, 28u, 30u, 31u, 32u, 33u, 36u,
                      37u, 38u, 43u, 1000u})
    EXPECT_EQ(blockFormatFromGGMLType(id), std::nullopt) << id;
  for (const BlockFormatInfo &info : kBlockFormats)
    EXPECT_EQ(blockFormatFromGGMLType(info.ggmlType), info.format) << info.name;
}

TEST(BlocksTest, RowBytes) {
  EXPECT_EQ(rowBytes(BlockFormat::Q4_0, 0), 0u);
  EXPECT_EQ(rowBytes(BlockFormat::Q4_0, 32), 18u);
  EXPECT_EQ(rowBytes(BlockFormat::Q4_0, 4096), 128u * 18u);
  EXPECT_EQ(rowBytes(BlockFormat::Q4_K, 4096), 16u * 144u);
  EXPECT_EQ(rowBytes(BlockFormat::Q6_K, 256), 210u);
  EXPECT_EQ(rowBytes(BlockFormat::Q4_0, 33), std::nullopt);
  EXPECT_EQ(rowBytes(BlockFormat::Q4_K, 100), std::nullopt);
  EXPECT_EQ(rowBytes(BlockFormat::Q4_K, 32), std::nullopt); // a Q4_0 block, not Q4_K
  EXPECT_EQ(rowBytes(BlockFormat::Q8_K, 257), std::nullopt);
  EXPECT_EQ(rowBytes(BlockFormat::MXFP4, 64), 34u);
  EXPECT_EQ(rowBytes(BlockFormat::IQ4_NL, 48), std::nullopt);
}

} // namespace
