//===- Npy.cpp - numpy .npy files -----------------------------------------===//
//
// Part of quantc.
//
// The .npy format (numpy/lib/format.py): the magic "\x93NUMPY", a major and
// a minor version byte, the header length (u16 little-endian in version 1,
// u32 in versions 2 and 3), the header, and the array's bytes. The header is
// a Python dict literal, padded with spaces and a newline so that the data
// starts at a multiple of 64 (16 in old files):
//   {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }
// Version 3 only differs in allowing UTF-8 in the header.
//
//===----------------------------------------------------------------------===//

module;

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "quantc/runtime.h"

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

module quantc.tensorio;

import quantc.formatsupport;
import quantc.runtime;

namespace quantc::tensorio {
namespace {

constexpr std::string_view kMagic = "\x93NUMPY";

/// numpy dtype strings (without the byte-order character) and their types.
struct NpyType {
  std::string_view code;
  int32_t dtype;
};
constexpr NpyType kNpyTypes[] = {
    {"f4", QC_DTYPE_FLOAT32}, {"f8", QC_DTYPE_FLOAT64}, {"f2", QC_DTYPE_FLOAT16},
    {"i1", QC_DTYPE_INT8},    {"u1", QC_DTYPE_UINT8},   {"i2", QC_DTYPE_INT16},
    {"u2", QC_DTYPE_UINT16},  {"i4", QC_DTYPE_INT32},   {"u4", QC_DTYPE_UINT32},
    {"i8", QC_DTYPE_INT64},   {"u8", QC_DTYPE_UINT64},  {"b1", QC_DTYPE_BOOL},
};

/// Parses the header dict; offsets in errors are from the start of the file.
class HeaderParser {
public:
  HeaderParser(std::string_view text, size_t base, std::string_view fileName)
      : text(text), base(base), fileName(fileName) {}

  absl::Status error(std::string_view what) const { return errorAt(pos, what); }
  absl::Status errorAt(size_t at, std::string_view what) const {
    return absl::InvalidArgumentError(
        absl::StrCat(toAbsl(fileName), ": ", toAbsl(what), " (at byte offset ", base + at, ")"));
  }

  void skipSpace() {
    while (pos < text.size() && (text[pos] == ' ' || text[pos] == '\t' || text[pos] == '\n' ||
                                 text[pos] == '\r'))
      ++pos;
  }
  bool consume(char c) {
    skipSpace();
    if (pos < text.size() && text[pos] == c) {
      ++pos;
      return true;
    }
    return false;
  }
  bool atEnd() {
    skipSpace();
    return pos == text.size();
  }
  char peek() {
    skipSpace();
    return pos < text.size() ? text[pos] : '\0';
  }
  size_t offset() const { return pos; }

  /// A quoted string without escapes.
  absl::StatusOr<std::string_view> string() {
    skipSpace();
    if (pos == text.size() || (text[pos] != '\'' && text[pos] != '"'))
      return error("expected a quoted string");
    char quote = text[pos++];
    size_t start = pos;
    while (pos < text.size() && text[pos] != quote) {
      if (text[pos] == '\\')
        return error("escapes in header strings are not supported");
      ++pos;
    }
    if (pos == text.size())
      return errorAt(start - 1, "unterminated string");
    return text.substr(start, pos++ - start);
  }

  absl::StatusOr<bool> boolean() {
    skipSpace();
    for (auto [word, value] : {std::pair{std::string_view("True"), true}, {"False", false}})
      if (text.substr(pos).starts_with(word)) {
        pos += word.size();
        return value;
      }
    return error("expected True or False");
  }

