//===- SafetensorsReaderFuzzer.cpp - libFuzzer target for safetensors -----===//
//
// Part of quantc.
//
// Parses the input as a safetensors file from memory, and as a JSON
// document. Accepted files must be consistent (tensor bytes in the input,
// sizes matching dtype x shape); accepted JSON must survive
// serialize-then-parse unchanged.
//
//===----------------------------------------------------------------------===//

#include "absl/status/statusor.h"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string>
#include <string_view>

import quantc.safetensors;
import quantc.json;

using namespace quantc;

namespace {

void check(bool condition) {
  if (!condition)
    std::abort();
}

void fuzzSafetensors(std::span<const std::byte> bytes) {
  absl::StatusOr<safetensors::File> file = safetensors::File::parse(bytes, "fuzz.safetensors");
  if (!file.ok()) {
    check(!file.status().message().empty());
    return;
  }
  check(file->dataOffset() <= bytes.size());
  for (const auto &[key, value] : file->metadata())
    check(file->findMetadata(key) != nullptr);
  for (const safetensors::TensorInfo &tensor : file->tensors()) {
    check(file->findTensor(tensor.name) == &tensor);
    uint64_t elementSize = safetensors::getDTypeInfo(tensor.dtype).size;
    check(tensor.end - tensor.begin == tensor.numElements * elementSize);
    check(tensor.data.size() == tensor.end - tensor.begin);
    if (!tensor.data.empty())
      check(tensor.data.data() >= bytes.data() &&
            tensor.data.data() + tensor.data.size() <= bytes.data() + bytes.size() &&
            (static_cast<unsigned>(tensor.data.back()) < 256));
  }
}

void fuzzJSON(std::string_view text) {
  absl::StatusOr<json::Value> value = json::parse(text, "fuzz.json");
  if (!value.ok())
    return;
  std::string again = json::serialize(*value);
  absl::StatusOr<json::Value> reparsed = json::parse(again, "fuzz.json (serialized)");
  check(reparsed.ok());
  // Doubles may print differently but must read back the same.
  check(*reparsed == *value);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::span<const std::byte> bytes(reinterpret_cast<const std::byte *>(data), size);
  fuzzSafetensors(bytes);
  fuzzJSON(std::string_view(reinterpret_cast<const char *>(data), size));
  return 0;
}
