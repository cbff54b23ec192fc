//===- CodecsTest.cpp - Block codecs against ggml itself ------------------===//
//
// Every codec is checked byte for byte against llama.cpp's own ggml
// (libggml-base.so from npm @node-llama-cpp/linux-x64, loaded with dlopen):
// quantizeRows against ggml_quantize_chunk (quantize_row_q8_1_ref /
// _q8_K_ref for the activation formats) with and without an importance
// matrix, and dequantizeRow against dequantize_row_<type>, over rows of many
// shapes and distributions. The block format table is checked against
// ggml_blck_size / ggml_type_size. A test that cannot load ggml fails.
//
//===----------------------------------------------------------------------===//

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <ostream>
#include <random>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "absl/status/status.h"

#include "GGMLOracle.h"

import quantc.numerics;

using namespace quantc::numerics;
using quantc::testing::GGMLOracle;

namespace quantc::numerics {
/// Names test parameters ("Q4_K") in GoogleTest's messages.
void PrintTo(BlockFormat format, std::ostream *os) { *os << getBlockFormatInfo(format).ggmlName; }
} // namespace quantc::numerics

namespace {

constexpr BlockFormat kCodecFormats[] = {
    BlockFormat::Q4_0, BlockFormat::Q4_1, BlockFormat::Q5_0, BlockFormat::Q5_1,
    BlockFormat::Q8_0, BlockFormat::Q8_1, BlockFormat::Q2_K, BlockFormat::Q3_K,
    BlockFormat::Q4_K, BlockFormat::Q5_K, BlockFormat::Q6_K, BlockFormat::Q8_K,
};

std::string ggmlName(BlockFormat format) {
  return std::string(getBlockFormatInfo(format).ggmlName);
}

/// The loaded oracle; fails the calling test (never skips it) when ggml
/// cannot be loaded.
#define ASSERT_ORACLE(oracle)                                                                      \
  const GGMLOracle &oracle = GGMLOracle::get();                                                    \
  ASSERT_TRUE(oracle.ok()) << oracle.error()

//===----------------------------------------------------------------------===//
// Test data
//===----------------------------------------------------------------------===//

/// `nRows` rows of `nPerRow` weights drawn from one distribution.
struct RowSet {
  std::string name;
  int64_t nRows;
  int64_t nPerRow;
  std::vector<float> data;
};

enum class Dist {
  Gaussian,
  ScaledGaussian,
  Uniform,
  Outliers,
  Zeros,
  Tiny,
  Constant,
  NegativeOnly,
  PositiveOffset,
  Sparse,
  Grid,
  MixedBlocks,
};

const char *distName(Dist dist) {
  switch (dist) {
  case Dist::Gaussian:
    return "gaussian";
  case Dist::ScaledGaussian:
    return "scaled-gaussian";
  case Dist::Uniform:
    return "uniform";
  case Dist::Outliers:
    return "outliers";
  case Dist::Zeros:
    return "zeros";
  case Dist::Tiny:
    return "tiny";
  case Dist::Constant:
    return "constant";
  case Dist::NegativeOnly:
    return "negative-only";
  case Dist::PositiveOffset:
    return "positive-offset";
  case Dist::Sparse:
    return "sparse";
  case Dist::Grid:
    return "grid";
  case Dist::MixedBlocks:
    return "mixed-blocks";
  }
  return "?";
}

std::vector<float> makeRows(Dist dist, int64_t nRows, int64_t nPerRow, std::mt19937 &rng) {
  std::normal_distribution<float> gauss(0.0f, 1.0f);
  std::uniform_real_distribution<float> unit(0.0f, 1.0f);
  std::vector<float> data(size_t(nRows * nPerRow));
  for (int64_t r = 0; r < nRows; ++r) {
    float *row = data.data() + r * nPerRow;
    // A per-row magnitude from 1e-3 to 1e3 exercises many fp16 exponents.
    float rowScale = std::pow(10.0f, 6.0f * unit(rng) - 3.0f);
    float constant = (unit(rng) < 0.5f ? -1.0f : 1.0f) * (0.1f + 10.0f * unit(rng));
    float blockScale = 1.0f;
    for (int64_t j = 0; j < nPerRow; ++j) {
      float g = gauss(rng);
      float &v = row[j];
      switch (dist) {
      case Dist::Gaussian:
        v = g;
        break;
      case Dist::ScaledGaussian:
        v = g * rowScale;
        break;
      case Dist::Uniform:
        v = 2.0f * unit(rng) - 1.0f;
        break;
      case Dist::Outliers:
        v = unit(rng) < 0.01f ? g * (20.0f + 180.0f * unit(rng)) : g;
        break;
      case Dist::Zeros:
        v = 0.0f;
        break;
      case Dist::Tiny:
        v = g * 1e-8f;
        break;
      case Dist::Constant:
        v = constant;
        break;
      case Dist::NegativeOnly:
        v = -std::fabs(g) - 0.01f;
        break;
      case Dist::PositiveOffset:
        v = 3.0f + 0.5f * g;
        break;
      case Dist::Sparse:
        v = unit(rng) < 0.1f ? g : 0.0f;
        break;
      case Dist::Grid:
        // Multiples of 1/8 in [-4, 4]: many codes land exactly on a tie.
        v = float(int(65.0f * unit(rng)) - 32) / 8.0f;
        break;
      case Dist::MixedBlocks:
        // Each 16-weight group gets its own scale; some groups are zero.
        if (j % 16 == 0) {
          float u = unit(rng);
          blockScale = u < 0.15f ? 0.0f : std::pow(10.0f, 4.0f * unit(rng) - 2.0f);
        }
        v = g * blockScale;
        break;
      }
    }
  }
  return data;
}

/// Every distribution in rows of 256 (64 rows) and 4096 (16 rows) weights,
/// plus one 32-weight row set for the legacy formats.
const std::vector<RowSet> &rowSets() {
  static const std::vector<RowSet> sets = [] {
    std::vector<RowSet> out;
    std::mt19937 rng(20240611);
    for (int d = 0; d <= int(Dist::MixedBlocks); ++d) {
      auto dist = Dist(d);
      for (auto [nRows, nPerRow] : {std::pair<int64_t, int64_t>{64, 256}, {16, 4096}})
        out.push_back({std::string(distName(dist)) + "/" + std::to_string(nPerRow), nRows, nPerRow,
                       makeRows(dist, nRows, nPerRow, rng)});
    }
    out.push_back({"gaussian/32", 64, 32, makeRows(Dist::Gaussian, 64, 32, rng)});
    return out;
  }();
  return sets;
}

/// Importance weights for rows of `nPerRow`: log-normal, like the means of
/// squared activations in a llama.cpp imatrix, with 5% exact zeros.
std::vector<float> importanceFor(int64_t nPerRow, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> gauss(0.0f, 1.0f);
  std::uniform_real_distribution<float> unit(0.0f, 1.0f);
  std::vector<float> w(static_cast<size_t>(nPerRow));
  for (float &v : w)
    v = unit(rng) < 0.05f ? 0.0f : std::exp(gauss(rng));
  return w;
}

bool appliesTo(BlockFormat format, const RowSet &set) {
  return set.nPerRow % getBlockFormatInfo(format).blockSize == 0;
}

/// Describes the first block where `ours` and `theirs` differ, or "".
std::string firstDifference(BlockFormat format, std::span<const std::byte> ours,
                            std::span<const std::byte> theirs, int64_t nPerRow) {
  if (ours.size() != theirs.size())
    return "sizes differ";
  uint32_t blockBytes = getBlockFormatInfo(format).bytesPerBlock;
  uint64_t blocksPerRow = uint64_t(nPerRow) / getBlockFormatInfo(format).blockSize;
  for (size_t i = 0; i < ours.size(); ++i) {
    if (ours[i] == theirs[i])
      continue;
    size_t block = i / blockBytes;
    return "first difference in row " + std::to_string(block / blocksPerRow) + ", block " +
           std::to_string(block % blocksPerRow) + ", byte " + std::to_string(i % blockBytes) +
           ": ours " + std::to_string(int(ours[i])) + ", ggml " + std::to_string(int(theirs[i]));
  }
  return "";
}

/// Index of the first float whose bits differ, or -1.
int64_t firstBitDifference(const std::vector<float> &a, const std::vector<float> &b) {
  for (size_t i = 0; i < a.size(); ++i)
    if (std::bit_cast<uint32_t>(a[i]) != std::bit_cast<uint32_t>(b[i]))
      return int64_t(i);
  return -1;
}

//===----------------------------------------------------------------------===//
// Per-format tests
//===----------------------------------------------------------------------===//

class CodecTest : public ::testing::TestWithParam<BlockFormat> {
protected:
  /// Quantizes `set` with quantc and with ggml; ggml's output buffer starts
  /// zeroed and ours filled with 0xA5, so a byte we fail to write shows up.
  void quantizeBoth(const RowSet &set, const std::vector<float> &importance,
                    std::vector<std::byte> &ours, std::vector<std::byte> &theirs) {
    BlockFormat format = GetParam();
    const GGMLOracle &oracle = GGMLOracle::get();
    size_t bytes = size_t(set.nRows) * *rowBytes(format, uint64_t(set.nPerRow));
    ours.assign(bytes, std::byte{0xA5});
    theirs.assign(bytes, std::byte{0});
    absl::Status status = quantizeRows(format, set.data, set.nRows, set.nPerRow, ours, importance);
    ASSERT_TRUE(status.ok()) << status;
    oracle.quantize(int(getBlockFormatInfo(format).ggmlType), set.data.data(), theirs.data(),
                    set.nRows, set.nPerRow, importance.empty() ? nullptr : importance.data());
  }

