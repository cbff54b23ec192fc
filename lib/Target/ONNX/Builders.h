//===- Builders.h - IR building blocks for ONNX converters ------*- C++ -*-===//
//
// Part of quantc.
//
// Static-shape helpers shared by the op families: broadcasting elementwise
// `linalg.generic`s (folded at import time when every operand is a small
// constant, so shape arithmetic disappears), reductions, casts with ONNX's
// rounding and saturation rules, reshapes and constants.
//
//===----------------------------------------------------------------------===//

#ifndef QUANTC_LIB_TARGET_ONNX_BUILDERS_H
#define QUANTC_LIB_TARGET_ONNX_BUILDERS_H

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"

#include <optional>

namespace quantc::onnx_import {

using ScalarBodyFn = llvm::function_ref<mlir::Value(
    mlir::OpBuilder &, mlir::Location, mlir::ValueRange)>;

/// The numpy-style broadcast of `shapes`, or nullopt when incompatible.
std::optional<llvm::SmallVector<int64_t>>
broadcastShapes(llvm::ArrayRef<llvm::ArrayRef<int64_t>> shapes);

/// A `linalg.generic` computing `body` elementwise over `inputs`, which are
/// broadcast (numpy rules) to `resultShape`; the body gets one scalar per
/// input and returns a scalar of `resultElementType`. When every input is a
/// constant of at most kFoldLimit elements, the result is folded to a
/// constant instead.
mlir::Value buildElementwise(mlir::OpBuilder &b, mlir::Location loc,
                             llvm::ArrayRef<int64_t> resultShape,
                             mlir::Type resultElementType,
                             mlir::ValueRange inputs, ScalarBodyFn body);
/// Same, with the result shape broadcast from the inputs'.
mlir::FailureOr<mlir::Value>
buildBroadcastElementwise(mlir::OpBuilder &b, mlir::Location loc,
                          mlir::Type resultElementType,
                          mlir::ValueRange inputs, ScalarBodyFn body);

constexpr int64_t kFoldLimit = 1 << 16;

/// Folds a linalg.generic whose inputs are all constants by evaluating its
/// body's folders element by element; null when it cannot.
mlir::DenseElementsAttr foldGeneric(mlir::linalg::GenericOp op);

/// The constant value of `v` (arith.constant of dense or small resource
/// data), or null.
mlir::DenseElementsAttr getConstantValue(mlir::Value v,
                                         int64_t limit = kFoldLimit);

/// A reduction over `axes` (sorted, unique, normalized) of `input`, combining
/// with `combine(acc, x)` from the initial value `init`; `map(x)`, when given,
/// transforms each element first (ReduceL2's square). The result keeps
/// reduced dims as 1 when `keepDims`.
mlir::Value buildReduction(
    mlir::OpBuilder &b, mlir::Location loc, mlir::Value input,
    llvm::ArrayRef<int64_t> axes, bool keepDims, mlir::TypedAttr init,
    llvm::function_ref<mlir::Value(mlir::OpBuilder &, mlir::Location,
                                   mlir::Value acc, mlir::Value x)>
        combine,
    llvm::function_ref<mlir::Value(mlir::OpBuilder &, mlir::Location,
                                   mlir::Value)>
        map = nullptr,
    mlir::Type accType = nullptr);

/// Converts scalar `v` to `dst` with ONNX Cast semantics: float to int
/// truncates toward zero, int to int wraps, anything to bool compares with
/// zero, unsigned sources/destinations are zero-extended/converted unsigned.
mlir::Value castScalar(mlir::OpBuilder &b, mlir::Location loc, mlir::Value v,
                       mlir::Type dst, bool srcUnsigned, bool dstUnsigned);

/// Casts every element of tensor `v`.
mlir::Value castTensor(mlir::OpBuilder &b, mlir::Location loc, mlir::Value v,
                       mlir::Type dstElement, bool srcUnsigned,
                       bool dstUnsigned);

/// A scalar constant of `type` (float or integer/index) from a double.
mlir::Value scalarConstant(mlir::OpBuilder &b, mlir::Location loc,
                           mlir::Type type, double value);
mlir::TypedAttr scalarAttr(mlir::Type type, double value);

/// A tensor filled with `value`.
mlir::Value buildFilled(mlir::OpBuilder &b, mlir::Location loc,
                        llvm::ArrayRef<int64_t> shape, mlir::Type elementType,
                        mlir::TypedAttr value);
mlir::Value buildEmpty(mlir::OpBuilder &b, mlir::Location loc,
                       llvm::ArrayRef<int64_t> shape, mlir::Type elementType);

/// Reshapes `v` to `shape` (same element count).
mlir::Value buildReshape(mlir::OpBuilder &b, mlir::Location loc, mlir::Value v,
                         llvm::ArrayRef<int64_t> shape);

/// Permutes the dims of `v`: result dim i is input dim perm[i].
mlir::Value buildTranspose(mlir::OpBuilder &b, mlir::Location loc,
                           mlir::Value v, llvm::ArrayRef<int64_t> perm);

/// A constant tensor from an attribute.
mlir::Value buildConstant(mlir::OpBuilder &b, mlir::Location loc,
                          mlir::ElementsAttr value);

/// Scalar helpers that pick the float or integer op.
mlir::Value buildMax(mlir::OpBuilder &b, mlir::Location loc, mlir::Value x,
                     mlir::Value y, bool isUnsigned = false);
mlir::Value buildMin(mlir::OpBuilder &b, mlir::Location loc, mlir::Value x,
                     mlir::Value y, bool isUnsigned = false);
mlir::Value buildAdd(mlir::OpBuilder &b, mlir::Location loc, mlir::Value x,
                     mlir::Value y);
mlir::Value buildMul(mlir::OpBuilder &b, mlir::Location loc, mlir::Value x,
                     mlir::Value y);

/// The number of elements of a static shape.
int64_t numElements(llvm::ArrayRef<int64_t> shape);

} // namespace quantc::onnx_import

#endif // QUANTC_LIB_TARGET_ONNX_BUILDERS_H
