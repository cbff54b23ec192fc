//===- TensorIO.cppm - The quantc.tensorio module ---------------*- C++ -*-===//
//
// Part of quantc.
//
// Reading and writing single tensors: ONNX TensorProto files (`.pb`, the
// inputs and expected outputs of ONNX's backend tests) and numpy `.npy`
// files, and comparing two tensors the way numpy.testing.assert_allclose
// does. Used by the `quantc` driver and the tests, never by compiled models.
// LLVM-free; no protobuf: the TensorProto wire format is parsed by hand.
//
// Both readers take untrusted bytes: every length, count and shape is
// checked (with overflow checks) against the bytes that are there before
// anything is allocated for it, and every failure is one absl::Status whose
// message names the file and, where there is one, the byte offset.
//
//===----------------------------------------------------------------------===//

module;

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

export module quantc.tensorio;

export namespace quantc::tensorio {

/// A dense, row-major tensor held in memory.
struct Tensor {
  /// TensorProto.name; "" for tensors read from .npy files.
  std::string name;
  /// An ONNX TensorProto.DataType number, one of quantc/runtime.h's qc_dtype.
  int32_t dtype = 0;
  std::vector<int64_t> dims;
  /// product(dims) * dtypeSize(dtype) bytes, little-endian; booleans are one
  /// byte, 0 or 1.
  std::vector<std::byte> data;

  friend bool operator==(const Tensor &, const Tensor &) = default;
};

/// The number of elements of a tensor of shape `dims`; nullopt when a
/// dimension is negative or the product overflows 64 bits.
std::optional<uint64_t> numElements(std::span<const int64_t> dims);
/// "[3, 4, 5]".
std::string formatDims(std::span<const int64_t> dims);
/// OK when `tensor.dtype` is known and the data has the size its shape and
/// type imply.
absl::Status checkTensor(const Tensor &tensor);

//===----------------------------------------------------------------------===//
// Reading
//===----------------------------------------------------------------------===//

/// Parses a serialized onnx.TensorProto. Accepts dims packed or not, data in
/// raw_data or in the typed field ONNX prescribes for the type (float_data,
/// int32_data for every type of 16 bits or fewer, int64_data, double_data,
/// uint64_data for uint32 and uint64). Rejects string tensors, externally
/// stored data and types outside qc_dtype. `fileName` appears in errors.
absl::StatusOr<Tensor> parseTensorPb(std::span<const std::byte> bytes, std::string_view fileName);
/// Parses a numpy .npy file (format versions 1, 2 and 3) of a little-endian
/// numeric or boolean dtype in C order.
absl::StatusOr<Tensor> parseNpy(std::span<const std::byte> bytes, std::string_view fileName);
/// parseNpy when `bytes` start with the .npy magic string or `fileName` ends
/// in ".npy", parseTensorPb otherwise.
absl::StatusOr<Tensor> parseTensorFile(std::span<const std::byte> bytes,
                                       std::string_view fileName);
/// Maps `path` and parses it with parseTensorFile.
absl::StatusOr<Tensor> readTensorFile(const std::string &path);

//===----------------------------------------------------------------------===//
// Writing
//===----------------------------------------------------------------------===//

/// A TensorProto as onnx.numpy_helper.from_array writes it: dims, data_type,
/// name (when not empty) and raw_data. Fails when checkTensor does.
absl::StatusOr<std::vector<std::byte>> serializeTensorPb(const Tensor &tensor);
/// A version 1.0 .npy file (2.0 when the header needs it) as numpy.save
/// writes it. Fails when checkTensor does, and for bfloat16, which numpy
/// has no dtype for.
absl::StatusOr<std::vector<std::byte>> serializeNpy(const Tensor &tensor);
absl::Status writeTensorPb(const Tensor &tensor, const std::string &path);
absl::Status writeNpy(const Tensor &tensor, const std::string &path);

//===----------------------------------------------------------------------===//
// Comparing
//===----------------------------------------------------------------------===//

/// IEEE half and bfloat16 bit patterns to float (exact).
float halfToFloat(uint16_t bits);
float bfloat16ToFloat(uint16_t bits);
/// Element `index` of a checked tensor as a long double (exact for every
/// qc_dtype, 64-bit integers included).
long double elementValue(const Tensor &tensor, uint64_t index);

/// The outcome of compareTensors.
struct Comparison {
  bool equal = false;
  /// "" when equal; otherwise what differs: the dtype, the shape, or the
  /// number of mismatched elements, the first one (its index and both
  /// values) and the largest absolute and relative differences.
  std::string message;
  uint64_t mismatches = 0;
  /// Flat index of the first mismatched element.
  std::optional<uint64_t> firstMismatch;
  /// The largest |actual - expected| and |actual - expected| / |expected|
  /// over all elements (NaN pairs and equal infinities count as 0).
  double maxAbsError = 0;
  double maxRelError = 0;
};

/// Compares as numpy.testing.assert_allclose(actual, expected, rtol, atol)
/// with equal_nan: dtypes and shapes must match, and every element must
/// satisfy |actual - expected| <= atol + rtol * |expected|, where NaN equals
/// NaN and an infinity only equals itself.
Comparison compareTensors(const Tensor &expected, const Tensor &actual, double rtol,
                          double atol);

} // namespace quantc::tensorio

namespace quantc::tensorio {

/// Debian's abseil has its own string_view; the implementation units pass
/// std::string_views to absl::StrCat through this.
inline absl::string_view toAbsl(std::string_view s) { return absl::string_view(s.data(), s.size()); }

} // namespace quantc::tensorio
