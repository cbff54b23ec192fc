//===- QuantizableOps.h - Convolutions and matmuls to quantize -*- C++ -*-===//
//
// Part of quantc.
//
// What the ONNX weight/activation quantization passes match: the named
// linalg convolutions the ONNX importer builds and 2-D linalg.matmul, each
// with a constant f32 weight and a zero-filled accumulator; and how to
// rebuild a convolution on other operand types.
//
//===----------------------------------------------------------------------===//

#ifndef QUANTC_TRANSFORMS_QUANTIZABLEOPS_H
#define QUANTC_TRANSFORMS_QUANTIZABLEOPS_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/SymbolTable.h"

#include <optional>

namespace quantc::weightquant {

/// A quantizable matmul or convolution.
struct QuantizableOp {
  mlir::linalg::LinalgOp op;
  bool isConv = false;
  mlir::Value input;                 ///< the activation operand
  mlir::arith::ConstantOp weight;    ///< the constant f32 weight operand
  mlir::Value init;                  ///< the zero fill it accumulates into
  /// Leading weight dimensions that index output channels (1, or 2 for
  /// conv_2d_ngchw_gfchw's [G, M/G]); the rest are reduced. A matmul's
  /// weight is K x N: its channels are the last dimension instead.
  int64_t channelDims = 1;
  /// The output dimensions of those channels.
  llvm::SmallVector<int64_t> outputChannelDims;
};

/// `op` as a quantizable op: a conv_1d_ncw_fcw, conv_2d_nchw_fchw,
/// conv_3d_ncdhw_fcdhw, depthwise_conv_2d_nchw_chw or conv_2d_ngchw_gfchw,
/// or a 2-D linalg.matmul (default maps), on an f32 input and a constant f32
/// weight, into a zero linalg.fill. std::nullopt otherwise.
std::optional<QuantizableOp> matchQuantizable(mlir::Operation *op);

/// The quantizable ops of `module`, in walk order.
llvm::SmallVector<QuantizableOp> collectQuantizable(mlir::ModuleOp module);

/// The same convolution (kind, strides, dilations) on other operands, whose
/// element types may differ (the named ops cast each to the accumulator's).
mlir::Value rebuildConv(mlir::OpBuilder &b, const QuantizableOp &q,
                        mlir::Value input, mlir::Value filter,
                        mlir::Value init);

/// A new module-level qc.global holding `bytes` as `type` (a plain integer
/// or float tensor), named `name` or, when taken, `name` with a suffix, and
/// a qc.weight reading it at `b`'s insertion point.
mlir::Value createWeight(mlir::OpBuilder &b, mlir::Location loc,
                         mlir::SymbolTable &symbols, llvm::StringRef name,
                         mlir::RankedTensorType type,
                         llvm::ArrayRef<char> bytes,
                         mlir::Operation **global = nullptr);

/// Records what a quantized weight holds on its global (qc.quantized,
/// qc.quant_error).
void annotateWeight(mlir::Operation *global, llvm::StringRef scheme,
                    llvm::ArrayRef<int64_t> shape, int64_t bytes,
                    double error);

} // namespace quantc::weightquant

#endif // QUANTC_TRANSFORMS_QUANTIZABLEOPS_H
