//===- TensorProto.cpp - ONNX TensorProto without protobuf ----------------===//
//
// Part of quantc.
//
// The protobuf wire format (protobuf.dev/programming-guides/encoding): a
// message is a sequence of fields, each a varint key (field number << 3 |
// wire type) and a value: a varint (type 0), 8 bytes (1), a varint length
// and that many bytes (2), or 4 bytes (5). Repeated scalar fields may be
// packed (one length-delimited run) or not (one key per value); a parser
// must accept both, and concatenate several occurrences. For singular fields
// the last occurrence wins. The fields of onnx.TensorProto read here:
//
//   1 dims (int64, repeated)       7 int64_data (repeated)
//   2 data_type (int32)            8 name (string)
//   4 float_data (repeated)        9 raw_data (bytes)
//   5 int32_data (repeated)       10 double_data (repeated)
//   6 string_data (bytes, rep.)   11 uint64_data (repeated)
//  14 data_location (enum; 1 = EXTERNAL)
//
// Others (segment, doc_string, external_data, metadata_props) are skipped.
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
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

module quantc.tensorio;

import quantc.formatsupport;
import quantc.runtime;

namespace quantc::tensorio {
namespace {

enum WireType : uint32_t { kVarint = 0, kFixed64 = 1, kLengthDelimited = 2, kFixed32 = 5 };

enum Field : uint32_t {
  kDims = 1,
  kDataType = 2,
  kFloatData = 4,
  kInt32Data = 5,
  kStringData = 6,
  kInt64Data = 7,
  kName = 8,
  kRawData = 9,
  kDoubleData = 10,
  kUint64Data = 11,
  kDataLocation = 14,
};

constexpr int32_t kOnnxString = 8;
constexpr int64_t kDataLocationExternal = 1;

/// ONNX's names of the types outside qc_dtype, for messages.
std::string_view onnxTypeName(int64_t type) {
  switch (type) {
  case 0:
    return "UNDEFINED";
  case 8:
    return "STRING";
  case 14:
    return "COMPLEX64";
  case 15:
    return "COMPLEX128";
  case 17:
    return "FLOAT8E4M3FN";
  case 18:
    return "FLOAT8E4M3FNUZ";
  case 19:
    return "FLOAT8E5M2";
  case 20:
    return "FLOAT8E5M2FNUZ";
  case 21:
    return "UINT4";
  case 22:
    return "INT4";
  case 23:
    return "FLOAT4E2M1";
  default:
    return "unknown";
  }
}

/// The fields of one TensorProto, as read.
struct RawTensor {
  std::vector<int64_t> dims;
  std::optional<int64_t> dataType;
  size_t dataTypeAt = 0;
  std::string name;
  std::optional<std::span<const std::byte>> rawData;
  size_t rawDataAt = 0;
  std::vector<uint32_t> floatData;
  std::vector<int64_t> int32Data; // as decoded; checked against int32 below
  std::vector<int64_t> int64Data;
  std::vector<uint64_t> doubleData;
  std::vector<uint64_t> uint64Data;
  uint64_t stringData = 0;
  /// Where the first value of each typed field was, for messages.
  size_t typedAt = 0;
  int64_t dataLocation = 0;
  size_t dataLocationAt = 0;
};

class Parser {
public:
  Parser(std::span<const std::byte> bytes, std::string_view fileName)
      : bytes(bytes), fileName(fileName) {}

  absl::StatusOr<RawTensor> parse();

  absl::Status error(size_t at, std::string_view what) const {
    return absl::InvalidArgumentError(
        absl::StrCat(toAbsl(fileName), ": ", toAbsl(what), " (at byte offset ", at, ")"));
  }

private:
  size_t remaining() const { return bytes.size() - pos; }
  absl::StatusOr<uint64_t> varint();
  /// A length-delimited value's bytes.
  absl::StatusOr<std::span<const std::byte>> delimited();
  absl::Status skip(uint32_t wireType, size_t keyAt);
  /// Reads a repeated varint field's value(s) (packed or not).
  absl::Status repeatedVarint(uint32_t wireType, size_t keyAt, std::vector<int64_t> &out);
  /// Reads a repeated fixed-size field's value(s) (packed or not).
  template <typename T>
  absl::Status repeatedFixed(uint32_t wireType, size_t keyAt, std::vector<T> &out);

