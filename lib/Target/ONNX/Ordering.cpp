//===- Ordering.cpp - ONNX scans, sorts and data-dependent selections -----===//
//
// Part of quantc.
//
// CumSum and TopK as reductions over a second copy of the scanned axis (each
// output element compares against every element of its row: O(n^2) along the
// axis, but plain parallel linalg), ReverseSequence as a gather, and NonZero
// and Unique, whose output shapes depend on the data, evaluated at import
// time when their input is a constant.
//
//===----------------------------------------------------------------------===//

#include "Builders.h"
#include "DataMovement.h"
#include "Importer.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include <map>

using namespace mlir;
using namespace quantc::onnx_import;

namespace {

/// The map from `rank + 1` loop dims to the `rank` dims of a tensor, with
/// dim `axis` replaced by the extra loop dim `rank`.
AffineMap axisToExtra(MLIRContext *ctx, int64_t rank, int64_t axis) {
  SmallVector<AffineExpr> exprs;
  for (int64_t d = 0; d < rank; ++d)
    exprs.push_back(getAffineDimExpr(d == axis ? rank : d, ctx));
  return AffineMap::get(rank + 1, 0, exprs, ctx);
}

/// Identity on the first `rank` of `rank + 1` loop dims.
AffineMap leadingIdentity(MLIRContext *ctx, int64_t rank) {
  SmallVector<AffineExpr> exprs;
  for (int64_t d = 0; d < rank; ++d)
    exprs.push_back(getAffineDimExpr(d, ctx));
  return AffineMap::get(rank + 1, 0, exprs, ctx);
}

SmallVector<utils::IteratorType> parallelThenReduction(int64_t rank) {
  SmallVector<utils::IteratorType> it(rank, utils::IteratorType::parallel);
  it.push_back(utils::IteratorType::reduction);
  return it;
}

Value zeroFilled(OpBuilder &b, Location loc, ArrayRef<int64_t> shape,
                 Type element) {
  Value empty = buildEmpty(b, loc, shape, element);
  Value zero = arith::ConstantOp::create(
      b, loc, cast<TypedAttr>(b.getZeroAttr(element)));
  return linalg::FillOp::create(b, loc, zero, empty).getResult(0);
}

FailureOr<int64_t> constantScalarInt(NodeContext &ctx, unsigned i,
                                     StringRef what) {
  FailureOr<SmallVector<int64_t>> v = ctx.requireConstantInts(i, what);
  if (failed(v))
    return failure();
  if (v->size() != 1)
    return ctx.fail(what + " must be a single value");
  return (*v)[0];
}

//===----------------------------------------------------------------------===//
// CumSum, ReverseSequence
//===----------------------------------------------------------------------===//

LogicalResult convertCumSum(NodeContext &ctx) {
  RankedTensorType type = ctx.inputType(0);
  int64_t rank = type.getRank();
  FailureOr<int64_t> axisValue = constantScalarInt(ctx, 1, "'axis'");
  if (failed(axisValue))
    return failure();
  FailureOr<int64_t> axis = ctx.normalizeAxis(*axisValue, rank);
  if (failed(axis))
    return failure();
  bool exclusive = ctx.getInt("exclusive", 0);
  bool reverse = ctx.getInt("reverse", 0);
  Type element = type.getElementType();
  MLIRContext *mctx = ctx.b.getContext();
  // out[..., i, ...] = sum over k of (k before-or-at i) * x[..., k, ...].
  arith::CmpIPredicate pred =
      reverse ? (exclusive ? arith::CmpIPredicate::ugt
                           : arith::CmpIPredicate::uge)
              : (exclusive ? arith::CmpIPredicate::ult
                           : arith::CmpIPredicate::ule);
  Value init = zeroFilled(ctx.b, ctx.loc, type.getShape(), element);
  auto generic = linalg::GenericOp::create(
      ctx.b, ctx.loc, TypeRange{init.getType()}, ctx.input(0), init,
      ArrayRef<AffineMap>{axisToExtra(mctx, rank, *axis),
                          leadingIdentity(mctx, rank)},
      parallelThenReduction(rank),
      [&](OpBuilder &b, Location loc, ValueRange args) {
        Value i = linalg::IndexOp::create(b, loc, *axis);
        Value k = linalg::IndexOp::create(b, loc, rank);
        Value take = arith::CmpIOp::create(b, loc, pred, k, i);
        Value zero = arith::ConstantOp::create(
            b, loc, cast<TypedAttr>(b.getZeroAttr(element)));
        Value v = arith::SelectOp::create(b, loc, take, args[0], zero);
        linalg::YieldOp::create(b, loc, buildAdd(b, loc, args[1], v));
      });
  ctx.setResult(0, generic.getResult(0), ctx.inputDType(0));
  return success();
}

LogicalResult convertReverseSequence(NodeContext &ctx) {
  RankedTensorType type = ctx.inputType(0);
  int64_t rank = type.getRank();
  if (rank < 2)
    return ctx.fail("expects a rank >= 2 input");
  FailureOr<int64_t> batchAxis =
      ctx.normalizeAxis(ctx.getInt("batch_axis", 1), rank);
  FailureOr<int64_t> timeAxis =
      ctx.normalizeAxis(ctx.getInt("time_axis", 0), rank);
  if (failed(batchAxis) || failed(timeAxis))
    return failure();
  if (*batchAxis == *timeAxis)
    return ctx.fail("batch_axis and time_axis must differ");
  Value src = ctx.input(0), lens = ctx.input(1);
  int64_t steps = type.getDimSize(*timeAxis);
  Value result = buildIndexGeneric(
      ctx.b, ctx.loc, type.getShape(), type.getElementType(), {}, {},
      [&](OpBuilder &b, Location loc, ValueRange idx, ValueRange) {
        Value len = toIndex(
            b, loc,
            tensor::ExtractOp::create(b, loc, lens, idx[*batchAxis]));
        len = arith::MinSIOp::create(b, loc, len, indexConstant(b, loc, steps));
        Value t = idx[*timeAxis];
        Value inside =
            arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, t, len);
        Value reversed = arith::SubIOp::create(
            b, loc, arith::SubIOp::create(b, loc, len, indexConstant(b, loc, 1)),
            t);
        SmallVector<Value> at(idx);
        at[*timeAxis] = arith::SelectOp::create(b, loc, inside, reversed, t);
        return tensor::ExtractOp::create(b, loc, src, at).getResult();
      });
  ctx.setResult(0, result, ctx.inputDType(0));
  return success();
}

