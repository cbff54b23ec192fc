//===- FormatSupport.cppm - Shared pieces of the file readers ---*- C++ -*-===//
//
// Part of quantc.
//
// What the GGUF, JSON and safetensors readers share: read-only memory-mapped
// files (tensors are `std::span<const std::byte>` views into the mapping, so
// opening a multi-gigabyte model copies none of its weights), strict UTF-8
// validation, and overflow-checked arithmetic for sizes read from untrusted
// files. LLVM-free.
//
//===----------------------------------------------------------------------===//

module;

#include "absl/status/statusor.h"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

export module quantc.formatsupport;

export namespace quantc {

/// A regular file mapped read-only into memory. The mapping lives as long as
/// the object; share it with `std::shared_ptr` so that views into it stay
/// valid while anyone holds them.
class MappedFile {
public:
  /// Maps `path`. Fails with a message naming the file when it cannot be
  /// opened, is not a regular file, or cannot be mapped. An empty file maps
  /// to an empty span.
  static absl::StatusOr<std::shared_ptr<const MappedFile>> open(const std::string &path);

  MappedFile(const MappedFile &) = delete;
  MappedFile &operator=(const MappedFile &) = delete;
  ~MappedFile();

  /// The whole file.
  std::span<const std::byte> bytes() const { return {data, size}; }
  const std::string &path() const { return filePath; }

private:
  MappedFile(std::string path, const std::byte *data, size_t size)
      : filePath(std::move(path)), data(data), size(size) {}

  std::string filePath;
  const std::byte *data;
  size_t size;
};

/// Returns the offset of the first byte that does not belong to well-formed
/// UTF-8 (RFC 3629: no overlong forms, no surrogates, nothing above
/// U+10FFFF), or nullopt when all of `text` is valid.
std::optional<size_t> findInvalidUTF8(std::string_view text);

/// `a * b`, or nullopt on unsigned 64-bit overflow.
constexpr std::optional<uint64_t> checkedMul(uint64_t a, uint64_t b) {
  uint64_t result;
  if (__builtin_mul_overflow(a, b, &result))
    return std::nullopt;
  return result;
}

/// `a + b`, or nullopt on unsigned 64-bit overflow.
constexpr std::optional<uint64_t> checkedAdd(uint64_t a, uint64_t b) {
  uint64_t result;
  if (__builtin_add_overflow(a, b, &result))
    return std::nullopt;
  return result;
}

/// `value` rounded up to a multiple of `alignment` (a power of two), or
/// nullopt on overflow.
constexpr std::optional<uint64_t> alignUp(uint64_t value, uint64_t alignment) {
  std::optional<uint64_t> bumped = checkedAdd(value, alignment - 1);
  if (!bumped)
    return std::nullopt;
  return *bumped & ~(alignment - 1);
}

} // namespace quantc
