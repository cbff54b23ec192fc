//===- Reader.cpp - The validating GGUF reader ----------------------------===//
//
// Part of quantc.
//
// Every length and count read from the file is checked against the bytes
// that remain before anything is allocated for it, so a hostile file cannot
// make the reader allocate much more than its own size.
//
//===----------------------------------------------------------------------===//

module;

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <numeric>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

module quantc.gguf;

import quantc.formatsupport;

namespace quantc::gguf {

static_assert(std::endian::native == std::endian::little,
              "the GGUF reader assumes a little-endian host");

namespace {

/// The fewest bytes one metadata entry takes: a key of one byte, the value
/// type and a one-byte value.
constexpr uint64_t kMinKeyValueBytes = 8 + 1 + 4 + 1;
/// The fewest bytes one tensor info takes: a one-byte name, n_dims = 0, the
/// type and the offset.
constexpr uint64_t kMinTensorInfoBytes = 8 + 1 + 4 + 4 + 8;

absl::string_view toAbsl(std::string_view s) { return absl::string_view(s.data(), s.size()); }

/// The bytes one element of an array of `type` takes at least.
uint64_t minElementBytes(ValueType type) {
  switch (type) {
  case ValueType::U8:
  case ValueType::I8:
  case ValueType::Bool:
    return 1;
  case ValueType::U16:
  case ValueType::I16:
    return 2;
  case ValueType::U32:
  case ValueType::I32:
  case ValueType::F32:
    return 4;
  case ValueType::U64:
  case ValueType::I64:
  case ValueType::F64:
  case ValueType::String: // the length
    return 8;
  case ValueType::Array: // element type and count
    return 12;
  }
  return 1;
}

} // namespace

/// Parses one GGUF image into a File.
class Parser {
public:
  Parser(std::span<const std::byte> bytes, std::string name, File &file)
      : bytes(bytes), name(std::move(name)), file(file) {}

  absl::Status parse();

private:
  uint64_t remaining() const { return bytes.size() - pos; }

  absl::Status error(uint64_t at, const std::string &what) const {
    return absl::InvalidArgumentError(
        absl::StrCat(name, ": ", what, " (at byte offset ", at, ")"));
  }
  absl::Status truncated(uint64_t at, const std::string &what) const {
    return absl::InvalidArgumentError(absl::StrCat(name, ": truncated file: ", what,
                                                   " at byte offset ", at,
                                                   " runs past the end of the file (",
                                                   bytes.size(), " bytes)"));
  }

  template <typename T> absl::Status read(T &out, const char *what) {
    if (remaining() < sizeof(T))
      return truncated(pos, what);
    std::memcpy(&out, bytes.data() + pos, sizeof(T));
    pos += sizeof(T);
    return absl::OkStatus();
  }

  absl::Status readString(std::string &out, const std::string &what);
  absl::Status readValueType(ValueType &out, const std::string &what);
  absl::Status readValue(ValueType type, Value &out, const std::string &what);
  absl::Status readArray(Array &out, const std::string &what, unsigned depth);
  template <typename T>
  absl::Status readScalars(ArrayElements &out, uint64_t count, const std::string &what);
  absl::Status readKeyValues(uint64_t count);
  absl::Status readTensorInfos(uint64_t count);
  absl::Status placeTensors();

