//===- Reduction.cpp - ONNX reductions, arg-extremes and softmax ----------===//
//
// Part of quantc.
//
// Reduce{Sum,Mean,Max,Min,Prod,L1,L2,LogSum,LogSumExp,SumSquare} (axes as an
// attribute, or as an input from opset 13 for ReduceSum and 18 for the
// others), ArgMax/ArgMin and Softmax/LogSoftmax/Hardmax (2-D coercion
// before opset 13, one axis from 13). Reductions are `linalg.generic`s
// with reduction iterators, initialised with the combiner's identity, so a
// reduction over an empty dim yields the identity (ReduceMin: +inf,
// ReduceLogSum: log(0) = -inf).
//
//===----------------------------------------------------------------------===//

#include "Reduction.h"

#include "Builders.h"
#include "Importer.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"

#include <limits>

using namespace mlir;
using namespace quantc::onnx_import;

//===----------------------------------------------------------------------===//
// Shared helpers
//===----------------------------------------------------------------------===//

TypedAttr quantc::onnx_import::combinerIdentity(Combiner combiner, Type type,
                                                bool isUnsigned) {
  switch (combiner) {
  case Combiner::Sum:
    return scalarAttr(type, 0);
  case Combiner::Prod:
    return scalarAttr(type, 1);
  case Combiner::Max:
  case Combiner::Min: {
    bool max = combiner == Combiner::Max;
    if (isa<FloatType>(type))
      return scalarAttr(type, max ? -std::numeric_limits<double>::infinity()
                                  : std::numeric_limits<double>::infinity());
    unsigned width = type.getIntOrFloatBitWidth();
    if (type.isInteger(1))
      isUnsigned = true;
    APInt v = isUnsigned ? (max ? APInt::getMinValue(width)
                                : APInt::getMaxValue(width))
                         : (max ? APInt::getSignedMinValue(width)
                                : APInt::getSignedMaxValue(width));
    return IntegerAttr::get(type, v);
  }
  }
  llvm_unreachable("unknown combiner");
}

Value quantc::onnx_import::combine(OpBuilder &b, Location loc,
                                   Combiner combiner, Value acc, Value x,
                                   bool isUnsigned) {
  switch (combiner) {
  case Combiner::Sum:
    return buildAdd(b, loc, acc, x);
  case Combiner::Prod:
    return buildMul(b, loc, acc, x);
  case Combiner::Max:
    return buildMax(b, loc, acc, x, isUnsigned);
  case Combiner::Min:
    return buildMin(b, loc, acc, x, isUnsigned);
  }
  llvm_unreachable("unknown combiner");
}

SmallVector<int64_t> quantc::onnx_import::reducedShape(ArrayRef<int64_t> shape,
                                                       ArrayRef<int64_t> axes,
                                                       bool keepDims) {
  SmallVector<int64_t> out;
  for (auto [d, size] : llvm::enumerate(shape)) {
    if (!llvm::is_contained(axes, (int64_t)d))
      out.push_back(size);
    else if (keepDims)
      out.push_back(1);
  }
  return out;
}

static bool isHalfFloat(Type t) {
  return isa<FloatType>(t) && t.getIntOrFloatBitWidth() < 32;
}

Value quantc::onnx_import::reduceAxes(OpBuilder &b, Location loc, Value x,
                                      ArrayRef<int64_t> axes,
                                      Combiner combiner, bool keepDims,
                                      bool isUnsigned) {
  // Combining with the identity over no axes leaves `x` as it is.
  if (axes.empty())
    return x;
  Type element = cast<RankedTensorType>(x.getType()).getElementType();
  bool widen = isHalfFloat(element) &&
               (combiner == Combiner::Sum || combiner == Combiner::Prod);
  Type acc = widen ? b.getF32Type() : element;
  Value result = buildReduction(
      b, loc, x, axes, keepDims, combinerIdentity(combiner, acc, isUnsigned),
      [&](OpBuilder &nb, Location nl, Value a, Value v) {
        return combine(nb, nl, combiner, a, v, isUnsigned);
      },
      [&](OpBuilder &nb, Location nl, Value v) {
        return widen ? castScalar(nb, nl, v, acc, false, false) : v;
      },
      acc);
  if (widen)
    result = castTensor(b, loc, result, element, false, false);
  return result;
}

Value quantc::onnx_import::reduceKeepDims(OpBuilder &b, Location loc, Value x,
                                          ArrayRef<int64_t> axes,
                                          Combiner combiner, bool isUnsigned) {
  return reduceAxes(b, loc, x, axes, combiner, /*keepDims=*/true, isUnsigned);
}

