//===- Tensor.cpp - Tensors, files and element values ---------------------===//
//
// Part of quantc.
//
//===----------------------------------------------------------------------===//

module;

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "quantc/runtime.h"

#include <bit>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

module quantc.tensorio;

import quantc.formatsupport;
import quantc.runtime;

namespace quantc::tensorio {

static_assert(std::endian::native == std::endian::little,
              "quantc.tensorio assumes a little-endian host");

std::optional<uint64_t> numElements(std::span<const int64_t> dims) {
  uint64_t count = 1;
  for (int64_t d : dims) {
    if (d < 0)
      return std::nullopt;
    std::optional<uint64_t> next = checkedMul(count, static_cast<uint64_t>(d));
    if (!next)
      return std::nullopt;
    count = *next;
  }
  return count;
}

std::string formatDims(std::span<const int64_t> dims) {
  std::string out = "[";
  for (size_t i = 0; i < dims.size(); ++i)
    absl::StrAppend(&out, i ? ", " : "", dims[i]);
  return out + "]";
}

absl::Status checkTensor(const Tensor &tensor) {
  size_t elementSize = runtime::dtypeSize(tensor.dtype);
  if (elementSize == 0)
    return absl::InvalidArgumentError(
        absl::StrCat("tensor '", tensor.name, "' has unsupported data type ", tensor.dtype));
  std::optional<uint64_t> count = numElements(tensor.dims);
  std::optional<uint64_t> bytes = count ? checkedMul(*count, elementSize) : std::nullopt;
  if (!bytes)
    return absl::InvalidArgumentError(absl::StrCat("tensor '", tensor.name, "' has invalid shape ",
                                                   formatDims(tensor.dims)));
  if (*bytes != tensor.data.size())
    return absl::InvalidArgumentError(absl::StrCat(
        "tensor '", tensor.name, "' of shape ", formatDims(tensor.dims), " and type ",
        toAbsl(runtime::dtypeName(tensor.dtype)), " needs ", *bytes, " bytes but holds ",
        tensor.data.size()));
  return absl::OkStatus();
}

absl::StatusOr<Tensor> parseTensorFile(std::span<const std::byte> bytes,
                                       std::string_view fileName) {
  constexpr std::string_view kNpyMagic = "\x93NUMPY";
  bool npyMagic = bytes.size() >= kNpyMagic.size() &&
                  std::memcmp(bytes.data(), kNpyMagic.data(), kNpyMagic.size()) == 0;
  if (npyMagic || fileName.ends_with(".npy"))
    return parseNpy(bytes, fileName);
  return parseTensorPb(bytes, fileName);
}

absl::StatusOr<Tensor> readTensorFile(const std::string &path) {
  absl::StatusOr<std::shared_ptr<const MappedFile>> file = MappedFile::open(path);
  if (!file.ok())
    return file.status();
  return parseTensorFile((*file)->bytes(), path);
}

namespace {

absl::Status writeBytes(const absl::StatusOr<std::vector<std::byte>> &bytes,
                        const std::string &path) {
  if (!bytes.ok())
    return absl::Status(bytes.status().code(),
                        absl::StrCat(path, ": ", bytes.status().message()));
  std::FILE *f = std::fopen(path.c_str(), "wb");
  if (!f)
    return absl::NotFoundError(absl::StrCat(path, ": cannot create: ", std::strerror(errno)));
  bool ok = bytes->empty() || std::fwrite(bytes->data(), 1, bytes->size(), f) == bytes->size();
  int err = ok ? 0 : errno;
  if (std::fclose(f) != 0 && ok) {
    ok = false;
    err = errno;
  }
  if (!ok)
    return absl::InternalError(absl::StrCat(path, ": cannot write: ", std::strerror(err)));
  return absl::OkStatus();
}

template <typename T> T load(const Tensor &tensor, uint64_t index) {
  T value;
  std::memcpy(&value, tensor.data.data() + index * sizeof(T), sizeof(T));
  return value;
}

} // namespace

absl::Status writeTensorPb(const Tensor &tensor, const std::string &path) {
  return writeBytes(serializeTensorPb(tensor), path);
}

absl::Status writeNpy(const Tensor &tensor, const std::string &path) {
  return writeBytes(serializeNpy(tensor), path);
}

float halfToFloat(uint16_t bits) {
  uint32_t sign = static_cast<uint32_t>(bits & 0x8000) << 16;
  uint32_t exponent = (bits >> 10) & 0x1F;
  uint32_t mantissa = bits & 0x3FF;
  uint32_t out;
  if (exponent == 0x1F) {
    out = sign | 0x7F800000 | (mantissa << 13);
  } else if (exponent != 0) {
    out = sign | ((exponent + 112) << 23) | (mantissa << 13);
  } else if (mantissa == 0) {
    out = sign;
  } else {
    // Subnormal: mantissa * 2^-24, exact in float.
    float magnitude = static_cast<float>(mantissa) * 0x1p-24f;
    return sign ? -magnitude : magnitude;
  }
  return std::bit_cast<float>(out);
}

float bfloat16ToFloat(uint16_t bits) {
  return std::bit_cast<float>(static_cast<uint32_t>(bits) << 16);
}

long double elementValue(const Tensor &tensor, uint64_t index) {
  switch (tensor.dtype) {
  case QC_DTYPE_FLOAT32:
    return load<float>(tensor, index);
  case QC_DTYPE_UINT8:
    return load<uint8_t>(tensor, index);
  case QC_DTYPE_INT8:
    return load<int8_t>(tensor, index);
  case QC_DTYPE_UINT16:
    return load<uint16_t>(tensor, index);
  case QC_DTYPE_INT16:
    return load<int16_t>(tensor, index);
  case QC_DTYPE_INT32:
    return load<int32_t>(tensor, index);
  case QC_DTYPE_INT64:
    return load<int64_t>(tensor, index);
  case QC_DTYPE_BOOL:
    return load<uint8_t>(tensor, index) != 0;
  case QC_DTYPE_FLOAT16:
    return halfToFloat(load<uint16_t>(tensor, index));
  case QC_DTYPE_FLOAT64:
    return load<double>(tensor, index);
  case QC_DTYPE_UINT32:
    return load<uint32_t>(tensor, index);
  case QC_DTYPE_UINT64:
    return load<uint64_t>(tensor, index);
  case QC_DTYPE_BFLOAT16:
    return bfloat16ToFloat(load<uint16_t>(tensor, index));
  default:
    return 0;
  }
}

} // namespace quantc::tensorio
