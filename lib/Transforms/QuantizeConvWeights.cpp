//===- QuantizeConvWeights.cpp - Weight-only quantization of convolutions -===//
//
// Part of quantc.
//
// qc-quantize-conv-weights: the constant f32 filters of the named linalg
// convolutions (what ONNX Conv imports to) are quantized at compile time,
// weight-only; the convolution reads the integer codes and dequantizes each
// element in its loop, so the filter is never expanded to f32:
//
//   int8        symmetric per output channel: the convolution runs on the
//               i8 filter (the named op converts each element to f32) and
//               its result is multiplied by the channel's scale, which
//               factors out of the channel's sum.
//   int4-g<G>   symmetric per group of G along the flattened reduction
//               (input channel x kernel window): a linalg.generic reads the
//               packed nibbles (two output channels per byte) and the
//               group's f16 scale and multiplies the decoded weight into
//               the sum.
//
// See Passes.td.
//
//===----------------------------------------------------------------------===//

#include "quantc/Transforms/QuantizableOps.h"
#include "WeightQuantMath.h"

#include "quantc/Dialect/QC/IR/QCDialect.h"
#include "quantc/Dialect/QC/IR/QCOps.h"
#include "quantc/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

namespace quantc {
#define GEN_PASS_DEF_QCQUANTIZECONVWEIGHTSPASS
#include "quantc/Transforms/Passes.h.inc"
} // namespace quantc

using namespace mlir;
using namespace quantc;
using namespace quantc::weightquant;

namespace {

/// out[..., c, ...] * scale[c] over the output channel dims.
Value scaleByChannel(OpBuilder &b, Location loc, Value out, Value scale,
                     ArrayRef<int64_t> channelDims) {
  auto type = cast<RankedTensorType>(out.getType());
  MLIRContext *ctx = b.getContext();
  int64_t rank = type.getRank();
  SmallVector<AffineExpr> channels;
  for (int64_t d : channelDims)
    channels.push_back(getAffineDimExpr(d, ctx));
  SmallVector<AffineMap> maps = {AffineMap::getMultiDimIdentityMap(rank, ctx),
                                 AffineMap::get(rank, 0, channels, ctx),
                                 AffineMap::getMultiDimIdentityMap(rank, ctx)};
  Value empty = tensor::EmptyOp::create(b, loc, type.getShape(),
                                        type.getElementType());
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::parallel);
  return linalg::GenericOp::create(
             b, loc, TypeRange{type}, ValueRange{out, scale}, ValueRange{empty},
             maps, iterators,
             [](OpBuilder &nb, Location nl, ValueRange args) {
               linalg::YieldOp::create(
                   nb, nl, arith::MulFOp::create(nb, nl, args[0], args[1])
                               .getResult());
             })
      .getResult(0);
}

