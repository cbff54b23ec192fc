//===- QCTypes.h - qc types -------------------------------------*- C++ -*-===//
//
// Part of quantc.
//
//===----------------------------------------------------------------------===//

#ifndef QUANTC_DIALECT_QC_IR_QCTYPES_H
#define QUANTC_DIALECT_QC_IR_QCTYPES_H

#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Types.h"

#include "quantc/Dialect/QC/IR/QCOpsEnums.h.inc"
#include "quantc/Dialect/QC/IR/QCTypeInterfaces.h.inc"

#define GET_TYPEDEF_CLASSES
#include "quantc/Dialect/QC/IR/QCOpsTypes.h.inc"

namespace quantc::qc {

/// True for element types whose storage is described by
/// QuantizedTypeInterface: the qc types and upstream `!quant` types.
bool isQuantizedElementType(mlir::Type type);

/// Bytes a tensor of `shape` with quantized or plain element type
/// `elementType` takes in storage. Fails, with a diagnostic through
/// `emitError` when given, if the shape is dynamic, the innermost dimension is
/// not a whole number of blocks, the element type has no storage layout, or
/// the size overflows.
mlir::FailureOr<int64_t>
getStorageSize(mlir::ShapedType type,
               llvm::function_ref<mlir::InFlightDiagnostic()> emitError = {});

/// Checks (without sizing) that the innermost dimension of `type`, if static,
/// is a whole number of blocks of its quantized element type.
mlir::LogicalResult
verifyWholeBlocks(mlir::ShapedType type,
                  llvm::function_ref<mlir::InFlightDiagnostic()> emitError);

/// The element type that stores ggml type `ggmlType` (`enum ggml_type`):
/// f32, f16, bf16, f64, i8..i64, or `!qc.block<...>`; null for a type ggml
/// does not define.
mlir::Type getTypeForGGMLType(mlir::MLIRContext *context, uint32_t ggmlType);

/// The ggml type id of an element type, if GGUF can store it.
std::optional<uint32_t> getGGMLType(mlir::Type elementType);

/// Parses a ggml type name as llama.cpp spells it ("q4_K", "Q8_0", "f16",
/// "BF16"), case-insensitively.
std::optional<uint32_t> parseGGMLTypeName(llvm::StringRef name);

/// ggml's name of a type id ("q4_K", "f32").
std::string getGGMLTypeName(uint32_t ggmlType);

} // namespace quantc::qc

#endif // QUANTC_DIALECT_QC_IR_QCTYPES_H