//===----------------------------------------------------------------------===//
// TopK
//===----------------------------------------------------------------------===//

LogicalResult convertTopK(NodeContext &ctx) {
  RankedTensorType type = ctx.inputType(0);
  int64_t rank = type.getRank();
  FailureOr<int64_t> axis = ctx.normalizeAxis(ctx.getInt("axis", -1), rank);
  if (failed(axis))
    return failure();
  int64_t k;
  if (ctx.opset < 10) {
    k = ctx.getInt("k", -1);
  } else {
    FailureOr<int64_t> kv = constantScalarInt(ctx, 1, "'K'");
    if (failed(kv))
      return failure();
    k = *kv;
  }
  int64_t n = type.getDimSize(*axis);
  if (k < 0 || k > n)
    return ctx.fail("K = " + Twine(k) + " is out of range for an axis of " +
                    Twine(n));
  bool largest = ctx.getInt("largest", 1);
  bool isUnsigned = ctx.inputIsUnsigned(0);
  Type element = type.getElementType();
  Type i64 = ctx.b.getI64Type();
  MLIRContext *mctx = ctx.b.getContext();
  Location loc = ctx.loc;

  // rank[i] = #{j : x[j] comes before x[i]}; ties keep the smaller index
  // first.
  Value rankInit = zeroFilled(ctx.b, loc, type.getShape(), i64);
  Value ranks =
      linalg::GenericOp::create(
          ctx.b, loc, TypeRange{rankInit.getType()},
          ValueRange{ctx.input(0), ctx.input(0)}, rankInit,
          ArrayRef<AffineMap>{leadingIdentity(mctx, rank),
                              axisToExtra(mctx, rank, *axis),
                              leadingIdentity(mctx, rank)},
          parallelThenReduction(rank),
          [&](OpBuilder &b, Location l, ValueRange args) {
            Value xi = args[0], xj = args[1];
            Value i = linalg::IndexOp::create(b, l, *axis);
            Value j = linalg::IndexOp::create(b, l, rank);
            Value better, equal;
            if (isa<FloatType>(element)) {
              better = arith::CmpFOp::create(
                  b, l,
                  largest ? arith::CmpFPredicate::OGT
                          : arith::CmpFPredicate::OLT,
                  xj, xi);
              equal = arith::CmpFOp::create(b, l, arith::CmpFPredicate::OEQ,
                                            xj, xi);
            } else {
              arith::CmpIPredicate p =
                  largest ? (isUnsigned ? arith::CmpIPredicate::ugt
                                        : arith::CmpIPredicate::sgt)
                          : (isUnsigned ? arith::CmpIPredicate::ult
                                        : arith::CmpIPredicate::slt);
              better = arith::CmpIOp::create(b, l, p, xj, xi);
              equal = arith::CmpIOp::create(b, l, arith::CmpIPredicate::eq,
                                            xj, xi);
            }
            Value earlier =
                arith::CmpIOp::create(b, l, arith::CmpIPredicate::ult, j, i);
            Value before = arith::OrIOp::create(
                b, l, better, arith::AndIOp::create(b, l, equal, earlier));
            Value one = arith::ExtUIOp::create(b, l, i64, before);
            linalg::YieldOp::create(
                b, l, ValueRange{arith::AddIOp::create(b, l, args[2], one)});
          })
          .getResult(0);

  // out[r] = the x[j] whose rank is r.
  SmallVector<int64_t> shape(type.getShape());
  shape[*axis] = k;
  Value valuesInit = zeroFilled(ctx.b, loc, shape, element);
  Value indicesInit = zeroFilled(ctx.b, loc, shape, i64);
  auto select = linalg::GenericOp::create(
      ctx.b, loc, TypeRange{valuesInit.getType(), indicesInit.getType()},
      ValueRange{ctx.input(0), ranks}, ValueRange{valuesInit, indicesInit},
      ArrayRef<AffineMap>{axisToExtra(mctx, rank, *axis),
                          axisToExtra(mctx, rank, *axis),
                          leadingIdentity(mctx, rank),
                          leadingIdentity(mctx, rank)},
      parallelThenReduction(rank),
      [&](OpBuilder &b, Location l, ValueRange args) {
        Value r = arith::IndexCastOp::create(
            b, l, i64, linalg::IndexOp::create(b, l, *axis));
        Value j = arith::IndexCastOp::create(
            b, l, i64, linalg::IndexOp::create(b, l, rank));
        Value hit =
            arith::CmpIOp::create(b, l, arith::CmpIPredicate::eq, args[1], r);
        linalg::YieldOp::create(
            b, l,
            ValueRange{arith::SelectOp::create(b, l, hit, args[0], args[2]),
                       arith::SelectOp::create(b, l, hit, j, args[3])});
      });
  ctx.setResult(0, select.getResult(0), ctx.inputDType(0));
  if (ctx.hasOutput(1))
    ctx.setResult(1, select.getResult(1), kInt64);
  return success();
}

