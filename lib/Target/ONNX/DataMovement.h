//===- DataMovement.h - Gathers for the tensor and indexing ops -*- C++ -*-===//
//
// Part of quantc.
//
// Most ONNX data-movement ops (Slice, Pad, Tile, Split, Gather with constant
// indices, Compress, nearest Resize) pick, along every axis independently,
// which input index each output index reads. With static shapes that choice
// is a table known at import time; buildAxisGather turns the tables into the
// simplest IR that does it (nothing, tensor.extract_slice, tensor.pad, a
// broadcasting linalg.generic, or a gathering linalg.generic) and folds it
// when the source is a constant, so shape arithmetic stays constant.
//
//===----------------------------------------------------------------------===//

#ifndef QUANTC_LIB_TARGET_ONNX_DATAMOVEMENT_H
#define QUANTC_LIB_TARGET_ONNX_DATAMOVEMENT_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"

namespace quantc::onnx_import {

/// The index table of an axis: entry o is the source index that output index
/// o reads, or -1 for "the pad value".
using AxisTable = llvm::SmallVector<int64_t>;

/// The identity table of a dimension of size `n`.
AxisTable identityTable(int64_t n);

/// result[o0, ..., on] = src[tables[0][o0], ..., tables[n][on]], or
/// `padValue` where some table holds -1 (`padValue` must then be given).
mlir::Value buildAxisGather(mlir::OpBuilder &b, mlir::Location loc,
                            mlir::Value src,
                            llvm::ArrayRef<AxisTable> tables,
                            mlir::TypedAttr padValue = {});

using IndexBodyFn = llvm::function_ref<mlir::Value(
    mlir::OpBuilder &, mlir::Location, mlir::ValueRange indices,
    mlir::ValueRange args)>;

/// A parallel `linalg.generic` producing a tensor of `shape` and `element`:
/// the body gets the output position (as `index` values, from linalg.index)
/// and one scalar per input read through `inputMaps`, and returns the
/// element. Values defined above may be read with tensor.extract.
mlir::Value buildIndexGeneric(mlir::OpBuilder &b, mlir::Location loc,
                              llvm::ArrayRef<int64_t> shape,
                              mlir::Type element, mlir::ValueRange inputs,
                              llvm::ArrayRef<mlir::AffineMap> inputMaps,
                              IndexBodyFn body);

/// An integer scalar as `index` (sign-extended unless `isUnsigned`).
mlir::Value toIndex(mlir::OpBuilder &b, mlir::Location loc, mlir::Value v,
                    bool isUnsigned = false);

/// `i < 0 ? i + size : i` on an index value (ONNX's negative indices).
mlir::Value wrapNegativeIndex(mlir::OpBuilder &b, mlir::Location loc,
                              mlir::Value i, int64_t size);

/// A constant `index` value.
mlir::Value indexConstant(mlir::OpBuilder &b, mlir::Location loc, int64_t v);

/// The row-major strides of a static shape.
llvm::SmallVector<int64_t> stridesOf(llvm::ArrayRef<int64_t> shape);

} // namespace quantc::onnx_import

#endif // QUANTC_LIB_TARGET_ONNX_DATAMOVEMENT_H
