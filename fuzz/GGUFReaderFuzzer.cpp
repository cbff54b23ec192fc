//===- GGUFReaderFuzzer.cpp - libFuzzer target for the GGUF reader --------===//
//
// Part of quantc.
//
// Parses the input as a GGUF file from memory (the entry point File::open
// wraps around a mapping). A rejected input must come back as a status; an
// accepted one must describe itself consistently: every tensor's bytes lie
// in the input, with the size its type and dims give, and every accessor
// works. ASan checks every byte the reader and this target touch.
//
//===----------------------------------------------------------------------===//

#include "absl/status/statusor.h"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string>

import quantc.gguf;

using namespace quantc::gguf;

namespace {

void check(bool condition) {
  if (!condition)
    std::abort();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::span<const std::byte> bytes(reinterpret_cast<const std::byte *>(data), size);
  absl::StatusOr<File> file = File::parse(bytes, "fuzz.gguf");
  if (!file.ok()) {
    check(!file.status().message().empty());
    return 0;
  }
  check(file->version() == 2 || file->version() == 3);
  check(file->alignment() != 0 && (file->alignment() & (file->alignment() - 1)) == 0);
  check(file->dataOffset() % file->alignment() == 0);
  for (const KeyValue &kv : file->metadata()) {
    check(file->find(kv.key) == &kv.value);
    (void)file->getUnsigned(kv.key);
    (void)file->getString(kv.key);
    if (absl::StatusOr<const Array *> array = file->getArray(kv.key); array.ok())
      check((*array)->size() < size);
  }
  unsigned checksum = 0;
  for (const TensorInfo &tensor : file->tensors()) {
    check(file->findTensor(tensor.name) == &tensor);
    absl::StatusOr<uint64_t> expected = tensorByteSize(tensor.type, tensor.dims);
    check(expected.ok() && *expected == tensor.byteSize);
    check(tensor.data.size() == tensor.byteSize);
    check(tensor.offset % file->alignment() == 0);
    if (!tensor.data.empty()) {
      check(tensor.data.data() >= bytes.data() &&
            tensor.data.data() + tensor.data.size() <= bytes.data() + bytes.size());
      checksum += static_cast<unsigned>(tensor.data.front()) +
                  static_cast<unsigned>(tensor.data.back());
    }
  }
  (void)checksum;
  return 0;
}
