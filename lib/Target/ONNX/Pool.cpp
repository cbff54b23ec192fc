//===- Pool.cpp - ONNX pooling --------------------------------------------===//
//
// Part of quantc.
//
// MaxPool, AveragePool and LpPool pad the input (with the combine's identity:
// -inf or the integer minimum for max, zero for sums) and reduce each window:
// 2-D float max/sum on linalg.pooling_nchw_{max,sum}, everything else on a
// linalg.generic over (n, c, out..., kernel...). ceil_mode grows the end
// padding to cover the last window. AveragePool divides by a per-position
// count (an import-time constant) that follows count_include_pad. MaxPool's
// Indices output comes from a two-result reduction that tracks the first
// maximum's flat index (row- or column-major per storage_order). The global
// pools are reductions; MaxUnpool scatters with an scf.for of tensor.insert.
//
//===----------------------------------------------------------------------===//

#include "Builders.h"
#include "Importer.h"
#include "NN.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include <limits>

using namespace mlir;
using namespace quantc::onnx_import;

namespace {

using CombineFn =
    llvm::function_ref<Value(OpBuilder &, Location, Value acc, Value x)>;

struct PoolSetup {
  Value padded; // [N, C, S...] padded for every window
  WindowGeometry geom;
  SmallVector<int64_t> outShape; // [N, C, O...]
};

/// Reads the pooling geometry and pads the input with `padValue`.
FailureOr<PoolSetup> preparePool(NodeContext &ctx, TypedAttr padValue) {
  RankedTensorType type = ctx.inputType(0);
  if (type.getRank() < 3)
    return ctx.fail("expects an input of rank 3 or more (N, C, spatial...)");
  if (!ctx.hasAttr("kernel_shape"))
    return ctx.fail("missing attribute 'kernel_shape'");
  ArrayRef<int64_t> spatial = type.getShape().drop_front(2);
  FailureOr<WindowGeometry> geom =
      getWindowGeometry(ctx, spatial, {}, ctx.getInt("ceil_mode", 0));
  if (failed(geom))
    return failure();
  PoolSetup s;
  s.geom = *geom;
  s.outShape = {type.getDimSize(0), type.getDimSize(1)};
  s.outShape.append(geom->outShape);
  SmallVector<int64_t> low = {0, 0}, high = {0, 0};
  for (size_t i = 0; i < spatial.size(); ++i) {
    int64_t dk = (geom->kernel[i] - 1) * geom->dilations[i] + 1;
    int64_t need = (geom->outShape[i] - 1) * geom->strides[i] + dk -
                   (spatial[i] + geom->padsBegin[i] + geom->padsEnd[i]);
    low.push_back(geom->padsBegin[i]);
    high.push_back(geom->padsEnd[i] + std::max<int64_t>(need, 0));
  }
  s.padded = buildPad(ctx.b, ctx.loc, ctx.input(0), low, high, padValue);
  return s;
}

/// Indexing maps of a window reduction over loops (n, c, o..., k...): the
/// input, the window (shape only) and the output.
SmallVector<AffineMap> windowMaps(MLIRContext *ctx, const WindowGeometry &g) {
  int64_t n = g.kernel.size(), loops = 2 + 2 * n;
  SmallVector<AffineExpr> in = {getAffineDimExpr(0, ctx),
                                getAffineDimExpr(1, ctx)},
                          win, out = in;
  for (int64_t i = 0; i < n; ++i) {
    AffineExpr o = getAffineDimExpr(2 + i, ctx);
    AffineExpr k = getAffineDimExpr(2 + n + i, ctx);
    in.push_back(o * g.strides[i] + k * g.dilations[i]);
    win.push_back(k);
    out.push_back(o);
  }
  return {AffineMap::get(loops, 0, in, ctx), AffineMap::get(loops, 0, win, ctx),
          AffineMap::get(loops, 0, out, ctx)};
}

SmallVector<utils::IteratorType> windowIterators(int64_t n) {
  SmallVector<utils::IteratorType> it(2 + 2 * n, utils::IteratorType::parallel);
  for (int64_t i = 2 + n; i < 2 + 2 * n; ++i)
    it[i] = utils::IteratorType::reduction;
  return it;
}

/// Reduces every window of `s.padded` with `combine` from `init`; `map`
/// transforms each element first.
Value buildWindowReduce(OpBuilder &b, Location loc, const PoolSetup &s,
                        TypedAttr init, CombineFn combine, bool namedMax,
                        bool namedSum,
                        llvm::function_ref<Value(OpBuilder &, Location, Value)>
                            map = nullptr) {
  Type element = init.getType();
  Value empty = buildEmpty(b, loc, s.outShape, element);
  Value filled =
      linalg::FillOp::create(b, loc, Value(arith::ConstantOp::create(b, loc, init)),
                             empty)
          .getResult(0);
  Value window = buildEmpty(b, loc, s.geom.kernel, element);
  int64_t n = s.geom.kernel.size();
  if (n == 2 && !map && (namedMax || namedSum)) {
    Attribute strides = b.getI64TensorAttr(s.geom.strides);
    Attribute dilations = b.getI64TensorAttr(s.geom.dilations);
    SmallVector<Type> types = {filled.getType()};
    SmallVector<Value> ins = {s.padded, window}, outs = {filled};
    if (namedMax)
      return linalg::PoolingNchwMaxOp::create(b, loc, types, ins, outs,
                                              strides, dilations)
          .getResult(0);
    return linalg::PoolingNchwSumOp::create(b, loc, types, ins, outs, strides,
                                            dilations)
        .getResult(0);
  }
  return linalg::GenericOp::create(
             b, loc, TypeRange{filled.getType()}, ValueRange{s.padded, window},
             ValueRange{filled}, windowMaps(b.getContext(), s.geom),
             windowIterators(n),
             [&](OpBuilder &nb, Location nl, ValueRange args) {
               Value x = map ? map(nb, nl, args[0]) : args[0];
               linalg::YieldOp::create(nb, nl, combine(nb, nl, args[2], x));
             })
      .getResult(0);
}

/// The lowest value of `element` (-inf for floats).
TypedAttr lowest(Type element, bool isUnsigned) {
  if (isa<FloatType>(element))
    return scalarAttr(element, -std::numeric_limits<double>::infinity());
  return scalarAttr(element,
                    storageRange(element, isUnsigned).first);
}

LogicalResult convertMaxPool(NodeContext &ctx) {
  OpBuilder &b = ctx.b;
  Location loc = ctx.loc;
  Type element = ctx.inputType(0).getElementType();
  bool isUnsigned = ctx.inputIsUnsigned(0);
  bool isFloat = isa<FloatType>(element);
  TypedAttr init = lowest(element, isUnsigned);
  FailureOr<PoolSetup> s = preparePool(ctx, init);
  if (failed(s))
    return failure();
  auto combine = [&](OpBuilder &nb, Location nl, Value acc, Value x) {
    if (isFloat)
      return Value(arith::MaximumFOp::create(nb, nl, acc, x));
    return buildMax(nb, nl, acc, x, isUnsigned);
  };
  if (!ctx.hasOutput(1)) {
    Value y = buildWindowReduce(b, loc, *s, init, combine, isFloat, false);
    ctx.setResult(0, y, ctx.inputDType(0));
    return success();
  }
  // Values and flat indices of the first maximum of each window.
  int64_t storageOrder = ctx.getInt("storage_order", 0);
  ArrayRef<int64_t> inShape = ctx.inputType(0).getShape();
  int64_t n = s->geom.kernel.size();
  Value vEmpty = buildEmpty(b, loc, s->outShape, element);
  Value vInit = linalg::FillOp::create(
                    b, loc, Value(arith::ConstantOp::create(b, loc, init)), vEmpty)
                    .getResult(0);
  Value iEmpty = buildEmpty(b, loc, s->outShape, b.getI64Type());
  Value iInit = linalg::FillOp::create(
                    b, loc, scalarConstant(b, loc, b.getI64Type(), 0), iEmpty)
                    .getResult(0);
  Value window = buildEmpty(b, loc, s->geom.kernel, element);
  SmallVector<AffineMap> maps = windowMaps(b.getContext(), s->geom);
  maps.push_back(maps.back());
  auto generic = linalg::GenericOp::create(
      b, loc, TypeRange{vInit.getType(), iInit.getType()},
      ValueRange{s->padded, window}, ValueRange{vInit, iInit}, maps,
      windowIterators(n), [&](OpBuilder &nb, Location nl, ValueRange args) {
        Type i64 = nb.getI64Type();
        auto index = [&](int64_t d) -> Value {
          return arith::IndexCastOp::create(
              nb, nl, i64, linalg::IndexOp::create(nb, nl, d));
        };
        auto cst = [&](int64_t v) { return scalarConstant(nb, nl, i64, v); };
        // Spatial coordinates in the unpadded input.
        SmallVector<Value> coords;
        for (int64_t i = 0; i < n; ++i) {
          Value o = arith::MulIOp::create(nb, nl, index(2 + i),
                                          cst(s->geom.strides[i]));
          Value k = arith::MulIOp::create(nb, nl, index(2 + n + i),
                                          cst(s->geom.dilations[i]));
          coords.push_back(arith::SubIOp::create(
              nb, nl, arith::AddIOp::create(nb, nl, o, k),
              cst(s->geom.padsBegin[i])));
        }
        Value flat = arith::AddIOp::create(
            nb, nl, arith::MulIOp::create(nb, nl, index(0), cst(inShape[1])),
            index(1));
        SmallVector<int64_t> order;
        for (int64_t i = 0; i < n; ++i)
          order.push_back(storageOrder ? n - 1 - i : i);
        for (int64_t i : order)
          flat = arith::AddIOp::create(
              nb, nl, arith::MulIOp::create(nb, nl, flat, cst(inShape[2 + i])),
              coords[i]);
        Value greater =
            isFloat ? Value(arith::CmpFOp::create(
                          nb, nl, arith::CmpFPredicate::OGT, args[0], args[2]))
                    : Value(arith::CmpIOp::create(
                          nb, nl,
                          isUnsigned ? arith::CmpIPredicate::ugt
                                     : arith::CmpIPredicate::sgt,
                          args[0], args[2]));
        Value v = arith::SelectOp::create(nb, nl, greater, args[0], args[2]);
        Value i = arith::SelectOp::create(nb, nl, greater, flat, args[3]);
        linalg::YieldOp::create(nb, nl, ValueRange{v, i});
      });
  ctx.setResult(0, generic.getResult(0), ctx.inputDType(0));
  ctx.setResult(1, generic.getResult(1), kInt64);
  return success();
}

/// The number of window positions per output position along each spatial
/// dim that count toward an average.
SmallVector<SmallVector<int64_t>> windowCounts(const WindowGeometry &g,
                                               ArrayRef<int64_t> inShape,
                                               bool includePad) {
  SmallVector<SmallVector<int64_t>> counts;
  for (size_t i = 0; i < g.kernel.size(); ++i) {
    int64_t lo = includePad ? -g.padsBegin[i] : 0;
    int64_t hi = includePad ? inShape[i] + g.padsEnd[i] : inShape[i];
    SmallVector<int64_t> dim;
    for (int64_t o = 0; o < g.outShape[i]; ++o) {
      int64_t count = 0;
      for (int64_t k = 0; k < g.kernel[i]; ++k) {
        int64_t pos = o * g.strides[i] - g.padsBegin[i] + k * g.dilations[i];
        count += pos >= lo && pos < hi;
      }
      dim.push_back(std::max<int64_t>(count, 1));
    }
    counts.push_back(dim);
  }
  return counts;
}

/// Divides `sum` [N, C, O...] by the window counts.
Value divideByCounts(OpBuilder &b, Location loc, Value sum,
                     ArrayRef<SmallVector<int64_t>> counts) {
  auto type = cast<RankedTensorType>(sum.getType());
  Type element = type.getElementType();
  SmallVector<int64_t> shape = {1, 1};
  int64_t total = 1;
  for (const auto &c : counts) {
    shape.push_back(c.size());
    total *= c.size();
  }
  SmallVector<Attribute> values;
  bool uniform = true;
  for (int64_t linear = 0; linear < total; ++linear) {
    int64_t rest = linear, count = 1;
    for (int64_t i = counts.size() - 1; i >= 0; --i) {
      count *= counts[i][rest % counts[i].size()];
      rest /= counts[i].size();
    }
    values.push_back(scalarAttr(element, (double)count));
    uniform &= values.front() == values.back();
  }
  Value divisor =
      uniform ? arith::ConstantOp::create(
                    b, loc, DenseElementsAttr::get(
                                RankedTensorType::get({}, element),
                                values.front()))
              : arith::ConstantOp::create(
                    b, loc, DenseElementsAttr::get(
                                RankedTensorType::get(shape, element), values));
  return buildElementwise(b, loc, type.getShape(), element, {sum, divisor},
                          [](OpBuilder &nb, Location nl, ValueRange a) {
                            return Value(
                                arith::DivFOp::create(nb, nl, a[0], a[1]));
                          });
}

LogicalResult convertAveragePool(NodeContext &ctx) {
  Type element = ctx.inputType(0).getElementType();
  if (!isa<FloatType>(element))
    return ctx.fail("expects a floating-point input");
  FailureOr<PoolSetup> s = preparePool(ctx, scalarAttr(element, 0));
  if (failed(s))
    return failure();
  Value sum = buildWindowReduce(
      ctx.b, ctx.loc, *s, scalarAttr(element, 0),
      [](OpBuilder &nb, Location nl, Value acc, Value x) {
        return buildAdd(nb, nl, acc, x);
      },
      false, true);
  auto counts =
      windowCounts(s->geom, ctx.inputType(0).getShape().drop_front(2),
                   ctx.getInt("count_include_pad", 0));
  ctx.setResult(0, divideByCounts(ctx.b, ctx.loc, sum, counts),
                ctx.inputDType(0));
  return success();
}

/// |x|^p, and the p-th root.
Value lpMap(OpBuilder &b, Location loc, Value x, int64_t p) {
  Value a = math::AbsFOp::create(b, loc, x);
  if (p == 1)
    return a;
  if (p == 2)
    return arith::MulFOp::create(b, loc, a, a);
  return math::PowFOp::create(b, loc, a,
                              scalarConstant(b, loc, x.getType(), p));
}

Value lpRoot(OpBuilder &b, Location loc, Value t, int64_t p) {
  if (p == 1)
    return t;
  auto type = cast<RankedTensorType>(t.getType());
  return buildElementwise(
      b, loc, type.getShape(), type.getElementType(), t,
      [&](OpBuilder &nb, Location nl, ValueRange a) -> Value {
        if (p == 2)
          return math::SqrtOp::create(nb, nl, a[0]);
        return math::PowFOp::create(
            nb, nl, a[0],
            scalarConstant(nb, nl, a[0].getType(), 1.0 / (double)p));
      });
}

LogicalResult convertLpPool(NodeContext &ctx) {
  Type element = ctx.inputType(0).getElementType();
  if (!isa<FloatType>(element))
    return ctx.fail("expects a floating-point input");
  int64_t p = ctx.getInt("p", 2);
  if (p < 1)
    return ctx.fail("p must be positive");
  FailureOr<PoolSetup> s = preparePool(ctx, scalarAttr(element, 0));
  if (failed(s))
    return failure();
  Value sum = buildWindowReduce(
      ctx.b, ctx.loc, *s, scalarAttr(element, 0),
      [](OpBuilder &nb, Location nl, Value acc, Value x) {
        return buildAdd(nb, nl, acc, x);
      },
      false, false,
      [&](OpBuilder &nb, Location nl, Value x) { return lpMap(nb, nl, x, p); });
  ctx.setResult(0, lpRoot(ctx.b, ctx.loc, sum, p), ctx.inputDType(0));
  return success();
}

//===----------------------------------------------------------------------===//
// Global pools
//===----------------------------------------------------------------------===//

SmallVector<int64_t> spatialAxes(int64_t rank) {
  SmallVector<int64_t> axes;
  for (int64_t d = 2; d < rank; ++d)
    axes.push_back(d);
  return axes;
}

LogicalResult convertGlobalPool(NodeContext &ctx, StringRef kind) {
  RankedTensorType type = ctx.inputType(0);
  Type element = type.getElementType();
  bool isFloat = isa<FloatType>(element);
  bool isUnsigned = ctx.inputIsUnsigned(0);
  if (type.getRank() < 3)
    return ctx.fail("expects an input of rank 3 or more (N, C, spatial...)");
  if (kind != "max" && !isFloat)
    return ctx.fail("expects a floating-point input");
  SmallVector<int64_t> axes = spatialAxes(type.getRank());
  OpBuilder &b = ctx.b;
  Location loc = ctx.loc;
  int64_t p = ctx.getInt("p", 2);
  Value y;
  if (kind == "max") {
    y = buildReduction(b, loc, ctx.input(0), axes, true,
                       lowest(element, isUnsigned),
                       [&](OpBuilder &nb, Location nl, Value acc, Value x) {
                         if (isFloat)
                           return Value(
                               arith::MaximumFOp::create(nb, nl, acc, x));
                         return buildMax(nb, nl, acc, x, isUnsigned);
                       });
  } else {
    auto add = [](OpBuilder &nb, Location nl, Value acc, Value x) {
      return buildAdd(nb, nl, acc, x);
    };
    if (kind == "lp") {
      y = buildReduction(b, loc, ctx.input(0), axes, true,
                         scalarAttr(element, 0), add,
                         [&](OpBuilder &nb, Location nl, Value x) {
                           return lpMap(nb, nl, x, p);
                         });
      y = lpRoot(b, loc, y, p);
    } else {
      y = buildReduction(b, loc, ctx.input(0), axes, true,
                         scalarAttr(element, 0), add);
      int64_t count = numElements(type.getShape().drop_front(2));
      Value divisor = arith::ConstantOp::create(
          b, loc,
          DenseElementsAttr::get(RankedTensorType::get({}, element),
                                 scalarAttr(element, (double)count)));
      y = buildElementwise(
          b, loc, cast<RankedTensorType>(y.getType()).getShape(), element,
          {y, divisor}, [](OpBuilder &nb, Location nl, ValueRange a) {
            return Value(arith::DivFOp::create(nb, nl, a[0], a[1]));
          });
    }
  }
  ctx.setResult(0, y, ctx.inputDType(0));
  return success();
}

LogicalResult convertGlobalAveragePool(NodeContext &ctx) {
  return convertGlobalPool(ctx, "avg");
}
LogicalResult convertGlobalMaxPool(NodeContext &ctx) {
  return convertGlobalPool(ctx, "max");
}
LogicalResult convertGlobalLpPool(NodeContext &ctx) {
  return convertGlobalPool(ctx, "lp");
}

//===----------------------------------------------------------------------===//
// MaxUnpool
//===----------------------------------------------------------------------===//

LogicalResult convertMaxUnpool(NodeContext &ctx) {
  OpBuilder &b = ctx.b;
  Location loc = ctx.loc;
  RankedTensorType xType = ctx.inputType(0);
  Type element = xType.getElementType();
  if (ctx.inputType(1).getShape() != xType.getShape())
    return ctx.fail("I must have X's shape");
  // Indices address the default unpooled shape; an explicit output_shape
  // (as ONNX's reference) pads that at the end.
  FailureOr<WindowGeometry> g =
      getWindowGeometry(ctx, xType.getShape().drop_front(2), {}, false);
  if (failed(g))
    return failure();
  SmallVector<int64_t> defaultShape = {xType.getDimSize(0),
                                       xType.getDimSize(1)};
  for (size_t i = 0; i < g->kernel.size(); ++i)
    defaultShape.push_back((xType.getDimSize(2 + i) - 1) * g->strides[i] -
                           g->padsBegin[i] - g->padsEnd[i] + g->kernel[i]);
  SmallVector<int64_t> outShape = defaultShape;
  if (ctx.hasInput(2)) {
    if (std::optional<SmallVector<int64_t>> shape = ctx.constantInts(2))
      outShape = *shape;
    else if (RankedTensorType inferred = ctx.inferredType(0))
      outShape.assign(inferred.getShape().begin(), inferred.getShape().end());
    else
      return ctx.fail("output_shape must be a compile-time constant (or "
                      "inferable); bind it with --bind-input");
  }
  if (outShape.size() != (size_t)xType.getRank())
    return ctx.fail("output_shape does not match the input's rank");
  SmallVector<int64_t> low(outShape.size(), 0), high;
  for (size_t i = 0; i < outShape.size(); ++i) {
    if (outShape[i] < defaultShape[i])
      return ctx.fail("output_shape is smaller than the unpooled shape");
    high.push_back(outShape[i] - defaultShape[i]);
  }
  int64_t total = xType.getNumElements();
  int64_t outTotal = numElements(defaultShape);
  Value values = buildReshape(b, loc, ctx.input(0), {total});
  Value indices = buildReshape(b, loc, ctx.input(1), {total});
  Value zeros = buildFilled(b, loc, {outTotal}, element, scalarAttr(element, 0));
  Value lb = arith::ConstantIndexOp::create(b, loc, 0);
  Value ub = arith::ConstantIndexOp::create(b, loc, total);
  Value step = arith::ConstantIndexOp::create(b, loc, 1);
  auto loop = scf::ForOp::create(
      b, loc, lb, ub, step, ValueRange{zeros},
      [&](OpBuilder &nb, Location nl, Value iv, ValueRange iter) {
        Value v = tensor::ExtractOp::create(nb, nl, values, iv);
        Value i = tensor::ExtractOp::create(nb, nl, indices, iv);
        Value at = arith::IndexCastOp::create(nb, nl, nb.getIndexType(), i);
        Value updated = tensor::InsertOp::create(nb, nl, v, iter[0], at);
        scf::YieldOp::create(nb, nl, updated);
      });
  Value y = buildReshape(b, loc, loop.getResult(0), defaultShape);
  y = buildPad(b, loc, y, low, high, scalarAttr(element, 0));
  ctx.setResult(0, y, ctx.inputDType(0));
  return success();
}

} // namespace

void quantc::onnx_import::registerPoolOps(OpRegistry &registry) {
  registry.add("MaxPool", convertMaxPool);
  registry.add("AveragePool", convertAveragePool);
  registry.add("LpPool", convertLpPool);
  registry.add("GlobalAveragePool", convertGlobalAveragePool);
  registry.add("GlobalMaxPool", convertGlobalMaxPool);
  registry.add("GlobalLpPool", convertGlobalLpPool);
  registry.add("MaxUnpool", convertMaxUnpool);
}
