//===- Indexing.cpp - ONNX gather, scatter and index ops ------------------===//
//
// Part of quantc.
//
// Gather, GatherElements, GatherND, Scatter, ScatterElements, ScatterND,
// OneHot and Compress. Gathers read their data with tensor.extract inside a
// linalg.generic (or, for constant indices, become an axis gather that folds
// on constant data); scatters are a loop nest over the updates that inserts
// into the data, in order, so duplicates and reductions behave as the spec's
// reference loop. CumSum, ReverseSequence, TopK, NonZero and Unique are in
// Ordering.cpp.
//
//===----------------------------------------------------------------------===//

#include "Builders.h"
#include "DataMovement.h"
#include "Importer.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace quantc::onnx_import;

namespace quantc::onnx_import {
void registerOrderingOps(OpRegistry &registry);
} // namespace quantc::onnx_import

namespace {

/// An affine map from `rank` loop dims to `dims`.
AffineMap dimsMap(MLIRContext *ctx, int64_t rank, ArrayRef<int64_t> dims) {
  SmallVector<AffineExpr> exprs;
  for (int64_t d : dims)
    exprs.push_back(getAffineDimExpr(d, ctx));
  return AffineMap::get(rank, 0, exprs, ctx);
}

/// Reads an integer index scalar (any integer type) as a non-negative index
/// into a dimension of `size`.
Value loadIndex(OpBuilder &b, Location loc, Value v, bool isUnsigned,
                int64_t size) {
  Value i = toIndex(b, loc, v, isUnsigned);
  return isUnsigned ? i : wrapNegativeIndex(b, loc, i, size);
}

/// Checks constant indices against `size` and wraps the negative ones.
FailureOr<SmallVector<int64_t>> wrapIndices(NodeContext &ctx,
                                            ArrayRef<int64_t> indices,
                                            int64_t size) {
  SmallVector<int64_t> out;
  for (int64_t i : indices) {
    if (i < -size || i >= size)
      return ctx.fail("index " + Twine(i) + " is out of range for a "
                      "dimension of size " + Twine(size));
    out.push_back(i < 0 ? i + size : i);
  }
  return out;
}

//===----------------------------------------------------------------------===//
// Gathers
//===----------------------------------------------------------------------===//

LogicalResult convertGather(NodeContext &ctx) {
  RankedTensorType data = ctx.inputType(0);
  RankedTensorType indices = ctx.inputType(1);
  int64_t r = data.getRank(), q = indices.getRank();
  FailureOr<int64_t> axis = ctx.normalizeAxis(ctx.getInt("axis", 0), r);
  if (failed(axis))
    return failure();
  int64_t dim = data.getDimSize(*axis);
  SmallVector<int64_t> shape(data.getShape().take_front(*axis));
  llvm::append_range(shape, indices.getShape());
  llvm::append_range(shape, data.getShape().drop_front(*axis + 1));

  // Constant indices (not ones merely bindable: those stay inputs) make an
  // axis gather, which folds on constant data.
  if (DenseElementsAttr cstAttr = getConstantValue(ctx.input(1))) {
    SmallVector<int64_t> cst;
    for (const APInt &v : cstAttr.getValues<APInt>())
      cst.push_back(ctx.inputIsUnsigned(1) ? (int64_t)v.getZExtValue()
                                           : v.getSExtValue());
    FailureOr<SmallVector<int64_t>> table = wrapIndices(ctx, cst, dim);
    if (failed(table))
      return failure();
    SmallVector<AxisTable> tables;
    for (int64_t d = 0; d < r; ++d)
      tables.push_back(d == *axis ? AxisTable(*table)
                                  : identityTable(data.getDimSize(d)));
    Value v = buildAxisGather(ctx.b, ctx.loc, ctx.input(0), tables);
    ctx.setResult(0, buildReshape(ctx.b, ctx.loc, v, shape),
                  ctx.inputDType(0));
    return success();
  }

  int64_t rank = shape.size();
  SmallVector<int64_t> indexDims;
  for (int64_t d = 0; d < q; ++d)
    indexDims.push_back(*axis + d);
  bool isUnsigned = ctx.inputIsUnsigned(1);
  Value src = ctx.input(0);
  Value result = buildIndexGeneric(
      ctx.b, ctx.loc, shape, data.getElementType(), ctx.input(1),
      dimsMap(ctx.b.getContext(), rank, indexDims),
      [&](OpBuilder &b, Location loc, ValueRange idx, ValueRange args) {
        SmallVector<Value> at(idx.take_front(*axis));
        at.push_back(loadIndex(b, loc, args[0], isUnsigned, dim));
        llvm::append_range(at, idx.drop_front(*axis + q));
        return tensor::ExtractOp::create(b, loc, src, at).getResult();
      });
  ctx.setResult(0, result, ctx.inputDType(0));
  return success();
}

LogicalResult convertGatherElements(NodeContext &ctx) {
  RankedTensorType data = ctx.inputType(0);
  RankedTensorType indices = ctx.inputType(1);
  int64_t r = data.getRank();
  if (indices.getRank() != r)
    return ctx.fail("data and indices differ in rank");
  FailureOr<int64_t> axis = ctx.normalizeAxis(ctx.getInt("axis", 0), r);
  if (failed(axis))
    return failure();
  int64_t dim = data.getDimSize(*axis);
  bool isUnsigned = ctx.inputIsUnsigned(1);
  Value src = ctx.input(0);
  Value result = buildIndexGeneric(
      ctx.b, ctx.loc, indices.getShape(), data.getElementType(), ctx.input(1),
      AffineMap::getMultiDimIdentityMap(r, ctx.b.getContext()),
      [&](OpBuilder &b, Location loc, ValueRange idx, ValueRange args) {
        SmallVector<Value> at(idx);
        at[*axis] = loadIndex(b, loc, args[0], isUnsigned, dim);
        return tensor::ExtractOp::create(b, loc, src, at).getResult();
      });
  ctx.setResult(0, result, ctx.inputDType(0));
  return success();
}

LogicalResult convertGatherND(NodeContext &ctx) {
  RankedTensorType data = ctx.inputType(0);
  RankedTensorType indices = ctx.inputType(1);
  int64_t r = data.getRank(), q = indices.getRank();
  int64_t batch = ctx.getInt("batch_dims", 0);
  if (q < 1)
    return ctx.fail("indices must have rank >= 1");
  int64_t k = indices.getDimSize(q - 1);
  if (batch < 0 || batch >= std::min(q, r) || batch + k > r)
    return ctx.fail("invalid batch_dims or index depth");
  SmallVector<int64_t> shape(indices.getShape().drop_back());
  llvm::append_range(shape, data.getShape().drop_front(batch + k));
  bool isUnsigned = ctx.inputIsUnsigned(1);
  Value src = ctx.input(0), ind = ctx.input(1);
  Value result = buildIndexGeneric(
      ctx.b, ctx.loc, shape, data.getElementType(), {}, {},
      [&](OpBuilder &b, Location loc, ValueRange idx, ValueRange) {
        SmallVector<Value> at(idx.take_front(batch));
        SmallVector<Value> prefix(idx.take_front(q - 1));
        for (int64_t c = 0; c < k; ++c) {
          prefix.push_back(indexConstant(b, loc, c));
          Value v = tensor::ExtractOp::create(b, loc, ind, prefix);
          prefix.pop_back();
          at.push_back(loadIndex(b, loc, v, isUnsigned,
                                 data.getDimSize(batch + c)));
        }
        llvm::append_range(at, idx.drop_front(q - 1));
        return tensor::ExtractOp::create(b, loc, src, at).getResult();
      });
  ctx.setResult(0, result, ctx.inputDType(0));
  return success();
}

//===----------------------------------------------------------------------===//
// Scatters
//===----------------------------------------------------------------------===//

/// Combines the old and the new value per ONNX's `reduction`.
FailureOr<std::function<Value(OpBuilder &, Location, Value, Value)>>
getReduction(NodeContext &ctx, bool isUnsigned) {
  std::string reduction = ctx.getString("reduction", "none");
  using Fn = std::function<Value(OpBuilder &, Location, Value, Value)>;
  if (reduction == "none")
    return Fn([](OpBuilder &, Location, Value, Value u) { return u; });
  if (reduction == "add")
    return Fn([](OpBuilder &b, Location l, Value o, Value u) {
      return buildAdd(b, l, o, u);
    });
  if (reduction == "mul")
    return Fn([](OpBuilder &b, Location l, Value o, Value u) {
      return buildMul(b, l, o, u);
    });
  if (reduction == "max")
    return Fn([isUnsigned](OpBuilder &b, Location l, Value o, Value u) {
      return buildMax(b, l, o, u, isUnsigned);
    });
  if (reduction == "min")
    return Fn([isUnsigned](OpBuilder &b, Location l, Value o, Value u) {
      return buildMin(b, l, o, u, isUnsigned);
    });
  return ctx.fail("unsupported reduction '" + reduction + "'");
}

/// A loop nest over `shape` threading `init` through; `body` gets the
/// induction variables and the current tensor and returns the next one.
Value buildScatterLoops(
    OpBuilder &b, Location loc, ArrayRef<int64_t> shape, Value init,
    function_ref<Value(OpBuilder &, Location, ValueRange, Value)> body) {
  SmallVector<Value> lbs, ubs, steps;
  for (int64_t d : shape) {
    lbs.push_back(indexConstant(b, loc, 0));
    ubs.push_back(indexConstant(b, loc, d));
    steps.push_back(indexConstant(b, loc, 1));
  }
  scf::LoopNest nest = scf::buildLoopNest(
      b, loc, lbs, ubs, steps, init,
      [&](OpBuilder &nb, Location nl, ValueRange ivs, ValueRange iters) {
        return scf::ValueVector{body(nb, nl, ivs, iters[0])};
      });
  return nest.results.empty() ? init : nest.results[0];
}

LogicalResult convertScatterElements(NodeContext &ctx) {
  RankedTensorType data = ctx.inputType(0);
  RankedTensorType indices = ctx.inputType(1);
  RankedTensorType updates = ctx.inputType(2);
  int64_t r = data.getRank();
  if (indices.getRank() != r || updates.getShape() != indices.getShape())
    return ctx.fail("indices and updates must have the data's rank and "
                    "one shape");
  FailureOr<int64_t> axis = ctx.normalizeAxis(ctx.getInt("axis", 0), r);
  if (failed(axis))
    return failure();
  auto combine = getReduction(ctx, ctx.inputIsUnsigned(0));
  if (failed(combine))
    return failure();
  int64_t dim = data.getDimSize(*axis);
  bool isUnsigned = ctx.inputIsUnsigned(1);
  Value ind = ctx.input(1), upd = ctx.input(2);
  Value result = buildScatterLoops(
      ctx.b, ctx.loc, indices.getShape(), ctx.input(0),
      [&](OpBuilder &b, Location loc, ValueRange ivs, Value acc) -> Value {
        SmallVector<Value> at(ivs);
        at[*axis] = loadIndex(b, loc, tensor::ExtractOp::create(b, loc, ind, ivs),
                              isUnsigned, dim);
        Value u = tensor::ExtractOp::create(b, loc, upd, ivs);
        Value old = tensor::ExtractOp::create(b, loc, acc, at);
        return tensor::InsertOp::create(b, loc, (*combine)(b, loc, old, u),
                                        acc, at);
      });
  ctx.setResult(0, result, ctx.inputDType(0));
  return success();
}

LogicalResult convertScatterND(NodeContext &ctx) {
  RankedTensorType data = ctx.inputType(0);
  RankedTensorType indices = ctx.inputType(1);
  RankedTensorType updates = ctx.inputType(2);
  int64_t r = data.getRank(), q = indices.getRank();
  if (q < 1)
    return ctx.fail("indices must have rank >= 1");
  int64_t k = indices.getDimSize(q - 1);
  if (k > r)
    return ctx.fail("index depth exceeds the data's rank");
  SmallVector<int64_t> expected(indices.getShape().drop_back());
  llvm::append_range(expected, data.getShape().drop_front(k));
  if (updates.getShape() != ArrayRef<int64_t>(expected))
    return ctx.fail("updates have the wrong shape");
  auto combine = getReduction(ctx, ctx.inputIsUnsigned(0));
  if (failed(combine))
    return failure();
  bool isUnsigned = ctx.inputIsUnsigned(1);
  Value ind = ctx.input(1), upd = ctx.input(2);
  Value result = buildScatterLoops(
      ctx.b, ctx.loc, updates.getShape(), ctx.input(0),
      [&](OpBuilder &b, Location loc, ValueRange ivs, Value acc) -> Value {
        SmallVector<Value> at, prefix(ivs.take_front(q - 1));
        for (int64_t c = 0; c < k; ++c) {
          prefix.push_back(indexConstant(b, loc, c));
          Value v = tensor::ExtractOp::create(b, loc, ind, prefix);
          prefix.pop_back();
          at.push_back(loadIndex(b, loc, v, isUnsigned, data.getDimSize(c)));
        }
        llvm::append_range(at, ivs.drop_front(q - 1));
        Value u = tensor::ExtractOp::create(b, loc, upd, ivs);
        Value old = tensor::ExtractOp::create(b, loc, acc, at);
        return tensor::InsertOp::create(b, loc, (*combine)(b, loc, old, u),
                                        acc, at);
      });
  ctx.setResult(0, result, ctx.inputDType(0));
  return success();
}

//===----------------------------------------------------------------------===//
// OneHot, Compress
//===----------------------------------------------------------------------===//

LogicalResult convertOneHot(NodeContext &ctx) {
  RankedTensorType indices = ctx.inputType(0);
  std::optional<DenseElementsAttr> depthAttr = ctx.constantInput(1);
  if (!depthAttr || depthAttr->getNumElements() != 1)
    return ctx.fail("'depth' must be a compile-time scalar");
  Attribute dv = *depthAttr->value_begin<Attribute>();
  int64_t depth = isa<FloatAttr>(dv)
                      ? (int64_t)cast<FloatAttr>(dv).getValueAsDouble()
                      : cast<IntegerAttr>(dv).getInt();
  if (depth <= 0)
    return ctx.fail("'depth' must be positive");
  RankedTensorType valuesType = ctx.inputType(2);
  if (valuesType.getNumElements() != 2)
    return ctx.fail("'values' must hold [off_value, on_value]");
  int64_t q = indices.getRank();
  FailureOr<int64_t> axis = ctx.normalizeAxis(ctx.getInt("axis", -1), q + 1);
  if (failed(axis))
    return failure();
  SmallVector<int64_t> shape(indices.getShape());
  shape.insert(shape.begin() + *axis, depth);
  SmallVector<int64_t> indexDims;
  for (int64_t d = 0; d <= q; ++d)
    if (d != *axis)
      indexDims.push_back(d);
  Value values = buildReshape(ctx.b, ctx.loc, ctx.input(2), {2});
  Value off = tensor::ExtractOp::create(ctx.b, ctx.loc, values,
                                        ValueRange{indexConstant(ctx.b, ctx.loc, 0)});
  Value on = tensor::ExtractOp::create(ctx.b, ctx.loc, values,
                                       ValueRange{indexConstant(ctx.b, ctx.loc, 1)});
  bool isUnsigned = ctx.inputIsUnsigned(0);
  Value result = buildIndexGeneric(
      ctx.b, ctx.loc, shape, valuesType.getElementType(), ctx.input(0),
      dimsMap(ctx.b.getContext(), q + 1, indexDims),
      [&](OpBuilder &b, Location loc, ValueRange idx, ValueRange args) {
        Value i = args[0];
        if (isa<FloatType>(i.getType()))
          i = arith::FPToSIOp::create(b, loc, b.getI64Type(), i);
        i = toIndex(b, loc, i, isUnsigned);
        if (!isUnsigned)
          i = wrapNegativeIndex(b, loc, i, depth);
        Value hit = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, i,
                                          idx[*axis]);
        return arith::SelectOp::create(b, loc, hit, on, off).getResult();
      });
  ctx.setResult(0, result, ctx.inputDType(2));
  return success();
}