  /// A tuple of non-negative integers: "()", "(3,)", "(3, 4)".
  absl::StatusOr<std::vector<int64_t>> shape() {
    if (!consume('('))
      return error("expected a shape tuple");
    std::vector<int64_t> dims;
    for (;;) {
      if (consume(')'))
        break;
      skipSpace();
      size_t start = pos;
      uint64_t value = 0;
      while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
        std::optional<uint64_t> next = checkedMul(value, 10);
        next = next ? checkedAdd(*next, static_cast<uint64_t>(text[pos] - '0')) : std::nullopt;
        if (!next || *next > static_cast<uint64_t>(INT64_MAX))
          return errorAt(start, "dimension too large");
        value = *next;
        ++pos;
      }
      if (pos == start)
        return error("expected a non-negative integer dimension");
      if (pos < text.size() && text[pos] == 'L') // Python 2's long suffix
        ++pos;
      dims.push_back(static_cast<int64_t>(value));
      if (consume(','))
        continue;
      if (!consume(')'))
        return error("expected ',' or ')' in the shape");
      // A one-element tuple needs its trailing comma.
      if (dims.size() == 1)
        return errorAt(start, "a one-dimensional shape must be written (n,)");
      break;
    }
    return dims;
  }

private:
  std::string_view text;
  size_t base;
  std::string_view fileName;
  size_t pos = 0;
};

template <typename T> T readLE(std::span<const std::byte> bytes, size_t at) {
  T value;
  std::memcpy(&value, bytes.data() + at, sizeof(T));
  return value;
}

} // namespace

absl::StatusOr<Tensor> parseNpy(std::span<const std::byte> bytes, std::string_view fileName) {
  auto fail = [&](size_t at, std::string_view what) {
    return absl::InvalidArgumentError(
        absl::StrCat(toAbsl(fileName), ": ", toAbsl(what), " (at byte offset ", at, ")"));
  };
  if (bytes.size() < kMagic.size() ||
      std::memcmp(bytes.data(), kMagic.data(), kMagic.size()) != 0)
    return fail(0, "not a .npy file (no \\x93NUMPY magic string)");
  if (bytes.size() < 8)
    return fail(bytes.size(), "truncated .npy version");
  uint8_t major = static_cast<uint8_t>(bytes[6]);
  uint8_t minor = static_cast<uint8_t>(bytes[7]);
  if (major < 1 || major > 3 || minor != 0)
    return fail(6, absl::StrCat("unsupported .npy format version ", major, ".", minor));
  size_t lengthSize = major == 1 ? 2 : 4;
  if (bytes.size() < 8 + lengthSize)
    return fail(8, "truncated .npy header length");
  uint64_t headerLength = major == 1 ? readLE<uint16_t>(bytes, 8) : readLE<uint32_t>(bytes, 8);
  size_t headerStart = 8 + lengthSize;
  if (headerLength > bytes.size() - headerStart)
    return fail(8, absl::StrCat("header of ", headerLength, " bytes runs past the end of the file (",
                                bytes.size() - headerStart, " bytes left)"));
  std::string_view text(reinterpret_cast<const char *>(bytes.data()) + headerStart,
                        static_cast<size_t>(headerLength));
  HeaderParser p(text, headerStart, fileName);

  std::optional<std::string_view> descr;
  std::optional<bool> fortran;
  std::optional<std::vector<int64_t>> shape;
  size_t descrAt = 0;
  if (!p.consume('{'))
    return p.error("the header is not a dict");
  while (!p.consume('}')) {
    size_t keyAt = p.offset();
    absl::StatusOr<std::string_view> key = p.string();
    if (!key.ok())
      return key.status();
    if (!p.consume(':'))
      return p.error("expected ':' after a header key");
    if (*key == "descr" && !descr) {
      if (p.peek() == '[')
        return p.error("structured dtypes are not supported");
      descrAt = p.offset();
      absl::StatusOr<std::string_view> value = p.string();
      if (!value.ok())
        return value.status();
      descr = *value;
    } else if (*key == "fortran_order" && !fortran) {
      absl::StatusOr<bool> value = p.boolean();
      if (!value.ok())
        return value.status();
      fortran = *value;
    } else if (*key == "shape" && !shape) {
      absl::StatusOr<std::vector<int64_t>> value = p.shape();
      if (!value.ok())
        return value.status();
      shape = std::move(*value);
    } else {
      return p.errorAt(keyAt, absl::StrCat("unexpected or repeated header key '", toAbsl(*key), "'"));
    }
    if (!p.consume(',')) {
      if (!p.consume('}'))
        return p.error("expected ',' or '}' in the header");
      break;
    }
  }
  if (!p.atEnd())
    return p.error("unexpected text after the header dict");
  if (!descr || !fortran || !shape)
    return p.errorAt(0, "the header lacks one of 'descr', 'fortran_order' and 'shape'");
  if (*fortran)
    return p.errorAt(0, "Fortran-order arrays are not supported");

  Tensor tensor;
  std::string_view code = *descr;
  char order = code.empty() ? '\0' : code.front();
  if (order == '<' || order == '|' || order == '=' || order == '>')
    code.remove_prefix(1);
  for (const NpyType &t : kNpyTypes)
    if (t.code == code)
      tensor.dtype = t.dtype;
  size_t elementSize = runtime::dtypeSize(tensor.dtype);
  if (tensor.dtype == 0)
    return p.errorAt(descrAt, absl::StrCat("unsupported dtype '", toAbsl(*descr), "'"));
  if (order == '>' && elementSize > 1)
    return p.errorAt(descrAt, absl::StrCat("big-endian dtype '", toAbsl(*descr), "' is not supported"));
  if (order == '|' && elementSize > 1)
    return p.errorAt(descrAt, absl::StrCat("dtype '", toAbsl(*descr), "' lacks a byte order"));

  tensor.dims = std::move(*shape);
  std::optional<uint64_t> count = numElements(tensor.dims);
  std::optional<uint64_t> byteCount = count ? checkedMul(*count, elementSize) : std::nullopt;
  if (!byteCount)
    return p.errorAt(0, absl::StrCat("shape ", formatDims(tensor.dims),
                                     " has too many elements"));
  size_t dataStart = headerStart + static_cast<size_t>(headerLength);
  size_t available = bytes.size() - dataStart;
  if (*byteCount != available)
    return fail(dataStart, absl::StrCat("the data holds ", available, " bytes, but shape ",
                                        formatDims(tensor.dims), " of ",
                                        toAbsl(runtime::dtypeName(tensor.dtype)), " needs ", *byteCount));
  tensor.data.assign(bytes.begin() + static_cast<ptrdiff_t>(dataStart), bytes.end());
  if (tensor.dtype == QC_DTYPE_BOOL)
    for (size_t i = 0; i < tensor.data.size(); ++i)
      if (static_cast<uint8_t>(tensor.data[i]) > 1)
        return fail(dataStart + i, absl::StrCat("bool element ", i, " is ",
                                                static_cast<unsigned>(tensor.data[i]),
                                                ", not 0 or 1"));
  return tensor;
}

