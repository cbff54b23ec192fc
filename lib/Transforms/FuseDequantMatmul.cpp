//===- FuseDequantMatmul.cpp - Dequantized-weight matmuls to qc.matmul ----===//
//
// Part of quantc.
//
// qc-fuse-dequant-matmul: a linalg.matmul whose right operand is a constant
// int8/uint8 weight dequantized by quant.dcast (the QDQ form of quantized
// ONNX models: DequantizeLinear on an initializer feeding MatMul) becomes a
// qc.matmul on a new qc.global holding the same weight repacked at compile
// time: transposed to N x K and stored as `!qc.group<8, G, f32[,
// zero_point]>` with each output channel's scale (and zero point) repeated
// per group, which is exact. Bit-width lowering then multiplies it with
// int8 dot products; the weight is never expanded to floats. See
// Passes.td.
//
//===----------------------------------------------------------------------===//

#include "quantc/Dialect/QC/IR/QCOps.h"
#include "quantc/Dialect/QC/IR/QCTypes.h"
#include "quantc/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Quant/IR/Quant.h"
#include "mlir/Dialect/Quant/IR/QuantTypes.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/SymbolTable.h"

#include <cstring>

namespace quantc {
#define GEN_PASS_DEF_QCFUSEDEQUANTMATMULPASS
#include "quantc/Transforms/Passes.h.inc"
} // namespace quantc

using namespace mlir;
using namespace quantc;