Value quantc::onnx_import::buildSoftmax(OpBuilder &b, Location loc, Value x,
                                        int64_t axis, bool log) {
  auto type = cast<RankedTensorType>(x.getType());
  Type element = type.getElementType();
  Value max = reduceKeepDims(b, loc, x, {axis}, Combiner::Max);
  // exp(x - max) and its sum along the axis.
  Value exp = buildElementwise(
      b, loc, type.getShape(), element, {x, max},
      [](OpBuilder &nb, Location nl, ValueRange a) -> Value {
        return math::ExpOp::create(
            nb, nl, arith::SubFOp::create(nb, nl, a[0], a[1]));
      });
  Value sum = reduceKeepDims(b, loc, exp, {axis}, Combiner::Sum);
  if (!log)
    return buildElementwise(
        b, loc, type.getShape(), element, {exp, sum},
        [](OpBuilder &nb, Location nl, ValueRange a) -> Value {
          return arith::DivFOp::create(nb, nl, a[0], a[1]);
        });
  return buildElementwise(
      b, loc, type.getShape(), element, {x, max, sum},
      [](OpBuilder &nb, Location nl, ValueRange a) -> Value {
        Value shifted = arith::SubFOp::create(nb, nl, a[0], a[1]);
        return arith::SubFOp::create(nb, nl, shifted,
                                     math::LogOp::create(nb, nl, a[2]));
      });
}

Value quantc::onnx_import::buildArgExtreme(OpBuilder &b, Location loc, Value x,
                                           int64_t axis, bool isMax,
                                           bool selectLast, bool isUnsigned,
                                           bool keepDims) {
  MLIRContext *ctx = b.getContext();
  auto type = cast<RankedTensorType>(x.getType());
  Type element = type.getElementType();
  int64_t rank = type.getRank();
  SmallVector<int64_t> outShape = reducedShape(type.getShape(), {axis}, false);
  SmallVector<AffineExpr> outExprs;
  SmallVector<utils::IteratorType> iterators;
  for (int64_t d = 0; d < rank; ++d) {
    iterators.push_back(d == axis ? utils::IteratorType::reduction
                                  : utils::IteratorType::parallel);
    if (d != axis)
      outExprs.push_back(getAffineDimExpr(d, ctx));
  }
  Value bestScalar = arith::ConstantOp::create(
      b, loc,
      combinerIdentity(isMax ? Combiner::Max : Combiner::Min, element,
                       isUnsigned));
  Value bestInit = linalg::FillOp::create(b, loc, bestScalar,
                                          buildEmpty(b, loc, outShape, element))
                       .getResult(0);
  Value indexInit =
      linalg::FillOp::create(b, loc, scalarConstant(b, loc, b.getI64Type(), 0),
                             buildEmpty(b, loc, outShape, b.getI64Type()))
          .getResult(0);
  AffineMap outMap = AffineMap::get(rank, 0, outExprs, ctx);
  SmallVector<AffineMap> maps = {AffineMap::getMultiDimIdentityMap(rank, ctx),
                                 outMap, outMap};
  auto generic = linalg::GenericOp::create(
      b, loc, TypeRange{bestInit.getType(), indexInit.getType()}, ValueRange{x},
      ValueRange{bestInit, indexInit}, maps, iterators,
      [&](OpBuilder &nb, Location nl, ValueRange args) {
        Value v = args[0], best = args[1], bestIndex = args[2];
        Value better;
        if (isa<FloatType>(element)) {
          arith::CmpFPredicate p =
              isMax ? (selectLast ? arith::CmpFPredicate::OGE
                                  : arith::CmpFPredicate::OGT)
                    : (selectLast ? arith::CmpFPredicate::OLE
                                  : arith::CmpFPredicate::OLT);
          better = arith::CmpFOp::create(nb, nl, p, v, best);
        } else {
          using P = arith::CmpIPredicate;
          P p = isMax ? (selectLast ? (isUnsigned ? P::uge : P::sge)
                                    : (isUnsigned ? P::ugt : P::sgt))
                      : (selectLast ? (isUnsigned ? P::ule : P::sle)
                                    : (isUnsigned ? P::ult : P::slt));
          better = arith::CmpIOp::create(nb, nl, p, v, best);
        }
        Value index = arith::IndexCastOp::create(
            nb, nl, nb.getI64Type(), linalg::IndexOp::create(nb, nl, axis));
        linalg::YieldOp::create(
            nb, nl,
            ValueRange{arith::SelectOp::create(nb, nl, better, v, best),
                       arith::SelectOp::create(nb, nl, better, index,
                                               bestIndex)});
      });
  return buildReshape(b, loc, generic.getResult(1),
                      reducedShape(type.getShape(), {axis}, keepDims));
}

