//===- ONNX.h - ONNX import -------------------------------------*- C++ -*-===//
//
// Part of quantc.
//
// An ONNX model imports as a module holding one public `func.func` whose
// arguments are the graph's inputs and whose results are its outputs, each
// named by a `qc.name` argument/result attribute and typed by a `qc.dtype`
// attribute (ONNX's TensorProto.DataType number: the IR's integers are
// signless, so `qc.dtype` keeps uint8 apart from int8). The body is upstream
// `linalg`, `tensor`, `arith` and `math` on statically shaped tensors, with
// quantized operations in `qc` and `quant`; initializers are constants whose
// large values live in resource blobs.
//
// Shapes are static: dynamic input dimensions are fixed by the caller
// (`ONNXImportOptions::inputShapes`), and an input whose *value* decides a
// shape (a Reshape's target shape fed by the graph) can be bound to a value
// at compile time (`boundInputs`); the compiled model then accepts only that
// value for it.
//
//===----------------------------------------------------------------------===//

#ifndef QUANTC_TARGET_ONNX_ONNX_H
#define QUANTC_TARGET_ONNX_ONNX_H

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/MemoryBufferRef.h"

#include <string>
#include <vector>

namespace quantc {

struct ONNXImportOptions {
  /// Shapes for graph inputs, by name; required for inputs with symbolic or
  /// unknown dimensions, checked against the model's static ones.
  llvm::StringMap<std::vector<int64_t>> inputShapes;
  /// Inputs fixed at compile time, by name (their values become constants;
  /// the argument stays, with a `qc.bound_value` attribute).
  llvm::StringMap<mlir::DenseElementsAttr> boundInputs;
  /// Bind every integer input whose value is needed as a compile-time
  /// constant (a shape, axes, pads, ...) to its value in `inputValues`.
  bool bindShapeInputs = false;
  /// Candidate values for bindShapeInputs, by name.
  llvm::StringMap<mlir::DenseElementsAttr> inputValues;
  /// Shapes and values for graph inputs by position (among the inputs that
  /// are not initializers), used for inputs without an entry by name above:
  /// `quantc run` fills them from its input files.
  std::vector<std::vector<int64_t>> positionalShapes;
  std::vector<mlir::DenseElementsAttr> positionalValues;
  /// The entry function's name.
  std::string entryName = "main";
};

/// Imports the ONNX model at `path` (external data files are resolved next
/// to it). Errors are diagnostics naming the file, node and op; they return
/// null.
mlir::OwningOpRef<mlir::ModuleOp>
importONNXFile(llvm::StringRef path, mlir::MLIRContext *context,
               const ONNXImportOptions &options = {});

/// Imports a serialized ModelProto held in memory; external data is resolved
/// relative to `baseDir`.
mlir::OwningOpRef<mlir::ModuleOp>
importONNXBuffer(llvm::MemoryBufferRef buffer, llvm::StringRef baseDir,
                 mlir::MLIRContext *context,
                 const ONNXImportOptions &options = {});

/// Registers --import-onnx with quantc-translate.
void registerONNXTranslations();

/// Registers the dialects ONNX import produces.
void registerONNXImportDialects(mlir::DialectRegistry &registry);

} // namespace quantc

#endif // QUANTC_TARGET_ONNX_ONNX_H
