//===- Normalization.cpp - ONNX normalization ops -------------------------===//
//
// Part of quantc.
//
// LayerNormalization (with its optional Mean and InvStdDev outputs),
// BatchNormalization (inference, and training mode from opset 14 with the
// running statistics), InstanceNormalization, GroupNormalization, LRN and
// MeanVarianceNormalization. Statistics are keep-dims reductions
// (Reduction.h) that broadcast back against the input.
//
//===----------------------------------------------------------------------===//

#include "Builders.h"
#include "Importer.h"
#include "Reduction.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace quantc::onnx_import;

namespace {

/// An elementwise op over broadcast `inputs` to `shape`.
Value ew(NodeContext &ctx, ArrayRef<int64_t> shape, Type element,
         ValueRange inputs, ScalarBodyFn body) {
  return buildElementwise(ctx.b, ctx.loc, shape, element, inputs, body);
}

/// 1 / sqrt(var + epsilon), elementwise.
Value invStdDev(NodeContext &ctx, Value var, double epsilon) {
  auto type = cast<RankedTensorType>(var.getType());
  Type t = type.getElementType();
  return ew(ctx, type.getShape(), t, var,
            [&](OpBuilder &b, Location loc, ValueRange a) -> Value {
              Value v = arith::AddFOp::create(b, loc, a[0],
                                              scalarConstant(b, loc, t, epsilon));
              return math::RsqrtOp::create(b, loc, v);
            });
}

/// (x - mean) * invStd [* scale + bias], all broadcast to `x`'s shape.
Value normalize(NodeContext &ctx, Value x, Value mean, Value invStd,
                Value scale = {}, Value bias = {}) {
  auto type = cast<RankedTensorType>(x.getType());
  SmallVector<Value> inputs = {x, mean, invStd};
  if (scale)
    inputs.push_back(scale);
  if (bias)
    inputs.push_back(bias);
  bool hasScale = bool(scale), hasBias = bool(bias);
  return ew(ctx, type.getShape(), type.getElementType(), inputs,
            [&](OpBuilder &b, Location loc, ValueRange a) -> Value {
              Value y = arith::MulFOp::create(
                  b, loc, arith::SubFOp::create(b, loc, a[0], a[1]), a[2]);
              unsigned next = 3;
              if (hasScale)
                y = arith::MulFOp::create(b, loc, y, a[next++]);
              if (hasBias)
                y = arith::AddFOp::create(b, loc, y, a[next++]);
              return y;
            });
}

/// A per-channel parameter [C] reshaped to [C, 1, ...] so that it
/// broadcasts against [N, C, D1, ...] of rank `rank`.
Value perChannel(NodeContext &ctx, Value param, int64_t rank) {
  auto type = cast<RankedTensorType>(param.getType());
  SmallVector<int64_t> shape = {type.getNumElements()};
  shape.append(std::max<int64_t>(rank - 2, 0), 1);
  return buildReshape(ctx.b, ctx.loc, param, shape);
}

LogicalResult checkFloat(NodeContext &ctx) {
  if (!isa<FloatType>(ctx.inputType(0).getElementType()))
    return ctx.fail("expects a floating-point input");
  for (unsigned i = 1; i < ctx.numInputs(); ++i)
    if (ctx.hasInput(i) && ctx.inputType(i).getElementType() !=
                               ctx.inputType(0).getElementType())
      return ctx.fail("input " + Twine(i) + " has element type " +
                      getDTypeName(ctx.inputDType(i)) + ", X has " +
                      getDTypeName(ctx.inputDType(0)));
  return success();
}

/// The per-channel inputs of BatchNormalization/InstanceNormalization must
/// be vectors of the channel count.
LogicalResult checkChannels(NodeContext &ctx, ArrayRef<unsigned> inputs) {
  RankedTensorType x = ctx.inputType(0);
  if (x.getRank() < 2)
    return ctx.fail("expects an input of rank >= 2 ([N, C, ...])");
  for (unsigned i : inputs)
    if (ctx.inputType(i).getShape() != ArrayRef<int64_t>{x.getDimSize(1)})
      return ctx.fail("input " + Twine(i) + " must have shape [" +
                      Twine(x.getDimSize(1)) + "]");
  return success();
}

//===----------------------------------------------------------------------===//
// LayerNormalization
//===----------------------------------------------------------------------===//

LogicalResult convertLayerNormalization(NodeContext &ctx) {
  OpBuilder &b = ctx.b;
  RankedTensorType type = ctx.inputType(0);
  int64_t rank = type.getRank();
  if (!isa<FloatType>(type.getElementType()))
    return ctx.fail("expects a floating-point input");
  FailureOr<int64_t> axis = ctx.normalizeAxis(ctx.getInt("axis", -1), rank);
  if (failed(axis))
    return failure();
  double epsilon = ctx.getFloat("epsilon", 1e-5f);
  int32_t stashType = ctx.getInt("stash_type", kFloat);
  Type stash = getElementType(b.getContext(), stashType);
  if (!stash || !isa<FloatType>(stash))
    return ctx.fail("unsupported stash_type " + Twine(stashType));
  Type element = type.getElementType();
  SmallVector<int64_t> axes;
  for (int64_t d = *axis; d < rank; ++d)
    axes.push_back(d);

  // Statistics and the normalized value in the stash type, then back to X's
  // type for the scale and bias.
  Value x = castTensor(b, ctx.loc, ctx.input(0), stash, false, false);
  auto [mean, var] = buildMoments(b, ctx.loc, x, axes);
  Value invStd = invStdDev(ctx, var, epsilon);
  Value normalized = normalize(ctx, x, mean, invStd);
  normalized = castTensor(b, ctx.loc, normalized, element, false, false);
  SmallVector<Value> inputs = {normalized, ctx.input(1)};
  if (ctx.hasInput(2))
    inputs.push_back(ctx.input(2));
  FailureOr<Value> y = buildBroadcastElementwise(
      b, ctx.loc, element, inputs,
      [](OpBuilder &nb, Location loc, ValueRange a) -> Value {
        Value v = arith::MulFOp::create(nb, loc, a[0], a[1]);
        if (a.size() > 2)
          v = arith::AddFOp::create(nb, loc, v, a[2]);
        return v;
      });
  if (failed(y) ||
      cast<RankedTensorType>(y->getType()).getShape() != type.getShape())
    return ctx.fail("Scale and B must broadcast to X's shape");
  ctx.setResult(0, *y, ctx.inputDType(0));
  if (ctx.hasOutput(1))
    ctx.setResult(1, mean, getDType(stash));
  if (ctx.hasOutput(2))
    ctx.setResult(2, invStd, getDType(stash));
  return success();
}

//===----------------------------------------------------------------------===//
// BatchNormalization
//===----------------------------------------------------------------------===//

LogicalResult convertBatchNormalization(NodeContext &ctx) {
  OpBuilder &b = ctx.b;
  if (failed(checkFloat(ctx)) || failed(checkChannels(ctx, {1, 2, 3, 4})))
    return failure();
  RankedTensorType type = ctx.inputType(0);
  int64_t rank = type.getRank();
  Type element = type.getElementType();
  double epsilon = ctx.getFloat("epsilon", 1e-5f);
  if (ctx.hasAttr("spatial") && ctx.getInt("spatial", 1) == 0)
    return ctx.fail("spatial=0 (per-activation statistics) is not supported");
  bool training = false;
  if (ctx.opset >= 14) {
    training = ctx.getInt("training_mode", 0);
  } else {
    bool statsWanted = false;
    for (unsigned i = 1; i < ctx.numOutputs(); ++i)
      statsWanted |= ctx.hasOutput(i);
    if (statsWanted || (ctx.hasAttr("is_test") && !ctx.getInt("is_test", 0)))
      return ctx.fail("training-mode BatchNormalization is supported from "
                      "opset 14 (training_mode) only");
  }
  Value scale = perChannel(ctx, ctx.input(1), rank);
  Value bias = perChannel(ctx, ctx.input(2), rank);
  if (!training) {
    Value mean = perChannel(ctx, ctx.input(3), rank);
    Value invStd = invStdDev(ctx, perChannel(ctx, ctx.input(4), rank), epsilon);
    ctx.setResult(0, normalize(ctx, ctx.input(0), mean, invStd, scale, bias),
                  ctx.inputDType(0));
    return success();
  }

  // Training: normalize with the batch statistics over every dim but C and
  // blend them into the running ones with `momentum`.
  double momentum = ctx.getFloat("momentum", 0.9f);
  SmallVector<int64_t> axes = {0};
  for (int64_t d = 2; d < rank; ++d)
    axes.push_back(d);
  auto [mean, var] = buildMoments(b, ctx.loc, ctx.input(0), axes);
  Value invStd = invStdDev(ctx, var, epsilon);
  ctx.setResult(0, normalize(ctx, ctx.input(0), mean, invStd, scale, bias),
                ctx.inputDType(0));
  int64_t channels = type.getDimSize(1);
  auto running = [&](unsigned input, Value batch) {
    Value current = buildReshape(b, ctx.loc, batch, {channels});
    return ew(ctx, {channels}, element, {ctx.input(input), current},
              [&](OpBuilder &nb, Location loc, ValueRange a) -> Value {
                Value m = scalarConstant(nb, loc, element, momentum);
                Value rest = scalarConstant(nb, loc, element, 1 - momentum);
                return arith::AddFOp::create(
                    nb, loc, arith::MulFOp::create(nb, loc, a[0], m),
                    arith::MulFOp::create(nb, loc, a[1], rest));
              });
  };
  if (ctx.hasOutput(1))
    ctx.setResult(1, running(3, mean), ctx.inputDType(3));
  if (ctx.hasOutput(2))
    ctx.setResult(2, running(4, var), ctx.inputDType(4));
  return success();
}

//===----------------------------------------------------------------------===//
// InstanceNormalization, GroupNormalization, MeanVarianceNormalization
//===----------------------------------------------------------------------===//

LogicalResult convertInstanceNormalization(NodeContext &ctx) {
  if (failed(checkFloat(ctx)) || failed(checkChannels(ctx, {1, 2})))
    return failure();
  int64_t rank = ctx.inputRank(0);
  SmallVector<int64_t> axes;
  for (int64_t d = 2; d < rank; ++d)
    axes.push_back(d);
  auto [mean, var] = buildMoments(ctx.b, ctx.loc, ctx.input(0), axes);
  Value invStd = invStdDev(ctx, var, ctx.getFloat("epsilon", 1e-5f));
  ctx.setResult(0,
                normalize(ctx, ctx.input(0), mean, invStd,
                          perChannel(ctx, ctx.input(1), rank),
                          perChannel(ctx, ctx.input(2), rank)),
                ctx.inputDType(0));
  return success();
}

/// GroupNormalization: statistics per (n, group) over the group's channels
/// and the spatial dims. Scale and bias are per group in opset 18 and per
/// channel from opset 21.
LogicalResult convertGroupNormalization(NodeContext &ctx) {
  OpBuilder &b = ctx.b;
  if (failed(checkFloat(ctx)))
    return failure();
  RankedTensorType type = ctx.inputType(0);
  int64_t rank = type.getRank();
  if (rank < 2)
    return ctx.fail("expects an input of rank >= 2 ([N, C, ...])");
  std::optional<int64_t> groups = ctx.getOptionalInt("num_groups");
  int64_t n = type.getDimSize(0), c = type.getDimSize(1);
  if (!groups || *groups <= 0 || c % *groups)
    return ctx.fail("num_groups must divide the channel count " + Twine(c));
  int64_t g = *groups;
  bool perChannelParams = ctx.opset >= 21;
  int64_t paramSize = perChannelParams ? c : g;
  for (unsigned i : {1u, 2u})
    if (ctx.inputType(i).getNumElements() != paramSize)
      return ctx.fail("input " + Twine(i) + " must have " + Twine(paramSize) +
                      " elements");
  Type element = type.getElementType();
  Type stash = element;
  if (perChannelParams) {
    stash = getElementType(b.getContext(), ctx.getInt("stash_type", kFloat));
    if (!stash || !isa<FloatType>(stash))
      return ctx.fail("unsupported stash_type");
  }
  int64_t spatial = type.getNumElements() / std::max<int64_t>(n * c, 1);
  SmallVector<int64_t> grouped = {n, g, (c / g) * spatial};
  Value x = castTensor(b, ctx.loc, ctx.input(0), stash, false, false);
  x = buildReshape(b, ctx.loc, x, grouped);
  auto [mean, var] = buildMoments(b, ctx.loc, x, {2});
  Value invStd = invStdDev(ctx, var, ctx.getFloat("epsilon", 1e-5f));
  Value y;
  if (perChannelParams) {
    y = normalize(ctx, x, mean, invStd);
    y = castTensor(b, ctx.loc, y, element, false, false);
    y = buildReshape(b, ctx.loc, y, type.getShape());
    y = ew(ctx, type.getShape(), element,
           {y, perChannel(ctx, ctx.input(1), rank),
            perChannel(ctx, ctx.input(2), rank)},
           [](OpBuilder &nb, Location loc, ValueRange a) -> Value {
             return arith::AddFOp::create(
                 nb, loc, arith::MulFOp::create(nb, loc, a[0], a[1]), a[2]);
           });
  } else {
    Value scale = buildReshape(b, ctx.loc, ctx.input(1), {g, 1});
    Value bias = buildReshape(b, ctx.loc, ctx.input(2), {g, 1});
    y = normalize(ctx, x, mean, invStd, scale, bias);
    y = buildReshape(b, ctx.loc, y, type.getShape());
  }
  ctx.setResult(0, y, ctx.inputDType(0));
  return success();
}

/// (X - E[X]) / (sqrt(E[(X - E[X])^2]) + 1e-9), as the op's function body.
LogicalResult convertMeanVarianceNormalization(NodeContext &ctx) {
  if (failed(checkFloat(ctx)))
    return failure();
  RankedTensorType type = ctx.inputType(0);
  SmallVector<int64_t> given = ctx.getOptionalInts("axes").value_or(
      SmallVector<int64_t>{0, 2, 3});
  SmallVector<int64_t> axes;
  for (int64_t a : given) {
    FailureOr<int64_t> axis = ctx.normalizeAxis(a, type.getRank());
    if (failed(axis))
      return failure();
    if (!llvm::is_contained(axes, *axis))
      axes.push_back(*axis);
  }
  llvm::sort(axes);
  auto [mean, var] = buildMoments(ctx.b, ctx.loc, ctx.input(0), axes);
  Type t = type.getElementType();
  Value y = ew(ctx, type.getShape(), t, {ctx.input(0), mean, var},
               [&](OpBuilder &b, Location loc, ValueRange a) -> Value {
                 Value std = math::SqrtOp::create(b, loc, a[2]);
                 std = arith::AddFOp::create(b, loc, std,
                                             scalarConstant(b, loc, t, 1e-9));
                 return arith::DivFOp::create(
                     b, loc, arith::SubFOp::create(b, loc, a[0], a[1]), std);
               });
  ctx.setResult(0, y, ctx.inputDType(0));
  return success();
}

//===----------------------------------------------------------------------===//
// LRN
//===----------------------------------------------------------------------===//

/// y = x / (bias + alpha / size * sum of x^2 over the `size` channels around
/// c)^beta. The squares are zero-padded along C and the window summed as
/// `size` shifted slices.
LogicalResult convertLRN(NodeContext &ctx) {
  OpBuilder &b = ctx.b;
  Location loc = ctx.loc;
  if (failed(checkFloat(ctx)))
    return failure();
  RankedTensorType type = ctx.inputType(0);
  int64_t rank = type.getRank();
  if (rank < 2)
    return ctx.fail("expects an input of rank >= 2 ([N, C, ...])");
  std::optional<int64_t> sizeAttr = ctx.getOptionalInt("size");
  if (!sizeAttr || *sizeAttr <= 0)
    return ctx.fail("missing or non-positive attribute 'size'");
  int64_t size = *sizeAttr;
  double alpha = ctx.getFloat("alpha", 1e-4f);
  double beta = ctx.getFloat("beta", 0.75f);
  double bias = ctx.getFloat("bias", 1.0f);
  Type t = type.getElementType();
  ArrayRef<int64_t> shape = type.getShape();
  int64_t before = (size - 1) / 2, after = size - 1 - before;

  Value squares = ew(ctx, shape, t, ctx.input(0),
                     [](OpBuilder &nb, Location nl, ValueRange a) -> Value {
                       return arith::MulFOp::create(nb, nl, a[0], a[0]);
                     });
  SmallVector<int64_t> paddedShape(shape);
  paddedShape[1] += before + after;
  Value padded = buildFilled(b, loc, paddedShape, t, scalarAttr(t, 0));
  SmallVector<OpFoldResult> offsets(rank, b.getIndexAttr(0));
  SmallVector<OpFoldResult> sizes, strides(rank, b.getIndexAttr(1));
  for (int64_t s : shape)
    sizes.push_back(b.getIndexAttr(s));
  offsets[1] = b.getIndexAttr(before);
  padded = tensor::InsertSliceOp::create(b, loc, squares, padded, offsets,
                                         sizes, strides);
  SmallVector<Value> window;
  for (int64_t k = 0; k < size; ++k) {
    offsets[1] = b.getIndexAttr(k);
    window.push_back(tensor::ExtractSliceOp::create(
        b, loc, RankedTensorType::get(shape, t), padded, offsets, sizes,
        strides));
  }
  window.insert(window.begin(), ctx.input(0));
  Value y = ew(ctx, shape, t, window,
               [&](OpBuilder &nb, Location nl, ValueRange a) -> Value {
                 Value sum = a[1];
                 for (Value v : a.drop_front(2))
                   sum = arith::AddFOp::create(nb, nl, sum, v);
                 Value d = arith::AddFOp::create(
                     nb, nl, scalarConstant(nb, nl, t, bias),
                     arith::MulFOp::create(
                         nb, nl, scalarConstant(nb, nl, t, alpha / size), sum));
                 d = math::PowFOp::create(nb, nl, d,
                                          scalarConstant(nb, nl, t, beta));
                 return arith::DivFOp::create(nb, nl, a[0], d);
               });
  ctx.setResult(0, y, ctx.inputDType(0));
  return success();
}

} // namespace

void quantc::onnx_import::registerNormalizationOps(OpRegistry &r) {
  r.add("LayerNormalization", convertLayerNormalization);
  r.add("BatchNormalization", convertBatchNormalization);
  r.add("InstanceNormalization", convertInstanceNormalization);
  r.add("", "GroupNormalization", 18, convertGroupNormalization);
  r.add("MeanVarianceNormalization", convertMeanVarianceNormalization);
  r.add("LRN", convertLRN);
}
