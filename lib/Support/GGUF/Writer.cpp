//===- Writer.cpp - The streaming GGUF writer -----------------------------===//
//
// Part of quantc.
//
//===----------------------------------------------------------------------===//

module;

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"

#include <bit>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

module quantc.gguf;

import quantc.formatsupport;

namespace quantc::gguf {
namespace {

static_assert(std::endian::native == std::endian::little,
              "the GGUF writer assumes a little-endian host");

/// Tensor data smaller than this is gathered in the buffer; larger chunks
/// go straight to the file.
constexpr size_t kBufferSize = size_t(1) << 20;

template <typename T> void append(std::vector<std::byte> &out, T value) {
  const auto *raw = reinterpret_cast<const std::byte *>(&value);
  out.insert(out.end(), raw, raw + sizeof(T));
}

void appendString(std::vector<std::byte> &out, const std::string &text) {
  append<uint64_t>(out, text.size());
  const auto *raw = reinterpret_cast<const std::byte *>(text.data());
  out.insert(out.end(), raw, raw + text.size());
}

void appendArray(std::vector<std::byte> &out, const Array &array) {
  append<uint32_t>(out, static_cast<uint32_t>(array.elementType()));
  append<uint64_t>(out, array.size());
  std::visit(
      [&]<typename T>(const std::vector<T> &values) {
        if constexpr (std::is_same_v<T, bool>) {
          for (bool value : values)
            append<uint8_t>(out, value ? 1 : 0);
        } else if constexpr (std::is_same_v<T, std::string>) {
          for (const std::string &value : values)
            appendString(out, value);
        } else if constexpr (std::is_same_v<T, Array>) {
          for (const Array &value : values)
            appendArray(out, value);
        } else {
          const auto *raw = reinterpret_cast<const std::byte *>(values.data());
          out.insert(out.end(), raw, raw + values.size() * sizeof(T));
        }
      },
      array.elements);
}

void appendValue(std::vector<std::byte> &out, const Value &value) {
  append<uint32_t>(out, static_cast<uint32_t>(value.type()));
  std::visit(
      [&]<typename T>(const T &v) {
        if constexpr (std::is_same_v<T, bool>)
          append<uint8_t>(out, v ? 1 : 0);
        else if constexpr (std::is_same_v<T, std::string>)
          appendString(out, v);
        else if constexpr (std::is_same_v<T, Array>)
          appendArray(out, v);
        else
          append<T>(out, v);
      },
      value.get());
}

std::optional<std::string> checkString(const std::string &text) {
  if (text.size() > kMaxStringLength)
    return absl::StrCat("is ", text.size(), " bytes long, more than GGUF's 1 GiB");
  if (std::optional<size_t> bad = findInvalidUTF8(text))
    return absl::StrCat("is not valid UTF-8 (byte ", *bad, ")");
  return std::nullopt;
}

/// Why `array` cannot be written, or nullopt.
std::optional<std::string> checkArray(const Array &array, unsigned depth) {
  if (depth > kMaxArrayDepth)
    return absl::StrCat("nests arrays more than ", kMaxArrayDepth, " levels deep");
  if (const auto *strings = array.getIf<std::string>()) {
    for (size_t i = 0; i < strings->size(); ++i)
      if (std::optional<std::string> why = checkString((*strings)[i]))
        return absl::StrCat("element ", i, " ", *why);
  } else if (const auto *arrays = array.getIf<Array>()) {
    for (size_t i = 0; i < arrays->size(); ++i)
      if (std::optional<std::string> why = checkArray((*arrays)[i], depth + 1))
        return absl::StrCat("element ", i, " ", *why);
  }
  return std::nullopt;
}

} // namespace

Writer::Writer(std::string path, WriterOptions options)
    : outPath(std::move(path)), options(options) {}

Writer::~Writer() { removeTemporary(); }

void Writer::removeTemporary() {
  if (fd >= 0) {
    ::close(fd);
    fd = -1;
  }
  if (!tempPath.empty() && state != State::Finished) {
    ::unlink(tempPath.c_str());
    tempPath.clear();
  }
}

absl::Status Writer::fail(absl::Status status) {
  state = State::Failed;
  failure = status;
  removeTemporary();
  return status;
}

absl::Status Writer::checkDeclaring(const char *what) const {
  if (state == State::Failed)
    return failure;
  if (state != State::Declaring)
    return absl::FailedPreconditionError(
        absl::StrCat(outPath, ": ", what, " after the header was written"));
  return absl::OkStatus();
}

absl::Status Writer::addMetadata(std::string key, Value value) {
  if (absl::Status s = checkDeclaring("metadata added"); !s.ok())
    return s;
  auto invalid = [&](const std::string &why) {
    return absl::InvalidArgumentError(absl::StrCat(outPath, ": metadata key '", key, "' ", why));
  };
  if (key.empty())
    return absl::InvalidArgumentError(absl::StrCat(outPath, ": empty metadata key"));
  if (std::optional<std::string> why = checkString(key))
    return absl::InvalidArgumentError(absl::StrCat(outPath, ": metadata key ", *why));
  if (keys.contains(key))
    return invalid("is declared twice");
  if (const std::string *text = value.getIf<std::string>()) {
    if (std::optional<std::string> why = checkString(*text))
      return invalid("has a string value that " + *why);
  } else if (const Array *array = value.getIf<Array>()) {
    if (std::optional<std::string> why = checkArray(*array, 1))
      return invalid("has an array that " + *why);
  }
  if (key == kAlignmentKey) {
    const uint32_t *alignment = value.getIf<uint32_t>();
    if (!alignment)
      return invalid(absl::StrCat("is a ", std::string(valueTypeName(value.type())),
                                  "; it must be a u32"));
    if (*alignment == 0 || (*alignment & (*alignment - 1)) != 0)
      return invalid(absl::StrCat("is ", *alignment, ", not a power of two"));
    dataAlignment = *alignment;
  }
  keys.insert(key);
  keyValues.push_back({std::move(key), std::move(value)});
  return absl::OkStatus();
}

absl::StatusOr<uint64_t> Writer::addTensor(std::string name, std::vector<int64_t> dims,
                                           uint32_t type) {
  if (absl::Status s = checkDeclaring("tensor declared"); !s.ok())
    return s;
  if (name.empty())
    return absl::InvalidArgumentError(absl::StrCat(outPath, ": empty tensor name"));
  if (std::optional<std::string> why = checkString(name))
    return absl::InvalidArgumentError(absl::StrCat(outPath, ": tensor name ", *why));
  if (name.size() > kMaxTensorNameLength)
    return absl::InvalidArgumentError(absl::StrCat(outPath, ": tensor name '", name, "' is ",
                                                   name.size(), " bytes long; GGUF allows ",
                                                   kMaxTensorNameLength));
  if (tensorNames.contains(name))
    return absl::InvalidArgumentError(
        absl::StrCat(outPath, ": tensor '", name, "' is declared twice"));
  absl::StatusOr<uint64_t> size = tensorByteSize(type, dims);
  if (!size.ok())
    return absl::InvalidArgumentError(
        absl::StrCat(outPath, ": tensor '", name, "': ", std::string(size.status().message())));
  tensorNames.insert(name);
  tensorsToWrite.push_back({std::move(name), std::move(dims), type, *size});
  return *size;
}

absl::Status Writer::writeAll(std::span<const std::byte> bytes) {
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return fail(absl::UnavailableError(
          absl::StrCat(outPath, ": cannot write ", tempPath, ": ", std::strerror(errno))));
    }
    done += static_cast<size_t>(n);
  }
  return absl::OkStatus();
}

