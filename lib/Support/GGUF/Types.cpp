//===- Types.cpp - ggml tensor types --------------------------------------===//
//
// Part of quantc.
//
//===----------------------------------------------------------------------===//

module;

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"

#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>

module quantc.gguf;

import quantc.formatsupport;

namespace quantc::gguf {

absl::StatusOr<uint64_t> numElements(std::span<const int64_t> dims) {
  uint64_t count = 1;
  for (size_t i = 0; i < dims.size(); ++i) {
    if (dims[i] < 0)
      return absl::InvalidArgumentError(
          absl::StrCat("dimension ", i, " is negative (", dims[i], ")"));
    std::optional<uint64_t> product = checkedMul(count, static_cast<uint64_t>(dims[i]));
    if (!product || *product > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      std::string shape;
      for (size_t j = 0; j < dims.size(); ++j)
        absl::StrAppend(&shape, j ? ", " : "", dims[j]);
      return absl::InvalidArgumentError(
          absl::StrCat("the element count of shape [", shape, "] overflows int64"));
    }
    count = *product;
  }
  return count;
}

absl::StatusOr<uint64_t> tensorByteSize(uint32_t type, std::span<const int64_t> dims) {
  const TypeInfo *info = getTypeInfo(type);
  if (!info)
    return absl::InvalidArgumentError(absl::StrCat("unknown ggml type ", type));
  if (dims.size() > kMaxDims)
    return absl::InvalidArgumentError(
        absl::StrCat(dims.size(), " dimensions, more than GGUF's ", kMaxDims));
  absl::StatusOr<uint64_t> count = numElements(dims);
  if (!count.ok())
    return count.status();
  int64_t ne0 = dims.empty() ? 1 : dims[0];
  if (ne0 % info->blockSize != 0)
    return absl::InvalidArgumentError(absl::StrCat(
        "ne0 = ", ne0, " is not a multiple of the block size ", info->blockSize, " of ",
        std::string(info->name)));
  std::optional<uint64_t> bytes = checkedMul(*count / info->blockSize, info->bytesPerBlock);
  if (!bytes)
    return absl::InvalidArgumentError(absl::StrCat("the byte size of ", *count, " ",
                                                   std::string(info->name),
                                                   " elements overflows 64 bits"));
  return *bytes;
}

std::string_view valueTypeName(ValueType type) {
  switch (type) {
  case ValueType::U8:
    return "u8";
  case ValueType::I8:
    return "i8";
  case ValueType::U16:
    return "u16";
  case ValueType::I16:
    return "i16";
  case ValueType::U32:
    return "u32";
  case ValueType::I32:
    return "i32";
  case ValueType::F32:
    return "f32";
  case ValueType::Bool:
    return "bool";
  case ValueType::String:
    return "string";
  case ValueType::Array:
    return "array";
  case ValueType::U64:
    return "u64";
  case ValueType::I64:
    return "i64";
  case ValueType::F64:
    return "f64";
  }
  return "unknown";
}

} // namespace quantc::gguf