std::pair<Value, Value>
quantc::onnx_import::buildMoments(OpBuilder &b, Location loc, Value x,
                                  ArrayRef<int64_t> axes) {
  auto type = cast<RankedTensorType>(x.getType());
  Type element = type.getElementType();
  int64_t count = 1;
  for (int64_t a : axes)
    count *= type.getDimSize(a);
  auto divideByCount = [&](Value sum) {
    return buildElementwise(
        b, loc, cast<RankedTensorType>(sum.getType()).getShape(), element, sum,
        [&](OpBuilder &nb, Location nl, ValueRange a) -> Value {
          return arith::DivFOp::create(
              nb, nl, a[0], scalarConstant(nb, nl, element, (double)count));
        });
  };
  Value mean = divideByCount(reduceKeepDims(b, loc, x, axes, Combiner::Sum));
  Value squares = buildElementwise(
      b, loc, type.getShape(), element, {x, mean},
      [](OpBuilder &nb, Location nl, ValueRange a) -> Value {
        Value d = arith::SubFOp::create(nb, nl, a[0], a[1]);
        return arith::MulFOp::create(nb, nl, d, d);
      });
  Value var = divideByCount(reduceKeepDims(b, loc, squares, axes, Combiner::Sum));
  return {mean, var};
}

//===----------------------------------------------------------------------===//
// Reduce*
//===----------------------------------------------------------------------===//

