//===- File.cpp - The validating safetensors reader -----------------------===//
//
// Part of quantc.
//
//===----------------------------------------------------------------------===//

module;

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <numeric>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

module quantc.safetensors;

import quantc.formatsupport;
import quantc.json;

namespace quantc::safetensors {

static_assert(std::endian::native == std::endian::little,
              "the safetensors reader assumes a little-endian host");

namespace {

constexpr std::array<DTypeInfo, 15> kDTypes = {{
    {DType::BOOL, "BOOL", 1},
    {DType::U8, "U8", 1},
    {DType::I8, "I8", 1},
    {DType::F8_E4M3, "F8_E4M3", 1},
    {DType::F8_E5M2, "F8_E5M2", 1},
    {DType::I16, "I16", 2},
    {DType::U16, "U16", 2},
    {DType::F16, "F16", 2},
    {DType::BF16, "BF16", 2},
    {DType::I32, "I32", 4},
    {DType::U32, "U32", 4},
    {DType::F32, "F32", 4},
    {DType::I64, "I64", 8},
    {DType::U64, "U64", 8},
    {DType::F64, "F64", 8},
}};

} // namespace

std::span<const DTypeInfo> dtypes() { return kDTypes; }

const DTypeInfo &getDTypeInfo(DType dtype) { return kDTypes[static_cast<size_t>(dtype)]; }

std::optional<DType> parseDType(std::string_view name) {
  for (const DTypeInfo &info : kDTypes)
    if (info.name == name)
      return info.dtype;
  return std::nullopt;
}

/// Parses and validates the header of one safetensors image into a File.
class HeaderParser {
public:
  HeaderParser(std::span<const std::byte> bytes, std::string name, File &file)
      : bytes(bytes), name(std::move(name)), file(file) {}

  absl::Status parse();

private:
  absl::Status error(const std::string &what) const {
    return absl::InvalidArgumentError(absl::StrCat(name, ": ", what));
  }
  absl::Status parseMetadata(const json::Value &value);
  absl::Status parseTensor(const std::string &tensorName, const json::Value &value,
                           uint64_t dataSize);
  absl::Status checkOverlaps() const;

