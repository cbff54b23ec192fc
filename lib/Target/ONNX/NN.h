//===- NN.h - Shared pieces of the MatMul, Conv, Pool, Quant families -*- C++ -*-===//
//
// Part of quantc.
//
// What the neural-network op families share: numpy matmul on linalg named
// ops, window geometry (kernel, strides, dilations, pads, auto_pad, ceil_mode)
// for Conv and the pools, padding, and the integer side of quantization:
// widening with zero points and requantizing with round-half-to-even and
// saturation.
//
//===----------------------------------------------------------------------===//

#ifndef QUANTC_LIB_TARGET_ONNX_NN_H
#define QUANTC_LIB_TARGET_ONNX_NN_H

#include "Importer.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"

namespace quantc::onnx_import {

/// numpy.matmul of `a` and `b` (same element type; 1-D operands are promoted
/// and the promoted dim dropped; batch dims broadcast) on linalg.matmul or
/// linalg.batch_matmul. Null when the shapes do not match.
mlir::Value buildMatMul(mlir::OpBuilder &b, mlir::Location loc, mlir::Value a,
                        mlir::Value bMat);

/// A rank-2 linalg.matmul of `a` [M, K] and `b` [K, N] into a zero-filled
/// result of `resultElement`.
mlir::Value buildMatMul2D(mlir::OpBuilder &b, mlir::Location loc, mlir::Value a,
                          mlir::Value bMat);

/// `v` padded by `low`/`high` per dim with `value`; negative amounts slice
/// instead. Returns `v` when every amount is zero.
mlir::Value buildPad(mlir::OpBuilder &b, mlir::Location loc, mlir::Value v,
                     llvm::ArrayRef<int64_t> low, llvm::ArrayRef<int64_t> high,
                     mlir::TypedAttr value);

/// The spatial geometry of a Conv or pooling window.
struct WindowGeometry {
  llvm::SmallVector<int64_t> kernel, strides, dilations, padsBegin, padsEnd;
  /// The output's spatial size.
  llvm::SmallVector<int64_t> outShape;
};

/// Reads kernel_shape (or `kernel` when the op takes it from the weights),
/// strides, dilations, pads and auto_pad for an input of spatial shape
/// `inShape`. With `ceilMode`, the output size rounds up (a window must still
/// start inside the input or its left padding) and padsEnd grows to cover the
/// last window.
mlir::FailureOr<WindowGeometry>
getWindowGeometry(NodeContext &ctx, llvm::ArrayRef<int64_t> inShape,
                  llvm::ArrayRef<int64_t> kernel, bool ceilMode);

/// `t` (a scale or zero point: a scalar, a 1-element or a 1-D tensor)
/// reshaped to broadcast along `axis` of a rank-`rank` tensor: 1-element
/// tensors become rank 0, a 1-D tensor of size D becomes [1..D..1].
mlir::Value alignToAxis(mlir::OpBuilder &b, mlir::Location loc, mlir::Value t,
                        int64_t axis, int64_t rank);

/// ext(v) - ext(zp) in i32, elementwise with numpy broadcasting of `zp`
/// (null: no zero point).
mlir::Value buildCentered(mlir::OpBuilder &b, mlir::Location loc, mlir::Value v,
                          bool vUnsigned, mlir::Value zp, bool zpUnsigned);

/// The range of an integer storage type.
std::pair<double, double> storageRange(mlir::Type storage, bool isUnsigned);

/// Scalar quantization: saturate(roundeven(scaled) + zp) converted to
/// `storage`; `scaled` is f32, `zp` an integer scalar or null.
mlir::Value quantizeScalar(mlir::OpBuilder &b, mlir::Location loc,
                           mlir::Value scaled, mlir::Value zp, bool zpUnsigned,
                           mlir::Type storage, bool storageUnsigned);

/// `v` as f32 (extending f16/bf16, converting integers with their signedness).
mlir::Value toF32(mlir::OpBuilder &b, mlir::Location loc, mlir::Value v,
                  bool isUnsigned = false);

/// Requantizes an i32 accumulator tensor: saturate(roundeven(acc * scale) +
/// zp), scale and zp broadcast numpy-style (zp may be null).
mlir::Value buildRequantize(mlir::OpBuilder &b, mlir::Location loc,
                            mlir::Value acc, mlir::Value scale, mlir::Value zp,
                            bool zpUnsigned, mlir::Type storage,
                            bool storageUnsigned);

} // namespace quantc::onnx_import

#endif // QUANTC_LIB_TARGET_ONNX_NN_H