//===----------------------------------------------------------------------===//
// NonZero, Unique (constant inputs only)
//===----------------------------------------------------------------------===//

/// The elements of a constant as doubles (for comparisons).
SmallVector<double> asDoubles(DenseElementsAttr value, bool isUnsigned) {
  SmallVector<double> out;
  for (Attribute a : value.getValues<Attribute>()) {
    if (auto f = dyn_cast<FloatAttr>(a))
      out.push_back(f.getValueAsDouble());
    else if (isUnsigned || cast<IntegerAttr>(a).getType().isInteger(1))
      out.push_back((double)cast<IntegerAttr>(a).getValue().getZExtValue());
    else
      out.push_back((double)cast<IntegerAttr>(a).getValue().getSExtValue());
  }
  return out;
}

LogicalResult convertNonZero(NodeContext &ctx) {
  std::optional<DenseElementsAttr> value = ctx.constantInput(0);
  if (!value)
    return ctx.fail("the output's shape depends on the input's values, "
                    "which are not a compile-time constant; quantc compiles "
                    "static shapes");
  RankedTensorType type = ctx.inputType(0);
  int64_t rank = type.getRank();
  SmallVector<double> v = asDoubles(*value, ctx.inputIsUnsigned(0));
  SmallVector<int64_t> strides = stridesOf(type.getShape());
  SmallVector<int64_t> hits;
  for (size_t i = 0; i < v.size(); ++i)
    if (v[i] != 0)
      hits.push_back(i);
  int64_t count = hits.size();
  SmallVector<int64_t> out(std::max<int64_t>(rank, 1) * count, 0);
  for (int64_t d = 0; d < rank; ++d)
    for (int64_t h = 0; h < count; ++h)
      out[d * count + h] = (hits[h] / strides[d]) % type.getDimSize(d);
  auto outType = RankedTensorType::get({rank, count}, ctx.b.getI64Type());
  out.resize(rank * count);
  ctx.setResult(0,
                arith::ConstantOp::create(
                    ctx.b, ctx.loc,
                    DenseIntElementsAttr::get(outType, ArrayRef<int64_t>(out))),
                kInt64);
  return success();
}