  std::span<const std::byte> bytes;
  std::string name;
  File &file;
  uint64_t pos = 0;
};

absl::Status Parser::readString(std::string &out, const std::string &what) {
  uint64_t at = pos;
  uint64_t length;
  if (absl::Status s = read(length, (what + " length").c_str()); !s.ok())
    return s;
  if (length > kMaxStringLength)
    return error(at, absl::StrCat(what, " has length ", length,
                                  ", more than the 1 GiB any GGUF string may have"));
  if (length > remaining())
    return truncated(at, absl::StrCat(what, " of ", length, " bytes"));
  std::string_view text(reinterpret_cast<const char *>(bytes.data() + pos), length);
  if (std::optional<size_t> bad = findInvalidUTF8(text))
    return error(pos + *bad, absl::StrCat(what, " is not valid UTF-8"));
  out.assign(text);
  pos += length;
  return absl::OkStatus();
}

absl::Status Parser::readValueType(ValueType &out, const std::string &what) {
  uint64_t at = pos;
  uint32_t raw;
  if (absl::Status s = read(raw, what.c_str()); !s.ok())
    return s;
  if (raw >= kNumValueTypes)
    return error(at, absl::StrCat(what, " ", raw, " is not a GGUF value type (0-12)"));
  out = static_cast<ValueType>(raw);
  return absl::OkStatus();
}

template <typename T>
absl::Status Parser::readScalars(ArrayElements &out, uint64_t count, const std::string &what) {
  // The caller checked that count * sizeof(T) bytes remain.
  std::vector<T> values(count);
  if (count != 0)
    std::memcpy(values.data(), bytes.data() + pos, count * sizeof(T));
  pos += count * sizeof(T);
  out = std::move(values);
  return absl::OkStatus();
}

absl::Status Parser::readArray(Array &out, const std::string &what, unsigned depth) {
  uint64_t at = pos;
  if (depth > kMaxArrayDepth)
    return error(at, absl::StrCat(what, " nests arrays more than ", kMaxArrayDepth,
                                  " levels deep"));
  ValueType elementType;
  if (absl::Status s = readValueType(elementType, what + " element type"); !s.ok())
    return s;
  uint64_t count;
  if (absl::Status s = read(count, (what + " element count").c_str()); !s.ok())
    return s;
  uint64_t minBytes = minElementBytes(elementType);
  if (count > remaining() / minBytes)
    return error(at, absl::StrCat(what, " claims ", count, " ",
                                  std::string(valueTypeName(elementType)),
                                  " elements, more than the ", remaining(),
                                  " bytes left in the file can hold"));
  switch (elementType) {
  case ValueType::U8:
    return readScalars<uint8_t>(out.elements, count, what);
  case ValueType::I8:
    return readScalars<int8_t>(out.elements, count, what);
  case ValueType::U16:
    return readScalars<uint16_t>(out.elements, count, what);
  case ValueType::I16:
    return readScalars<int16_t>(out.elements, count, what);
  case ValueType::U32:
    return readScalars<uint32_t>(out.elements, count, what);
  case ValueType::I32:
    return readScalars<int32_t>(out.elements, count, what);
  case ValueType::F32:
    return readScalars<float>(out.elements, count, what);
  case ValueType::U64:
    return readScalars<uint64_t>(out.elements, count, what);
  case ValueType::I64:
    return readScalars<int64_t>(out.elements, count, what);
  case ValueType::F64:
    return readScalars<double>(out.elements, count, what);
  case ValueType::Bool: {
    std::vector<bool> values(count);
    for (uint64_t i = 0; i < count; ++i) {
      uint8_t byte = static_cast<uint8_t>(bytes[pos + i]);
      if (byte > 1)
        return error(pos + i, absl::StrCat(what, " element ", i, " is a bool of value ",
                                           byte, ", not 0 or 1"));
      values[i] = byte != 0;
    }
    pos += count;
    out.elements = std::move(values);
    return absl::OkStatus();
  }
  case ValueType::String: {
    std::vector<std::string> values(count);
    for (uint64_t i = 0; i < count; ++i)
      if (absl::Status s = readString(values[i], absl::StrCat(what, " element ", i)); !s.ok())
        return s;
    out.elements = std::move(values);
    return absl::OkStatus();
  }
  case ValueType::Array: {
    std::vector<Array> values(count);
    for (uint64_t i = 0; i < count; ++i)
      if (absl::Status s = readArray(values[i], absl::StrCat(what, " element ", i), depth + 1);
          !s.ok())
        return s;
    out.elements = std::move(values);
    return absl::OkStatus();
  }
  }
  return error(at, "unreachable value type");
}

absl::Status Parser::readValue(ValueType type, Value &out, const std::string &what) {
  auto scalar = [&]<typename T>(T zero) -> absl::Status {
    T value = zero;
    if (absl::Status s = read(value, what.c_str()); !s.ok())
      return s;
    out = Value(value);
    return absl::OkStatus();
  };
  switch (type) {
  case ValueType::U8:
    return scalar(uint8_t(0));
  case ValueType::I8:
    return scalar(int8_t(0));
  case ValueType::U16:
    return scalar(uint16_t(0));
  case ValueType::I16:
    return scalar(int16_t(0));
  case ValueType::U32:
    return scalar(uint32_t(0));
  case ValueType::I32:
    return scalar(int32_t(0));
  case ValueType::F32:
    return scalar(0.0f);
  case ValueType::U64:
    return scalar(uint64_t(0));
  case ValueType::I64:
    return scalar(int64_t(0));
  case ValueType::F64:
    return scalar(0.0);
  case ValueType::Bool: {
    uint64_t at = pos;
    uint8_t byte;
    if (absl::Status s = read(byte, what.c_str()); !s.ok())
      return s;
    if (byte > 1)
      return error(at, absl::StrCat(what, " is a bool of value ", byte, ", not 0 or 1"));
    out = Value(byte != 0);
    return absl::OkStatus();
  }
  case ValueType::String: {
    std::string text;
    if (absl::Status s = readString(text, what); !s.ok())
      return s;
    out = Value(std::move(text));
    return absl::OkStatus();
  }
  case ValueType::Array: {
    Array array;
    if (absl::Status s = readArray(array, what, 1); !s.ok())
      return s;
    out = Value(std::move(array));
    return absl::OkStatus();
  }
  }
  return error(pos, "unreachable value type");
}

absl::Status Parser::readKeyValues(uint64_t count) {
  file.keyValues.reserve(count);
  file.keyIndex.reserve(count);
  for (uint64_t i = 0; i < count; ++i) {
    uint64_t at = pos;
    std::string key;
    if (absl::Status s = readString(key, absl::StrCat("metadata key #", i)); !s.ok())
      return s;
    if (key.empty())
      return error(at, absl::StrCat("metadata key #", i, " is empty"));
    if (file.keyIndex.contains(key))
      return error(at, absl::StrCat("duplicate metadata key '", key, "'"));
    std::string what = absl::StrCat("value of '", key, "'");
    ValueType type;
    if (absl::Status s = readValueType(type, "value type of '" + key + "'"); !s.ok())
      return s;
    Value value(uint8_t(0));
    if (absl::Status s = readValue(type, value, what); !s.ok())
      return s;
    file.keyIndex.emplace(key, file.keyValues.size());
    file.keyValues.push_back({std::move(key), std::move(value)});
  }
  return absl::OkStatus();
}

absl::Status Parser::readTensorInfos(uint64_t count) {
  file.tensorInfos.reserve(count);
  file.tensorIndex.reserve(count);
  for (uint64_t i = 0; i < count; ++i) {
    uint64_t at = pos;
    TensorInfo info;
    if (absl::Status s = readString(info.name, absl::StrCat("tensor name #", i)); !s.ok())
      return s;
    if (info.name.empty())
      return error(at, absl::StrCat("tensor #", i, " has an empty name"));
    if (info.name.size() > kMaxTensorNameLength)
      return error(at, absl::StrCat("tensor name '", info.name, "' is ", info.name.size(),
                                    " bytes long; GGUF allows ", kMaxTensorNameLength));
    if (file.tensorIndex.contains(info.name))
      return error(at, absl::StrCat("duplicate tensor name '", info.name, "'"));
    std::string what = absl::StrCat("tensor '", info.name, "'");
    uint64_t dimsAt = pos;
    uint32_t numDims;
    if (absl::Status s = read(numDims, (what + " dimension count").c_str()); !s.ok())
      return s;
    if (numDims > kMaxDims)
      return error(dimsAt, absl::StrCat(what, " has ", numDims, " dimensions; GGUF allows ",
                                        kMaxDims));
    info.dims.resize(numDims);
    for (uint32_t d = 0; d < numDims; ++d)
      if (absl::Status s = read(info.dims[d], (what + " dimensions").c_str()); !s.ok())
        return s;
    if (absl::Status s = read(info.type, (what + " type").c_str()); !s.ok())
      return s;
    if (absl::Status s = read(info.offset, (what + " offset").c_str()); !s.ok())
      return s;
    if (!getTypeInfo(info.type))
      return error(at, absl::StrCat(what, " has unknown ggml type ", info.type));
    absl::StatusOr<uint64_t> count = numElements(info.dims);
    if (!count.ok())
      return error(at, absl::StrCat(what, ": ", std::string(count.status().message())));
    absl::StatusOr<uint64_t> size = tensorByteSize(info.type, info.dims);
    if (!size.ok())
      return error(at, absl::StrCat(what, ": ", std::string(size.status().message())));
    info.numElements = *count;
    info.byteSize = *size;
    file.tensorIndex.emplace(info.name, file.tensorInfos.size());
    file.tensorInfos.push_back(std::move(info));
  }
  return absl::OkStatus();
}

absl::Status Parser::placeTensors() {
  std::optional<uint64_t> dataStart = alignUp(pos, file.dataAlignment);
  if (!dataStart)
    return error(pos, "the data section offset overflows");
  file.headerEnd = pos;
  file.dataStart = *dataStart;
  if (file.tensorInfos.empty())
    return absl::OkStatus();
  if (*dataStart > bytes.size())
    return truncated(pos, absl::StrCat("the padding before the data section (which starts at ",
                                       *dataStart, ")"));
  uint64_t dataSize = bytes.size() - *dataStart;
  for (TensorInfo &info : file.tensorInfos) {
    if (info.offset % file.dataAlignment != 0)
      return absl::InvalidArgumentError(absl::StrCat(
          name, ": tensor '", info.name, "' has data offset ", info.offset,
          ", not a multiple of the alignment ", file.dataAlignment));
    if (info.offset > dataSize || info.byteSize > dataSize - info.offset)
      return absl::InvalidArgumentError(absl::StrCat(
          name, ": tensor '", info.name, "' data of ", info.byteSize, " bytes at byte offset ",
          info.offset > dataSize ? std::string("(past the end)")
                                 : absl::StrCat(*dataStart + info.offset),
          " (data offset ", info.offset, ") runs past the end of the file (", bytes.size(),
          " bytes)"));
    info.data = bytes.subspan(*dataStart + info.offset, info.byteSize);
  }
  std::vector<size_t> order(file.tensorInfos.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return file.tensorInfos[a].offset < file.tensorInfos[b].offset;
  });
  const TensorInfo *previous = nullptr;
  for (size_t index : order) {
    const TensorInfo &info = file.tensorInfos[index];
    if (info.byteSize == 0)
      continue;
    if (previous && info.offset < previous->offset + previous->byteSize)
      return absl::InvalidArgumentError(absl::StrCat(
          name, ": tensors '", previous->name, "' (bytes ", *dataStart + previous->offset, "-",
          *dataStart + previous->offset + previous->byteSize, ") and '", info.name, "' (bytes ",
          *dataStart + info.offset, "-", *dataStart + info.offset + info.byteSize,
          ") overlap"));
    previous = &info;
  }
  return absl::OkStatus();
}

