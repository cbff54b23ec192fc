//===- Codecs.cppm - llama.cpp block codecs ---------------------*- C++ -*-===//
//
// Quantizers and dequantizers for llama.cpp's legacy block formats (Q4_0,
// Q4_1, Q5_0, Q5_1, Q8_0, Q8_1) and K-quants (Q2_K ... Q8_K), byte-identical
// to ggml's reference code in ggml-quants.c:
//
//   quantizeRows   == ggml_quantize_chunk(type, src, dst, 0, nRows, nPerRow,
//                                         importance or NULL)
//                     (Q8_1, Q8_K: quantize_row_q8_1_ref / _q8_K_ref)
//   dequantizeRow  == dequantize_row_<type>
//
// The implementation (CodecsLegacy.cpp, CodecsK.cpp, CodecsSearch.cppm) is
// compiled with floating-point contraction off: ggml's reference build does
// not fuse a*b+c, and a fused multiply-add changes the scale searches'
// results.
//
//===----------------------------------------------------------------------===//

module;

#include <cstddef>
#include <cstdint>
#include <span>

#include "absl/status/status.h"

export module quantc.numerics:codecs;

import :blocks;

export namespace quantc::numerics {

/// True for the formats with a codec: Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q8_1,
/// Q2_K, Q3_K, Q4_K, Q5_K, Q6_K and Q8_K. The i-quants, TQ1_0/TQ2_0 and
/// MXFP4 are carried (sized, imported, exported) but have none yet.
bool hasCodec(BlockFormat format);

/// Decodes the blocks in `src` into `dst`, bit for bit as ggml's
/// dequantize_row_<type>. `dst.size()` is the number of weights: a multiple
/// of the block size, with `src` holding exactly that many weights' blocks.
/// Q8_1, which ggml only ever consumes, decodes as d * q (like Q8_0).
/// `src` and `dst` must not overlap.
///
/// InvalidArgument, writing nothing, when the format has no codec or the
/// sizes disagree.
absl::Status dequantizeRow(BlockFormat format, std::span<const std::byte> src,
                           std::span<float> dst);

/// Quantizes `nRows` rows of `nPerRow` weights from `src` into `dst`
/// (`nRows` * rowBytes(format, nPerRow) bytes), byte for byte as
/// ggml_quantize_chunk(type, src, dst, 0, nRows, nPerRow, imatrix) with
/// imatrix = `importance`, or NULL when it is empty. `importance` holds one
/// weight per column (llama.cpp's --imatrix quant_weights); Q4_0 ... Q5_1 and
/// Q2_K ... Q6_K use it, Q8_0 ignores it as ggml does. Q8_1 and Q8_K are
/// activation formats that ggml_quantize_chunk refuses: they follow
/// quantize_row_q8_1_ref / quantize_row_q8_K_ref and ignore `importance`
/// (an all-zero Q8_K block gets zero bsums, which ggml leaves unwritten).
/// No span may overlap another.
///
/// InvalidArgument, writing nothing, when the format has no codec, `nPerRow`
/// is not a positive multiple of the block size, `nRows` is negative, or a
/// span's size disagrees with `nRows` and `nPerRow`.
absl::Status quantizeRows(BlockFormat format, std::span<const float> src, int64_t nRows,
                          int64_t nPerRow, std::span<std::byte> dst,
                          std::span<const float> importance = {});

} // namespace quantc::numerics