LogicalResult convertUnique(NodeContext &ctx) {
  std::optional<DenseElementsAttr> value = ctx.constantInput(0);
  if (!value)
    return ctx.fail("the output's shape depends on the input's values, "
                    "which are not a compile-time constant; quantc compiles "
                    "static shapes");
  Value input = ctx.input(0);
  RankedTensorType type = ctx.inputType(0);
  int64_t axis = 0;
  if (std::optional<int64_t> a = ctx.getOptionalInt("axis")) {
    FailureOr<int64_t> n = ctx.normalizeAxis(*a, type.getRank());
    if (failed(n))
      return failure();
    axis = *n;
  } else {
    input = buildReshape(ctx.b, ctx.loc, input, {type.getNumElements()});
    type = cast<RankedTensorType>(input.getType());
  }
  // Item i is the slice at index i along the axis.
  SmallVector<double> v = asDoubles(*value, ctx.inputIsUnsigned(0));
  ArrayRef<int64_t> shape = type.getShape();
  int64_t items = shape[axis];
  int64_t outer = numElements(shape.take_front(axis));
  int64_t inner = numElements(shape.drop_front(axis + 1));
  std::vector<std::vector<double>> slices(items);
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < items; ++i)
      for (int64_t in = 0; in < inner; ++in)
        slices[i].push_back(v[(o * items + i) * inner + in]);
  // First occurrences, in order of appearance.
  SmallVector<int64_t> firsts, inverseOfFirst(items);
  std::map<std::vector<double>, int64_t> seen;
  for (int64_t i = 0; i < items; ++i) {
    auto [it, inserted] = seen.try_emplace(slices[i], firsts.size());
    if (inserted)
      firsts.push_back(i);
    inverseOfFirst[i] = it->second;
  }
  int64_t u = firsts.size();
  SmallVector<int64_t> order(u); // output position -> appearance order
  for (int64_t i = 0; i < u; ++i)
    order[i] = i;
  if (ctx.getInt("sorted", 1))
    llvm::sort(order, [&](int64_t a, int64_t b) {
      return slices[firsts[a]] < slices[firsts[b]];
    });
  SmallVector<int64_t> position(u);
  for (int64_t p = 0; p < u; ++p)
    position[order[p]] = p;
  SmallVector<int64_t> indices, inverse, counts(u, 0);
  for (int64_t p = 0; p < u; ++p)
    indices.push_back(firsts[order[p]]);
  for (int64_t i = 0; i < items; ++i) {
    inverse.push_back(position[inverseOfFirst[i]]);
    ++counts[position[inverseOfFirst[i]]];
  }
  SmallVector<AxisTable> tables;
  for (int64_t d = 0; d < type.getRank(); ++d)
    tables.push_back(d == axis ? AxisTable(indices)
                               : identityTable(type.getDimSize(d)));
  ctx.setResult(0, buildAxisGather(ctx.b, ctx.loc, input, tables),
                ctx.inputDType(0));
  auto vec = [&](ArrayRef<int64_t> values) -> Value {
    auto t = RankedTensorType::get({(int64_t)values.size()}, ctx.b.getI64Type());
    return arith::ConstantOp::create(ctx.b, ctx.loc,
                                     DenseIntElementsAttr::get(t, values));
  };
  if (ctx.hasOutput(1))
    ctx.setResult(1, vec(indices), kInt64);
  if (ctx.hasOutput(2))
    ctx.setResult(2, vec(inverse), kInt64);
  if (ctx.hasOutput(3))
    ctx.setResult(3, vec(counts), kInt64);
  return success();
}

} // namespace

namespace quantc::onnx_import {
void registerOrderingOps(OpRegistry &r) {
  r.add("CumSum", convertCumSum);
  r.add("ReverseSequence", convertReverseSequence);
  r.add("TopK", convertTopK);
  r.add("NonZero", convertNonZero);
  r.add("Unique", convertUnique);
}
} // namespace quantc::onnx_import