struct QCQuantizeConvWeightsPass
    : quantc::impl::QCQuantizeConvWeightsPassBase<QCQuantizeConvWeightsPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (!parseScheme(scheme)) {
      module.emitError() << "qc-quantize-conv-weights: unknown scheme '"
                         << scheme << "' (int8, int4-g32, int4-g64, int4-g128)";
      return signalPassFailure();
    }
    SymbolTable symbols(module);
    for (QuantizableOp &q : collectQuantizable(module)) {
      if (!q.isConv)
        continue;
      std::string name = scheme;
      if (auto chosen = q.op->getAttrOfType<StringAttr>(
              qc::QCDialect::kQuantizeSchemeAttrName))
        name = chosen.getValue().str();
      std::optional<Scheme> s = parseScheme(name);
      if (!s) {
        q.op->emitError() << "unknown weight scheme '" << name << "'";
        return signalPassFailure();
      }
      if (failed(quantize(q, *s, name, symbols)))
        return signalPassFailure();
    }
  }

  LogicalResult quantize(QuantizableOp &q, Scheme s, StringRef schemeName,
                         SymbolTable &symbols) {
    std::optional<std::vector<float>> w = floatValues(q.weight.getValue());
    if (!w)
      return success(); // An unloaded blob: leave the convolution in f32.
    auto wType = cast<RankedTensorType>(q.weight.getType());
    ArrayRef<int64_t> shape = wType.getShape();
    int64_t rows = 1, len = 1;
    for (int64_t i = 0; i < wType.getRank(); ++i)
      (i < q.channelDims ? rows : len) *= shape[i];
    SmallVector<int64_t> channelShape(shape.take_front(q.channelDims));
    std::string base = constantName(q.weight.getValue(), "conv_weight");
    Location loc = q.op.getLoc();
    OpBuilder b(q.op);
    Operation *global = nullptr, *scaleGlobal = nullptr;
    Value result;
    if (getenv("QC_FAKEQUANT")) {
      QuantizedRows qr = quantizeRows(w->data(), rows, len, s, s.bits == 4);
      std::vector<float> dq(rows * len);
      for (int64_t r = 0; r < rows; ++r)
        for (int64_t k = 0; k < len; ++k)
          dq[r * len + k] = qr.codes[r * len + k] * qr.scales[r * qr.groupsPerRow + k / (s.groupSize ? s.groupSize : len)];
      auto attr = DenseElementsAttr::get(wType, ArrayRef<float>(dq));
      q.weight.setValueAttr(attr);
      return success();
    }
    if (s.bits == 8) {
      QuantizedRows qr = quantizeRows(w->data(), rows, len, s, false);
      Value codes = createWeight(b, loc, symbols, base,
                                 RankedTensorType::get(shape, b.getI8Type()),
                                 asBytes(qr.codes), &global);
      Value scales = createWeight(
          b, loc, symbols, base + ".scale",
          RankedTensorType::get(channelShape, b.getF32Type()),
          asBytes(qr.scales), &scaleGlobal);
      Value conv = rebuildConv(b, q, q.input, codes, q.init);
      result = scaleByChannel(b, loc, conv, scales, q.outputChannelDims);
      annotateWeight(global, schemeName, shape, schemeBytes(rows, len, s),
                     qr.relativeRMSError);
    } else {
      result = buildInt4(b, q, *w, rows, len, s, schemeName, base, symbols);
      if (!result)
        return success();
    }
    q.op->getResult(0).replaceAllUsesWith(result);
    q.op->erase();
    return success();
  }

  /// The convolution as a linalg.generic on packed nibbles and group scales.
  Value buildInt4(OpBuilder &b, QuantizableOp &q, const std::vector<float> &w,
                  int64_t rows, int64_t len, Scheme s, StringRef schemeName,
                  StringRef base, SymbolTable &symbols) {
    MLIRContext *ctx = b.getContext();
    Location loc = q.op.getLoc();
    SmallVector<AffineMap> maps = q.op.getIndexingMapsArray();
    AffineMap filterMap = maps[1];
    auto wType = cast<RankedTensorType>(q.weight.getType());
    ArrayRef<int64_t> shape = wType.getShape();
    // The filter's indices must be plain loop dimensions.
    SmallVector<unsigned> filterDims;
    for (AffineExpr e : filterMap.getResults()) {
      auto dim = dyn_cast<AffineDimExpr>(e);
      if (!dim)
        return Value();
      filterDims.push_back(dim.getPosition());
    }
    // Flattened reduction index: sum of dims times their strides.
    SmallVector<int64_t> strides(wType.getRank(), 1);
    for (int64_t i = wType.getRank() - 2; i >= q.channelDims; --i)
      strides[i] = strides[i + 1] * shape[i + 1];
    AffineExpr flat = getAffineConstantExpr(0, ctx);
    for (int64_t i = q.channelDims; i < wType.getRank(); ++i)
      flat = flat + getAffineDimExpr(filterDims[i], ctx) * strides[i];

    QuantizedRows qr = quantizeRows(w.data(), rows, len, s, true);
    int64_t G = s.groupSize, groups = qr.groupsPerRow;
    // Two output channels per byte (low nibble: the even channel) at each
    // reduction index, so that every filter index stays a plain loop
    // dimension: [..., M, C, K...] -> [..., ceil(M / 2), C, K...].
    int64_t m = shape[q.channelDims - 1], mPairs = (m + 1) / 2;
    int64_t outer = rows / m;
    std::vector<uint8_t> packed(outer * mPairs * len, 0);
    for (int64_t r = 0; r < rows; ++r) {
      int64_t o = r / m, c = r % m;
      uint8_t *row = packed.data() + (o * mPairs + c / 2) * len;
      for (int64_t k = 0; k < len; ++k)
        row[k] |= (uint8_t(qr.codes[r * len + k]) & 0xF) << (4 * (c % 2));
    }
    std::vector<_Float16> scales(qr.scales.begin(), qr.scales.end());

    SmallVector<int64_t> packedShape(shape),
        scaleShape(shape.take_front(q.channelDims));
    packedShape[q.channelDims - 1] = mPairs;
    scaleShape.push_back(groups);
    Operation *global = nullptr;
    Value codes = createWeight(
        b, loc, symbols, base,
        RankedTensorType::get(packedShape, b.getI8Type()),
        asBytes(packed), &global);
    Value scaleValues = createWeight(
        b, loc, symbols, (base + ".scale").str(),
        RankedTensorType::get(scaleShape, b.getF16Type()), asBytes(scales));
    annotateWeight(global, schemeName, shape,
                   int64_t(packed.size() + 2 * scales.size()),
                   qr.relativeRMSError);

    SmallVector<AffineExpr> packedExprs(filterMap.getResults()), scaleExprs;
    unsigned channelDim = filterDims[q.channelDims - 1];
    packedExprs[q.channelDims - 1] = getAffineDimExpr(channelDim, ctx).floorDiv(2);
    for (int64_t i = 0; i < q.channelDims; ++i)
      scaleExprs.push_back(getAffineDimExpr(filterDims[i], ctx));
    scaleExprs.push_back(flat.floorDiv(G));
    unsigned numLoops = filterMap.getNumDims();
    SmallVector<AffineMap> newMaps = {
        maps[0], AffineMap::get(numLoops, 0, packedExprs, ctx),
        AffineMap::get(numLoops, 0, scaleExprs, ctx), maps[2]};
    auto generic = linalg::GenericOp::create(
        b, loc, TypeRange{q.init.getType()},
        ValueRange{q.input, codes, scaleValues}, ValueRange{q.init}, newMaps,
        q.op.getIteratorTypesArray(),
        [&](OpBuilder &nb, Location nl, ValueRange args) {
          // The nibble: low for an even channel, high for an odd one:
          // byte << (4 - 4 * odd), then an arithmetic shift right by 4.
          Value channel = linalg::IndexOp::create(nb, nl, channelDim);
          Value one = arith::ConstantIndexOp::create(nb, nl, 1);
          Value odd = arith::AndIOp::create(nb, nl, channel, one);
          Value oddI8 =
              arith::IndexCastOp::create(nb, nl, nb.getI8Type(), odd);
          Value four = arith::ConstantIntOp::create(nb, nl, 4, 8);
          Value left = arith::SubIOp::create(
              nb, nl, four, arith::MulIOp::create(nb, nl, oddI8, four));
          Value code = arith::ShRSIOp::create(
              nb, nl, arith::ShLIOp::create(nb, nl, args[1], left), four);
          Value weight = arith::MulFOp::create(
              nb, nl,
              arith::SIToFPOp::create(nb, nl, nb.getF32Type(), code),
              arith::ExtFOp::create(nb, nl, nb.getF32Type(), args[2]));
          Value product = arith::MulFOp::create(nb, nl, args[0], weight);
          linalg::YieldOp::create(
              nb, nl,
              arith::AddFOp::create(nb, nl, args[3], product).getResult());
        });
    return generic.getResult(0);
  }
};

} // namespace
