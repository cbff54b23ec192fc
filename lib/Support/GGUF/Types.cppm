//===- Types.cppm - ggml tensor types ---------------------------*- C++ -*-===//
//
// Part of quantc.
//
// Every tensor type a GGUF file can hold (`enum ggml_type` in ggml.h): the
// plain types (F32, F16, BF16, F64, I8, I16, I32, I64) and every block format
// of quantc.numerics' table. A tensor of `ne` elements per row takes
// ne / blockSize * bytesPerBlock bytes per row, and ne0 must be a multiple of
// the block size.
//
//===----------------------------------------------------------------------===//

module;

#include "absl/status/statusor.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

export module quantc.gguf:types;

import quantc.numerics;

export namespace quantc::gguf {

/// ggml type ids of the unquantized types.
inline constexpr uint32_t kTypeF32 = 0;
inline constexpr uint32_t kTypeF16 = 1;
inline constexpr uint32_t kTypeI8 = 24;
inline constexpr uint32_t kTypeI16 = 25;
inline constexpr uint32_t kTypeI32 = 26;
inline constexpr uint32_t kTypeI64 = 27;
inline constexpr uint32_t kTypeF64 = 28;
inline constexpr uint32_t kTypeBF16 = 30;

/// GGUF tensors have at most four dimensions (GGML_MAX_DIMS).
inline constexpr uint32_t kMaxDims = 4;

struct TypeInfo {
  /// The value of `enum ggml_type`.
  uint32_t id;
  /// ggml's spelling in upper case ("F32", "Q4_K"), as gguf-py names them.
  std::string_view name;
  /// Elements per block: 1 for the plain types.
  uint32_t blockSize;
  /// Bytes one block takes (the element size for the plain types).
  uint32_t bytesPerBlock;
  /// The block format, for the quantized types.
  std::optional<numerics::BlockFormat> blockFormat;
};

namespace detail {
inline constexpr TypeInfo kPlainTypes[] = {
    {kTypeF32, "F32", 1, 4, std::nullopt},   {kTypeF16, "F16", 1, 2, std::nullopt},
    {kTypeI8, "I8", 1, 1, std::nullopt},     {kTypeI16, "I16", 1, 2, std::nullopt},
    {kTypeI32, "I32", 1, 4, std::nullopt},   {kTypeI64, "I64", 1, 8, std::nullopt},
    {kTypeF64, "F64", 1, 8, std::nullopt},   {kTypeBF16, "BF16", 1, 2, std::nullopt},
};
inline constexpr size_t kNumTypes = std::size(kPlainTypes) + numerics::kBlockFormats.size();

constexpr std::array<TypeInfo, kNumTypes> makeTypeTable() {
  std::array<TypeInfo, kNumTypes> table{};
  size_t n = 0;
  for (const TypeInfo &info : kPlainTypes)
    table[n++] = info;
  for (const numerics::BlockFormatInfo &info : numerics::kBlockFormats)
    table[n++] = {info.ggmlType, info.ggmlName, info.blockSize, info.bytesPerBlock, info.format};
  std::sort(table.begin(), table.end(),
            [](const TypeInfo &a, const TypeInfo &b) { return a.id < b.id; });
  return table;
}
inline constexpr std::array<TypeInfo, kNumTypes> kTypeTable = makeTypeTable();
} // namespace detail

/// Every known ggml tensor type, sorted by id.
constexpr std::span<const TypeInfo> types() { return detail::kTypeTable; }

/// The type with ggml id `id`, or nullptr for ids ggml never had or has
/// removed (4, 5, 31-33, 36-38) and ids newer than this table.
constexpr const TypeInfo *getTypeInfo(uint32_t id) {
  for (const TypeInfo &info : detail::kTypeTable)
    if (info.id == id)
      return &info;
  return nullptr;
}

/// The number of elements of a tensor with dimensions `dims`, failing when a
/// dimension is negative or the product does not fit in int64.
absl::StatusOr<uint64_t> numElements(std::span<const int64_t> dims);

/// The bytes a tensor of type `type` and dimensions `dims` (ne0 first)
/// takes, failing when the type is unknown, there are more than kMaxDims
/// dimensions, a dimension is negative, ne0 is not a multiple of the block
/// size, or the size overflows. The message says which.
absl::StatusOr<uint64_t> tensorByteSize(uint32_t type, std::span<const int64_t> dims);

} // namespace quantc::gguf