  /// Dequantizes `bytes` with quantc and with ggml and compares the bits.
  void expectDequantizeMatches(std::span<const std::byte> bytes, int64_t numWeights,
                               const std::string &what) {
    BlockFormat format = GetParam();
    std::vector<float> ours(size_t(numWeights), -1.0f), theirs(size_t(numWeights), -2.0f);
    absl::Status status = dequantizeRow(format, bytes, ours);
    ASSERT_TRUE(status.ok()) << status;
    ggmlDequantize(bytes, theirs);
    int64_t at = firstBitDifference(ours, theirs);
    EXPECT_EQ(at, -1) << what << ": weight " << at << " ours " << ours[size_t(at)] << " ggml "
                      << theirs[size_t(at)];
  }

  /// ggml's dequantize_row_<type>. ggml has no dequantizer for Q8_1 (only
  /// ever an activation operand); its blocks are Q8_0's with the sum `s`
  /// inserted, so they go through dequantize_row_q8_0 without it.
  void ggmlDequantize(std::span<const std::byte> bytes, std::vector<float> &out) {
    BlockFormat format = GetParam();
    const GGMLOracle &oracle = GGMLOracle::get();
    if (format != BlockFormat::Q8_1) {
      auto fn = oracle.dequantizer(ggmlName(format));
      ASSERT_NE(fn, nullptr) << "ggml exports no dequantize_row for " << ggmlName(format);
      fn(bytes.data(), out.data(), int64_t(out.size()));
      return;
    }
    std::vector<std::byte> q8_0;
    for (size_t b = 0; b < bytes.size(); b += 36) {
      q8_0.insert(q8_0.end(), bytes.begin() + b, bytes.begin() + b + 2);
      q8_0.insert(q8_0.end(), bytes.begin() + b + 4, bytes.begin() + b + 36);
    }
    auto fn = oracle.dequantizer("Q8_0");
    ASSERT_NE(fn, nullptr);
    fn(q8_0.data(), out.data(), int64_t(out.size()));
  }
};

TEST_P(CodecTest, QuantizeMatchesGGML) {
  ASSERT_ORACLE(oracle);
  BlockFormat format = GetParam();
  int checked = 0;
  for (const RowSet &set : rowSets()) {
    if (!appliesTo(format, set))
      continue;
    std::vector<std::byte> ours, theirs;
    ASSERT_NO_FATAL_FAILURE(quantizeBoth(set, {}, ours, theirs));
    EXPECT_TRUE(ours == theirs) << set.name << ": "
                                << firstDifference(format, ours, theirs, set.nPerRow);
    ++checked;
  }
  EXPECT_GE(checked, 22);
}

TEST_P(CodecTest, QuantizeWithImportanceMatchesGGML) {
  ASSERT_ORACLE(oracle);
  BlockFormat format = GetParam();
  unsigned seed = 1;
  int differsFromPlain = 0;
  for (const RowSet &set : rowSets()) {
    if (!appliesTo(format, set))
      continue;
    std::vector<float> importance = importanceFor(set.nPerRow, seed++);
    std::vector<std::byte> ours, theirs;
    ASSERT_NO_FATAL_FAILURE(quantizeBoth(set, importance, ours, theirs));
    EXPECT_TRUE(ours == theirs) << set.name << ": "
                                << firstDifference(format, ours, theirs, set.nPerRow);
    std::vector<std::byte> plain(ours.size());
    ASSERT_TRUE(quantizeRows(format, set.data, set.nRows, set.nPerRow, plain).ok());
    differsFromPlain += plain != ours;
  }
  // The importance matrix must reach the formats whose ggml quantizer uses
  // it, or the comparison above proves nothing about the weighted path.
  bool ignoresImportance =
      format == BlockFormat::Q8_0 || format == BlockFormat::Q8_1 || format == BlockFormat::Q8_K;
  if (ignoresImportance)
    EXPECT_EQ(differsFromPlain, 0);
  else
    EXPECT_GE(differsFromPlain, 10);
}

TEST_P(CodecTest, DequantizeMatchesGGMLOnGGMLBlocks) {
  ASSERT_ORACLE(oracle);
  BlockFormat format = GetParam();
  unsigned seed = 100;
  for (const RowSet &set : rowSets()) {
    if (!appliesTo(format, set))
      continue;
    for (bool weighted : {false, true}) {
      std::vector<float> importance =
          weighted ? importanceFor(set.nPerRow, seed++) : std::vector<float>{};
      std::vector<std::byte> bytes(size_t(set.nRows) * *rowBytes(format, uint64_t(set.nPerRow)));
      oracle.quantize(int(getBlockFormatInfo(format).ggmlType), set.data.data(), bytes.data(),
                      set.nRows, set.nPerRow, weighted ? importance.data() : nullptr);
      ASSERT_NO_FATAL_FAILURE(expectDequantizeMatches(bytes, set.nRows * set.nPerRow,
                                                      set.name + (weighted ? " (imatrix)" : "")));
    }
  }
}

/// Offsets of the fp16 fields in a block (Q8_K's binary32 scale is handled
/// apart).
std::vector<size_t> halfFieldOffsets(BlockFormat format) {
  switch (format) {
  case BlockFormat::Q4_0:
  case BlockFormat::Q5_0:
  case BlockFormat::Q8_0:
    return {0};
  case BlockFormat::Q4_1:
  case BlockFormat::Q5_1:
  case BlockFormat::Q8_1:
  case BlockFormat::Q4_K:
  case BlockFormat::Q5_K:
    return {0, 2};
  case BlockFormat::Q2_K:
    return {80, 82};
  case BlockFormat::Q3_K:
    return {108};
  case BlockFormat::Q6_K:
    return {208};
  default:
    return {};
  }
}

TEST_P(CodecTest, DequantizeMatchesGGMLOnRandomBlocks) {
  ASSERT_ORACLE(oracle);
  BlockFormat format = GetParam();
  const BlockFormatInfo &info = getBlockFormatInfo(format);
  std::mt19937 rng(7 + unsigned(format));
  std::uniform_int_distribution<int> byte(0, 255);
  constexpr int kBlocks = 4096;
  std::vector<std::byte> bytes(size_t(kBlocks) * info.bytesPerBlock);
  for (std::byte &b : bytes)
    b = std::byte(byte(rng));
  // Every bit pattern is a valid code; keep the scales finite (random fp16
  // normals and subnormals, a binary32 within 2^+-20 for Q8_K) so that both
  // sides compute with numbers, not NaN payloads.
  std::uniform_int_distribution<int> exponent(107, 147);
  for (size_t b = 0; b < bytes.size(); b += info.bytesPerBlock) {
    for (size_t off : halfFieldOffsets(format)) {
      auto bits = uint16_t(uint16_t(bytes[b + off]) | uint16_t(bytes[b + off + 1]) << 8);
      if ((bits & 0x7c00u) == 0x7c00u)
        bits = uint16_t(bits & ~0x4000u);
      bytes[b + off] = std::byte(bits & 0xFF);
      bytes[b + off + 1] = std::byte(bits >> 8);
    }
    if (format == BlockFormat::Q8_K) {
      uint32_t bits = (uint32_t(byte(rng) & 1) << 31) | (uint32_t(exponent(rng)) << 23) |
                      (uint32_t(byte(rng)) << 15) | uint32_t(byte(rng));
      std::memcpy(&bytes[b], &bits, 4);
    }
  }
  expectDequantizeMatches(bytes, int64_t(kBlocks) * info.blockSize, "random blocks");
}

TEST_P(CodecTest, RejectsBadSizes) {
  BlockFormat format = GetParam();
  const BlockFormatInfo &info = getBlockFormatInfo(format);
  int64_t n = info.blockSize;
  std::vector<float> src(size_t(2 * n), 1.0f);
  std::vector<std::byte> dst(2 * info.bytesPerBlock);
  std::string name = ggmlName(format);

  auto expectInvalid = [&](absl::Status status, const std::string &mentions) {
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
    EXPECT_NE(std::string(status.message()).find(name), std::string::npos) << status;
    EXPECT_NE(std::string(status.message()).find(mentions), std::string::npos) << status;
  };
  // A row that is not a whole number of blocks.
  expectInvalid(quantizeRows(format, std::span(src).first(size_t(n + 1)), 1, n + 1,
                             std::span(dst).first(info.bytesPerBlock)),
                std::to_string(n + 1));
  // Input and output sizes that disagree with the shape.
  expectInvalid(quantizeRows(format, std::span(src).first(size_t(n)), 2, n, dst),
                std::to_string(n));
  expectInvalid(quantizeRows(format, src, 2, n, std::span(dst).first(info.bytesPerBlock)),
                std::to_string(info.bytesPerBlock));
  expectInvalid(quantizeRows(format, src, -1, n, dst), "-1");
  // Importance needs one weight per column.
  std::vector<float> importance(size_t(n - 1), 1.0f);
  expectInvalid(quantizeRows(format, src, 2, n, dst, importance), std::to_string(n - 1));

  std::vector<float> out(static_cast<size_t>(n));
  expectInvalid(dequantizeRow(format, dst, out), std::to_string(2 * info.bytesPerBlock));
  std::vector<float> ragged(size_t(n + 1));
  expectInvalid(dequantizeRow(format, std::span(dst).first(info.bytesPerBlock), ragged),
                std::to_string(n + 1));

  // An empty input is fine.
  EXPECT_TRUE(quantizeRows(format, {}, 0, n, {}).ok());
  EXPECT_TRUE(dequantizeRow(format, {}, {}).ok());
}

INSTANTIATE_TEST_SUITE_P(AllCodecs, CodecTest, ::testing::ValuesIn(kCodecFormats),
                         [](const ::testing::TestParamInfo<BlockFormat> &info) {
                           return ggmlName(info.param);
                         });

//===----------------------------------------------------------------------===//
// Format-independent tests
//===----------------------------------------------------------------------===//

TEST(CodecsTest, HasCodecExactlyForLegacyAndKQuants) {
  for (const BlockFormatInfo &info : kBlockFormats) {
    bool expected = std::find(std::begin(kCodecFormats), std::end(kCodecFormats), info.format) !=
                    std::end(kCodecFormats);
    EXPECT_EQ(hasCodec(info.format), expected) << info.ggmlName;
  }
}

TEST(CodecsTest, FormatsWithoutCodecAreRejected) {
  for (const BlockFormatInfo &info : kBlockFormats) {
    if (hasCodec(info.format))
      continue;
    std::vector<float> src(info.blockSize, 1.0f);
    std::vector<std::byte> dst(info.bytesPerBlock);
    absl::Status q = quantizeRows(info.format, src, 1, info.blockSize, dst);
    EXPECT_EQ(q.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(std::string(q.message()).find(std::string(info.ggmlName)), std::string::npos) << q;
    absl::Status d = dequantizeRow(info.format, dst, src);
    EXPECT_EQ(d.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(std::string(d.message()).find(std::string(info.ggmlName)), std::string::npos) << d;
  }
}

TEST(CodecsTest, BlockFormatTableMatchesGGMLTypeTraits) {
  ASSERT_ORACLE(oracle);
  for (const BlockFormatInfo &info : kBlockFormats) {
    int type = int(info.ggmlType);
    EXPECT_EQ(oracle.blockSize(type), int64_t(info.blockSize)) << info.ggmlName;
    EXPECT_EQ(oracle.typeSize(type), size_t(info.bytesPerBlock)) << info.ggmlName;
  }
}

TEST(CodecsTest, KnownQ8_0Block) {
  // 32 weights -31 ... 0 ... 31 with amax 31: d = 31/127, codes round(x * 127/31).
  std::vector<float> x(32);
  for (int i = 0; i < 32; ++i)
    x[size_t(i)] = float(2 * i - 31);
  std::vector<std::byte> y(34);
  ASSERT_TRUE(quantizeRows(BlockFormat::Q8_0, x, 1, 32, y).ok());
  uint16_t d = uint16_t(uint16_t(y[0]) | uint16_t(y[1]) << 8);
  EXPECT_EQ(d, floatToHalf(31.0f / 127.0f));
  EXPECT_EQ(int8_t(y[2]), -127);
  EXPECT_EQ(int8_t(y[33]), 127);
  std::vector<float> back(32);
  ASSERT_TRUE(dequantizeRow(BlockFormat::Q8_0, y, back).ok());
  for (int i = 0; i < 32; ++i)
    EXPECT_NEAR(back[size_t(i)], x[size_t(i)], 0.13f) << i;
}

} // namespace
