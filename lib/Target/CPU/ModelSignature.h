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

/// What a model input is (runtime.h's qc_input_kind).
enum class InputKind : int32_t { Data = 0, Weight = 1, State = 2 };

/// One input or output tensor.
struct TensorSignature {
  std::string name;
  int32_t dtype = 0; ///< ONNX TensorProto.DataType number.
  mlir::Type elementType;
  llvm::SmallVector<int64_t> shape;
  /// The bytes of an input bound at compile time (`qc.bound_value`).
  std::optional<std::string> boundValue;
  InputKind kind = InputKind::Data;
  /// Weights: the file (index into ModelSignature::weightFiles) and offset.
  int32_t weightFile = -1;
  uint64_t fileOffset = 0;
};

/// One public function of the module: an entry of the model.
struct EntrySignature {
  /// The function's name in the source module (the entry's name).
  std::string name;
  /// Its symbol while it is compiled (`compileModuleForCPU` renames it).
  std::string funcName;
  /// Indices into ModelSignature::inputs / outputs, in the order of the
  /// lowered function's arguments: its arguments (data inputs and states),
  /// its weights, then its results that are not states.
  llvm::SmallVector<int32_t> inputs;
  llvm::SmallVector<int32_t> outputs;
};

/// A file the weight inputs are in (`qc.weight_files`).
struct WeightFileSignature {
  std::string path;
  uint64_t size = 0;
  uint64_t headerBytes = 0;
  uint64_t headerHash = 0;
};

struct ModelSignature {
  /// Every entry's data inputs and states (a state shared by entries, by
  /// name, once), then the weights.
  llvm::SmallVector<TensorSignature> inputs;
  /// Every entry's outputs.
  llvm::SmallVector<TensorSignature> outputs;
  /// The public functions, in module order; entry 0 is what
  /// qc_context_run runs.
  llvm::SmallVector<EntrySignature> entries;
  llvm::SmallVector<WeightFileSignature> weightFiles;
};

/// Reads the entries of the module (its public func.funcs with bodies) and
/// checks the input contract (statically shaped tensors of supported
/// element types; `qc.kind = "state"` arguments and `qc.state` results);
/// emits an error and fails otherwise. Weights are added after lowering
/// (addWeightInputs).
mlir::FailureOr<ModelSignature> extractModelSignature(mlir::ModuleOp module);

/// Adds the weight inputs that `qc-cpu-bind-weights` (mode=external)
/// recorded in the module attribute `qc_cpu.weights`, and removes it.
mlir::LogicalResult addWeightInputs(mlir::ModuleOp module,
                                    ModelSignature &signature);

/// The C header declaring `const qc_model *<modelName>(void);`, with the
/// entries, inputs and outputs in comments.
std::string renderModelHeader(const ModelSignature &signature,
                              llvm::StringRef modelName,
                              llvm::StringRef triple);

/// The dtype's name as in runtime.h's qc_dtype ("float32", ...).
llvm::StringRef dtypeName(int32_t dtype);

} // namespace quantc::cpu

#endif // QUANTC_LIB_TARGET_CPU_MODELSIGNATURE_H
