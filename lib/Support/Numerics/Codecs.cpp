//===- Codecs.cpp - llama.cpp block codecs: checks and dispatch -----------===//
//
// Checks the arguments of the exported codec entry points and hands whole
// blocks to the per-format kernels, choosing ggml's path: the reference
// quantizer over every block when there is no importance matrix, the
// weighted one row at a time when there is (as ggml_quantize_chunk does).
//
//===----------------------------------------------------------------------===//

module;

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

module quantc.numerics;

import :codecs_internal;

namespace quantc::numerics {
namespace {

using namespace codecs;

struct Codec {
  QuantizeFn quantize;
  /// Null where ggml ignores the importance matrix.
  QuantizeWeightedFn quantizeWeighted;
  DequantizeFn dequantize;
};

/// The codec of `format`, or nullptr.
const Codec *findCodec(BlockFormat format) {
  static constexpr Codec kQ4_0{quantizeQ4_0, quantizeQ4_0Weighted, dequantizeQ4_0};
  static constexpr Codec kQ4_1{quantizeQ4_1, quantizeQ4_1Weighted, dequantizeQ4_1};
  static constexpr Codec kQ5_0{quantizeQ5_0, quantizeQ5_0Weighted, dequantizeQ5_0};
  static constexpr Codec kQ5_1{quantizeQ5_1, quantizeQ5_1Weighted, dequantizeQ5_1};
  static constexpr Codec kQ8_0{quantizeQ8_0, nullptr, dequantizeQ8_0};
  static constexpr Codec kQ8_1{quantizeQ8_1, nullptr, dequantizeQ8_1};
  static constexpr Codec kQ2_K{quantizeQ2_K, quantizeQ2_KWeighted, dequantizeQ2_K};
  static constexpr Codec kQ3_K{quantizeQ3_K, quantizeQ3_KWeighted, dequantizeQ3_K};
  static constexpr Codec kQ4_K{quantizeQ4_K, quantizeQ4_KWeighted, dequantizeQ4_K};
  static constexpr Codec kQ5_K{quantizeQ5_K, quantizeQ5_KWeighted, dequantizeQ5_K};
  static constexpr Codec kQ6_K{quantizeQ6_K, quantizeQ6_KWeighted, dequantizeQ6_K};
  static constexpr Codec kQ8_K{quantizeQ8_K, nullptr, dequantizeQ8_K};
  switch (format) {
  case BlockFormat::Q4_0:
    return &kQ4_0;
  case BlockFormat::Q4_1:
    return &kQ4_1;
  case BlockFormat::Q5_0:
    return &kQ5_0;
  case BlockFormat::Q5_1:
    return &kQ5_1;
  case BlockFormat::Q8_0:
    return &kQ8_0;
  case BlockFormat::Q8_1:
    return &kQ8_1;
  case BlockFormat::Q2_K:
    return &kQ2_K;
  case BlockFormat::Q3_K:
    return &kQ3_K;
  case BlockFormat::Q4_K:
    return &kQ4_K;
  case BlockFormat::Q5_K:
    return &kQ5_K;
  case BlockFormat::Q6_K:
    return &kQ6_K;
  case BlockFormat::Q8_K:
    return &kQ8_K;
  default:
    return nullptr;
  }
}

std::string formatName(BlockFormat format) {
  return std::string(getBlockFormatInfo(format).ggmlName);
}

absl::Status noCodec(const char *function, BlockFormat format) {
  return absl::InvalidArgumentError(
      absl::StrCat(function, ": ", formatName(format), " has no codec"));
}

} // namespace

bool hasCodec(BlockFormat format) { return findCodec(format) != nullptr; }

absl::Status dequantizeRow(BlockFormat format, std::span<const std::byte> src,
                           std::span<float> dst) {
  const Codec *codec = findCodec(format);
  if (!codec)
    return noCodec("dequantizeRow", format);
  const BlockFormatInfo &info = getBlockFormatInfo(format);
  if (dst.size() % info.blockSize != 0)
    return absl::InvalidArgumentError(
        absl::StrCat("dequantizeRow: ", formatName(format), " output of ", dst.size(),
                     " weights is not a multiple of the block size ", info.blockSize));
  uint64_t numBlocks = dst.size() / info.blockSize;
  if (src.size() != numBlocks * info.bytesPerBlock)
    return absl::InvalidArgumentError(
        absl::StrCat("dequantizeRow: ", formatName(format), " input holds ", src.size(),
                     " bytes, expected ", numBlocks * info.bytesPerBlock, " for ", dst.size(),
                     " weights (", numBlocks, " blocks of ", info.bytesPerBlock, " bytes)"));
  codec->dequantize(reinterpret_cast<const uint8_t *>(src.data()), dst.data(), int64_t(numBlocks));
  return absl::OkStatus();
}

absl::Status quantizeRows(BlockFormat format, std::span<const float> src, int64_t nRows,
                          int64_t nPerRow, std::span<std::byte> dst,
                          std::span<const float> importance) {
  const Codec *codec = findCodec(format);
  if (!codec)
    return noCodec("quantizeRows", format);
  const BlockFormatInfo &info = getBlockFormatInfo(format);
  std::string name = formatName(format);
  if (nPerRow <= 0 || nPerRow % info.blockSize != 0)
    return absl::InvalidArgumentError(
        absl::StrCat("quantizeRows: ", name, " rows of ", nPerRow,
                     " weights are not a positive multiple of the block size ", info.blockSize));
  if (nRows < 0)
    return absl::InvalidArgumentError(
        absl::StrCat("quantizeRows: ", name, " row count ", nRows, " is negative"));
  uint64_t numWeights = uint64_t(nRows) * uint64_t(nPerRow);
  if (src.size() != numWeights)
    return absl::InvalidArgumentError(absl::StrCat("quantizeRows: ", name, " input holds ",
                                                   src.size(), " weights, expected ", nRows,
                                                   " rows x ", nPerRow, " = ", numWeights));
  uint64_t blocksPerRow = uint64_t(nPerRow) / info.blockSize;
  uint64_t rowSize = blocksPerRow * info.bytesPerBlock;
  if (dst.size() != uint64_t(nRows) * rowSize)
    return absl::InvalidArgumentError(
        absl::StrCat("quantizeRows: ", name, " output holds ", dst.size(), " bytes, expected ",
                     nRows, " rows x ", rowSize, " = ", uint64_t(nRows) * rowSize));
  if (!importance.empty() && importance.size() != uint64_t(nPerRow))
    return absl::InvalidArgumentError(
        absl::StrCat("quantizeRows: ", name, " importance holds ", importance.size(),
                     " weights, expected one per column (", nPerRow, ")"));

  auto *out = reinterpret_cast<uint8_t *>(dst.data());
  if (importance.empty() || !codec->quantizeWeighted) {
    codec->quantize(src.data(), out, int64_t(uint64_t(nRows) * blocksPerRow));
    return absl::OkStatus();
  }
  for (int64_t row = 0; row < nRows; ++row)
    codec->quantizeWeighted(src.data() + row * nPerRow, out + row * rowSize, nPerRow,
                            importance.data());
  return absl::OkStatus();
}

} // namespace quantc::numerics
