//===- ModelSignature.h - A model's inputs and outputs -----------*- C++ -*-===//
//
// Part of quantc.
//
// What the `qc_model` descriptor and the generated header say about a
// model, read from the imported module before it is lowered.
//
//===----------------------------------------------------------------------===//

#ifndef QUANTC_LIB_TARGET_CPU_MODELSIGNATURE_H
#define QUANTC_LIB_TARGET_CPU_MODELSIGNATURE_H

#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/SmallVector.h"

#include <optional>
#include <string>

namespace quantc::cpu {

/// One input or output tensor.
struct TensorSignature {
  std::string name;
  int32_t dtype = 0; ///< ONNX TensorProto.DataType number.
  mlir::Type elementType;
  llvm::SmallVector<int64_t> shape;
  /// The bytes of an input bound at compile time (`qc.bound_value`).
  std::optional<std::string> boundValue;
};

struct ModelSignature {
  /// The public func.func.
  std::string entryName;
  llvm::SmallVector<TensorSignature> inputs;
  llvm::SmallVector<TensorSignature> outputs;
};

/// Reads the signature of the module's entry and checks the input contract
/// (one public func.func with a body, statically shaped tensors of
/// supported element types); emits an error and fails otherwise.
mlir::FailureOr<ModelSignature> extractModelSignature(mlir::ModuleOp module);

/// The C header declaring `const qc_model *<modelName>(void);`, with the
/// inputs and outputs in comments.
std::string renderModelHeader(const ModelSignature &signature,
                              llvm::StringRef modelName,
                              llvm::StringRef triple);

/// The dtype's name as in runtime.h's qc_dtype ("float32", ...).
llvm::StringRef dtypeName(int32_t dtype);

} // namespace quantc::cpu

#endif // QUANTC_LIB_TARGET_CPU_MODELSIGNATURE_H
