//===- Quantization.cpp - ONNX QuantizeLinear and friends -----------------===//
//
// Part of quantc.
//
// QuantizeLinear: y = saturate(round_half_even(x / scale) + zero_point),
// per tensor or per axis, as a linalg.generic on the storage type.
// DequantizeLinear: y = (x - zero_point) * scale. When the scale and zero
// point are compile-time constants (an already-quantized model),
// DequantizeLinear says so in the IR: the storage tensor is reinterpreted as
// !quant.uniform (per tensor or per axis) with quant.scast and dequantized
// with quant.dcast, which upstream --lower-quant-ops lowers exactly.
// QuantizeLinear stays arithmetic even then: quant.qcast's upstream lowering
// truncates toward zero and does not saturate, where ONNX rounds half to even
// and clamps. DynamicQuantizeLinear computes its uint8 scale and zero point
// from the input's range, as the spec's formula.
//
//===----------------------------------------------------------------------===//

#include "Builders.h"
#include "Importer.h"
#include "NN.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Quant/IR/Quant.h"
#include "mlir/Dialect/Quant/IR/QuantTypes.h"

#include <limits>

using namespace mlir;
using namespace quantc::onnx_import;

namespace {

bool isQuantStorage(int32_t dtype) {
  return dtype == kUInt8 || dtype == kInt8 || dtype == kUInt16 ||
         dtype == kInt16;
}

/// The axis along which a 1-D scale applies (opset 13+), normalized; only
/// checked when a scale is per axis.
FailureOr<int64_t> quantAxis(NodeContext &ctx, int64_t rank) {
  return ctx.normalizeAxis(ctx.getInt("axis", 1), rank);
}

/// Checks a scale or zero point against the data's shape and aligns it.
FailureOr<Value> quantParam(NodeContext &ctx, unsigned i,
                            RankedTensorType data) {
  RankedTensorType type = ctx.inputType(i);
  if (type.getNumElements() == 1)
    return buildReshape(ctx.b, ctx.loc, ctx.input(i), {});
  FailureOr<int64_t> axisOr = quantAxis(ctx, data.getRank());
  if (failed(axisOr))
    return failure();
  int64_t axis = *axisOr;
  if (type.getRank() != 1)
    return ctx.fail("blocked quantization (scales of rank > 1) is not "
                    "supported");
  if (ctx.opset < 13)
    return ctx.fail("per-axis scales need opset 13");
  if (type.getDimSize(0) != data.getDimSize(axis))
    return ctx.fail(Twine("a per-axis scale/zero point has ") +
                    Twine(type.getDimSize(0)) + " values, axis " +
                    Twine(axis) + " has " + Twine(data.getDimSize(axis)));
  return alignToAxis(ctx.b, ctx.loc, ctx.input(i), axis, data.getRank());
}

LogicalResult checkBlockSize(NodeContext &ctx) {
  if (ctx.getInt("block_size", 0) != 0)
    return ctx.fail("blocked quantization (block_size) is not supported");
  return success();
}

LogicalResult convertQuantizeLinear(NodeContext &ctx) {
  if (failed(checkBlockSize(ctx)))
    return failure();
  RankedTensorType xType = ctx.inputType(0);
  int32_t dtype = kUInt8;
  if (ctx.hasInput(2))
    dtype = ctx.inputDType(2);
  else if (ctx.hasAttr("output_dtype"))
    dtype = ctx.getInt("output_dtype", kUInt8);
  if (!isQuantStorage(dtype))
    return ctx.fail(Twine("quantizing to ") + getDTypeName(dtype) +
                    " is not supported (uint8, int8, uint16, int16 are)");
  if (!isa<FloatType>(xType.getElementType()) && ctx.inputDType(0) != kInt32)
    return ctx.fail("x must be floating point or int32");
  FailureOr<Value> scale = quantParam(ctx, 1, xType);
  if (failed(scale))
    return failure();
  Value zp;
  if (ctx.hasInput(2)) {
    FailureOr<Value> z = quantParam(ctx, 2, xType);
    if (failed(z))
      return failure();
    zp = *z;
  }
  Type storage = getElementType(ctx.b.getContext(), dtype);
  bool storageUnsigned = isUnsignedDType(dtype);
  bool xUnsigned = ctx.inputIsUnsigned(0);
  SmallVector<Value> inputs = {ctx.input(0), *scale};
  if (zp)
    inputs.push_back(zp);
  Value y = buildElementwise(
      ctx.b, ctx.loc, xType.getShape(), storage, inputs,
      [&](OpBuilder &nb, Location nl, ValueRange a) -> Value {
        Value x = toF32(nb, nl, a[0], xUnsigned);
        Value scaled = arith::DivFOp::create(nb, nl, x, toF32(nb, nl, a[1]));
        return quantizeScalar(nb, nl, scaled, a.size() > 2 ? a[2] : Value(),
                              storageUnsigned, storage, storageUnsigned);
      });
  ctx.setResult(0, y, dtype);
  return success();
}

/// The !quant.uniform type of the storage tensor `data` with constant
/// `scales` and `zeros` (one value per tensor, or one per `axis` index).
Type uniformType(RankedTensorType data, bool isUnsigned, Type expressed,
                 ArrayRef<double> scales, ArrayRef<int64_t> zeros,
                 int64_t axis, bool perAxis) {
  Type storage = data.getElementType();
  auto [lo, hi] = storageRange(storage, isUnsigned);
  unsigned flags = isUnsigned ? 0 : quant::QuantizationFlags::Signed;
  Type element;
  if (perAxis)
    element = quant::UniformQuantizedPerAxisType::get(
        flags, storage, expressed, scales, zeros, axis, (int64_t)lo,
        (int64_t)hi);
  else
    element = quant::UniformQuantizedType::get(flags, storage, expressed,
                                               scales[0], zeros[0],
                                               (int64_t)lo, (int64_t)hi);
  return RankedTensorType::get(data.getShape(), element);
}

/// quant.scast + quant.dcast when the scale and zero point are constants;
/// null otherwise.
Value dequantizeWithQuantOps(NodeContext &ctx) {
  RankedTensorType xType = ctx.inputType(0);
  int32_t dtype = ctx.inputDType(0);
  if (!isQuantStorage(dtype))
    return {};
  // Constants of the model itself (initializers, Constant nodes), not
  // graph inputs bound at compile time: those stay runtime arithmetic.
  DenseElementsAttr scale = getConstantValue(ctx.input(1));
  if (!scale)
    return {};
  SmallVector<int64_t> zeros;
  if (ctx.hasInput(2)) {
    DenseElementsAttr z = getConstantValue(ctx.input(2));
    if (!z)
      return {};
    bool zpUnsigned = ctx.inputIsUnsigned(2);
    for (const APInt &v : z.getValues<APInt>())
      zeros.push_back(zpUnsigned ? (int64_t)v.getZExtValue()
                                 : v.getSExtValue());
  }
  SmallVector<double> scales;
  for (const APFloat &s : scale.getValues<APFloat>())
    scales.push_back(s.convertToDouble());
  if (zeros.empty())
    zeros.assign(scales.size(), 0);
  if (zeros.size() != scales.size() ||
      llvm::any_of(scales, [](double s) { return !(s > 0) || std::isinf(s); }))
    return {};
  bool perAxis = scales.size() > 1;
  int64_t axis = 0;
  if (perAxis) {
    int64_t a = ctx.getInt("axis", 1);
    int64_t rank = xType.getRank();
    if (a < -rank || a >= rank || ctx.inputType(1).getRank() != 1)
      return {};
    axis = a < 0 ? a + rank : a;
    if (xType.getDimSize(axis) != (int64_t)scales.size())
      return {};
  }
  Type expressed = scale.getElementType();
  Type qType = uniformType(xType, isUnsignedDType(dtype), expressed, scales,
                           zeros, axis, perAxis);
  Value q = quant::StorageCastOp::create(ctx.b, ctx.loc, qType, ctx.input(0));
  return quant::DequantizeCastOp::create(
      ctx.b, ctx.loc, RankedTensorType::get(xType.getShape(), expressed), q);
}

LogicalResult convertDequantizeLinear(NodeContext &ctx) {
  if (failed(checkBlockSize(ctx)))
    return failure();
  RankedTensorType xType = ctx.inputType(0);
  int32_t dtype = ctx.inputDType(0);
  if (!isQuantStorage(dtype) && dtype != kInt32)
    return ctx.fail(Twine("dequantizing ") + getDTypeName(dtype) +
                    " is not supported");
  Type expressed = ctx.inputType(1).getElementType();
  if (!isa<FloatType>(expressed))
    return ctx.fail("x_scale must be floating point");
  if (Value y = dequantizeWithQuantOps(ctx)) {
    ctx.setResult(0, y, ctx.inferredDType(0) != kUndefined
                            ? ctx.inferredDType(0)
                            : getDType(expressed));
    return success();
  }
  FailureOr<Value> scale = quantParam(ctx, 1, xType);
  if (failed(scale))
    return failure();
  SmallVector<Value> inputs = {ctx.input(0), *scale};
  bool xUnsigned = ctx.inputIsUnsigned(0);
  bool zpUnsigned = ctx.hasInput(2) && ctx.inputIsUnsigned(2);
  if (ctx.hasInput(2)) {
    FailureOr<Value> z = quantParam(ctx, 2, xType);
    if (failed(z))
      return failure();
    inputs.push_back(*z);
  }
  Value y = buildElementwise(
      ctx.b, ctx.loc, xType.getShape(), expressed, inputs,
      [&](OpBuilder &nb, Location nl, ValueRange a) -> Value {
        Type i32 = nb.getI32Type();
        Value x = castScalar(nb, nl, a[0], i32, xUnsigned, false);
        if (a.size() > 2)
          x = arith::SubIOp::create(
              nb, nl, x, castScalar(nb, nl, a[2], i32, zpUnsigned, false));
        Value f = toF32(nb, nl, x);
        Value r = arith::MulFOp::create(nb, nl, f, toF32(nb, nl, a[1]));
        return castScalar(nb, nl, r, expressed, false, false);
      });
  ctx.setResult(0, y, getDType(expressed));
  return success();
}

/// y_scale = (max(0, max(x)) - min(0, min(x))) / 255,
/// y_zero_point = saturate(round(0 - min / y_scale)),
/// y = saturate(round(x / y_scale) + y_zero_point), all uint8.
LogicalResult convertDynamicQuantizeLinear(NodeContext &ctx) {
  OpBuilder &b = ctx.b;
  Location loc = ctx.loc;
  RankedTensorType xType = ctx.inputType(0);
  Type f32 = b.getF32Type();
  if (xType.getElementType() != f32)
    return ctx.fail("expects a float32 input");
  SmallVector<int64_t> all;
  for (int64_t d = 0; d < xType.getRank(); ++d)
    all.push_back(d);
  double inf = std::numeric_limits<double>::infinity();
  Value lo = buildReduction(b, loc, ctx.input(0), all, false,
                            scalarAttr(f32, inf),
                            [](OpBuilder &nb, Location nl, Value acc, Value x) {
                              return Value(
                                  arith::MinimumFOp::create(nb, nl, acc, x));
                            });
  Value hi = buildReduction(b, loc, ctx.input(0), all, false,
                            scalarAttr(f32, -inf),
                            [](OpBuilder &nb, Location nl, Value acc, Value x) {
                              return Value(
                                  arith::MaximumFOp::create(nb, nl, acc, x));
                            });
  Type u8 = b.getI8Type();
  Value scale = buildElementwise(
      b, loc, {}, f32, {lo, hi},
      [&](OpBuilder &nb, Location nl, ValueRange a) -> Value {
        Value zero = scalarConstant(nb, nl, f32, 0);
        Value mn = arith::MinimumFOp::create(nb, nl, a[0], zero);
        Value mx = arith::MaximumFOp::create(nb, nl, a[1], zero);
        Value range = arith::SubFOp::create(nb, nl, mx, mn);
        return arith::DivFOp::create(nb, nl, range,
                                     scalarConstant(nb, nl, f32, 255));
      });
  Value zp = buildElementwise(
      b, loc, {}, u8, {lo, scale},
      [&](OpBuilder &nb, Location nl, ValueRange a) -> Value {
        Value zero = scalarConstant(nb, nl, f32, 0);
        Value mn = arith::MinimumFOp::create(nb, nl, a[0], zero);
        Value q = arith::SubFOp::create(
            nb, nl, zero, arith::DivFOp::create(nb, nl, mn, a[1]));
        // An all-zero input has scale 0: its zero point is 0.
        Value isZero = arith::CmpFOp::create(nb, nl, arith::CmpFPredicate::OEQ,
                                             a[1], zero);
        q = arith::SelectOp::create(nb, nl, isZero, zero, q);
        return quantizeScalar(nb, nl, q, Value(), false, u8, true);
      });
  Value y = buildElementwise(
      b, loc, xType.getShape(), u8, {ctx.input(0), scale, zp},
      [&](OpBuilder &nb, Location nl, ValueRange a) -> Value {
        Value zero = scalarConstant(nb, nl, f32, 0);
        Value isZero = arith::CmpFOp::create(nb, nl, arith::CmpFPredicate::OEQ,
                                             a[1], zero);
        Value scaled = arith::DivFOp::create(nb, nl, a[0], a[1]);
        scaled = arith::SelectOp::create(nb, nl, isZero, zero, scaled);
        return quantizeScalar(nb, nl, scaled, a[2], true, u8, true);
      });
  ctx.setResult(0, y, kUInt8);
  ctx.setResult(1, scale, kFloat);
  ctx.setResult(2, zp, kUInt8);
  return success();
}

} // namespace

void quantc::onnx_import::registerQuantizationOps(OpRegistry &registry) {
  registry.add("QuantizeLinear", convertQuantizeLinear);
  registry.add("DequantizeLinear", convertDequantizeLinear);
  registry.add("DynamicQuantizeLinear", convertDynamicQuantizeLinear);
}