LogicalResult convertCompress(NodeContext &ctx) {
  std::optional<DenseElementsAttr> cond = ctx.constantInput(1);
  if (!cond)
    return ctx.fail("'condition' must be a compile-time constant: the "
                    "output's shape depends on it");
  SmallVector<bool> keep;
  for (Attribute a : cond->getValues<Attribute>())
    keep.push_back(cast<IntegerAttr>(a).getValue().getBoolValue());
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
  int64_t dim = type.getDimSize(axis);
  if ((int64_t)keep.size() > dim)
    return ctx.fail("'condition' is longer than the axis");
  SmallVector<AxisTable> tables;
  for (int64_t d = 0; d < type.getRank(); ++d)
    tables.push_back(identityTable(type.getDimSize(d)));
  tables[axis].clear();
  for (auto [i, k] : llvm::enumerate(keep))
    if (k)
      tables[axis].push_back(i);
  ctx.setResult(0, buildAxisGather(ctx.b, ctx.loc, input, tables),
                ctx.inputDType(0));
  return success();
}

} // namespace

void quantc::onnx_import::registerIndexingOps(OpRegistry &r) {
  r.add("Gather", convertGather);
  r.add("GatherElements", convertGatherElements);
  r.add("GatherND", convertGatherND);
  r.add("Scatter", convertScatterElements);
  r.add("ScatterElements", convertScatterElements);
  r.add("ScatterND", convertScatterND);
  r.add("OneHot", convertOneHot);
  r.add("Compress", convertCompress);
  registerOrderingOps(r);
}
