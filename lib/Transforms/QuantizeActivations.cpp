//===- QuantizeActivations.cpp - Static int8 matmuls and convolutions -----===//
//
// Part of quantc.
//
// qc-quantize-activations: an op carrying a calibrated activation range
// becomes, in ONNX QDQ terms, QuantizeLinear(x) -> integer op on the int8
// weight, accumulating in i32 -> DequantizeLinear per output channel. See
// Passes.td.
//
//===----------------------------------------------------------------------===//

#include "quantc/Transforms/QuantizableOps.h"
#include "WeightQuantMath.h"

#include "quantc/Dialect/QC/IR/QCDialect.h"
#include "quantc/Dialect/QC/IR/QCOps.h"
#include "quantc/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

namespace quantc {
#define GEN_PASS_DEF_QCQUANTIZEACTIVATIONSPASS
#include "quantc/Transforms/Passes.h.inc"
} // namespace quantc

using namespace mlir;
using namespace quantc;
using namespace quantc::weightquant;

namespace {

/// An elementwise linalg.generic over `inputs` (identity maps, or the
/// given maps) into a new tensor of `type`.
Value elementwise(OpBuilder &b, Location loc, RankedTensorType type,
                  ValueRange inputs, ArrayRef<AffineMap> inputMaps,
                  function_ref<Value(OpBuilder &, Location, ValueRange)> body) {
  MLIRContext *ctx = b.getContext();
  int64_t rank = type.getRank();
  SmallVector<AffineMap> maps(inputMaps);
  maps.push_back(AffineMap::getMultiDimIdentityMap(rank, ctx));
  Value empty = tensor::EmptyOp::create(b, loc, type.getShape(),
                                        type.getElementType());
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::parallel);
  return linalg::GenericOp::create(
             b, loc, TypeRange{type}, inputs, ValueRange{empty}, maps,
             iterators,
             [&](OpBuilder &nb, Location nl, ValueRange args) {
               linalg::YieldOp::create(nb, nl, body(nb, nl, args));
             })
      .getResult(0);
}