  std::span<const std::byte> bytes;
  std::string name;
  File &file;
};

absl::Status HeaderParser::parse() {
  file.fileBytes = bytes;
  file.filePath = name;
  if (bytes.size() < 8)
    return error(absl::StrCat("truncated file: ", bytes.size(),
                              " bytes, too short for the 8-byte header length"));
  uint64_t headerSize;
  std::memcpy(&headerSize, bytes.data(), 8);
  if (headerSize > kMaxHeaderSize)
    return error(absl::StrCat("header length ", headerSize, " is larger than the limit of ",
                              kMaxHeaderSize, " bytes"));
  if (headerSize > bytes.size() - 8)
    return error(absl::StrCat("truncated file: the header of ", headerSize,
                              " bytes at byte offset 8 runs past the end of the file (",
                              bytes.size(), " bytes)"));
  file.jsonSize = headerSize;
  std::string_view text(reinterpret_cast<const char *>(bytes.data() + 8), headerSize);
  // Offsets in JSON errors are from the start of the header; name it so.
  absl::StatusOr<json::Value> header =
      json::parse(text, absl::StrCat(name, ": header (at byte offset 8)"));
  if (!header.ok())
    return header.status();
  const json::Object *object = header->getObject();
  if (!object)
    return error(absl::StrCat("the header is a JSON ", std::string(json::kindName(header->kind())),
                              ", not an object"));
  uint64_t dataSize = bytes.size() - 8 - headerSize;
  file.tensorInfos.reserve(object->size());
  for (const json::Member &member : *object) {
    if (member.key == "__metadata__") {
      if (absl::Status s = parseMetadata(member.value); !s.ok())
        return s;
      continue;
    }
    if (absl::Status s = parseTensor(member.key, member.value, dataSize); !s.ok())
      return s;
  }
  return checkOverlaps();
}

absl::Status HeaderParser::parseMetadata(const json::Value &value) {
  const json::Object *object = value.getObject();
  if (!object)
    return error(absl::StrCat("__metadata__ is a JSON ", std::string(json::kindName(value.kind())),
                              ", not an object"));
  for (const json::Member &member : *object) {
    const std::string *text = member.value.getString();
    if (!text)
      return error(absl::StrCat("__metadata__ value of '", member.key, "' is a JSON ",
                                std::string(json::kindName(member.value.kind())),
                                ", not a string"));
    file.metadataEntries.emplace_back(member.key, *text);
  }
  return absl::OkStatus();
}

absl::Status HeaderParser::parseTensor(const std::string &tensorName, const json::Value &value,
                                       uint64_t dataSize) {
  std::string what = absl::StrCat("tensor '", tensorName, "'");
  if (tensorName.empty())
    return error("a tensor has an empty name");
  const json::Object *object = value.getObject();
  if (!object)
    return error(absl::StrCat(what, " is a JSON ", std::string(json::kindName(value.kind())),
                              ", not an object"));
  for (const json::Member &member : *object)
    if (member.key != "dtype" && member.key != "shape" && member.key != "data_offsets")
      return error(absl::StrCat(what, " has an unknown field '", member.key, "'"));

  TensorInfo info;
  info.name = tensorName;
  const json::Value *dtype = object->find("dtype");
  if (!dtype)
    return error(absl::StrCat(what, " has no dtype"));
  const std::string *dtypeName = dtype->getString();
  if (!dtypeName)
    return error(absl::StrCat(what, " has a dtype that is not a string"));
  std::optional<DType> parsed = parseDType(*dtypeName);
  if (!parsed)
    return error(absl::StrCat(what, " has unknown dtype '", *dtypeName, "'"));
  info.dtype = *parsed;

  const json::Value *shape = object->find("shape");
  if (!shape || !shape->getArray())
    return error(absl::StrCat(what, shape ? " has a shape that is not an array" : " has no shape"));
  uint64_t count = 1;
  bool overflow = false;
  for (const json::Value &dim : *shape->getArray()) {
    std::optional<int64_t> extent = dim.getInt();
    if (!extent || *extent < 0)
      return error(absl::StrCat(what, " has a shape entry that is not a non-negative integer: ",
                                json::serialize(dim)));
    info.shape.push_back(*extent);
    std::optional<uint64_t> product = checkedMul(count, static_cast<uint64_t>(*extent));
    if (!product)
      overflow = true;
    else
      count = *product;
  }
  // A zero extent makes the product zero whatever overflowed before it.
  if (std::find(info.shape.begin(), info.shape.end(), 0) != info.shape.end()) {
    overflow = false;
    count = 0;
  }
  std::optional<uint64_t> byteSize =
      overflow ? std::nullopt : checkedMul(count, getDTypeInfo(info.dtype).size);
  if (!byteSize)
    return error(absl::StrCat(what, " has shape ", json::serialize(*shape),
                              " whose byte size overflows 64 bits"));
  info.numElements = count;

  const json::Value *offsets = object->find("data_offsets");
  if (!offsets)
    return error(absl::StrCat(what, " has no data_offsets"));
  const json::Array *pair = offsets->getArray();
  std::optional<int64_t> begin, end;
  if (pair && pair->size() == 2) {
    begin = (*pair)[0].getInt();
    end = (*pair)[1].getInt();
  }
  if (!begin || !end || *begin < 0 || *end < 0)
    return error(absl::StrCat(what, " has data_offsets ", json::serialize(*offsets),
                              ", not two non-negative integers"));
  if (*begin > *end)
    return error(absl::StrCat(what, " has data_offsets [", *begin, ", ", *end,
                              "] that end before they begin"));
  info.begin = static_cast<uint64_t>(*begin);
  info.end = static_cast<uint64_t>(*end);
  if (info.end - info.begin != *byteSize)
    return error(absl::StrCat(what, " has data_offsets [", info.begin, ", ", info.end, "] of ",
                              info.end - info.begin, " bytes, but ",
                              std::string(getDTypeInfo(info.dtype).name), " x ",
                              json::serialize(*shape), " takes ", *byteSize, " bytes"));
  if (info.end > dataSize)
    return error(absl::StrCat(what, " data [", info.begin, ", ", info.end,
                              ") runs past the end of the data section (", dataSize,
                              " bytes, from byte offset ", file.dataOffset(), ")"));
  info.data = bytes.subspan(file.dataOffset() + info.begin, *byteSize);
  file.tensorIndex.emplace(info.name, file.tensorInfos.size());
  file.tensorInfos.push_back(std::move(info));
  return absl::OkStatus();
}

absl::Status HeaderParser::checkOverlaps() const {
  std::vector<size_t> order(file.tensorInfos.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return file.tensorInfos[a].begin < file.tensorInfos[b].begin;
  });
  const TensorInfo *previous = nullptr;
  for (size_t index : order) {
    const TensorInfo &info = file.tensorInfos[index];
    if (info.begin == info.end)
      continue;
    if (previous && info.begin < previous->end)
      return error(absl::StrCat("tensors '", previous->name, "' [", previous->begin, ", ",
                                previous->end, ") and '", info.name, "' [", info.begin, ", ",
                                info.end, ") overlap"));
    previous = &info;
  }
  return absl::OkStatus();
}

absl::StatusOr<File> File::parse(std::span<const std::byte> bytes, std::string name) {
  File file;
  HeaderParser parser(bytes, std::move(name), file);
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

const std::string *File::findMetadata(std::string_view key) const {
  for (const auto &[entryKey, value] : metadataEntries)
    if (entryKey == key)
      return &value;
  return nullptr;
}

const TensorInfo *File::findTensor(std::string_view name) const {
  auto it = tensorIndex.find(absl::string_view(name.data(), name.size()));
  return it == tensorIndex.end() ? nullptr : &tensorInfos[it->second];
}

} // namespace quantc::safetensors