absl::Status Parser::parse() {
  file.fileBytes = bytes;
  file.filePath = name;
  if (bytes.size() < 4)
    return truncated(0, "the magic \"GGUF\"");
  if (std::memcmp(bytes.data(), "GGUF", 4) != 0) {
    std::string magic;
    for (size_t i = 0; i < 4; ++i) {
      char c = static_cast<char>(bytes[i]);
      magic += c >= 0x20 && c < 0x7f ? c : '?';
    }
    return error(0, absl::StrCat("bad magic '", magic, "': not a GGUF file"));
  }
  pos = 4;
  uint32_t version;
  if (absl::Status s = read(version, "the version"); !s.ok())
    return s;
  if (version == 1)
    return error(4, "GGUF version 1 is not supported (it is obsolete); versions 2 and 3 are");
  if (version != 0 && (version & 0xFFFF) == 0)
    return error(4, absl::StrCat("GGUF version ", version, " (0x", absl::Hex(version),
                                 ") looks byte-swapped: only little-endian GGUF is supported"));
  if (version < kMinVersion || version > kMaxVersion)
    return error(4, absl::StrCat("unsupported GGUF version ", version, "; versions 2 and 3 are"));
  file.fileVersion = version;
  uint64_t tensorCount, keyCount;
  if (absl::Status s = read(tensorCount, "the tensor count"); !s.ok())
    return s;
  if (absl::Status s = read(keyCount, "the metadata count"); !s.ok())
    return s;
  if (keyCount > remaining() / kMinKeyValueBytes)
    return error(16, absl::StrCat("metadata count ", keyCount, " is too large for a file of ",
                                  bytes.size(), " bytes"));
  if (tensorCount > remaining() / kMinTensorInfoBytes ||
      keyCount * kMinKeyValueBytes + tensorCount * kMinTensorInfoBytes > remaining())
    return error(8, absl::StrCat("tensor count ", tensorCount, " is too large for a file of ",
                                 bytes.size(), " bytes"));
  if (absl::Status s = readKeyValues(keyCount); !s.ok())
    return s;

  if (const Value *alignment = file.find(kAlignmentKey)) {
    const uint32_t *value = alignment->getIf<uint32_t>();
    if (!value)
      return absl::InvalidArgumentError(absl::StrCat(
          name, ": '", std::string(kAlignmentKey), "' is a ",
          std::string(valueTypeName(alignment->type())), "; it must be a u32"));
    if (*value == 0 || (*value & (*value - 1)) != 0)
      return absl::InvalidArgumentError(absl::StrCat(name, ": '", std::string(kAlignmentKey),
                                                     "' is ", *value,
                                                     ", not a power of two"));
    file.dataAlignment = *value;
  }

  if (absl::Status s = readTensorInfos(tensorCount); !s.ok())
    return s;
  return placeTensors();
}