absl::StatusOr<std::vector<std::byte>> serializeNpy(const Tensor &tensor) {
  if (absl::Status status = checkTensor(tensor); !status.ok())
    return status;
  std::string_view code;
  for (const NpyType &t : kNpyTypes)
    if (t.dtype == tensor.dtype)
      code = t.code;
  if (code.empty())
    return absl::InvalidArgumentError(absl::StrCat("tensor '", tensor.name, "' of type ",
                                                   toAbsl(runtime::dtypeName(tensor.dtype)),
                                                   " has no numpy dtype"));
  std::string header = absl::StrCat("{'descr': '", runtime::dtypeSize(tensor.dtype) == 1 ? "|" : "<",
                                    toAbsl(code), "', 'fortran_order': False, 'shape': (");
  for (size_t i = 0; i < tensor.dims.size(); ++i)
    absl::StrAppend(&header, i ? ", " : "", tensor.dims[i]);
  absl::StrAppend(&header, tensor.dims.size() == 1 ? ",), }" : "), }");
  // Pad with spaces and a newline so that the data starts at a multiple of
  // 64; version 2 when the header does not fit a u16.
  uint8_t major = 1;
  size_t prefix = 10;
  if (header.size() + 1 + 63 > 0xFFFF) {
    major = 2;
    prefix = 12;
  }
  size_t total = (prefix + header.size() + 1 + 63) / 64 * 64;
  header.append(total - prefix - header.size() - 1, ' ');
  header.push_back('\n');

  std::vector<std::byte> out;
  out.reserve(total + tensor.data.size());
  auto append = [&](const void *data, size_t size) {
    const auto *p = static_cast<const std::byte *>(data);
    out.insert(out.end(), p, p + size);
  };
  append(kMagic.data(), kMagic.size());
  uint8_t version[2] = {major, 0};
  append(version, 2);
  if (major == 1) {
    uint16_t length = static_cast<uint16_t>(header.size());
    append(&length, 2);
  } else {
    uint32_t length = static_cast<uint32_t>(header.size());
    append(&length, 4);
  }
  append(header.data(), header.size());
  append(tensor.data.data(), tensor.data.size());
  return out;
}

} // namespace quantc::tensorio
