//===- QuantizationPlan.h - llama-quantize mixes on qc modules --*- C++ -*-===//
//
// Part of quantc.
//
//===----------------------------------------------------------------------===//

#ifndef QUANTC_TRANSFORMS_QUANTIZATIONPLAN_H
#define QUANTC_TRANSFORMS_QUANTIZATIONPLAN_H

#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/SmallVector.h"

#include <string>
#include <vector>

namespace quantc {

struct PlanOptions {
  /// llama-quantize's file type name ("Q4_K_M", "Q8_0", "F16").
  std::string fileType = "Q8_0";
  bool pure = false;
  /// "REGEX=TYPE" overrides, first match wins.
  std::vector<std::string> tensorTypes;
  /// ggml type names; empty for the mix's choice.
  std::string outputTensorType;
  std::string tokenEmbeddingType;
  bool withImatrix = false;
};

struct WeightPlan {
  /// The type the global's tensor gets (its own type when unchanged).
  mlir::RankedTensorType type;
  /// The recipe had to fall back (rows not a whole number of blocks).
  bool fellBack = false;
};

/// Plans every `qc.global` of `module`, in order, with llama.cpp's mix for
/// `options`, reading the model's shape from `qc.metadata`. Emits a
/// diagnostic and fails on bad options or weights GGUF cannot describe.
mlir::FailureOr<llvm::SmallVector<WeightPlan>>
planWeightTypes(mlir::ModuleOp module, const PlanOptions &options);

/// The llama-quantize file type id (`general.file_type`) of a name.
std::optional<uint32_t> getFileTypeId(llvm::StringRef name);

/// llama-quantize's file type names, in its order.
llvm::SmallVector<std::string> getFileTypeNames();

} // namespace quantc

#endif // QUANTC_TRANSFORMS_QUANTIZATIONPLAN_H
