//===- Tensor.cpp - ONNX shape and data-movement ops ----------------------===//
//
// Part of quantc.
//
// Reshape, Shape, Size, Flatten, Squeeze, Unsqueeze, Transpose, Concat,
// Split, Slice, Expand, Tile, Pad, DepthToSpace, SpaceToDepth, Trilu and
// Dropout (inference). Every one of them folds when its data is a constant,
// so the Shape -> Gather -> Concat -> Reshape chains of expanded functions
// become constants at import time. Resize and Upsample are in Resize.cpp.
//
//===----------------------------------------------------------------------===//

#include "Builders.h"
#include "DataMovement.h"
#include "Importer.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace quantc::onnx_import;

namespace quantc::onnx_import {
void registerResizeOps(OpRegistry &registry);
} // namespace quantc::onnx_import

namespace {

/// A constant i64 tensor.
Value i64Constant(OpBuilder &b, Location loc, ArrayRef<int64_t> shape,
                  ArrayRef<int64_t> values) {
  auto type = RankedTensorType::get(shape, b.getI64Type());
  return arith::ConstantOp::create(b, loc,
                                   DenseIntElementsAttr::get(type, values));
}

/// The axes of an op that takes them as an attribute before opset
/// `inputSince` and as input `inputIndex` from then on; nullopt when absent.
/// Fails when the input is given but not a constant.
FailureOr<std::optional<SmallVector<int64_t>>>
getAxes(NodeContext &ctx, int64_t inputSince, unsigned inputIndex,
        StringRef name = "axes") {
  if (ctx.opset < inputSince)
    return ctx.getOptionalInts(name);
  if (!ctx.hasInput(inputIndex))
    return std::optional<SmallVector<int64_t>>();
  FailureOr<SmallVector<int64_t>> v =
      ctx.requireConstantInts(inputIndex, ("'" + name + "'").str());
  if (failed(v))
    return failure();
  return std::optional<SmallVector<int64_t>>(*v);
}

/// Normalizes and sorts `axes` against `rank`; fails on duplicates.
FailureOr<SmallVector<int64_t>> normalizeAxes(NodeContext &ctx,
                                              ArrayRef<int64_t> axes,
                                              int64_t rank) {
  SmallVector<int64_t> out;
  for (int64_t a : axes) {
    FailureOr<int64_t> n = ctx.normalizeAxis(a, rank);
    if (failed(n))
      return failure();
    if (llvm::is_contained(out, *n))
      return ctx.fail("axis " + Twine(a) + " is repeated");
    out.push_back(*n);
  }
  llvm::sort(out);
  return out;
}

//===----------------------------------------------------------------------===//
// Shapes
//===----------------------------------------------------------------------===//

LogicalResult convertReshape(NodeContext &ctx) {
  RankedTensorType type = ctx.inputType(0);
  std::optional<SmallVector<int64_t>> spec =
      ctx.opset < 5 ? ctx.getOptionalInts("shape") : ctx.constantInts(1);
  SmallVector<int64_t> shape;
  if (spec) {
    bool allowZero = ctx.getInt("allowzero", 0);
    int64_t inferred = -1, known = 1;
    for (auto [i, d] : llvm::enumerate(*spec)) {
      if (d == 0 && !allowZero) {
        if (i >= (size_t)type.getRank())
          return ctx.fail("dimension " + Twine(i) +
                          " copies an input dimension that does not exist");
        d = type.getDimSize(i);
      }
      if (d == -1) {
        if (inferred >= 0)
          return ctx.fail("more than one dimension is -1");
        inferred = i;
        shape.push_back(1);
        continue;
      }
      if (d < 0)
        return ctx.fail("invalid dimension " + Twine(d));
      shape.push_back(d);
      known *= d;
    }
    int64_t total = type.getNumElements();
    if (inferred >= 0) {
      if (known == 0 || total % known != 0)
        return ctx.fail("cannot infer the -1 dimension of a reshape of " +
                        Twine(total) + " elements");
      shape[inferred] = total / known;
    }
  } else if (RankedTensorType t = ctx.inferredType(0)) {
    shape = llvm::to_vector(t.getShape());
  } else {
    return failed(ctx.requireConstantInts(1, "the shape")) ? failure()
                                                           : success();
  }
  if (numElements(shape) != type.getNumElements())
    return ctx.fail("cannot reshape " + Twine(type.getNumElements()) +
                    " elements to a shape of " + Twine(numElements(shape)));
  ctx.setResult(0, buildReshape(ctx.b, ctx.loc, ctx.input(0), shape),
                ctx.inputDType(0));
  return success();
}

LogicalResult convertShape(NodeContext &ctx) {
  ArrayRef<int64_t> shape = ctx.inputType(0).getShape();
  int64_t rank = shape.size();
  auto clampIndex = [&](int64_t v) {
    if (v < 0)
      v += rank;
    return std::clamp<int64_t>(v, 0, rank);
  };
  int64_t start = clampIndex(ctx.getInt("start", 0));
  int64_t end = clampIndex(ctx.getInt("end", rank));
  SmallVector<int64_t> dims;
  for (int64_t i = start; i < end; ++i)
    dims.push_back(shape[i]);
  ctx.setResult(0, i64Constant(ctx.b, ctx.loc, {(int64_t)dims.size()}, dims),
                kInt64);
  return success();
}

LogicalResult convertSize(NodeContext &ctx) {
  ctx.setResult(
      0, i64Constant(ctx.b, ctx.loc, {}, {ctx.inputType(0).getNumElements()}),
      kInt64);
  return success();
}

LogicalResult convertFlatten(NodeContext &ctx) {
  RankedTensorType type = ctx.inputType(0);
  int64_t rank = type.getRank();
  int64_t axis = ctx.getInt("axis", 1);
  if (axis < -rank || axis > rank)
    return ctx.fail("axis " + Twine(axis) + " is out of range for rank " +
                    Twine(rank));
  if (axis < 0)
    axis += rank;
  int64_t outer = numElements(type.getShape().take_front(axis));
  int64_t inner = numElements(type.getShape().drop_front(axis));
  ctx.setResult(0, buildReshape(ctx.b, ctx.loc, ctx.input(0), {outer, inner}),
                ctx.inputDType(0));
  return success();
}

LogicalResult convertSqueeze(NodeContext &ctx) {
  RankedTensorType type = ctx.inputType(0);
  FailureOr<std::optional<SmallVector<int64_t>>> axes = getAxes(ctx, 13, 1);
  if (failed(axes))
    return failure();
  SmallVector<int64_t> squeezed;
  if (*axes) {
    FailureOr<SmallVector<int64_t>> n =
        normalizeAxes(ctx, **axes, type.getRank());
    if (failed(n))
      return failure();
    for (int64_t a : *n)
      if (type.getDimSize(a) != 1)
        return ctx.fail("cannot squeeze axis " + Twine(a) + " of size " +
                        Twine(type.getDimSize(a)));
    squeezed = *n;
  } else {
    for (int64_t d = 0; d < type.getRank(); ++d)
      if (type.getDimSize(d) == 1)
        squeezed.push_back(d);
  }
  SmallVector<int64_t> shape;
  for (int64_t d = 0; d < type.getRank(); ++d)
    if (!llvm::is_contained(squeezed, d))
      shape.push_back(type.getDimSize(d));
  ctx.setResult(0, buildReshape(ctx.b, ctx.loc, ctx.input(0), shape),
                ctx.inputDType(0));
  return success();
}

LogicalResult convertUnsqueeze(NodeContext &ctx) {
  RankedTensorType type = ctx.inputType(0);
  FailureOr<std::optional<SmallVector<int64_t>>> axes = getAxes(ctx, 13, 1);
  if (failed(axes))
    return failure();
  if (!*axes)
    return ctx.fail("requires 'axes'");
  int64_t rank = type.getRank() + (*axes)->size();
  FailureOr<SmallVector<int64_t>> n = normalizeAxes(ctx, **axes, rank);
  if (failed(n))
    return failure();
  SmallVector<int64_t> shape;
  int64_t next = 0;
  for (int64_t d = 0; d < rank; ++d)
    shape.push_back(llvm::is_contained(*n, d) ? 1 : type.getDimSize(next++));
  ctx.setResult(0, buildReshape(ctx.b, ctx.loc, ctx.input(0), shape),
                ctx.inputDType(0));
  return success();
}

LogicalResult convertTranspose(NodeContext &ctx) {
  int64_t rank = ctx.inputRank(0);
  SmallVector<int64_t> perm = ctx.getInts("perm");
  if (!ctx.hasAttr("perm"))
    for (int64_t d = rank - 1; d >= 0; --d)
      perm.push_back(d);
  SmallVector<int64_t> sorted(perm);
  llvm::sort(sorted);
  if (sorted != identityTable(rank))
    return ctx.fail("'perm' is not a permutation of the " + Twine(rank) +
                    " dimensions");
  ctx.setResult(0, buildTranspose(ctx.b, ctx.loc, ctx.input(0), perm),
                ctx.inputDType(0));
  return success();
}

//===----------------------------------------------------------------------===//
// Concat, Split, Slice
//===----------------------------------------------------------------------===//

LogicalResult convertConcat(NodeContext &ctx) {
  SmallVector<Value> inputs;
  for (unsigned i = 0; i < ctx.numInputs(); ++i)
    if (ctx.hasInput(i))
      inputs.push_back(ctx.input(i));
  if (inputs.empty())
    return ctx.fail("expects at least one input");
  auto first = cast<RankedTensorType>(inputs[0].getType());
  int64_t rank = first.getRank();
  // Concat-1 defaults to axis 1; later versions require the attribute.
  FailureOr<int64_t> axis =
      ctx.normalizeAxis(ctx.getInt("axis", ctx.opset < 4 ? 1 : 0), rank);
  if (failed(axis))
    return failure();
  SmallVector<int64_t> shape(first.getShape());
  shape[*axis] = 0;
  SmallVector<Value> nonEmpty;
  bool allConstant = true;
  for (Value v : inputs) {
    auto t = cast<RankedTensorType>(v.getType());
    if (t.getRank() != rank || t.getElementType() != first.getElementType())
      return ctx.fail("inputs differ in rank or element type");
    for (int64_t d = 0; d < rank; ++d)
      if (d != *axis && t.getDimSize(d) != first.getDimSize(d))
        return ctx.fail("inputs differ in dimension " + Twine(d));
    shape[*axis] += t.getDimSize(*axis);
    if (t.getNumElements() == 0)
      continue;
    nonEmpty.push_back(v);
    allConstant &= (bool)getConstantValue(v);
  }
  auto type = RankedTensorType::get(shape, first.getElementType());
  Value result;
  if (numElements(shape) == 0) {
    result = arith::ConstantOp::create(
        ctx.b, ctx.loc, DenseElementsAttr::get(type, ArrayRef<Attribute>{}));
  } else if (nonEmpty.size() == 1) {
    result = nonEmpty[0];
  } else if (allConstant && numElements(shape) <= kFoldLimit) {
    // Row-major: for each outer index, the inputs' inner blocks in order.
    int64_t outer = numElements(ArrayRef<int64_t>(shape).take_front(*axis));
    SmallVector<SmallVector<Attribute>> values;
    SmallVector<int64_t> blocks;
    for (Value v : nonEmpty) {
      DenseElementsAttr a = getConstantValue(v);
      values.emplace_back(a.getValues<Attribute>().begin(),
                          a.getValues<Attribute>().end());
      blocks.push_back(a.getNumElements() / outer);
    }
    SmallVector<Attribute> out;
    for (int64_t o = 0; o < outer; ++o)
      for (size_t k = 0; k < values.size(); ++k)
        out.append(values[k].begin() + o * blocks[k],
                   values[k].begin() + (o + 1) * blocks[k]);
    result = arith::ConstantOp::create(ctx.b, ctx.loc,
                                       DenseElementsAttr::get(type, out));
  } else {
    result = tensor::ConcatOp::create(ctx.b, ctx.loc, type, *axis, nonEmpty);
  }
  ctx.setResult(0, result, ctx.inputDType(0));
  return success();
}

LogicalResult convertSplit(NodeContext &ctx) {
  RankedTensorType type = ctx.inputType(0);
  FailureOr<int64_t> axis =
      ctx.normalizeAxis(ctx.getInt("axis", 0), type.getRank());
  if (failed(axis))
    return failure();
  int64_t dim = type.getDimSize(*axis);
  int64_t n = ctx.numOutputs();
  SmallVector<int64_t> sizes;
  if (ctx.opset < 13 && ctx.hasAttr("split")) {
    sizes = ctx.getInts("split");
  } else if (ctx.opset >= 13 && ctx.hasInput(1) &&
             ctx.inputType(1).getNumElements() != 0) {
    FailureOr<SmallVector<int64_t>> s = ctx.requireConstantInts(1, "'split'");
    if (failed(s))
      return failure();
    sizes = *s;
  } else if (ctx.opset < 2 && ctx.hasInput(1)) {
    FailureOr<SmallVector<int64_t>> s = ctx.requireConstantInts(1, "'split'");
    if (failed(s))
      return failure();
    sizes = *s;
  } else {
    if (ctx.opset >= 18) {
      std::optional<int64_t> num = ctx.getOptionalInt("num_outputs");
      if (!num)
        return ctx.fail("needs 'split' or 'num_outputs'");
      n = *num;
    }
    // Equal parts; from opset 18 the last may be smaller.
    int64_t chunk = (dim + n - 1) / n;
    if (ctx.opset < 18 && dim % n != 0)
      return ctx.fail("dimension " + Twine(dim) + " does not split into " +
                      Twine(n) + " equal parts");
    for (int64_t i = 0, left = dim; i < n; ++i, left -= chunk)
      sizes.push_back(std::max<int64_t>(0, std::min(chunk, left)));
  }
  if ((int64_t)sizes.size() != (int64_t)ctx.numOutputs())
    return ctx.fail("has " + Twine(ctx.numOutputs()) + " outputs but " +
                    Twine(sizes.size()) + " split sizes");
  int64_t total = 0;
  for (int64_t s : sizes) {
    if (s < 0)
      return ctx.fail("negative split size");
    total += s;
  }
  if (total != dim)
    return ctx.fail("split sizes sum to " + Twine(total) + ", not " +
                    Twine(dim));
  int64_t offset = 0;
  for (auto [i, s] : llvm::enumerate(sizes)) {
    SmallVector<AxisTable> tables;
    for (int64_t d = 0; d < type.getRank(); ++d)
      tables.push_back(identityTable(type.getDimSize(d)));
    for (int64_t k = 0; k < s; ++k)
      tables[*axis][k] = offset + k;
    tables[*axis].resize(s);
    offset += s;
    if (ctx.hasOutput(i))
      ctx.setResult(i, buildAxisGather(ctx.b, ctx.loc, ctx.input(0), tables),
                    ctx.inputDType(0));
  }
  return success();
}

LogicalResult convertSlice(NodeContext &ctx) {
  RankedTensorType type = ctx.inputType(0);
  int64_t rank = type.getRank();
  SmallVector<int64_t> starts, ends, axes, steps;
  if (ctx.opset < 10) {
    starts = ctx.getInts("starts");
    ends = ctx.getInts("ends");
    axes = ctx.getInts("axes");
  } else {
    FailureOr<SmallVector<int64_t>> s = ctx.requireConstantInts(1, "'starts'");
    if (failed(s))
      return failure();
    FailureOr<SmallVector<int64_t>> e = ctx.requireConstantInts(2, "'ends'");
    if (failed(e))
      return failure();
    starts = *s;
    ends = *e;
    if (ctx.hasInput(3)) {
      FailureOr<SmallVector<int64_t>> a = ctx.requireConstantInts(3, "'axes'");
      if (failed(a))
        return failure();
      axes = *a;
    }
    if (ctx.hasInput(4)) {
      FailureOr<SmallVector<int64_t>> st =
          ctx.requireConstantInts(4, "'steps'");
      if (failed(st))
        return failure();
      steps = *st;
    }
  }
  if (axes.empty())
    for (size_t i = 0; i < starts.size(); ++i)
      axes.push_back(i);
  if (steps.empty())
    steps.assign(starts.size(), 1);
  if (ends.size() != starts.size() || axes.size() != starts.size() ||
      steps.size() != starts.size())
    return ctx.fail("starts, ends, axes and steps differ in length");
  SmallVector<AxisTable> tables;
  for (int64_t d = 0; d < rank; ++d)
    tables.push_back(identityTable(type.getDimSize(d)));
  SmallVector<int64_t> seen;
  for (size_t i = 0; i < starts.size(); ++i) {
    FailureOr<int64_t> axis = ctx.normalizeAxis(axes[i], rank);
    if (failed(axis))
      return failure();
    if (llvm::is_contained(seen, *axis))
      return ctx.fail("axis " + Twine(*axis) + " is repeated");
    seen.push_back(*axis);
    int64_t dim = type.getDimSize(*axis), step = steps[i];
    if (step == 0)
      return ctx.fail("step is 0");
    // Large magnitudes (INT64_MAX) mean "to the end"; clamp before adding.
    int64_t start = std::clamp<int64_t>(starts[i], -dim - 1, dim + 1);
    int64_t end = std::clamp<int64_t>(ends[i], -dim - 1, dim + 1);
    if (start < 0)
      start += dim;
    if (end < 0)
      end += dim;
    if (step > 0) {
      start = std::clamp<int64_t>(start, 0, dim);
      end = std::clamp<int64_t>(end, 0, dim);
    } else {
      start = std::clamp<int64_t>(start, 0, dim - 1);
      end = std::clamp<int64_t>(end, -1, dim - 1);
    }
    AxisTable &t = tables[*axis];
    t.clear();
    for (int64_t j = start; step > 0 ? j < end : j > end; j += step)
      t.push_back(j);
  }
  ctx.setResult(0, buildAxisGather(ctx.b, ctx.loc, ctx.input(0), tables),
                ctx.inputDType(0));
  return success();
}

//===----------------------------------------------------------------------===//
// Expand, Tile, Pad
//===----------------------------------------------------------------------===//

LogicalResult convertExpand(NodeContext &ctx) {
  FailureOr<SmallVector<int64_t>> shape =
      ctx.requireConstantInts(1, "the shape");
  if (failed(shape))
    return failure();
  RankedTensorType type = ctx.inputType(0);
  std::optional<SmallVector<int64_t>> out =
      broadcastShapes({type.getShape(), *shape});
  if (!out)
    return ctx.fail("the input does not broadcast to the shape");
  ctx.setResult(0,
                buildElementwise(ctx.b, ctx.loc, *out, type.getElementType(),
                                 ctx.input(0),
                                 [](OpBuilder &, Location, ValueRange a) {
                                   return a[0];
                                 }),
                ctx.inputDType(0));
  return success();
}

LogicalResult convertTile(NodeContext &ctx) {
  RankedTensorType type = ctx.inputType(0);
  int64_t rank = type.getRank();
  FailureOr<SmallVector<int64_t>> repeats =
      ctx.requireConstantInts(1, "'repeats'");
  if (failed(repeats))
    return failure();
  if ((int64_t)repeats->size() != rank)
    return ctx.fail("'repeats' has " + Twine(repeats->size()) +
                    " entries for rank " + Twine(rank));
  Value input = ctx.input(0);
  SmallVector<int64_t> shape;
  for (int64_t d = 0; d < rank; ++d) {
    if ((*repeats)[d] < 0)
      return ctx.fail("negative repeat");
    shape.push_back(type.getDimSize(d) * (*repeats)[d]);
  }
  Value result;
  if (getConstantValue(input) || numElements(shape) == 0) {
    SmallVector<AxisTable> tables;
    for (int64_t d = 0; d < rank; ++d) {
      AxisTable t;
      for (int64_t i = 0; i < shape[d]; ++i)
        t.push_back(i % type.getDimSize(d));
      tables.push_back(t);
    }
    result = buildAxisGather(ctx.b, ctx.loc, input, tables);
  } else {
    // Broadcast to [r0, d0, r1, d1, ...], then merge each pair.
    SmallVector<int64_t> wide;
    SmallVector<AffineExpr> exprs;
    for (int64_t d = 0; d < rank; ++d) {
      wide.push_back((*repeats)[d]);
      wide.push_back(type.getDimSize(d));
      exprs.push_back(ctx.b.getAffineDimExpr(2 * d + 1));
    }
    AffineMap map = AffineMap::get(2 * rank, 0, exprs, ctx.b.getContext());
    Value broadcast = buildIndexGeneric(
        ctx.b, ctx.loc, wide, type.getElementType(), input, map,
        [](OpBuilder &, Location, ValueRange, ValueRange a) { return a[0]; });
    result = buildReshape(ctx.b, ctx.loc, broadcast, shape);
  }
  ctx.setResult(0, result, ctx.inputDType(0));
  return success();
}

LogicalResult convertPad(NodeContext &ctx) {
  RankedTensorType type = ctx.inputType(0);
  int64_t rank = type.getRank();
  Type element = type.getElementType();
  std::string mode = ctx.getString("mode", "constant");
  SmallVector<int64_t> pads;
  TypedAttr padValue = cast<TypedAttr>(ctx.b.getZeroAttr(element));
  SmallVector<int64_t> axes;
  if (ctx.opset < 11) {
    pads = ctx.getInts(ctx.opset < 2 ? "paddings" : "pads");
    padValue = scalarAttr(element, ctx.getFloat("value", 0));
  } else {
    FailureOr<SmallVector<int64_t>> p = ctx.requireConstantInts(1, "'pads'");
    if (failed(p))
      return failure();
    pads = *p;
    if (ctx.hasInput(2)) {
      std::optional<DenseElementsAttr> v = ctx.constantInput(2);
      if (!v)
        return ctx.fail("the constant value (input 2) must be a "
                        "compile-time constant");
      if (v->getNumElements() == 1)
        padValue = cast<TypedAttr>(*v->value_begin<Attribute>());
      else if (v->getNumElements() != 0)
        return ctx.fail("the constant value must be a scalar");
    }
    if (ctx.hasInput(3)) {
      FailureOr<SmallVector<int64_t>> a = ctx.requireConstantInts(3, "'axes'");
      if (failed(a))
        return failure();
      for (int64_t axis : *a) {
        FailureOr<int64_t> n = ctx.normalizeAxis(axis, rank);
        if (failed(n))
          return failure();
        axes.push_back(*n);
      }
    }
  }
  if (axes.empty())
    for (int64_t d = 0; d < rank; ++d)
      axes.push_back(d);
  if (pads.size() != 2 * axes.size())
    return ctx.fail("expects " + Twine(2 * axes.size()) + " pads, got " +
                    Twine(pads.size()));
  if (mode != "constant" && mode != "reflect" && mode != "edge" &&
      mode != "wrap")
    return ctx.fail("unsupported mode '" + mode + "'");
  SmallVector<AxisTable> tables;
  for (int64_t d = 0; d < rank; ++d)
    tables.push_back(identityTable(type.getDimSize(d)));
  int64_t n = axes.size();
  for (int64_t i = 0; i < n; ++i) {
    int64_t d = axes[i], lo = pads[i], hi = pads[n + i];
    int64_t dim = type.getDimSize(d);
    int64_t size = dim + lo + hi;
    if (size < 0)
      return ctx.fail("pads remove more than the whole axis " + Twine(d));
    if (dim == 0 && size > 0 && mode != "constant")
      return ctx.fail("cannot pad an empty axis in mode '" + mode + "'");
    AxisTable &t = tables[d];
    t.clear();
    for (int64_t o = 0; o < size; ++o) {
      int64_t j = o - lo;
      if (j < 0 || j >= dim) {
        if (mode == "constant") {
          j = -1;
        } else if (mode == "edge") {
          j = std::clamp<int64_t>(j, 0, dim - 1);
        } else if (mode == "wrap") {
          j = ((j % dim) + dim) % dim;
        } else if (dim == 1) {
          j = 0;
        } else {
          int64_t period = 2 * (dim - 1);
          j = ((j % period) + period) % period;
          if (j >= dim)
            j = period - j;
        }
      }
      t.push_back(j);
    }
  }
  ctx.setResult(0,
                buildAxisGather(ctx.b, ctx.loc, ctx.input(0), tables, padValue),
                ctx.inputDType(0));
  return success();
}

//===----------------------------------------------------------------------===//
// DepthToSpace, SpaceToDepth
//===----------------------------------------------------------------------===//

LogicalResult convertDepthToSpace(NodeContext &ctx) {
  RankedTensorType type = ctx.inputType(0);
  if (type.getRank() != 4)
    return ctx.fail("expects a 4-D input");
  int64_t bs = ctx.getInt("blocksize", 0);
  int64_t n = type.getDimSize(0), c = type.getDimSize(1),
          h = type.getDimSize(2), w = type.getDimSize(3);
  if (bs <= 0 || c % (bs * bs) != 0)
    return ctx.fail("channels are not a multiple of blocksize^2");
  std::string mode = ctx.getString("mode", "DCR");
  Value v;
  if (mode == "DCR") {
    v = buildReshape(ctx.b, ctx.loc, ctx.input(0),
                     {n, bs, bs, c / (bs * bs), h, w});
    v = buildTranspose(ctx.b, ctx.loc, v, {0, 3, 4, 1, 5, 2});
  } else if (mode == "CRD") {
    v = buildReshape(ctx.b, ctx.loc, ctx.input(0),
                     {n, c / (bs * bs), bs, bs, h, w});
    v = buildTranspose(ctx.b, ctx.loc, v, {0, 1, 4, 2, 5, 3});
  } else {
    return ctx.fail("unsupported mode '" + mode + "'");
  }
  v = buildReshape(ctx.b, ctx.loc, v, {n, c / (bs * bs), h * bs, w * bs});
  ctx.setResult(0, v, ctx.inputDType(0));
  return success();
}

LogicalResult convertSpaceToDepth(NodeContext &ctx) {
  RankedTensorType type = ctx.inputType(0);
  if (type.getRank() != 4)
    return ctx.fail("expects a 4-D input");
  int64_t bs = ctx.getInt("blocksize", 0);
  int64_t n = type.getDimSize(0), c = type.getDimSize(1),
          h = type.getDimSize(2), w = type.getDimSize(3);
  if (bs <= 0 || h % bs != 0 || w % bs != 0)
    return ctx.fail("height and width are not multiples of blocksize");
  Value v = buildReshape(ctx.b, ctx.loc, ctx.input(0),
                         {n, c, h / bs, bs, w / bs, bs});
  v = buildTranspose(ctx.b, ctx.loc, v, {0, 3, 5, 1, 2, 4});
  v = buildReshape(ctx.b, ctx.loc, v, {n, c * bs * bs, h / bs, w / bs});
  ctx.setResult(0, v, ctx.inputDType(0));
  return success();
}

//===----------------------------------------------------------------------===//
// Trilu, Dropout
//===----------------------------------------------------------------------===//

LogicalResult convertTrilu(NodeContext &ctx) {
  RankedTensorType type = ctx.inputType(0);
  int64_t rank = type.getRank();
  if (rank < 2)
    return ctx.fail("expects a rank >= 2 input");
  int64_t k = 0;
  if (ctx.hasInput(1)) {
    FailureOr<SmallVector<int64_t>> kv = ctx.requireConstantInts(1, "'k'");
    if (failed(kv))
      return failure();
    if (kv->size() != 1)
      return ctx.fail("'k' must be a scalar");
    k = (*kv)[0];
  }
  bool upper = ctx.getInt("upper", 1);
  Type element = type.getElementType();
  AffineMap identity =
      AffineMap::getMultiDimIdentityMap(rank, ctx.b.getContext());
  Value result = buildIndexGeneric(
      ctx.b, ctx.loc, type.getShape(), element, ctx.input(0), identity,
      [&](OpBuilder &b, Location loc, ValueRange idx, ValueRange args) {
        // Keep j - i >= k (upper) or j - i <= k (lower).
        Value diff = arith::SubIOp::create(b, loc, idx[rank - 1], idx[rank - 2]);
        Value keep = arith::CmpIOp::create(
            b, loc, upper ? arith::CmpIPredicate::sge : arith::CmpIPredicate::sle,
            diff, indexConstant(b, loc, k));
        Value zero = arith::ConstantOp::create(
            b, loc, cast<TypedAttr>(b.getZeroAttr(element)));
        return arith::SelectOp::create(b, loc, keep, args[0], zero);
      });
  ctx.setResult(0, result, ctx.inputDType(0));
  return success();
}

LogicalResult convertDropout(NodeContext &ctx) {
  if (ctx.opset < 7 && ctx.getInt("is_test", 0) == 0)
    return ctx.fail("training-mode Dropout (is_test = 0) is random; quantc "
                    "compiles inference graphs");
  if (ctx.opset >= 12 && ctx.hasInput(2)) {
    // Training mode drops at random unless the ratio is 0; with ratio 0 the
    // mode does not matter.
    std::optional<SmallVector<int64_t>> training = ctx.constantInts(2);
    bool maybeTraining = !training || llvm::any_of(*training, [](int64_t t) {
      return t != 0;
    });
    if (maybeTraining) {
      std::optional<double> ratio = 0.5;
      if (ctx.hasInput(1)) {
        std::optional<DenseElementsAttr> r = ctx.constantInput(1);
        ratio.reset();
        if (r && r->getNumElements() == 1)
          ratio =
              cast<FloatAttr>(*r->value_begin<Attribute>()).getValueAsDouble();
      }
      if (ratio != 0.0)
        return ctx.fail(training ? "training-mode Dropout with a nonzero ratio "
                                   "is random; quantc compiles inference graphs"
                                 : "'training_mode' must be a compile-time "
                                   "constant (or 'ratio' a constant 0)");
    }
  }
  RankedTensorType type = ctx.inputType(0);
  ctx.setResult(0, ctx.input(0), ctx.inputDType(0));
  if (ctx.hasOutput(1)) {
    // Nothing is dropped: the mask keeps everything.
    int32_t dtype = ctx.opset >= 10 ? kBool : ctx.inputDType(0);
    Type element = getElementType(ctx.b.getContext(), dtype);
    ctx.setResult(1,
                  buildFilled(ctx.b, ctx.loc, type.getShape(), element,
                              scalarAttr(element, 1)),
                  dtype);
  }
  return success();
}

} // namespace

void quantc::onnx_import::registerTensorOps(OpRegistry &r) {
  r.add("Reshape", convertReshape);
  r.add("Shape", convertShape);
  r.add("Size", convertSize);
  r.add("Flatten", convertFlatten);
  r.add("Squeeze", convertSqueeze);
  r.add("Unsqueeze", convertUnsqueeze);
  r.add("Transpose", convertTranspose);
  r.add("Concat", convertConcat);
  r.add("Split", convertSplit);
  r.add("Slice", convertSlice);
  r.add("Expand", convertExpand);
  // Tile-1 took (input, tiles, axis); only the repeats form is supported.
  r.add("", "Tile", 6, convertTile);
  r.add("Pad", convertPad);
  r.add("DepthToSpace", convertDepthToSpace);
  r.add("SpaceToDepth", convertSpaceToDepth);
  r.add("Trilu", convertTrilu);
  r.add("Dropout", convertDropout);
  registerResizeOps(r);
}
