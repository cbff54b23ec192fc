//===- Loss.cpp - ONNX loss functions -------------------------------------===//
//
// Part of quantc.
//
// NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss (the latter is the
// former on LogSoftmax along the class axis, with log_prob as an optional
// second output). Inputs are [N, C] or [N, C, d1, ..., dk] with targets
// [N] or [N, d1, ..., dk]; the per-element loss gathers the target class
// with `tensor.extract` inside a `linalg.generic` over the target's shape.
//
//===----------------------------------------------------------------------===//

#include "Builders.h"
#include "Importer.h"
#include "Reduction.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace quantc::onnx_import;

namespace {

enum class Reduction { None, Sum, Mean };

/// The weighted negative log-likelihood of `logProb` ([N, C, d...]) at the
/// classes `target` ([N, d...]) reduced as `reduction`; ignored targets
/// weigh 0, and the mean divides by the sum of the weights.
LogicalResult emitNLL(NodeContext &ctx, Value logProb, Value target,
                      Value weight, Reduction reduction) {
  OpBuilder &b = ctx.b;
  Location loc = ctx.loc;
  auto type = cast<RankedTensorType>(logProb.getType());
  auto targetType = cast<RankedTensorType>(target.getType());
  Type element = type.getElementType();
  if (!isa<FloatType>(element))
    return ctx.fail("expects floating-point scores");
  if (type.getRank() < 2)
    return ctx.fail("expects scores of rank >= 2 ([N, C, ...])");
  SmallVector<int64_t> expected = {type.getDimSize(0)};
  expected.append(type.getShape().begin() + 2, type.getShape().end());
  if (targetType.getShape() != ArrayRef<int64_t>(expected))
    return ctx.fail("the target's shape must be the scores' without C");
  if (!targetType.getElementType().isInteger(32) &&
      !targetType.getElementType().isInteger(64))
    return ctx.fail("the target must be int32 or int64");
  if (weight && (cast<RankedTensorType>(weight.getType()).getShape() !=
                     ArrayRef<int64_t>{type.getDimSize(1)} ||
                 cast<RankedTensorType>(weight.getType()).getElementType() !=
                     element))
    return ctx.fail("the weight must be a vector of the class count with the "
                    "scores' element type");
  std::optional<int64_t> ignoreIndex = ctx.getOptionalInt("ignore_index");
  ArrayRef<int64_t> shape = targetType.getShape();
  int64_t rank = targetType.getRank();

  // The weight of each target (0 when ignored); an ignored target reads
  // class 0 so that the gathers stay in bounds.
  auto classOf = [&](OpBuilder &nb, Location nl, Value t) -> Value {
    Value cls = t;
    if (ignoreIndex) {
      Value ignored = arith::CmpIOp::create(
          nb, nl, arith::CmpIPredicate::eq, t,
          scalarConstant(nb, nl, t.getType(), (double)*ignoreIndex));
      cls = arith::SelectOp::create(nb, nl, ignored,
                                    scalarConstant(nb, nl, t.getType(), 0), t);
    }
    return arith::IndexCastOp::create(nb, nl, nb.getIndexType(), cls);
  };
  auto weightOf = [&](OpBuilder &nb, Location nl, Value t) -> Value {
    Value w = scalarConstant(nb, nl, element, 1);
    if (weight)
      w = tensor::ExtractOp::create(nb, nl, weight,
                                    ValueRange{classOf(nb, nl, t)});
    if (ignoreIndex) {
      Value ignored = arith::CmpIOp::create(
          nb, nl, arith::CmpIPredicate::eq, t,
          scalarConstant(nb, nl, t.getType(), (double)*ignoreIndex));
      w = arith::SelectOp::create(nb, nl, ignored,
                                  scalarConstant(nb, nl, element, 0), w);
    }
    return w;
  };
  Value loss = buildElementwise(
      b, loc, shape, element, target,
      [&](OpBuilder &nb, Location nl, ValueRange a) -> Value {
        SmallVector<Value> indices = {linalg::IndexOp::create(nb, nl, 0),
                                      classOf(nb, nl, a[0])};
        for (int64_t d = 1; d < rank; ++d)
          indices.push_back(linalg::IndexOp::create(nb, nl, d));
        Value x = tensor::ExtractOp::create(nb, nl, logProb, indices);
        Value l = arith::MulFOp::create(nb, nl, x, weightOf(nb, nl, a[0]));
        return arith::NegFOp::create(nb, nl, l);
      });
  if (reduction == Reduction::None) {
    ctx.setResult(0, loss, getDType(element));
    return success();
  }
  SmallVector<int64_t> all;
  for (int64_t d = 0; d < rank; ++d)
    all.push_back(d);
  Value total = reduceAxes(b, loc, loss, all, Combiner::Sum, false);
  if (reduction == Reduction::Mean) {
    Value weights = buildElementwise(
        b, loc, shape, element, target,
        [&](OpBuilder &nb, Location nl, ValueRange a) {
          return weightOf(nb, nl, a[0]);
        });
    Value weightSum = reduceAxes(b, loc, weights, all, Combiner::Sum, false);
    total = buildElementwise(
        b, loc, {}, element, {total, weightSum},
        [](OpBuilder &nb, Location nl, ValueRange a) -> Value {
          return arith::DivFOp::create(nb, nl, a[0], a[1]);
        });
  }
  ctx.setResult(0, total, getDType(element));
  return success();
}

FailureOr<Reduction> getReduction(NodeContext &ctx) {
  std::string r = ctx.getString("reduction", "mean");
  if (r == "none")
    return Reduction::None;
  if (r == "sum")
    return Reduction::Sum;
  if (r == "mean")
    return Reduction::Mean;
  return ctx.fail("reduction must be 'none', 'sum' or 'mean', not '" + r +
                  "'");
}

LogicalResult convertNegativeLogLikelihoodLoss(NodeContext &ctx) {
  FailureOr<Reduction> reduction = getReduction(ctx);
  if (failed(reduction))
    return failure();
  return emitNLL(ctx, ctx.input(0), ctx.input(1),
                 ctx.hasInput(2) ? ctx.input(2) : Value(), *reduction);
}

LogicalResult convertSoftmaxCrossEntropyLoss(NodeContext &ctx) {
  FailureOr<Reduction> reduction = getReduction(ctx);
  if (failed(reduction))
    return failure();
  RankedTensorType type = ctx.inputType(0);
  if (!isa<FloatType>(type.getElementType()) || type.getRank() < 2)
    return ctx.fail("expects floating-point scores of rank >= 2");
  Value logProb = buildSoftmax(ctx.b, ctx.loc, ctx.input(0), 1, /*log=*/true);
  if (failed(emitNLL(ctx, logProb, ctx.input(1),
                     ctx.hasInput(2) ? ctx.input(2) : Value(), *reduction)))
    return failure();
  if (ctx.hasOutput(1))
    ctx.setResult(1, logProb, ctx.inputDType(0));
  return success();
}

} // namespace

void quantc::onnx_import::registerLossOps(OpRegistry &r) {
  r.add("NegativeLogLikelihoodLoss", convertNegativeLogLikelihoodLoss);
  r.add("SoftmaxCrossEntropyLoss", convertSoftmaxCrossEntropyLoss);
}