struct QCQuantizeActivationsPass
    : quantc::impl::QCQuantizeActivationsPassBase<QCQuantizeActivationsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SymbolTable symbols(module);
    for (QuantizableOp &q : collectQuantizable(module)) {
      auto range = q.op->getAttrOfType<DenseF32ArrayAttr>(
          qc::QCDialect::kActivationRangeAttrName);
      if (!range)
        continue;
      quantize(q, range[0], range[1], symbols);
    }
  }

  void quantize(QuantizableOp &q, float lo, float hi, SymbolTable &symbols) {
    std::optional<std::vector<float>> w = floatValues(q.weight.getValue());
    if (!w)
      return;
    MLIRContext *ctx = q.op.getContext();
    Location loc = q.op.getLoc();
    auto wType = cast<RankedTensorType>(q.weight.getType());
    ArrayRef<int64_t> shape = wType.getShape();

    // Weights: int8 per output channel. A matmul's K x N weight has its
    // channels last: quantize its transpose.
    int64_t rows = 1, len = 1;
    std::vector<float> byRow;
    if (q.isConv) {
      for (int64_t i = 0; i < wType.getRank(); ++i)
        (i < q.channelDims ? rows : len) *= shape[i];
      byRow = *w;
    } else {
      len = shape[0], rows = shape[1];
      byRow.resize(w->size());
      for (int64_t k = 0; k < len; ++k)
        for (int64_t n = 0; n < rows; ++n)
          byRow[n * len + k] = (*w)[k * rows + n];
    }
    QuantizedRows qr = quantizeRows(byRow.data(), rows, len, Scheme{8, 0},
                                    /*f16Scales=*/false);
    std::vector<int8_t> codes = qr.codes;
    if (!q.isConv)
      for (int64_t k = 0; k < len; ++k)
        for (int64_t n = 0; n < rows; ++n)
          codes[k * rows + n] = qr.codes[n * len + k];
    std::vector<int32_t> sums(rows, 0);
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t k = 0; k < len; ++k)
        sums[r] += qr.codes[r * len + k];

    // Activations: asymmetric int8 per tensor over a range holding 0.
    lo = std::min(lo, 0.0f), hi = std::max(hi, 0.0f);
    float scale = (hi - lo) / 255.0f;
    if (!(scale > 0))
      scale = 1.0f;
    int zp = std::clamp(static_cast<int>(std::nearbyint(-128.0f - lo / scale)),
                        -128, 127);
    std::vector<float> outScales(rows);
    for (int64_t r = 0; r < rows; ++r)
      outScales[r] = scale * qr.scales[r];

    OpBuilder b(q.op);
    std::string base = constantName(q.weight.getValue(), "weight");
    Operation *global = nullptr;
    Value wq = createWeight(b, loc, symbols, base,
                            RankedTensorType::get(shape, b.getI8Type()),
                            asBytes(codes), &global);
    SmallVector<int64_t> channelShape =
        q.isConv ? SmallVector<int64_t>(shape.take_front(q.channelDims))
                 : SmallVector<int64_t>{shape[1]};
    Value sumValues = createWeight(
        b, loc, symbols, base + ".sum",
        RankedTensorType::get(channelShape, b.getI32Type()), asBytes(sums));
    Value scaleValues = createWeight(
        b, loc, symbols, base + ".scale",
        RankedTensorType::get(channelShape, b.getF32Type()),
        asBytes(outScales));
    annotateWeight(global, "static-int8", shape,
                   schemeBytes(rows, len, Scheme{8, 0}) + rows * 4,
                   qr.relativeRMSError);

    // QuantizeLinear.
    auto xType = cast<RankedTensorType>(q.input.getType());
    auto xqType = RankedTensorType::get(xType.getShape(), b.getI8Type());
    AffineMap identity = AffineMap::getMultiDimIdentityMap(xType.getRank(), ctx);
    Value xq = elementwise(
        b, loc, xqType, {q.input}, {identity},
        [&](OpBuilder &nb, Location nl, ValueRange args) -> Value {
          Type f32 = nb.getF32Type();
          auto cst = [&](float v) {
            return arith::ConstantOp::create(nb, nl, nb.getF32FloatAttr(v));
          };
          Value v = arith::DivFOp::create(nb, nl, args[0], cst(scale));
          v = math::RoundEvenOp::create(nb, nl, v);
          v = arith::AddFOp::create(nb, nl, v, cst(float(zp)));
          v = arith::MaximumFOp::create(nb, nl, v, cst(-128.0f));
          v = arith::MinimumFOp::create(nb, nl, v, cst(127.0f));
          (void)f32;
          return arith::FPToSIOp::create(nb, nl, nb.getI8Type(), v);
        });

    // The integer op, accumulating in i32.
    auto outType = cast<RankedTensorType>(q.init.getType());
    auto accType = RankedTensorType::get(outType.getShape(), b.getI32Type());
    Value zeroI32 = arith::ConstantOp::create(b, loc, b.getI32IntegerAttr(0));
    Value accInit =
        linalg::FillOp::create(
            b, loc, zeroI32,
            tensor::EmptyOp::create(b, loc, accType.getShape(), b.getI32Type())
                .getResult())
            .getResult(0);
    Value acc;
    if (q.isConv)
      acc = rebuildConv(b, q, xq, wq, accInit);
    else
      acc = linalg::MatmulOp::create(b, loc, TypeRange{accType},
                                     ValueRange{xq, wq}, ValueRange{accInit})
                .getResult(0);

    // DequantizeLinear per output channel.
    int64_t rank = outType.getRank();
    SmallVector<AffineExpr> channels;
    for (int64_t d : q.outputChannelDims)
      channels.push_back(getAffineDimExpr(d, ctx));
    AffineMap outIdentity = AffineMap::getMultiDimIdentityMap(rank, ctx);
    AffineMap channelMap = AffineMap::get(rank, 0, channels, ctx);
    Value result = elementwise(
        b, loc, outType, {acc, sumValues, scaleValues},
        {outIdentity, channelMap, channelMap},
        [&](OpBuilder &nb, Location nl, ValueRange args) -> Value {
          Value zpValue =
              arith::ConstantOp::create(nb, nl, nb.getI32IntegerAttr(zp));
          Value centred = arith::SubIOp::create(
              nb, nl, args[0], arith::MulIOp::create(nb, nl, zpValue, args[1]));
          Value f = arith::SIToFPOp::create(nb, nl, nb.getF32Type(), centred);
          return arith::MulFOp::create(nb, nl, f, args[2]);
        });
    q.op->getResult(0).replaceAllUsesWith(result);
    q.op->erase();
  }
};

} // namespace