namespace {

enum class Reducer {
  Sum,
  Mean,
  Max,
  Min,
  Prod,
  L1,
  L2,
  LogSum,
  LogSumExp,
  SumSquare
};

/// The node's reduction axes, normalized, sorted and unique; an empty list
/// means no reduction (noop_with_empty_axes).
FailureOr<SmallVector<int64_t>> reductionAxes(NodeContext &ctx,
                                              bool axesInput) {
  int64_t rank = ctx.inputRank(0);
  std::optional<SmallVector<int64_t>> axes;
  if (axesInput) {
    if (ctx.hasInput(1)) {
      if (ctx.inputType(1).getNumElements() == 0) {
        axes.emplace();
      } else {
        FailureOr<SmallVector<int64_t>> given =
            ctx.requireConstantInts(1, "axes");
        if (failed(given))
          return failure();
        axes = *given;
      }
    }
  } else {
    axes = ctx.getOptionalInts("axes");
  }
  bool noop = axesInput && ctx.getInt("noop_with_empty_axes", 0);
  SmallVector<int64_t> out;
  if (!axes || axes->empty()) {
    if (!noop)
      for (int64_t d = 0; d < rank; ++d)
        out.push_back(d);
    return out;
  }
  for (int64_t a : *axes) {
    FailureOr<int64_t> axis = ctx.normalizeAxis(a, rank);
    if (failed(axis))
      return failure();
    if (llvm::is_contained(out, *axis))
      return ctx.fail("axis " + Twine(a) + " is repeated");
    out.push_back(*axis);
  }
  llvm::sort(out);
  return out;
}

/// Reducers whose integer results come from a float computation.
bool needsFloat(Reducer r) {
  return r == Reducer::L2 || r == Reducer::LogSum || r == Reducer::LogSumExp;
}

template <Reducer R, bool AxesInput>
LogicalResult convertReduce(NodeContext &ctx) {
  OpBuilder &b = ctx.b;
  Location loc = ctx.loc;
  Value x = ctx.input(0);
  RankedTensorType type = ctx.inputType(0);
  Type element = type.getElementType();
  bool isUnsigned = ctx.inputIsUnsigned(0);
  FailureOr<SmallVector<int64_t>> axes = reductionAxes(ctx, AxesInput);
  if (failed(axes))
    return failure();
  bool keepDims = ctx.getInt("keepdims", 1);

  // The computation type: f32 for half floats (except for max/min, exact in
  // any type), f64 for integers going through a float function.
  Type compute = element;
  if (isHalfFloat(element) && R != Reducer::Max && R != Reducer::Min)
    compute = b.getF32Type();
  if (!isa<FloatType>(element) && needsFloat(R))
    compute = b.getF64Type();
  bool computeUnsigned = isUnsigned && !isa<FloatType>(compute);
  Value input = castTensor(b, loc, x, compute, isUnsigned, false);

  int64_t count = 1;
  for (int64_t a : *axes)
    count *= type.getDimSize(a);
  SmallVector<int64_t> outShape =
      reducedShape(type.getShape(), *axes, keepDims);

  auto elementwise = [&](ValueRange inputs, ScalarBodyFn body) {
    return buildElementwise(b, loc, outShape, compute, inputs, body);
  };
  auto reduce = [&](Value v, Combiner combiner) {
    return reduceAxes(b, loc, v, *axes, combiner, keepDims, computeUnsigned);
  };
  auto sumOf = [&](Value v) { return reduce(v, Combiner::Sum); };
  auto mapped = [&](ScalarBodyFn body) {
    return buildElementwise(b, loc, type.getShape(), compute, input, body);
  };

  Value result;
  switch (R) {
  case Reducer::Sum:
    result = sumOf(input);
    break;
  case Reducer::Mean:
    result = sumOf(input);
    if (count != 0 || isa<FloatType>(compute))
      result = elementwise(result, [&](OpBuilder &nb, Location nl,
                                       ValueRange a) -> Value {
        Value n = scalarConstant(nb, nl, compute, (double)count);
        if (isa<FloatType>(compute))
          return arith::DivFOp::create(nb, nl, a[0], n);
        if (computeUnsigned)
          return arith::DivUIOp::create(nb, nl, a[0], n);
        return arith::DivSIOp::create(nb, nl, a[0], n);
      });
    break;
  case Reducer::Max:
  case Reducer::Min:
    result = reduce(input, R == Reducer::Max ? Combiner::Max : Combiner::Min);
    break;
  case Reducer::Prod:
    result = reduce(input, Combiner::Prod);
    break;
  case Reducer::L1:
    result = sumOf(mapped([&](OpBuilder &nb, Location nl,
                              ValueRange a) -> Value {
      if (isa<FloatType>(compute))
        return math::AbsFOp::create(nb, nl, a[0]);
      if (computeUnsigned)
        return a[0];
      return math::AbsIOp::create(nb, nl, a[0]);
    }));
    break;
  case Reducer::L2:
  case Reducer::SumSquare:
    result = sumOf(mapped([](OpBuilder &nb, Location nl, ValueRange a) {
      return buildMul(nb, nl, a[0], a[0]);
    }));
    if (R == Reducer::L2)
      result = elementwise(result, [](OpBuilder &nb, Location nl,
                                      ValueRange a) -> Value {
        return math::SqrtOp::create(nb, nl, a[0]);
      });
    break;
  case Reducer::LogSum:
    result = elementwise(sumOf(input), [](OpBuilder &nb, Location nl,
                                          ValueRange a) -> Value {
      return math::LogOp::create(nb, nl, a[0]);
    });
    break;
  case Reducer::LogSumExp: {
    // log(sum(exp(x - m))) + m with m the max, or 0 where the max is
    // infinite (an empty or all -inf slice).
    SmallVector<int64_t> keptShape =
        reducedShape(type.getShape(), *axes, true);
    Value max = reduceKeepDims(b, loc, input, *axes, Combiner::Max);
    Value shift = buildElementwise(
        b, loc, keptShape, compute, max,
        [&](OpBuilder &nb, Location nl, ValueRange a) -> Value {
          Value absMax = math::AbsFOp::create(nb, nl, a[0]);
          Value inf = arith::CmpFOp::create(
              nb, nl, arith::CmpFPredicate::OEQ, absMax,
              scalarConstant(nb, nl, compute,
                             std::numeric_limits<double>::infinity()));
          return arith::SelectOp::create(
              nb, nl, inf, scalarConstant(nb, nl, compute, 0), a[0]);
        });
    Value exp = buildElementwise(
        b, loc, type.getShape(), compute, {input, shift},
        [](OpBuilder &nb, Location nl, ValueRange a) -> Value {
          return math::ExpOp::create(
              nb, nl, arith::SubFOp::create(nb, nl, a[0], a[1]));
        });
    result = elementwise({sumOf(exp), buildReshape(b, loc, shift, outShape)},
                         [](OpBuilder &nb, Location nl, ValueRange a) -> Value {
                           return arith::AddFOp::create(
                               nb, nl, math::LogOp::create(nb, nl, a[0]),
                               a[1]);
                         });
    break;
  }
  }
  result = castTensor(b, loc, result, element, false, isUnsigned);
  ctx.setResult(0, result, ctx.inputDType(0));
  return success();
}

//===----------------------------------------------------------------------===//
// ArgMax, ArgMin
//===----------------------------------------------------------------------===//

template <bool IsMax>
LogicalResult convertArgExtreme(NodeContext &ctx) {
  RankedTensorType type = ctx.inputType(0);
  FailureOr<int64_t> axis =
      ctx.normalizeAxis(ctx.getInt("axis", 0), type.getRank());
  if (failed(axis))
    return failure();
  if (type.getDimSize(*axis) == 0)
    return ctx.fail("cannot take the arg-extreme of an empty axis");
  bool keepDims = ctx.getInt("keepdims", 1);
  bool selectLast = ctx.getInt("select_last_index", 0);
  Value index = buildArgExtreme(ctx.b, ctx.loc, ctx.input(0), *axis, IsMax,
                                selectLast, ctx.inputIsUnsigned(0), keepDims);
  ctx.setResult(0, index, kInt64);
  return success();
}

//===----------------------------------------------------------------------===//
// Softmax, LogSoftmax, Hardmax
//===----------------------------------------------------------------------===//

enum class SoftmaxKind { Softmax, LogSoftmax, Hardmax };

Value buildHardmax(OpBuilder &b, Location loc, Value x, int64_t axis) {
  auto type = cast<RankedTensorType>(x.getType());
  Type element = type.getElementType();
  Value index = buildArgExtreme(b, loc, x, axis, /*isMax=*/true,
                                /*selectLast=*/false, false,
                                /*keepDims=*/true);
  return buildElementwise(
      b, loc, type.getShape(), element, index,
      [&](OpBuilder &nb, Location nl, ValueRange a) -> Value {
        Value i = arith::IndexCastOp::create(
            nb, nl, nb.getI64Type(), linalg::IndexOp::create(nb, nl, axis));
        Value hit =
            arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::eq, i, a[0]);
        return arith::SelectOp::create(nb, nl, hit,
                                       scalarConstant(nb, nl, element, 1),
                                       scalarConstant(nb, nl, element, 0));
      });
}