absl::StatusOr<File> File::parse(std::span<const std::byte> bytes, std::string name) {
  File file;
  Parser parser(bytes, std::move(name), file);
  if (absl::Status s = parser.parse(); !s.ok())
    return s;
  return file;
}

absl::StatusOr<File> File::open(const std::string &path) {
  absl::StatusOr<std::shared_ptr<const MappedFile>> mapping = MappedFile::open(path);
  if (!mapping.ok())
    return mapping.status();
  absl::StatusOr<File> file = parse((*mapping)->bytes(), path);
  if (file.ok())
    file->mapping = *std::move(mapping);
  return file;
}

const Value *File::find(std::string_view key) const {
  auto it = keyIndex.find(toAbsl(key));
  return it == keyIndex.end() ? nullptr : &keyValues[it->second].value;
}

absl::StatusOr<const Value *> File::get(std::string_view key) const {
  if (const Value *value = find(key))
    return value;
  return absl::NotFoundError(
      absl::StrCat(filePath, ": metadata key '", std::string(key), "' not found"));
}

absl::Status File::typeMismatch(std::string_view key, ValueType actual,
                                ValueType expected) const {
  return absl::InvalidArgumentError(absl::StrCat(
      filePath, ": metadata key '", std::string(key), "' is a ",
      std::string(valueTypeName(actual)), ", not a ", std::string(valueTypeName(expected))));
}

