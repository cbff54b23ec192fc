//===- Conv.cpp - ONNX convolutions ---------------------------------------===//
//
// Part of quantc.
//
// Conv on linalg's named convolutions where one fits (conv_1d_ncw_fcw,
// conv_2d_nchw_fchw, conv_3d_ncdhw_fcdhw, depthwise_conv_2d_nchw_chw,
// conv_2d_ngchw_gfchw), else on one linalg.generic over (n, g, m, out...,
// c, kernel...). Padding is a tensor.pad in front. ConvTranspose becomes a
// stride-1 Conv of the input spread out by the strides (tensor.insert_slice
// with strides) against the flipped, channel-swapped kernel. ConvInteger and
// QLinearConv widen and re-centre their operands to i32 and accumulate in
// i32; QLinearConv requantizes with per-tensor or per-channel weight scales.
//
//===----------------------------------------------------------------------===//

#include "Builders.h"
#include "Importer.h"
#include "NN.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace quantc::onnx_import;

namespace {

/// A convolution of the already padded `x` [N, C, S...] with `w`
/// [M, C/group, K...], accumulating in the element type of both.
Value buildConvCore(OpBuilder &b, Location loc, Value x, Value w,
                    int64_t group, ArrayRef<int64_t> strides,
                    ArrayRef<int64_t> dilations) {
  auto xType = cast<RankedTensorType>(x.getType());
  auto wType = cast<RankedTensorType>(w.getType());
  Type element = xType.getElementType();
  int64_t rank = xType.getRank(), n = rank - 2;
  int64_t batch = xType.getDimSize(0), c = xType.getDimSize(1);
  int64_t m = wType.getDimSize(0);
  SmallVector<int64_t> outShape = {batch, m};
  for (int64_t i = 0; i < n; ++i) {
    int64_t dk = (wType.getDimSize(2 + i) - 1) * dilations[i] + 1;
    outShape.push_back((xType.getDimSize(2 + i) - dk) / strides[i] + 1);
  }
  auto zeroInit = [&](ArrayRef<int64_t> shape) -> Value {
    Value empty = buildEmpty(b, loc, shape, element);
    return linalg::FillOp::create(b, loc,
                                  scalarConstant(b, loc, element, 0), empty)
        .getResult(0);
  };
  Attribute stridesAttr = b.getI64TensorAttr(strides);
  Attribute dilationsAttr = b.getI64TensorAttr(dilations);
  if (group == 1) {
    Value init = zeroInit(outShape);
    SmallVector<Type> types = {init.getType()};
    SmallVector<Value> ins = {x, w}, outs = {init};
    if (n == 1)
      return linalg::Conv1DNcwFcwOp::create(b, loc, types, ins, outs,
                                            stridesAttr, dilationsAttr)
          .getResult(0);
    if (n == 2)
      return linalg::Conv2DNchwFchwOp::create(b, loc, types, ins, outs,
                                              stridesAttr, dilationsAttr)
          .getResult(0);
    if (n == 3)
      return linalg::Conv3DNcdhwFcdhwOp::create(b, loc, types, ins, outs,
                                                stridesAttr, dilationsAttr)
          .getResult(0);
  }
  int64_t cg = c / group, mg = m / group;
  if (n == 2 && group == c && m == c) {
    Value init = zeroInit(outShape);
    Value filter = buildReshape(
        b, loc, w, {c, wType.getDimSize(2), wType.getDimSize(3)});
    return linalg::DepthwiseConv2DNchwChwOp::create(
               b, loc, TypeRange{init.getType()}, ValueRange{x, filter},
               ValueRange{init}, stridesAttr, dilationsAttr)
        .getResult(0);
  }
  // Grouped: [N, G, C/G, S...] x [G, M/G, C/G, K...] -> [N, G, M/G, O...].
  SmallVector<int64_t> xg = {batch, group, cg}, wg = {group, mg, cg},
                       og = {batch, group, mg};
  for (int64_t i = 0; i < n; ++i) {
    xg.push_back(xType.getDimSize(2 + i));
    wg.push_back(wType.getDimSize(2 + i));
    og.push_back(outShape[2 + i]);
  }
  Value xr = buildReshape(b, loc, x, xg);
  Value wr = buildReshape(b, loc, w, wg);
  Value init = zeroInit(og);
  Value result;
  if (n == 2) {
    result = linalg::Conv2DNgchwGfchwOp::create(
                 b, loc, TypeRange{init.getType()}, ValueRange{xr, wr},
                 ValueRange{init}, stridesAttr, dilationsAttr)
                 .getResult(0);
  } else {
    // Loops: n, g, m, o_0..o_{n-1}, c, k_0..k_{n-1}.
    MLIRContext *ctx = b.getContext();
    int64_t numLoops = 4 + 2 * n;
    auto d = [&](int64_t i) { return getAffineDimExpr(i, ctx); };
    SmallVector<AffineExpr> xe = {d(0), d(1), d(3 + n)}, we = {d(1), d(2),
                                                              d(3 + n)},
                            oe = {d(0), d(1), d(2)};
    for (int64_t i = 0; i < n; ++i) {
      xe.push_back(d(3 + i) * strides[i] + d(4 + n + i) * dilations[i]);
      we.push_back(d(4 + n + i));
      oe.push_back(d(3 + i));
    }
    SmallVector<AffineMap> maps = {AffineMap::get(numLoops, 0, xe, ctx),
                                   AffineMap::get(numLoops, 0, we, ctx),
                                   AffineMap::get(numLoops, 0, oe, ctx)};
    SmallVector<utils::IteratorType> iterators(numLoops,
                                               utils::IteratorType::parallel);
    for (int64_t i = 3 + n; i < numLoops; ++i)
      iterators[i] = utils::IteratorType::reduction;
    result = linalg::GenericOp::create(
                 b, loc, TypeRange{init.getType()}, ValueRange{xr, wr},
                 ValueRange{init}, maps, iterators,
                 [](OpBuilder &nb, Location nl, ValueRange args) {
                   Value p = buildMul(nb, nl, args[0], args[1]);
                   linalg::YieldOp::create(nb, nl,
                                           buildAdd(nb, nl, args[2], p));
                 })
                 .getResult(0);
  }
  return buildReshape(b, loc, result, outShape);
}

/// A per-output-channel tensor [M] as [M, 1, ..., 1] for an output of `rank`.
Value perChannel(OpBuilder &b, Location loc, Value v, int64_t rank) {
  return alignToAxis(b, loc, v, 1, rank);
}

struct ConvOperands {
  Value x, w;
  int64_t group;
  WindowGeometry geom;
};

/// Checks shapes, reads the geometry and pads `x` with `padValue`.
FailureOr<ConvOperands> prepareConv(NodeContext &ctx, Value x, Value w,
                                    TypedAttr padValue) {
  auto xType = cast<RankedTensorType>(x.getType());
  auto wType = cast<RankedTensorType>(w.getType());
  int64_t rank = xType.getRank();
  if (rank < 3 || rank > 5 || wType.getRank() != rank)
    return ctx.fail("expects 1-D to 3-D convolutions (X and W of rank 3-5)");
  int64_t group = ctx.getInt("group", 1);
  int64_t c = xType.getDimSize(1), m = wType.getDimSize(0);
  if (group < 1 || c % group || m % group || wType.getDimSize(1) != c / group)
    return ctx.fail(Twine("channels (X: ") + Twine(c) + ", W: " + Twine(m) +
                    "x" + Twine(wType.getDimSize(1)) +
                    ") do not match group=" + Twine(group));
  FailureOr<WindowGeometry> geom = getWindowGeometry(
      ctx, xType.getShape().drop_front(2), wType.getShape().drop_front(2),
      false);
  if (failed(geom))
    return failure();
  for (int64_t i = 0; i < rank - 2; ++i)
    if (geom->kernel[i] != wType.getDimSize(2 + i))
      return ctx.fail("kernel_shape does not match W");
  SmallVector<int64_t> low = {0, 0}, high = {0, 0};
  low.append(geom->padsBegin);
  high.append(geom->padsEnd);
  x = buildPad(ctx.b, ctx.loc, x, low, high, padValue);
  return ConvOperands{x, w, group, *geom};
}

Value addBias(OpBuilder &b, Location loc, Value y, Value bias) {
  auto type = cast<RankedTensorType>(y.getType());
  Value aligned = perChannel(b, loc, bias, type.getRank());
  return buildElementwise(b, loc, type.getShape(), type.getElementType(),
                          {y, aligned},
                          [](OpBuilder &nb, Location nl, ValueRange args) {
                            return buildAdd(nb, nl, args[0], args[1]);
                          });
}

LogicalResult convertConv(NodeContext &ctx) {
  Type element = ctx.inputType(0).getElementType();
  if (!isa<FloatType>(element) ||
      ctx.inputType(1).getElementType() != element)
    return ctx.fail("expects floating-point X and W of the same type");
  FailureOr<ConvOperands> ops = prepareConv(
      ctx, ctx.input(0), ctx.input(1), scalarAttr(element, 0));
  if (failed(ops))
    return failure();
  Value y = buildConvCore(ctx.b, ctx.loc, ops->x, ops->w, ops->group,
                          ops->geom.strides, ops->geom.dilations);
  if (ctx.hasInput(2))
    y = addBias(ctx.b, ctx.loc, y, ctx.input(2));
  ctx.setResult(0, y, ctx.inputDType(0));
  return success();
}

bool isInt8(NodeContext &ctx, unsigned i) {
  int32_t d = ctx.inputDType(i);
  return d == kUInt8 || d == kInt8;
}

/// (x - x_zp) conv (w - w_zp) in i32; zero points at `xZp`/`wZp` (absent:
/// zero), w_zp per tensor or per output channel.
FailureOr<Value> integerConv(NodeContext &ctx, unsigned xIdx, unsigned xZp,
                             unsigned wIdx, unsigned wZp) {
  if (!isInt8(ctx, xIdx) || !isInt8(ctx, wIdx))
    return ctx.fail("expects uint8 or int8 X and W");
  OpBuilder &b = ctx.b;
  int64_t rank = ctx.inputRank(xIdx);
  Value xZero, wZero;
  if (ctx.hasInput(xZp)) {
    if (ctx.inputType(xZp).getNumElements() != 1)
      return ctx.fail("x_zero_point must be a scalar");
    xZero = buildReshape(b, ctx.loc, ctx.input(xZp), {});
  }
  if (ctx.hasInput(wZp))
    wZero = alignToAxis(b, ctx.loc, ctx.input(wZp), 0, rank);
  Value x = buildCentered(b, ctx.loc, ctx.input(xIdx),
                          ctx.inputIsUnsigned(xIdx), xZero,
                          ctx.hasInput(xZp) && ctx.inputIsUnsigned(xZp));
  Value w = buildCentered(b, ctx.loc, ctx.input(wIdx),
                          ctx.inputIsUnsigned(wIdx), wZero,
                          ctx.hasInput(wZp) && ctx.inputIsUnsigned(wZp));
  // Padding holds the zero point, i.e. zero once centred.
  FailureOr<ConvOperands> ops =
      prepareConv(ctx, x, w, b.getI32IntegerAttr(0));
  if (failed(ops))
    return failure();
  return buildConvCore(b, ctx.loc, ops->x, ops->w, ops->group,
                       ops->geom.strides, ops->geom.dilations);
}

LogicalResult convertConvInteger(NodeContext &ctx) {
  FailureOr<Value> y = integerConv(ctx, 0, 2, 1, 3);
  if (failed(y))
    return failure();
  ctx.setResult(0, *y, kInt32);
  return success();
}

LogicalResult convertQLinearConv(NodeContext &ctx) {
  // x, x_scale, x_zp, w, w_scale, w_zp, y_scale, y_zp, B.
  for (unsigned i : {1u, 2u, 4u, 5u, 6u, 7u})
    if (!ctx.hasInput(i))
      return ctx.fail("expects inputs 0-7");
  if (!isInt8(ctx, 7))
    return ctx.fail("y_zero_point must be uint8 or int8");
  FailureOr<Value> acc = integerConv(ctx, 0, 2, 3, 5);
  if (failed(acc))
    return failure();
  OpBuilder &b = ctx.b;
  Location loc = ctx.loc;
  Value y = *acc;
  if (ctx.hasInput(8))
    y = addBias(b, loc, y, ctx.input(8));
  int64_t rank = ctx.inputRank(0);
  // x_scale * w_scale[m] / y_scale, per tensor or per output channel.
  Value xScale = buildReshape(b, loc, ctx.input(1), {});
  Value yScale = buildReshape(b, loc, ctx.input(6), {});
  Value wScale = perChannel(b, loc, ctx.input(4), rank);
  FailureOr<Value> scale = buildBroadcastElementwise(
      b, loc, b.getF32Type(), {xScale, wScale, yScale},
      [](OpBuilder &nb, Location nl, ValueRange s) -> Value {
        Value xw = arith::MulFOp::create(nb, nl, toF32(nb, nl, s[0]),
                                         toF32(nb, nl, s[1]));
        return arith::DivFOp::create(nb, nl, xw, toF32(nb, nl, s[2]));
      });
  if (failed(scale))
    return ctx.fail("scales do not broadcast");
  Value yZero = buildReshape(b, loc, ctx.input(7), {});
  bool isUnsigned = ctx.inputIsUnsigned(7);
  Value q = buildRequantize(b, loc, y, *scale, yZero, isUnsigned,
                            ctx.inputType(7).getElementType(), isUnsigned);
  ctx.setResult(0, q, ctx.inputDType(7));
  return success();
}

//===----------------------------------------------------------------------===//
// ConvTranspose
//===----------------------------------------------------------------------===//

int64_t floorDiv2(int64_t v) { return v >= 0 ? v / 2 : -((-v + 1) / 2); }

LogicalResult convertConvTranspose(NodeContext &ctx) {
  OpBuilder &b = ctx.b;
  Location loc = ctx.loc;
  RankedTensorType xType = ctx.inputType(0), wType = ctx.inputType(1);
  Type element = xType.getElementType();
  if (!isa<FloatType>(element) || wType.getElementType() != element)
    return ctx.fail("expects floating-point X and W of the same type");
  int64_t rank = xType.getRank(), n = rank - 2;
  if (rank < 3 || rank > 5 || wType.getRank() != rank)
    return ctx.fail("expects 1-D to 3-D convolutions (X and W of rank 3-5)");
  int64_t group = ctx.getInt("group", 1);
  int64_t c = xType.getDimSize(1), mg = wType.getDimSize(1);
  if (group < 1 || c % group || wType.getDimSize(0) != c)
    return ctx.fail("channels do not match group");
  int64_t cg = c / group, m = mg * group;
  SmallVector<int64_t> kernel(wType.getShape().drop_front(2));
  if (auto k = ctx.getOptionalInts("kernel_shape"); k && *k != kernel)
    return ctx.fail("kernel_shape does not match W");
  auto ints = [&](StringRef name, int64_t dflt) {
    return ctx.getOptionalInts(name).value_or(SmallVector<int64_t>(n, dflt));
  };
  SmallVector<int64_t> strides = ints("strides", 1);
  SmallVector<int64_t> dilations = ints("dilations", 1);
  SmallVector<int64_t> outPad = ints("output_padding", 0);
  if (strides.size() != (size_t)n || dilations.size() != (size_t)n ||
      outPad.size() != (size_t)n)
    return ctx.fail("strides/dilations/output_padding do not match the rank");
  std::string autoPad = ctx.getString("auto_pad", "NOTSET");
  std::optional<SmallVector<int64_t>> outputShape =
      ctx.getOptionalInts("output_shape");
  if (outputShape && outputShape->size() == (size_t)rank)
    outputShape = SmallVector<int64_t>(outputShape->begin() + 2,
                                       outputShape->end());
  if (outputShape && outputShape->size() != (size_t)n)
    return ctx.fail("output_shape does not match the spatial rank");
  SmallVector<int64_t> pb(n, 0), pe(n, 0);
  if (!outputShape && autoPad == "NOTSET") {
    if (auto pads = ctx.getOptionalInts("pads")) {
      if (pads->size() != (size_t)(2 * n))
        return ctx.fail("pads must hold 2 values per spatial dim");
      for (int64_t i = 0; i < n; ++i) {
        pb[i] = (*pads)[i];
        pe[i] = (*pads)[n + i];
      }
    }
  } else if (outputShape || autoPad == "SAME_UPPER" ||
             autoPad == "SAME_LOWER") {
    for (int64_t i = 0; i < n; ++i) {
      int64_t full = strides[i] * (xType.getDimSize(2 + i) - 1) + outPad[i] +
                     (kernel[i] - 1) * dilations[i] + 1;
      int64_t out = outputShape ? (*outputShape)[i]
                                : xType.getDimSize(2 + i) * strides[i];
      int64_t total = full - out;
      int64_t half = floorDiv2(total);
      if (autoPad == "SAME_UPPER") {
        pb[i] = half;
        pe[i] = total - half;
      } else {
        pb[i] = total - half;
        pe[i] = half;
      }
    }
  } else if (autoPad != "VALID") {
    return ctx.fail("unsupported auto_pad '" + autoPad + "'");
  }
  // Spread X by the strides and pad it by (k - 1) * d - pads (+ output
  // padding at the end); then a stride-1 conv with the flipped kernel.
  SmallVector<int64_t> low = {0, 0}, high = {0, 0}, spread = {xType.getDimSize(0), c};
  for (int64_t i = 0; i < n; ++i) {
    int64_t dk = (kernel[i] - 1) * dilations[i];
    low.push_back(dk - pb[i]);
    high.push_back(dk - pe[i] + outPad[i]);
    spread.push_back((xType.getDimSize(2 + i) - 1) * strides[i] + 1);
  }
  Value x = ctx.input(0);
  if (llvm::any_of(strides, [](int64_t s) { return s != 1; })) {
    Value zeros = buildFilled(b, loc, spread, element, scalarAttr(element, 0));
    SmallVector<OpFoldResult> offsets(rank, b.getIndexAttr(0)), sizes,
        steps(2, b.getIndexAttr(1));
    for (int64_t d : xType.getShape())
      sizes.push_back(b.getIndexAttr(d));
    for (int64_t s : strides)
      steps.push_back(b.getIndexAttr(s));
    x = tensor::InsertSliceOp::create(b, loc, x, zeros, offsets, sizes, steps);
  }
  x = buildPad(b, loc, x, low, high, scalarAttr(element, 0));
  // W [C, M/G, K...] -> W' [M, C/G, K...]: W'[g*Mg + m, c, k] =
  // W[g*Cg + c, m, K-1-k].
  MLIRContext *mctx = b.getContext();
  SmallVector<int64_t> wg = {group, cg, mg}, wf = {group, mg, cg};
  wg.append(kernel);
  wf.append(kernel);
  Value wr = buildReshape(b, loc, ctx.input(1), wg);
  int64_t loops = 3 + n;
  SmallVector<AffineExpr> in = {getAffineDimExpr(0, mctx),
                                getAffineDimExpr(2, mctx),
                                getAffineDimExpr(1, mctx)};
  for (int64_t i = 0; i < n; ++i)
    in.push_back(kernel[i] - 1 - getAffineDimExpr(3 + i, mctx));
  Value flippedInit = buildEmpty(b, loc, wf, element);
  Value flipped =
      linalg::GenericOp::create(
          b, loc, TypeRange{flippedInit.getType()}, ValueRange{wr},
          ValueRange{flippedInit},
          SmallVector<AffineMap>{AffineMap::get(loops, 0, in, mctx),
                                 AffineMap::getMultiDimIdentityMap(loops,
                                                                   mctx)},
          SmallVector<utils::IteratorType>(loops,
                                           utils::IteratorType::parallel),
          [](OpBuilder &nb, Location nl, ValueRange args) {
            linalg::YieldOp::create(nb, nl, args[0]);
          })
          .getResult(0);
  SmallVector<int64_t> wShape = {m, cg};
  wShape.append(kernel);
  Value w = buildReshape(b, loc, flipped, wShape);
  SmallVector<int64_t> ones(n, 1);
  Value y = buildConvCore(b, loc, x, w, group, ones, dilations);
  if (ctx.hasInput(2))
    y = addBias(b, loc, y, ctx.input(2));
  ctx.setResult(0, y, ctx.inputDType(0));
  return success();
}

} // namespace

void quantc::onnx_import::registerConvOps(OpRegistry &registry) {
  registry.add("Conv", convertConv);
  registry.add("ConvTranspose", convertConvTranspose);
  registry.add("ConvInteger", convertConvInteger);
  registry.add("QLinearConv", convertQLinearConv);
}