namespace {

/// The raw bytes of an integer constant, when available.
std::optional<ArrayRef<char>> constantBytes(Attribute value,
                                            std::vector<char> &scratch) {
  if (auto resource = dyn_cast<DenseResourceElementsAttr>(value)) {
    if (AsmResourceBlob *blob = resource.getRawHandle().getBlob())
      return blob->getData();
    return std::nullopt;
  }
  if (auto dense = dyn_cast<DenseIntElementsAttr>(value)) {
    if (dense.isSplat()) {
      scratch.assign(dense.getNumElements(), dense.getRawData().front());
      return ArrayRef<char>(scratch);
    }
    return dense.getRawData();
  }
  return std::nullopt;
}

struct Channel {
  double scale;
  int64_t zeroPoint;
};

/// Rewrites one matmul; failure leaves it alone.
LogicalResult fuse(linalg::MatmulOp matmul, SymbolTable &symbols,
                   int64_t &counter) {
  if (matmul.hasUserDefinedMaps() || matmul.getInputs().size() != 2)
    return failure();
  Value lhs = matmul.getInputs()[0], rhs = matmul.getInputs()[1];
  auto lhsType = dyn_cast<RankedTensorType>(lhs.getType());
  auto rhsType = dyn_cast<RankedTensorType>(rhs.getType());
  auto resultType =
      dyn_cast<RankedTensorType>(matmul.getResultTensors().front().getType());
  if (!lhsType || !rhsType || !resultType ||
      !lhsType.getElementType().isF32() || !rhsType.hasStaticShape() ||
      resultType.getElementType() != lhsType.getElementType())
    return failure();
  int64_t K = rhsType.getDimSize(0), N = rhsType.getDimSize(1);
  if (K % 32 != 0)
    return failure();

  // The accumulator must start at zero (linalg.fill 0).
  auto fill = matmul.getOutputs()[0].getDefiningOp<linalg::FillOp>();
  if (!fill || !matchPattern(fill.getInputs()[0], m_AnyZeroFloat()))
    return failure();

  auto dcast = rhs.getDefiningOp<quant::DequantizeCastOp>();
  if (!dcast)
    return failure();
  auto scast = dcast.getInput().getDefiningOp<quant::StorageCastOp>();
  if (!scast)
    return failure();
  auto constant = scast.getInput().getDefiningOp<arith::ConstantOp>();
  if (!constant)
    return failure();
  Type quantElement = getElementTypeOrSelf(scast.getType());
  auto quantType = dyn_cast<quant::UniformQuantizedType>(quantElement);
  auto perAxis = dyn_cast<quant::UniformQuantizedPerAxisType>(quantElement);
  auto anyQuant = dyn_cast<quant::QuantizedType>(quantElement);
  if (!anyQuant || (!quantType && !perAxis) ||
      anyQuant.getStorageTypeIntegralWidth() != 8 ||
      !anyQuant.getExpressedType().isF32())
    return failure();
  if (perAxis && perAxis.getQuantizedDimension() != 1)
    return failure();
  bool isSigned = anyQuant.isSigned();

  std::vector<Channel> channels(N);
  for (int64_t n = 0; n < N; ++n)
    channels[n] =
        perAxis ? Channel{perAxis.getScales()[n], perAxis.getZeroPoints()[n]}
                : Channel{quantType.getScale(), quantType.getZeroPoint()};
  bool zeroPoints = !isSigned || llvm::any_of(channels, [](const Channel &c) {
    return c.zeroPoint != 0;
  });

  std::vector<char> scratch;
  std::optional<ArrayRef<char>> bytes =
      constantBytes(constant.getValue(), scratch);
  if (!bytes || static_cast<int64_t>(bytes->size()) != K * N)
    return failure();

  // Groups as large as K allows; the scale is the channel's in every group.
  int64_t G = 256;
  while (K % G != 0)
    G /= 2;
  MLIRContext *ctx = matmul.getContext();
  auto groupType = qc::GroupType::get(ctx, 8, G, Float32Type::get(ctx),
                                      zeroPoints ? qc::GroupOffset::zero_point
                                                 : qc::GroupOffset::none);
  int64_t blockBytes = groupType.getBytesPerBlock();
  int64_t total = N * (K / G) * blockBytes;
  AsmResourceBlob blob =
      HeapAsmResourceBlob::allocate(total, alignof(uint64_t));
  MutableArrayRef<char> out = blob.getMutableData();
  char *p = out.data();
  for (int64_t n = 0; n < N; ++n) {
    float scale = static_cast<float>(channels[n].scale);
    for (int64_t g = 0; g < K / G; ++g) {
      std::memcpy(p, &scale, 4);
      p += 4;
      if (zeroPoints) {
        // Unsigned codes and zero point: a signed code q is q + 128.
        int64_t zp = channels[n].zeroPoint + (isSigned ? 128 : 0);
        *p++ = static_cast<char>(static_cast<uint8_t>(zp));
      }
      for (int64_t k = g * G; k < (g + 1) * G; ++k) {
        char code = (*bytes)[k * N + n];
        if (zeroPoints && isSigned)
          code = static_cast<char>(static_cast<uint8_t>(code) ^ 0x80);
        *p++ = code;
      }
    }
  }

  // The repacked weight as a module-level qc.global.
  auto module = matmul->getParentOfType<ModuleOp>();
  std::string name;
  do {
    name = "qc_fused_weight_" + std::to_string(counter++);
  } while (symbols.lookup(name));
  OpBuilder mb = OpBuilder::atBlockEnd(module.getBody());
  auto dataType = RankedTensorType::get({total}, mb.getI8Type());
  auto data = DenseResourceElementsAttr::get(dataType, name, std::move(blob));
  auto weightType = RankedTensorType::get({N, K}, groupType);
  auto global =
      qc::GlobalOp::create(mb, constant.getLoc(), mb.getStringAttr(name),
                           TypeAttr::get(weightType), data);
  symbols.insert(global);

  OpBuilder b(matmul);
  Value weight = qc::WeightOp::create(b, constant.getLoc(), weightType,
                                      FlatSymbolRefAttr::get(global));
  Value result =
      qc::MatmulOp::create(b, matmul.getLoc(), resultType, lhs, weight);
  matmul.getResultTensors().front().replaceAllUsesWith(result);
  matmul.erase();
  return success();
}

struct QCFuseDequantMatmulPass
    : quantc::impl::QCFuseDequantMatmulPassBase<QCFuseDequantMatmulPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SymbolTable symbols(module);
    SmallVector<linalg::MatmulOp> matmuls;
    module.walk([&](linalg::MatmulOp op) { matmuls.push_back(op); });
    int64_t counter = 0;
    for (linalg::MatmulOp op : matmuls)
      (void)fuse(op, symbols, counter);
  }
};

} // namespace
