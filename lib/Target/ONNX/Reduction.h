//===- Reduction.h - Reductions shared by ONNX op families ------*- C++ -*-===//
//
// Part of quantc.
//
// Keep-dims reductions, softmax and moments: the building blocks that the
// reduction, normalization and loss families share. Every helper works on
// static shapes and emits `linalg.generic`s; reduced dims stay as size 1 so
// that the results broadcast back against their input.
//
//===----------------------------------------------------------------------===//

#ifndef QUANTC_LIB_TARGET_ONNX_REDUCTION_H
#define QUANTC_LIB_TARGET_ONNX_REDUCTION_H

#include "mlir/IR/Builders.h"

#include <utility>

namespace quantc::onnx_import {

/// How a reduction combines two elements.
enum class Combiner { Sum, Prod, Max, Min };

/// The identity of `combiner` for `type`: 0, 1, -inf/lowest, +inf/highest.
mlir::TypedAttr combinerIdentity(Combiner combiner, mlir::Type type,
                                 bool isUnsigned);

/// Combines `acc` and `x` with `combiner`.
mlir::Value combine(mlir::OpBuilder &b, mlir::Location loc, Combiner combiner,
                    mlir::Value acc, mlir::Value x, bool isUnsigned);

/// Reduces `x` over `axes` (normalized, sorted, unique) with `combiner`,
/// dropping the reduced dims or, with `keepDims`, keeping them as 1. Sums
/// and products of f16/bf16 accumulate in f32; the result has `x`'s element
/// type. No axes: `x` itself.
mlir::Value reduceAxes(mlir::OpBuilder &b, mlir::Location loc, mlir::Value x,
                       llvm::ArrayRef<int64_t> axes, Combiner combiner,
                       bool keepDims, bool isUnsigned = false);

/// reduceAxes keeping the reduced dims, so that the result broadcasts
/// against `x`.
mlir::Value reduceKeepDims(mlir::OpBuilder &b, mlir::Location loc,
                           mlir::Value x, llvm::ArrayRef<int64_t> axes,
                           Combiner combiner, bool isUnsigned = false);

/// Softmax (or LogSoftmax when `log`) of float tensor `x` along `axis`,
/// numerically stable: the max along the axis is subtracted first.
mlir::Value buildSoftmax(mlir::OpBuilder &b, mlir::Location loc, mlir::Value x,
                         int64_t axis, bool log);

/// The index (i64) of the largest (`isMax`) or smallest element along
/// `axis`: the first such index, or the last when `selectLast`. The axis is
/// dropped, or kept as a dim of size 1 with `keepDims`.
mlir::Value buildArgExtreme(mlir::OpBuilder &b, mlir::Location loc,
                            mlir::Value x, int64_t axis, bool isMax,
                            bool selectLast, bool isUnsigned, bool keepDims);

/// Mean and population variance of float tensor `x` over `axes` (kept as
/// size-1 dims).
std::pair<mlir::Value, mlir::Value> buildMoments(mlir::OpBuilder &b,
                                                 mlir::Location loc,
                                                 mlir::Value x,
                                                 llvm::ArrayRef<int64_t> axes);

/// `x`'s shape with `axes` removed (keepDims false) or set to 1.
llvm::SmallVector<int64_t> reducedShape(llvm::ArrayRef<int64_t> shape,
                                        llvm::ArrayRef<int64_t> axes,
                                        bool keepDims);

} // namespace quantc::onnx_import

#endif // QUANTC_LIB_TARGET_ONNX_REDUCTION_H
