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
  IQ2_XXS,
  IQ2_XS,
  IQ3_XXS,
  IQ1_S,
  IQ4_NL,
  IQ3_S,
  IQ2_S,
  IQ4_XS,
  IQ1_M,
  TQ1_0,
  TQ2_0,
  MXFP4,
  NVFP4,
  Q1_0,
  Q2_0,
};

struct BlockFormatInfo {
  BlockFormat format;
  /// Lower-case name ("q4_0", "q4_k"); the qc dialect spells the K-quants
/// "q4_K".
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
//   IQ2_XXS {f16 d; u16 qs[32]}                 IQ2_XS {f16 d; u16 qs[32]; u8 scales[8]}
//   IQ3_XXS {f16 d; u8 qs[96]}                  IQ1_S {f16 d; u8 qs[32]; u16 qh[8]}
//   IQ4_NL {f16 d; u8 qs[16]} (32 weights)      IQ3_S {f16 d; u8 qs[64], qh[8], signs[32], scales[4]}
//   IQ2_S {f16 d; u8 qs[64], qh[8], scales[8]}  IQ4_XS {f16 d; u16 scales_h; u8 scales_l[4], qs[128]}
//   IQ1_M {u8 qs[32], qh[16], scales[8]}        TQ1_0 {u8 qs[48], qh[4]; f16 d}
//   TQ2_0 {u8 qs[64]; f16 d}                    MXFP4 {u8 e; u8 qs[16]} (32 weights)
//   NVFP4 {u8 scales[4]; u8 qs[32]} (64 weights) Q1_0 {f16 d; u8 qs[16]} (128 weights)
//   Q2_0 {f16 d; u8 qs[16]} (64 weights)
// The formats from IQ2_XXS on are carried (sized, imported, exported) but
// have no codec yet.
inline constexpr std::array<BlockFormatInfo, 27> kBlockFormats = {{
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
    {BlockFormat::IQ2_XXS, "iq2_xxs", "IQ2_XXS", 256, 66, 16},
    {BlockFormat::IQ2_XS, "iq2_xs", "IQ2_XS", 256, 74, 17},
    {BlockFormat::IQ3_XXS, "iq3_xxs", "IQ3_XXS", 256, 98, 18},
    {BlockFormat::IQ1_S, "iq1_s", "IQ1_S", 256, 50, 19},
    {BlockFormat::IQ4_NL, "iq4_nl", "IQ4_NL", 32, 18, 20},
    {BlockFormat::IQ3_S, "iq3_s", "IQ3_S", 256, 110, 21},
    {BlockFormat::IQ2_S, "iq2_s", "IQ2_S", 256, 82, 22},
    {BlockFormat::IQ4_XS, "iq4_xs", "IQ4_XS", 256, 136, 23},
    {BlockFormat::IQ1_M, "iq1_m", "IQ1_M", 256, 56, 29},
    {BlockFormat::TQ1_0, "tq1_0", "TQ1_0", 256, 54, 34},
    {BlockFormat::TQ2_0, "tq2_0", "TQ2_0", 256, 66, 35},
    {BlockFormat::MXFP4, "mxfp4", "MXFP4", 32, 17, 39},
    {BlockFormat::NVFP4, "nvfp4", "NVFP4", 64, 36, 40},
    {BlockFormat::Q1_0, "q1_0", "Q1_0", 128, 18, 41},
    {BlockFormat::Q2_0, "q2_0", "Q2_0", 64, 18, 42},
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
