//===- Blocks.cppm - llama.cpp block-quantized formats ----------*- C++ -*-===//
//
// The one table of llama.cpp's block formats: how many weights a block holds
// and how many bytes it takes. The qc dialect's types, the GGUF reader and the
// block codecs all read it from here.
//
//===----------------------------------------------------------------------===//

module;

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

export module quantc.numerics:blocks;

export namespace quantc::numerics {

/// A llama.cpp block-quantized format. The enumerator order is the qc
/// dialect's; `ggmlType` below gives ggml's own numbering.
enum class BlockFormat : uint8_t {
  Q4_0,
  Q4_1,
  Q5_0,
  Q5_1,
  Q8_0,
  Q8_1,
  Q2_K,
  Q3_K,
  Q4_K,
  Q5_K,
  Q6_K,
  Q8_K,
};

struct BlockFormatInfo {
  BlockFormat format;
  /// Lower-case name as the qc dialect spells it ("q4_0", "q4_k").
  std::string_view name;
  /// ggml's spelling ("Q4_0", "Q4_K").
  std::string_view ggmlName;
  /// Weights per block (32, or 256 for the K-quant super-blocks).
  uint32_t blockSize;
  /// Bytes one block occupies in a GGUF file.
  uint32_t bytesPerBlock;
  /// The value of `enum ggml_type` in ggml.h.
  uint32_t ggmlType;
};

// Block layouts (ggml-common.h):
//   Q4_0 {f16 d; u8 qs[16]}                     Q4_1 {f16 d, m; u8 qs[16]}
//   Q5_0 {f16 d; u8 qh[4]; u8 qs[16]}           Q5_1 {f16 d, m; u8 qh[4]; u8 qs[16]}
//   Q8_0 {f16 d; i8 qs[32]}                     Q8_1 {f16 d, s; i8 qs[32]}
//   Q2_K {u8 scales[16]; u8 qs[64]; f16 d, dmin}
//   Q3_K {u8 hmask[32]; u8 qs[64]; u8 scales[12]; f16 d}
//   Q4_K {f16 d, dmin; u8 scales[12]; u8 qs[128]}
//   Q5_K {f16 d, dmin; u8 scales[12]; u8 qh[32]; u8 qs[128]}
//   Q6_K {u8 ql[128]; u8 qh[64]; i8 scales[16]; f16 d}
//   Q8_K {f32 d; i8 qs[256]; i16 bsums[16]}
inline constexpr std::array<BlockFormatInfo, 12> kBlockFormats = {{
    {BlockFormat::Q4_0, "q4_0", "Q4_0", 32, 18, 2},
    {BlockFormat::Q4_1, "q4_1", "Q4_1", 32, 20, 3},
    {BlockFormat::Q5_0, "q5_0", "Q5_0", 32, 22, 6},
    {BlockFormat::Q5_1, "q5_1", "Q5_1", 32, 24, 7},
    {BlockFormat::Q8_0, "q8_0", "Q8_0", 32, 34, 8},
    {BlockFormat::Q8_1, "q8_1", "Q8_1", 32, 36, 9},
    {BlockFormat::Q2_K, "q2_k", "Q2_K", 256, 84, 10},
    {BlockFormat::Q3_K, "q3_k", "Q3_K", 256, 110, 11},
    {BlockFormat::Q4_K, "q4_k", "Q4_K", 256, 144, 12},
    {BlockFormat::Q5_K, "q5_k", "Q5_K", 256, 176, 13},
    {BlockFormat::Q6_K, "q6_k", "Q6_K", 256, 210, 14},
    {BlockFormat::Q8_K, "q8_k", "Q8_K", 256, 292, 15},
}};

constexpr const BlockFormatInfo &getBlockFormatInfo(BlockFormat format) {
  return kBlockFormats[static_cast<size_t>(format)];
}

/// Bits of storage per weight, scales included (4.5 for Q4_0).
constexpr double bitsPerWeight(BlockFormat format) {
  const BlockFormatInfo &info = getBlockFormatInfo(format);
  return 8.0 * info.bytesPerBlock / info.blockSize;
}

/// Parses either spelling ("q4_k", "Q4_K"), case-insensitively.
constexpr std::optional<BlockFormat> parseBlockFormat(std::string_view name) {
  auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c; };
  for (const BlockFormatInfo &info : kBlockFormats) {
    if (info.name.size() != name.size())
      continue;
    bool same = true;
    for (size_t i = 0; i < name.size() && same; ++i)
      same = lower(name[i]) == info.name[i];
    if (same)
      return info.format;
  }
  return std::nullopt;
}

constexpr std::optional<BlockFormat> blockFormatFromGGMLType(uint32_t ggmlType) {
  for (const BlockFormatInfo &info : kBlockFormats)
    if (info.ggmlType == ggmlType)
      return info.format;
  return std::nullopt;
}

/// Bytes a row of `numWeights` takes, or nullopt when the row is not a whole
/// number of blocks.
constexpr std::optional<uint64_t> rowBytes(BlockFormat format, uint64_t numWeights) {
  const BlockFormatInfo &info = getBlockFormatInfo(format);
  if (numWeights % info.blockSize != 0)
    return std::nullopt;
  return numWeights / info.blockSize * info.bytesPerBlock;
}

} // namespace quantc::numerics