template <SoftmaxKind K>
LogicalResult convertSoftmax(NodeContext &ctx) {
  OpBuilder &b = ctx.b;
  RankedTensorType type = ctx.inputType(0);
  if (!isa<FloatType>(type.getElementType()))
    return ctx.fail("expects a floating-point input");
  int64_t rank = type.getRank();
  bool coerce2D = ctx.opset < 13;
  FailureOr<int64_t> axis =
      ctx.normalizeAxis(ctx.getInt("axis", coerce2D ? 1 : -1), rank);
  if (failed(axis))
    return failure();
  Value x = ctx.input(0);
  int64_t along = *axis;
  if (coerce2D) {
    // Before opset 13 the input is viewed as [prod(d < axis), prod(d >= axis)].
    int64_t outer = 1, inner = 1;
    for (int64_t d = 0; d < rank; ++d)
      (d < *axis ? outer : inner) *= type.getDimSize(d);
    x = buildReshape(b, ctx.loc, x, {outer, inner});
    along = 1;
  }
  Value result;
  if (K == SoftmaxKind::Hardmax)
    result = buildHardmax(b, ctx.loc, x, along);
  else
    result = buildSoftmax(b, ctx.loc, x, along, K == SoftmaxKind::LogSoftmax);
  result = buildReshape(b, ctx.loc, result, type.getShape());
  ctx.setResult(0, result, ctx.inputDType(0));
  return success();
}

} // namespace

void quantc::onnx_import::registerReductionOps(OpRegistry &r) {
  // ReduceSum takes its axes as an input from opset 13, the others from 18.
#define QC_REDUCE(NAME, KIND, INPUT_SINCE)                                     \
  r.add("", NAME, 1, convertReduce<Reducer::KIND, false>);                     \
  r.add("", NAME, INPUT_SINCE, convertReduce<Reducer::KIND, true>);
  QC_REDUCE("ReduceSum", Sum, 13)
  QC_REDUCE("ReduceMean", Mean, 18)
  QC_REDUCE("ReduceMax", Max, 18)
  QC_REDUCE("ReduceMin", Min, 18)
  QC_REDUCE("ReduceProd", Prod, 18)
  QC_REDUCE("ReduceL1", L1, 18)
  QC_REDUCE("ReduceL2", L2, 18)
  QC_REDUCE("ReduceLogSum", LogSum, 18)
  QC_REDUCE("ReduceLogSumExp", LogSumExp, 18)
  QC_REDUCE("ReduceSumSquare", SumSquare, 18)
#undef QC_REDUCE

  r.add("ArgMax", convertArgExtreme<true>);
  r.add("ArgMin", convertArgExtreme<false>);
  r.add("Softmax", convertSoftmax<SoftmaxKind::Softmax>);
  r.add("LogSoftmax", convertSoftmax<SoftmaxKind::LogSoftmax>);
  r.add("Hardmax", convertSoftmax<SoftmaxKind::Hardmax>);
}
