//===- WeightEncoder.h - Carry out a quantization plan ----------*- C++ -*-===//
//
// Part of quantc.
//
// What qc-quantize-weights does to each qc.global, as a library: the pass
// runs it over a module; `quantc quantize` runs it one weight at a time while
// the GGUF writer streams each re-encoded weight to the output file.
//
//===----------------------------------------------------------------------===//

#ifndef QUANTC_TRANSFORMS_WEIGHTENCODER_H
#define QUANTC_TRANSFORMS_WEIGHTENCODER_H

#include "quantc/Dialect/QC/IR/QCOps.h"

#include <memory>
#include <string>

namespace quantc {

struct WeightEncoderOptions {
  /// 0: all cores.
  unsigned threads = 0;
  bool allowRequantize = false;
  /// Print a line per weight to stdout.
  bool progress = false;
  /// llama-imatrix GGUF file, or empty.
  std::string imatrix;
};

class WeightEncoder {
public:
  explicit WeightEncoder(WeightEncoderOptions options);
  ~WeightEncoder();

  /// Reads the importance matrix and counts the module's weights (for the
  /// progress lines).
  mlir::LogicalResult initialize(mlir::ModuleOp module);
  /// Re-encodes `global` as its `qc.quantize_to` attribute says (and removes
  /// the attribute); a global without one is left as it is.
  mlir::LogicalResult encode(qc::GlobalOp global);

  struct Impl;

private:
  std::unique_ptr<Impl> impl;
};

/// Converts `count` weights of `elementType` (f32, f16, bf16, f8, or a block
/// format with a codec; whole blocks) at `src` to f32, as qc-quantize-weights
/// reads a weight before re-encoding it. On failure `error` says why.
mlir::LogicalResult decodeToF32(mlir::Type elementType, const char *src,
                                size_t count, float *dst, std::string &error);

} // namespace quantc

#endif // QUANTC_TRANSFORMS_WEIGHTENCODER_H
