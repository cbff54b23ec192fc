//===- TensorIOReaderFuzzer.cpp - libFuzzer target for tensor files -------===//
//
// Part of quantc.
//
// Parses the input as an ONNX TensorProto and as a .npy file. Accepted
// tensors must be consistent (data size = elements x element size), survive
// write-then-read in both formats unchanged (.npy: all but bfloat16), and
// compare equal to themselves.
//
//===----------------------------------------------------------------------===//

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <vector>

import quantc.tensorio;

using namespace quantc::tensorio;

namespace {

void check(bool condition) {
  if (!condition)
    std::abort();
}

void checkAccepted(const absl::StatusOr<Tensor> &tensor) {
  if (!tensor.ok()) {
    check(!tensor.status().message().empty());
    return;
  }
  check(checkTensor(*tensor).ok());
  absl::StatusOr<std::vector<std::byte>> pb = serializeTensorPb(*tensor);
  check(pb.ok());
  absl::StatusOr<Tensor> fromPb = parseTensorPb(*pb, "again.pb");
  check(fromPb.ok() && *fromPb == *tensor);
  Tensor unnamed = *tensor;
  unnamed.name.clear();
  absl::StatusOr<std::vector<std::byte>> npy = serializeNpy(unnamed);
  check(npy.ok() == (tensor->dtype != 16));
  if (npy.ok()) {
    absl::StatusOr<Tensor> fromNpy = parseNpy(*npy, "again.npy");
    check(fromNpy.ok() && *fromNpy == unnamed);
  }
  check(compareTensors(*tensor, *tensor, 0, 0).equal);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::span<const std::byte> bytes(reinterpret_cast<const std::byte *>(data), size);
  checkAccepted(parseTensorPb(bytes, "fuzz.pb"));
  checkAccepted(parseNpy(bytes, "fuzz.npy"));
  return 0;
}