  std::span<const std::byte> bytes;
  std::string_view fileName;
  size_t pos = 0;
};

absl::StatusOr<uint64_t> Parser::varint() {
  size_t start = pos;
  uint64_t value = 0;
  for (unsigned shift = 0; shift < 64; shift += 7) {
    if (pos == bytes.size())
      return error(start, "truncated varint");
    uint8_t byte = static_cast<uint8_t>(bytes[pos++]);
    if (shift == 63 && byte > 1)
      return error(start, "varint longer than 64 bits");
    value |= static_cast<uint64_t>(byte & 0x7F) << shift;
    if (!(byte & 0x80))
      return value;
  }
  return error(start, "varint longer than 10 bytes");
}

absl::StatusOr<std::span<const std::byte>> Parser::delimited() {
  size_t start = pos;
  absl::StatusOr<uint64_t> length = varint();
  if (!length.ok())
    return length.status();
  if (*length > remaining())
    return error(start, absl::StrCat("length ", *length, " runs past the end of the file (",
                                     remaining(), " bytes left)"));
  std::span<const std::byte> value = bytes.subspan(pos, static_cast<size_t>(*length));
  pos += static_cast<size_t>(*length);
  return value;
}

absl::Status Parser::skip(uint32_t wireType, size_t keyAt) {
  switch (wireType) {
  case kVarint:
    return varint().status();
  case kFixed64:
  case kFixed32: {
    size_t size = wireType == kFixed64 ? 8 : 4;
    if (remaining() < size)
      return error(pos, "truncated fixed-size field");
    pos += size;
    return absl::OkStatus();
  }
  case kLengthDelimited:
    return delimited().status();
  case 3:
  case 4:
    return error(keyAt, "protobuf groups are not supported");
  default:
    return error(keyAt, absl::StrCat("invalid wire type ", wireType));
  }
}

absl::Status Parser::repeatedVarint(uint32_t wireType, size_t keyAt, std::vector<int64_t> &out) {
  if (wireType == kVarint) {
    absl::StatusOr<uint64_t> v = varint();
    if (!v.ok())
      return v.status();
    out.push_back(static_cast<int64_t>(*v));
    return absl::OkStatus();
  }
  if (wireType != kLengthDelimited)
    return error(keyAt, absl::StrCat("repeated integer field has wire type ", wireType));
  absl::StatusOr<std::span<const std::byte>> run = delimited();
  if (!run.ok())
    return run.status();
  // Parse the run as its own buffer so that a varint cannot run past it.
  size_t runStart = pos - run->size();
  Parser inner(*run, fileName);
  while (inner.remaining() > 0) {
    size_t at = runStart + inner.pos;
    absl::StatusOr<uint64_t> v = inner.varint();
    if (!v.ok())
      return error(at, "truncated varint in a packed field");
    out.push_back(static_cast<int64_t>(*v));
  }
  return absl::OkStatus();
}

template <typename T>
absl::Status Parser::repeatedFixed(uint32_t wireType, size_t keyAt, std::vector<T> &out) {
  constexpr uint32_t kScalarWire = sizeof(T) == 4 ? kFixed32 : kFixed64;
  std::span<const std::byte> values;
  if (wireType == kScalarWire) {
    if (remaining() < sizeof(T))
      return error(pos, "truncated fixed-size field");
    values = bytes.subspan(pos, sizeof(T));
    pos += sizeof(T);
  } else if (wireType == kLengthDelimited) {
    size_t runAt = pos;
    absl::StatusOr<std::span<const std::byte>> run = delimited();
    if (!run.ok())
      return run.status();
    if (run->size() % sizeof(T) != 0)
      return error(runAt, absl::StrCat("packed field of ", run->size(),
                                       " bytes is not a whole number of ", sizeof(T),
                                       "-byte values"));
    values = *run;
  } else {
    return error(keyAt, absl::StrCat("repeated ", sizeof(T) * 8,
                                     "-bit field has wire type ", wireType));
  }
  size_t old = out.size();
  out.resize(old + values.size() / sizeof(T));
  if (!values.empty())
    std::memcpy(out.data() + old, values.data(), values.size());
  return absl::OkStatus();
}

absl::StatusOr<RawTensor> Parser::parse() {
  RawTensor t;
  while (remaining() > 0) {
    size_t keyAt = pos;
    absl::StatusOr<uint64_t> key = varint();
    if (!key.ok())
      return key.status();
    uint64_t number = *key >> 3;
    uint32_t wireType = static_cast<uint32_t>(*key & 7);
    if (number == 0 || number > 0x1FFFFFFF)
      return error(keyAt, absl::StrCat("invalid field number ", number));
    auto expectWire = [&](uint32_t expected, std::string_view field) -> absl::Status {
      if (wireType == expected)
        return absl::OkStatus();
      return error(keyAt, absl::StrCat("field ", toAbsl(field), " has wire type ", wireType,
                                       ", expected ", expected));
    };
    absl::Status status;
    switch (number) {
    case kDims:
      status = repeatedVarint(wireType, keyAt, t.dims);
      break;
    case kDataType:
    case kDataLocation: {
      bool isType = number == kDataType;
      if (status = expectWire(kVarint, isType ? "data_type" : "data_location"); !status.ok())
        break;
      absl::StatusOr<uint64_t> v = varint();
      if (!v.ok())
        return v.status();
      // int32 and enum values are sign-extended to 64 bits on the wire.
      if (isType) {
        t.dataType = static_cast<int64_t>(*v);
        t.dataTypeAt = keyAt;
      } else {
        t.dataLocation = static_cast<int64_t>(*v);
        t.dataLocationAt = keyAt;
      }
      break;
    }
    case kFloatData:
    case kInt32Data:
    case kInt64Data:
    case kDoubleData:
    case kUint64Data:
    case kStringData:
      if (t.typedAt == 0)
        t.typedAt = keyAt + 1; // +1: distinguish offset 0 from "none"
      if (number == kFloatData) {
        status = repeatedFixed(wireType, keyAt, t.floatData);
      } else if (number == kDoubleData) {
        status = repeatedFixed(wireType, keyAt, t.doubleData);
      } else if (number == kInt32Data) {
        status = repeatedVarint(wireType, keyAt, t.int32Data);
      } else if (number == kInt64Data) {
        status = repeatedVarint(wireType, keyAt, t.int64Data);
      } else if (number == kUint64Data) {
        std::vector<int64_t> values;
        status = repeatedVarint(wireType, keyAt, values);
        for (int64_t v : values)
          t.uint64Data.push_back(static_cast<uint64_t>(v));
      } else {
        if (status = expectWire(kLengthDelimited, "string_data"); !status.ok())
          break;
        status = delimited().status();
        ++t.stringData;
      }
      break;
    case kName:
    case kRawData: {
      bool isName = number == kName;
      if (status = expectWire(kLengthDelimited, isName ? "name" : "raw_data"); !status.ok())
        break;
      absl::StatusOr<std::span<const std::byte>> value = delimited();
      if (!value.ok())
        return value.status();
      if (isName) {
        t.name.assign(reinterpret_cast<const char *>(value->data()), value->size());
      } else {
        t.rawData = *value;
        t.rawDataAt = keyAt;
      }
      break;
    }
    default:
      status = skip(wireType, keyAt);
      break;
    }
    if (!status.ok())
      return status;
  }
  return t;
}

/// Copies `values` into `out` as `T`, each checked to lie in [lo, hi].
template <typename T, typename V>
absl::Status narrow(const Parser &parser, size_t at, std::string_view field,
                    const std::vector<V> &values, int64_t lo, uint64_t hi,
                    std::vector<std::byte> &out) {
  out.resize(values.size() * sizeof(T));
  for (size_t i = 0; i < values.size(); ++i) {
    V v = values[i];
    bool inRange;
    if constexpr (std::is_signed_v<V>)
      inRange = v >= lo && (v < 0 || static_cast<uint64_t>(v) <= hi);
    else
      inRange = v <= hi;
    if (!inRange)
      return parser.error(at, absl::StrCat(toAbsl(field), " value ", v, " (element ", i,
                                           ") is out of range for the data type"));
    T narrowed = static_cast<T>(v);
    std::memcpy(out.data() + i * sizeof(T), &narrowed, sizeof(T));
  }
  return absl::OkStatus();
}

} // namespace

absl::StatusOr<Tensor> parseTensorPb(std::span<const std::byte> bytes, std::string_view fileName) {
  Parser parser(bytes, fileName);
  absl::StatusOr<RawTensor> parsed = parser.parse();
  if (!parsed.ok())
    return parsed.status();
  RawTensor &raw = *parsed;

  if (raw.dataLocation == kDataLocationExternal)
    return parser.error(raw.dataLocationAt,
                        "tensor data stored in an external file (data_location EXTERNAL) "
                        "is not supported");
  if (!raw.dataType)
    return parser.error(bytes.size(), "the tensor has no data_type");
  int64_t type = *raw.dataType;
  size_t elementSize =
      type >= std::numeric_limits<int32_t>::min() && type <= std::numeric_limits<int32_t>::max()
          ? runtime::dtypeSize(static_cast<int32_t>(type))
          : 0;
  if (type == kOnnxString)
    return parser.error(raw.dataTypeAt, "string tensors are not supported");
  if (elementSize == 0)
    return parser.error(raw.dataTypeAt, absl::StrCat("unsupported data_type ", type, " (",
                                                     toAbsl(onnxTypeName(type)), ")"));

  Tensor tensor;
  tensor.name = std::move(raw.name);
  tensor.dtype = static_cast<int32_t>(type);
  tensor.dims = std::move(raw.dims);
  std::optional<uint64_t> count = numElements(tensor.dims);
  std::optional<uint64_t> byteCount = count ? checkedMul(*count, elementSize) : std::nullopt;
  if (!byteCount)
    return parser.error(0, absl::StrCat("invalid dims ", formatDims(tensor.dims),
                                        " (negative, or the element count overflows)"));
  std::string what = absl::StrCat("dims ", formatDims(tensor.dims), " of ",
                                  toAbsl(runtime::dtypeName(tensor.dtype)));

  size_t typedFields = !raw.floatData.empty() + !raw.int32Data.empty() + !raw.int64Data.empty() +
                       !raw.doubleData.empty() + !raw.uint64Data.empty() + (raw.stringData != 0);
  size_t typedAt = raw.typedAt ? raw.typedAt - 1 : 0;
  if (raw.rawData) {
    if (typedFields != 0)
      return parser.error(typedAt, "the tensor has both raw_data and typed data fields");
    if (raw.rawData->size() != *byteCount)
      return parser.error(raw.rawDataAt,
                          absl::StrCat("raw_data holds ", raw.rawData->size(), " bytes, but ",
                                       what, " need ", *byteCount));
    tensor.data.assign(raw.rawData->begin(), raw.rawData->end());
  } else if (typedFields == 0) {
    if (*count != 0)
      return parser.error(bytes.size(),
                          absl::StrCat("the tensor has no data, but ", what, " need ", *count,
                                       " elements"));
  } else {
    // The one field ONNX prescribes for the type.
    const char *field;
    size_t values;
    switch (tensor.dtype) {
    case QC_DTYPE_FLOAT32:
      field = "float_data", values = raw.floatData.size();
      break;
    case QC_DTYPE_FLOAT64:
      field = "double_data", values = raw.doubleData.size();
      break;
    case QC_DTYPE_INT64:
      field = "int64_data", values = raw.int64Data.size();
      break;
    case QC_DTYPE_UINT32:
    case QC_DTYPE_UINT64:
      field = "uint64_data", values = raw.uint64Data.size();
      break;
    default:
      field = "int32_data", values = raw.int32Data.size();
      break;
    }
    if (typedFields != 1 || values == 0)
      return parser.error(typedAt, absl::StrCat("a ", toAbsl(runtime::dtypeName(tensor.dtype)),
                                                " tensor must keep its values in ", field,
                                                " or raw_data"));
    if (values != *count)
      return parser.error(typedAt, absl::StrCat(field, " holds ", values, " values, but ", what,
                                                " need ", *count));
    absl::Status status;
    switch (tensor.dtype) {
    case QC_DTYPE_FLOAT32:
      tensor.data.resize(values * 4);
      std::memcpy(tensor.data.data(), raw.floatData.data(), values * 4);
      break;
    case QC_DTYPE_FLOAT64:
      tensor.data.resize(values * 8);
      std::memcpy(tensor.data.data(), raw.doubleData.data(), values * 8);
      break;
    case QC_DTYPE_INT64:
      tensor.data.resize(values * 8);
      std::memcpy(tensor.data.data(), raw.int64Data.data(), values * 8);
      break;
    case QC_DTYPE_UINT64:
      tensor.data.resize(values * 8);
      std::memcpy(tensor.data.data(), raw.uint64Data.data(), values * 8);
      break;
    case QC_DTYPE_UINT32:
      status = narrow<uint32_t>(parser, typedAt, field, raw.uint64Data, 0, UINT32_MAX, tensor.data);
      break;
    case QC_DTYPE_INT32:
    case QC_DTYPE_INT16:
    case QC_DTYPE_INT8:
    case QC_DTYPE_UINT16:
    case QC_DTYPE_UINT8:
    case QC_DTYPE_FLOAT16:
    case QC_DTYPE_BFLOAT16:
    case QC_DTYPE_BOOL: {
      // int32 values are sign-extended varints: keep the low 32 bits.
      for (int64_t &v : raw.int32Data)
        v = static_cast<int32_t>(static_cast<uint32_t>(v));
      if (tensor.dtype == QC_DTYPE_BOOL)
        for (int64_t &v : raw.int32Data)
          v = v != 0;
      switch (tensor.dtype) {
      case QC_DTYPE_INT32:
        status = narrow<int32_t>(parser, typedAt, field, raw.int32Data, INT32_MIN, INT32_MAX,
                                 tensor.data);
        break;
      case QC_DTYPE_INT16:
        status = narrow<int16_t>(parser, typedAt, field, raw.int32Data, INT16_MIN, INT16_MAX,
                                 tensor.data);
        break;
      case QC_DTYPE_INT8:
        status = narrow<int8_t>(parser, typedAt, field, raw.int32Data, INT8_MIN, INT8_MAX,
                                tensor.data);
        break;
      case QC_DTYPE_UINT8:
      case QC_DTYPE_BOOL:
        status = narrow<uint8_t>(parser, typedAt, field, raw.int32Data, 0, UINT8_MAX, tensor.data);
        break;
      default: // uint16, float16 and bfloat16 bit patterns
        status =
            narrow<uint16_t>(parser, typedAt, field, raw.int32Data, 0, UINT16_MAX, tensor.data);
        break;
      }
      break;
    }
    default:
      return parser.error(typedAt, "unexpected data type");
    }
    if (!status.ok())
      return status;
  }
  if (tensor.dtype == QC_DTYPE_BOOL)
    for (size_t i = 0; i < tensor.data.size(); ++i)
      if (static_cast<uint8_t>(tensor.data[i]) > 1)
        return parser.error(raw.rawData ? raw.rawDataAt : typedAt,
                            absl::StrCat("bool element ", i, " is ",
                                         static_cast<unsigned>(tensor.data[i]), ", not 0 or 1"));
  return tensor;
}

namespace {

class Writer {
public:
  void varint(uint64_t v) {
    while (v >= 0x80) {
      out.push_back(static_cast<std::byte>((v & 0x7F) | 0x80));
      v >>= 7;
    }
    out.push_back(static_cast<std::byte>(v));
  }
  void key(uint32_t field, uint32_t wireType) { varint((uint64_t(field) << 3) | wireType); }
  void bytes(uint32_t field, std::span<const std::byte> value) {
    key(field, kLengthDelimited);
    varint(value.size());
    out.insert(out.end(), value.begin(), value.end());
  }
  std::vector<std::byte> out;
};

} // namespace

absl::StatusOr<std::vector<std::byte>> serializeTensorPb(const Tensor &tensor) {
  if (absl::Status status = checkTensor(tensor); !status.ok())
    return status;
  Writer w;
  for (int64_t d : tensor.dims) {
    w.key(kDims, kVarint);
    w.varint(static_cast<uint64_t>(d));
  }
  w.key(kDataType, kVarint);
  w.varint(static_cast<uint64_t>(static_cast<int64_t>(tensor.dtype)));
  if (!tensor.name.empty())
    w.bytes(kName, std::span(reinterpret_cast<const std::byte *>(tensor.name.data()),
                             tensor.name.size()));
  w.bytes(kRawData, tensor.data);
  return std::move(w.out);
}

} // namespace quantc::tensorio
