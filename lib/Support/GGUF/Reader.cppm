//===- Reader.cppm - The validating GGUF reader -----------------*- C++ -*-===//
//
// Part of quantc.
//
// `File::open` maps a GGUF file and validates all of it before returning:
// header, every metadata value, every tensor info, the sizes and placement of
// every tensor's data. A malformed file yields one absl::Status whose message
// names the file, what is wrong and, where useful, the byte offset. Tensor
// data is never copied: `TensorInfo::data` views the mapping.
//
//===----------------------------------------------------------------------===//

module;

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

export module quantc.gguf:reader;

import :value;
import quantc.formatsupport;

export namespace quantc::gguf {

/// The versions the reader accepts (v1 used 32-bit counts and is obsolete).
inline constexpr uint32_t kMinVersion = 2;
inline constexpr uint32_t kMaxVersion = 3;
/// The alignment of tensor data when `general.alignment` is absent.
inline constexpr uint32_t kDefaultAlignment = 32;
inline constexpr std::string_view kAlignmentKey = "general.alignment";
/// Strings longer than this (1 GiB, llama.cpp's GGUF_MAX_STRING_LENGTH) are
/// rejected whatever the file size.
inline constexpr uint64_t kMaxStringLength = uint64_t(1) << 30;
/// The GGUF specification's limit on tensor names, in bytes. (llama.cpp's
/// loader needs names of at most 63 bytes.)
inline constexpr uint64_t kMaxTensorNameLength = 64;

/// One tensor of a GGUF file.
struct TensorInfo {
  std::string name;
  /// In ggml order: ne0 (the contiguous, innermost dimension) first.
  std::vector<int64_t> dims;
  /// The ggml type id (see getTypeInfo).
  uint32_t type = 0;
  /// Offset of the data from the start of the data section.
  uint64_t offset = 0;
  uint64_t numElements = 0;
  uint64_t byteSize = 0;
  /// The tensor's bytes, a view into the file.
  std::span<const std::byte> data;
};

/// A parsed, validated GGUF file.
class File {
public:
  /// Maps `path` read-only and parses it.
  static absl::StatusOr<File> open(const std::string &path);
  /// Parses a GGUF file held in memory; `name` appears in error messages.
  /// The File views `bytes`, which must outlive it.
  static absl::StatusOr<File> parse(std::span<const std::byte> bytes, std::string name);

  /// The path (or the name given to parse).
  const std::string &path() const { return filePath; }
  uint32_t version() const { return fileVersion; }
  /// `general.alignment`, or kDefaultAlignment.
  uint64_t alignment() const { return dataAlignment; }
  /// Where the tensor infos end.
  uint64_t headerSize() const { return headerEnd; }
  /// Where the data section starts: headerSize() rounded up to alignment().
  uint64_t dataOffset() const { return dataStart; }
  /// Whether the file holds the padding up to dataOffset(). Always true when
  /// there are tensors; a file without tensors written by gguf-py stops at
  /// headerSize(), one written by ggml's gguf.cpp is padded.
  bool headerPadded() const { return bytes().size() >= dataStart; }
  /// The whole file.
  std::span<const std::byte> bytes() const { return fileBytes; }

  /// Metadata in file order.
  std::span<const KeyValue> metadata() const { return keyValues; }
  /// The value of `key`, or nullptr.
  const Value *find(std::string_view key) const;
  /// The value of `key`, or NotFound naming the file and the key.
  absl::StatusOr<const Value *> get(std::string_view key) const;

  /// The value of `key` when it has exactly the requested type; NotFound
  /// when absent, InvalidArgument naming both types when it has another.
  absl::StatusOr<uint8_t> getU8(std::string_view key) const { return getScalar<uint8_t>(key); }
  absl::StatusOr<int8_t> getI8(std::string_view key) const { return getScalar<int8_t>(key); }
  absl::StatusOr<uint16_t> getU16(std::string_view key) const {
    return getScalar<uint16_t>(key);
  }
  absl::StatusOr<int16_t> getI16(std::string_view key) const { return getScalar<int16_t>(key); }
  absl::StatusOr<uint32_t> getU32(std::string_view key) const {
    return getScalar<uint32_t>(key);
  }
  absl::StatusOr<int32_t> getI32(std::string_view key) const { return getScalar<int32_t>(key); }
  absl::StatusOr<uint64_t> getU64(std::string_view key) const {
    return getScalar<uint64_t>(key);
  }
  absl::StatusOr<int64_t> getI64(std::string_view key) const { return getScalar<int64_t>(key); }
  absl::StatusOr<float> getF32(std::string_view key) const { return getScalar<float>(key); }
  absl::StatusOr<double> getF64(std::string_view key) const { return getScalar<double>(key); }
  absl::StatusOr<bool> getBool(std::string_view key) const { return getScalar<bool>(key); }
  /// A view into this File.
  absl::StatusOr<std::string_view> getString(std::string_view key) const;
  absl::StatusOr<const Array *> getArray(std::string_view key) const;
  /// The elements of an array whose elements are exactly T (not bool: use
  /// getArray).
  template <typename T> absl::StatusOr<std::span<const T>> getArrayOf(std::string_view key) const;
  /// Any integer value (u8 ... i64) that is not negative: writers disagree
  /// on whether e.g. `llama.context_length` is a u32 or a u64.
  absl::StatusOr<uint64_t> getUnsigned(std::string_view key) const;

  /// Tensor infos in file order.
  std::span<const TensorInfo> tensors() const { return tensorInfos; }
  /// The tensor named `name`, or nullptr.
  const TensorInfo *findTensor(std::string_view name) const;

private:
  friend class Parser;
  File() = default;

  template <typename T> absl::StatusOr<T> getScalar(std::string_view key) const {
    absl::StatusOr<const Value *> value = get(key);
    if (!value.ok())
      return value.status();
    if (const T *result = (*value)->getIf<T>())
      return *result;
    return typeMismatch(key, (*value)->type(), valueTypeOf<T>());
  }
  absl::Status typeMismatch(std::string_view key, ValueType actual, ValueType expected) const;
  absl::Status arrayTypeMismatch(std::string_view key, ValueType actual,
                                 ValueType expected) const;

  std::shared_ptr<const MappedFile> mapping;
  std::span<const std::byte> fileBytes;
  std::string filePath;
  uint32_t fileVersion = 0;
  uint64_t dataAlignment = kDefaultAlignment;
  uint64_t headerEnd = 0;
  uint64_t dataStart = 0;
  std::vector<KeyValue> keyValues;
  absl::flat_hash_map<std::string, size_t> keyIndex;
  std::vector<TensorInfo> tensorInfos;
  absl::flat_hash_map<std::string, size_t> tensorIndex;
};

template <typename T>
absl::StatusOr<std::span<const T>> File::getArrayOf(std::string_view key) const {
  static_assert(!std::is_same_v<T, bool>, "std::vector<bool> has no span; use getArray");
  absl::StatusOr<const Array *> array = getArray(key);
  if (!array.ok())
    return array.status();
  if (const std::vector<T> *values = (*array)->getIf<T>())
    return std::span<const T>(*values);
  return arrayTypeMismatch(key, (*array)->elementType(), valueTypeOf<T>());
}

} // namespace quantc::gguf
