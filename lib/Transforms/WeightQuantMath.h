//===- WeightQuantMath.h - Compile-time weight quantization helpers -------===//
//
// Part of quantc.
//
// The arithmetic shared by the ONNX weight quantization passes
// (qc-quantize-conv-weights, qc-quantize-activations,
// qc-plan-weight-precision): reading a constant's f32 values and quantizing
// rows of weights symmetrically, per row or per group of a row.
//
//===----------------------------------------------------------------------===//

#ifndef QUANTC_LIB_TRANSFORMS_WEIGHTQUANTMATH_H
#define QUANTC_LIB_TRANSFORMS_WEIGHTQUANTMATH_H

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

namespace quantc::weightquant {

/// The f32 values of a constant (dense or a loaded dense_resource blob).
inline std::optional<std::vector<float>> floatValues(mlir::Attribute value) {
  auto shaped = llvm::dyn_cast<mlir::ElementsAttr>(value);
  if (!shaped || !shaped.getShapedType().getElementType().isF32())
    return std::nullopt;
  size_t n = shaped.getNumElements();
  std::vector<float> out(n);
  if (auto resource = llvm::dyn_cast<mlir::DenseResourceElementsAttr>(value)) {
    mlir::AsmResourceBlob *blob = resource.getRawHandle().getBlob();
    if (!blob || blob->getData().size() != n * 4)
      return std::nullopt;
    std::memcpy(out.data(), blob->getData().data(), n * 4);
    return out;
  }
  if (auto dense = llvm::dyn_cast<mlir::DenseFPElementsAttr>(value)) {
    size_t i = 0;
    for (llvm::APFloat v : dense.getValues<llvm::APFloat>())
      out[i++] = v.convertToFloat();
    return out;
  }
  return std::nullopt;
}

/// The name of a constant: its resource key (ONNX initializers are named
/// resources), else `fallback`.
inline std::string constantName(mlir::Attribute value, llvm::StringRef fallback) {
  if (auto resource = llvm::dyn_cast<mlir::DenseResourceElementsAttr>(value))
    return resource.getRawHandle().getKey().str();
  return fallback.str();
}

/// The bytes of `v`, for a resource blob.
template <typename T>
llvm::ArrayRef<char> asBytes(const std::vector<T> &v) {
  return {reinterpret_cast<const char *>(v.data()), v.size() * sizeof(T)};
}

/// A weight scheme: `bits` 8 or 4; `groupSize` 0 for one scale per row.
struct Scheme {
  unsigned bits = 8;
  int64_t groupSize = 0;
};

/// Parses int8, int4-g32, int4-g64, int4-g128.
inline std::optional<Scheme> parseScheme(llvm::StringRef name) {
  if (name == "int8")
    return Scheme{8, 0};
  if (name == "int4-g32")
    return Scheme{4, 32};
  if (name == "int4-g64")
    return Scheme{4, 64};
  if (name == "int4-g128")
    return Scheme{4, 128};
  return std::nullopt;
}

/// `rows` rows of `len` weights quantized symmetrically: codes in
/// [-127, 127] (8 bits) or [-8, 7] (4 bits), one scale per row
/// (groupSize 0) or per group of groupSize along the row (the last group
/// may be partial). Scales are rounded to f16 when `f16Scales`.
struct QuantizedRows {
  std::vector<int8_t> codes;  ///< rows x len
  std::vector<float> scales;  ///< rows x groupsPerRow
  int64_t groupsPerRow = 1;
  double relativeRMSError = 0; ///< ||w - dq(q(w))|| / ||w||
};

inline QuantizedRows quantizeRows(const float *w, int64_t rows, int64_t len,
                                  Scheme s, bool f16Scales) {
  QuantizedRows out;
  int64_t g = s.groupSize ? s.groupSize : len;
  out.groupsPerRow = (len + g - 1) / g;
  out.codes.resize(rows * len);
  out.scales.resize(rows * out.groupsPerRow);
  const int qmax = s.bits == 8 ? 127 : 7, qmin = s.bits == 8 ? -127 : -8;
  double errSq = 0, normSq = 0;
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t gi = 0; gi < out.groupsPerRow; ++gi) {
      int64_t begin = gi * g, end = std::min(len, begin + g);
      float amax = 0;
      for (int64_t k = begin; k < end; ++k)
        amax = std::max(amax, std::fabs(w[r * len + k]));
      float scale = amax / qmax;
      if (f16Scales)
        scale = static_cast<float>(static_cast<_Float16>(scale));
      out.scales[r * out.groupsPerRow + gi] = scale;
      float inverse = scale != 0 ? 1.0f / scale : 0.0f;
      for (int64_t k = begin; k < end; ++k) {
        float v = w[r * len + k];
        int q = std::clamp(static_cast<int>(std::lround(v * inverse)), qmin,
                           qmax);
        out.codes[r * len + k] = static_cast<int8_t>(q);
        double e = v - double(q) * scale;
        errSq += e * e;
        normSq += double(v) * v;
      }
    }
  }
  out.relativeRMSError = normSq > 0 ? std::sqrt(errSq / normSq) : 0.0;
  return out;
}

/// Bytes a weight of `rows x len` takes in a scheme (codes + scales), as the
/// convolution passes store it: int8 with one f32 scale per row, int4 as
/// nibbles with one f16 scale per group.
inline int64_t schemeBytes(int64_t rows, int64_t len, Scheme s) {
  if (s.bits == 8)
    return rows * len + rows * 4;
  int64_t groups = (len + s.groupSize - 1) / s.groupSize;
  return rows * ((len + 1) / 2 + groups * 2);
}

} // namespace quantc::weightquant

#endif // QUANTC_LIB_TRANSFORMS_WEIGHTQUANTMATH_H
