//===- QuantizeONNX.h - quantc compile/run --quantize ---------------------===//
//
// Part of quantc.
//
// The driver side of ONNX weight and activation quantization: the
// --quantize/--bpw/--calibration options carried out on an imported module
// (planning, calibration by running an instrumented float build, the
// rewriting passes), and the report comparing a quantized build with the
// float one on sample inputs.
//
//===----------------------------------------------------------------------===//

#ifndef QUANTC_TOOLS_QUANTC_QUANTIZEONNX_H
#define QUANTC_TOOLS_QUANTC_QUANTIZEONNX_H

#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/raw_ostream.h"

#include <string>
#include <vector>

namespace quantc {

struct ONNXQuantizeOptions {
  /// int8, int4-g32, int4-g64, int4-g128 or static-int8.
  std::string scheme;
  /// With a weight-only scheme: mixed int8/int4 under this many bits per
  /// weight (0: off). The 4-bit scheme is `scheme` when it is one, else
  /// int4-g32.
  double bpw = 0;
  /// Calibration samples: a directory holding one sample's input files, or
  /// one subdirectory per sample (see docs/UserGuide.md).
  std::string calibrationDir;
  /// Or one sample given as files (quantc run's --input), when no directory.
  std::vector<std::string> calibrationFiles;
  /// The CPU target of the calibration build.
  std::string target = "host";
  int threads = 0;
};

/// Checks the options and quantizes `module` (an imported model) in place:
/// qc-plan-weight-precision for --bpw; for static-int8, calibration
/// (qc-instrument-activations, a float build run on the samples) then
/// qc-quantize-activations; for the weight-only schemes
/// qc-quantize-matmul-weights and qc-quantize-conv-weights. Prints an error
/// and fails on bad options, samples or passes.
mlir::LogicalResult quantizeONNXModel(mlir::ModuleOp module,
                                      const ONNXQuantizeOptions &options);

/// Prints the quantized weights: per weight its name, shape, scheme, f32
/// bytes, quantized bytes and relative RMS error; then the totals.
void printWeightQuantizationTable(mlir::ModuleOp module, llvm::raw_ostream &os);

/// Compiles `floatModule` (not quantized) next to the quantized library
/// `quantizedLibrary`, runs both on every sample of `options` (its
/// calibration directory or files) and prints per output the maximum
/// absolute and the relative L2 error, then both libraries' sizes and
/// median latencies over `runs` runs of the first sample.
mlir::LogicalResult reportAgainstFloat(mlir::ModuleOp floatModule,
                                       llvm::StringRef quantizedLibrary,
                                       const ONNXQuantizeOptions &options,
                                       unsigned runs, llvm::raw_ostream &os);

} // namespace quantc

#endif // QUANTC_TOOLS_QUANTC_QUANTIZEONNX_H