absl::Status Writer::flushBuffer() {
  absl::Status s = writeAll(buffer);
  buffer.clear();
  return s;
}

absl::Status Writer::writeRaw(std::span<const std::byte> bytes) {
  written += bytes.size();
  if (buffer.size() + bytes.size() > kBufferSize)
    if (absl::Status s = flushBuffer(); !s.ok())
      return s;
  if (bytes.size() >= kBufferSize)
    return writeAll(bytes);
  buffer.insert(buffer.end(), bytes.begin(), bytes.end());
  return absl::OkStatus();
}

absl::Status Writer::padToAlignment() {
  static constexpr std::byte kZeros[256] = {};
  uint64_t padding = (dataAlignment - written % dataAlignment) % dataAlignment;
  while (padding > 0) {
    uint64_t n = std::min<uint64_t>(padding, sizeof(kZeros));
    if (absl::Status s = writeRaw(std::span(kZeros, n)); !s.ok())
      return s;
    padding -= n;
  }
  return absl::OkStatus();
}

absl::Status Writer::completeEmptyTensors() {
  while (currentTensor < tensorsToWrite.size() &&
         currentWritten == tensorsToWrite[currentTensor].byteSize) {
    if (absl::Status s = padToAlignment(); !s.ok())
      return s;
    ++currentTensor;
    currentWritten = 0;
  }
  return absl::OkStatus();
}

