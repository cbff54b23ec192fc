//===- QuantizableOps.cpp - Convolutions and matmuls to quantize ----------===//
//
// Part of quantc.
//
//===----------------------------------------------------------------------===//

#include "quantc/Transforms/QuantizableOps.h"

#include "quantc/Dialect/QC/IR/QCDialect.h"
#include "quantc/Dialect/QC/IR/QCOps.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Matchers.h"

using namespace mlir;
using namespace quantc::weightquant;

namespace {
bool isZeroFill(Value v) {
  auto fill = v.getDefiningOp<linalg::FillOp>();
  return fill && matchPattern(fill.getInputs()[0], m_AnyZeroFloat());
}

bool isF32Tensor(Value v) {
  auto type = dyn_cast<RankedTensorType>(v.getType());
  return type && type.hasStaticShape() && type.getElementType().isF32();
}
} // namespace

std::optional<QuantizableOp>
quantc::weightquant::matchQuantizable(Operation *op) {
  auto linalgOp = dyn_cast<linalg::LinalgOp>(op);
  if (!linalgOp || linalgOp.getNumDpsInputs() != 2 ||
      linalgOp.getNumDpsInits() != 1)
    return std::nullopt;
  QuantizableOp q;
  q.op = linalgOp;
  if (auto matmul = dyn_cast<linalg::MatmulOp>(op)) {
    if (matmul.hasUserDefinedMaps())
      return std::nullopt;
    q.channelDims = 1;
    q.outputChannelDims = {1};
  } else if (isa<linalg::Conv1DNcwFcwOp, linalg::Conv2DNchwFchwOp,
                 linalg::Conv3DNcdhwFcdhwOp,
                 linalg::DepthwiseConv2DNchwChwOp>(op)) {
    q.isConv = true;
    q.channelDims = 1;
    q.outputChannelDims = {1};
  } else if (isa<linalg::Conv2DNgchwGfchwOp>(op)) {
    q.isConv = true;
    q.channelDims = 2;
    q.outputChannelDims = {1, 2};
  } else {
    return std::nullopt;
  }
  q.input = linalgOp.getDpsInputs()[0];
  q.init = linalgOp.getDpsInits()[0];
  q.weight = linalgOp.getDpsInputs()[1].getDefiningOp<arith::ConstantOp>();
  if (!q.weight || !isF32Tensor(q.input) ||
      !isF32Tensor(q.weight.getResult()) || !isF32Tensor(q.init) ||
      !isZeroFill(q.init))
    return std::nullopt;
  if (!q.isConv && cast<RankedTensorType>(q.input.getType()).getRank() != 2)
    return std::nullopt;
  return q;
}

SmallVector<QuantizableOp>
quantc::weightquant::collectQuantizable(ModuleOp module) {
  SmallVector<QuantizableOp> out;
  module.walk([&](linalg::LinalgOp op) {
    if (std::optional<QuantizableOp> q = matchQuantizable(op))
      out.push_back(*q);
  });
  return out;
}

Value quantc::weightquant::rebuildConv(OpBuilder &b, const QuantizableOp &q,
                                       Value input, Value filter, Value init) {
  Operation *op = q.op;
  Location loc = op->getLoc();
  SmallVector<Type> types = {init.getType()};
  SmallVector<Value> ins = {input, filter}, outs = {init};
  auto attrs = [&](auto conv) {
    return std::make_pair(conv.getStrides(), conv.getDilations());
  };
  if (auto c = dyn_cast<linalg::Conv1DNcwFcwOp>(op)) {
    auto [s, d] = attrs(c);
    return linalg::Conv1DNcwFcwOp::create(b, loc, types, ins, outs, s, d)
        .getResult(0);
  }
  if (auto c = dyn_cast<linalg::Conv2DNchwFchwOp>(op)) {
    auto [s, d] = attrs(c);
    return linalg::Conv2DNchwFchwOp::create(b, loc, types, ins, outs, s, d)
        .getResult(0);
  }
  if (auto c = dyn_cast<linalg::Conv3DNcdhwFcdhwOp>(op)) {
    auto [s, d] = attrs(c);
    return linalg::Conv3DNcdhwFcdhwOp::create(b, loc, types, ins, outs, s, d)
        .getResult(0);
  }
  if (auto c = dyn_cast<linalg::DepthwiseConv2DNchwChwOp>(op)) {
    auto [s, d] = attrs(c);
    return linalg::DepthwiseConv2DNchwChwOp::create(b, loc, types, ins, outs,
                                                    s, d)
        .getResult(0);
  }
  auto c = cast<linalg::Conv2DNgchwGfchwOp>(op);
  auto [s, d] = attrs(c);
  return linalg::Conv2DNgchwGfchwOp::create(b, loc, types, ins, outs, s, d)
      .getResult(0);
}

Value quantc::weightquant::createWeight(OpBuilder &b, Location loc,
                                        SymbolTable &symbols, StringRef name,
                                        RankedTensorType type,
                                        ArrayRef<char> bytes,
                                        Operation **globalOut) {
  std::string symbol = name.str();
  for (int i = 1; symbols.lookup(symbol); ++i)
    symbol = name.str() + "_" + std::to_string(i);
  auto module = cast<ModuleOp>(symbols.getOp());
  OpBuilder mb = OpBuilder::atBlockEnd(module.getBody());
  AsmResourceBlob blob =
      HeapAsmResourceBlob::allocateAndCopyWithAlign(bytes, alignof(uint64_t));
  auto dataType = RankedTensorType::get({int64_t(bytes.size())}, mb.getI8Type());
  auto data = DenseResourceElementsAttr::get(dataType, symbol + ".bytes",
                                             std::move(blob));
  auto global = quantc::qc::GlobalOp::create(
      mb, loc, mb.getStringAttr(symbol), TypeAttr::get(type), data);
  symbols.insert(global);
  if (globalOut)
    *globalOut = global;
  return quantc::qc::WeightOp::create(b, loc, type,
                                      FlatSymbolRefAttr::get(global));
}

void quantc::weightquant::annotateWeight(Operation *global, StringRef scheme,
                                         ArrayRef<int64_t> shape,
                                         int64_t bytes, double error) {
  Builder b(global->getContext());
  int64_t elements = 1;
  for (int64_t d : shape)
    elements *= d;
  global->setAttr(
      quantc::qc::QCDialect::kQuantizedAttrName,
      b.getDictionaryAttr({b.getNamedAttr("scheme", b.getStringAttr(scheme)),
                           b.getNamedAttr("shape", b.getDenseI64ArrayAttr(shape)),
                           b.getNamedAttr("float_bytes",
                                          b.getI64IntegerAttr(elements * 4)),
                           b.getNamedAttr("bytes", b.getI64IntegerAttr(bytes))}));
  global->setAttr(quantc::qc::QCDialect::kQuantErrorAttrName,
                  b.getF64FloatAttr(error));
}