absl::Status File::arrayTypeMismatch(std::string_view key, ValueType actual,
                                     ValueType expected) const {
  return absl::InvalidArgumentError(absl::StrCat(
      filePath, ": metadata key '", std::string(key), "' is an array of ",
      std::string(valueTypeName(actual)), ", not of ", std::string(valueTypeName(expected))));
}

absl::StatusOr<std::string_view> File::getString(std::string_view key) const {
  absl::StatusOr<const Value *> value = get(key);
  if (!value.ok())
    return value.status();
  if (const std::string *text = (*value)->getIf<std::string>())
    return std::string_view(*text);
  return typeMismatch(key, (*value)->type(), ValueType::String);
}

absl::StatusOr<const Array *> File::getArray(std::string_view key) const {
  absl::StatusOr<const Value *> value = get(key);
  if (!value.ok())
    return value.status();
  if (const Array *array = (*value)->getIf<Array>())
    return array;
  return typeMismatch(key, (*value)->type(), ValueType::Array);
}

absl::StatusOr<uint64_t> File::getUnsigned(std::string_view key) const {
  absl::StatusOr<const Value *> value = get(key);
  if (!value.ok())
    return value.status();
  std::optional<uint64_t> result;
  bool negative = false;
  std::visit(
      [&]<typename T>(const T &v) {
        if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
          if constexpr (std::is_signed_v<T>)
            negative = v < 0;
          if (!negative)
            result = static_cast<uint64_t>(v);
        }
      },
      (*value)->get());
  if (negative)
    return absl::InvalidArgumentError(absl::StrCat(filePath, ": metadata key '",
                                                   std::string(key), "' is negative"));
  if (!result)
    return absl::InvalidArgumentError(absl::StrCat(
        filePath, ": metadata key '", std::string(key), "' is a ",
        std::string(valueTypeName((*value)->type())), ", not an integer"));
  return *result;
}

const TensorInfo *File::findTensor(std::string_view name) const {
  auto it = tensorIndex.find(toAbsl(name));
  return it == tensorIndex.end() ? nullptr : &tensorInfos[it->second];
}

} // namespace quantc::gguf