absl::Status Writer::writeHeader() {
  if (absl::Status s = checkDeclaring("writeHeader called"); !s.ok())
    return s;
  if (options.version < kMinVersion || options.version > kMaxVersion)
    return fail(absl::InvalidArgumentError(
        absl::StrCat(outPath, ": cannot write GGUF version ", options.version)));

  std::vector<std::byte> header;
  const char magic[4] = {'G', 'G', 'U', 'F'};
  header.insert(header.end(), reinterpret_cast<const std::byte *>(magic),
                reinterpret_cast<const std::byte *>(magic) + 4);
  append<uint32_t>(header, options.version);
  append<uint64_t>(header, tensorsToWrite.size());
  append<uint64_t>(header, keyValues.size());
  for (const KeyValue &kv : keyValues) {
    appendString(header, kv.key);
    appendValue(header, kv.value);
  }
  uint64_t offset = 0;
  for (const PendingTensor &tensor : tensorsToWrite) {
    appendString(header, tensor.name);
    append<uint32_t>(header, static_cast<uint32_t>(tensor.dims.size()));
    for (int64_t dim : tensor.dims)
      append<int64_t>(header, dim);
    append<uint32_t>(header, tensor.type);
    append<uint64_t>(header, offset);
    std::optional<uint64_t> padded = alignUp(tensor.byteSize, dataAlignment);
    std::optional<uint64_t> next = padded ? checkedAdd(offset, *padded) : std::nullopt;
    if (!next)
      return fail(absl::InvalidArgumentError(
          absl::StrCat(outPath, ": the data section overflows 64 bits")));
    offset = *next;
  }

  std::string pattern = outPath + ".tmp-XXXXXX";
  fd = ::mkstemp(pattern.data());
  if (fd < 0)
    return fail(absl::UnavailableError(absl::StrCat(outPath, ": cannot create ", pattern,
                                                    ": ", std::strerror(errno))));
  tempPath = pattern;
  ::fchmod(fd, 0644);
  state = State::Writing;
  buffer.reserve(kBufferSize);
  if (absl::Status s = writeRaw(header); !s.ok())
    return s;
  if (!tensorsToWrite.empty() || options.padEmptyDataSection)
    if (absl::Status s = padToAlignment(); !s.ok())
      return s;
  return completeEmptyTensors();
}

absl::Status Writer::writeTensorData(std::span<const std::byte> bytes) {
  if (state == State::Failed)
    return failure;
  if (state != State::Writing)
    return absl::FailedPreconditionError(absl::StrCat(
        outPath, ": tensor data written ",
        state == State::Declaring ? "before writeHeader" : "after finish"));
  // Empty chunks are no-ops (an empty tensor completes by itself).
  if (bytes.empty())
    return absl::OkStatus();
  if (currentTensor == tensorsToWrite.size())
    return fail(absl::InvalidArgumentError(absl::StrCat(
        outPath, ": ", bytes.size(), " bytes of tensor data after all ",
        tensorsToWrite.size(), " tensors were written")));
  const PendingTensor &tensor = tensorsToWrite[currentTensor];
  uint64_t left = tensor.byteSize - currentWritten;
  if (bytes.size() > left)
    return fail(absl::InvalidArgumentError(
        absl::StrCat(outPath, ": ", bytes.size(), " bytes given for tensor '", tensor.name,
                     "', which has ", left, " of its ", tensor.byteSize, " bytes left")));
  if (absl::Status s = writeRaw(bytes); !s.ok())
    return s;
  currentWritten += bytes.size();
  return completeEmptyTensors();
}

absl::Status Writer::finish() {
  if (state == State::Declaring)
    if (absl::Status s = writeHeader(); !s.ok())
      return s;
  if (state == State::Failed)
    return failure;
  if (state == State::Finished)
    return absl::FailedPreconditionError(absl::StrCat(outPath, ": finish called twice"));
  if (currentTensor != tensorsToWrite.size()) {
    const PendingTensor &tensor = tensorsToWrite[currentTensor];
    return fail(absl::FailedPreconditionError(absl::StrCat(
        outPath, ": finish called with tensor '", tensor.name, "' (", currentTensor + 1, " of ",
        tensorsToWrite.size(), ") at ", currentWritten, " of ", tensor.byteSize, " bytes")));
  }
  if (absl::Status s = flushBuffer(); !s.ok())
    return s;
  if (::fsync(fd) != 0)
    return fail(absl::UnavailableError(
        absl::StrCat(outPath, ": cannot sync ", tempPath, ": ", std::strerror(errno))));
  int closed = ::close(fd);
  fd = -1;
  if (closed != 0)
    return fail(absl::UnavailableError(
        absl::StrCat(outPath, ": cannot close ", tempPath, ": ", std::strerror(errno))));
  if (::rename(tempPath.c_str(), outPath.c_str()) != 0)
    return fail(absl::UnavailableError(absl::StrCat(outPath, ": cannot rename ", tempPath,
                                                    " onto it: ", std::strerror(errno))));
  state = State::Finished;
  return absl::OkStatus();
}

absl::Status writeFile(const File &file, const std::string &path) {
  Writer writer(path, {file.version(), file.headerPadded()});
  for (const KeyValue &kv : file.metadata())
    if (absl::Status s = writer.addMetadata(kv.key, kv.value); !s.ok())
      return s;
  for (const TensorInfo &tensor : file.tensors())
    if (absl::StatusOr<uint64_t> s = writer.addTensor(tensor.name, tensor.dims, tensor.type);
        !s.ok())
      return s.status();
  if (absl::Status s = writer.writeHeader(); !s.ok())
    return s;
  for (const TensorInfo &tensor : file.tensors())
    if (absl::Status s = writer.writeTensorData(tensor.data); !s.ok())
      return s;
  return writer.finish();
}

} // namespace quantc::gguf
