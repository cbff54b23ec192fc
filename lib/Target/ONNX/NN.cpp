//===- NN.cpp - Shared pieces of the MatMul, Conv, Pool, Quant families ---===//
//
// Part of quantc.
//
//===----------------------------------------------------------------------===//

#include "NN.h"

#include "Builders.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;

namespace quantc::onnx_import {

//===----------------------------------------------------------------------===//
// MatMul
//===----------------------------------------------------------------------===//

static Value zeroFilled(OpBuilder &b, Location loc, ArrayRef<int64_t> shape,
                        Type element) {
  Value empty = buildEmpty(b, loc, shape, element);
  Value zero = scalarConstant(b, loc, element, 0);
  return linalg::FillOp::create(b, loc, zero, empty).getResult(0);
}

Value buildMatMul2D(OpBuilder &b, Location loc, Value a, Value bMat) {
  auto aType = cast<RankedTensorType>(a.getType());
  auto bType = cast<RankedTensorType>(bMat.getType());
  SmallVector<int64_t> shape = {aType.getDimSize(0), bType.getDimSize(1)};
  Value init = zeroFilled(b, loc, shape, aType.getElementType());
  return linalg::MatmulOp::create(b, loc, TypeRange{init.getType()},
                                  ValueRange{a, bMat}, ValueRange{init})
      .getResult(0);
}

/// `v` broadcast (materialized) to `shape`.
static Value broadcastTo(OpBuilder &b, Location loc, Value v,
                         ArrayRef<int64_t> shape) {
  auto type = cast<RankedTensorType>(v.getType());
  if (type.getShape() == shape)
    return v;
  return buildElementwise(b, loc, shape, type.getElementType(), v,
                          [](OpBuilder &, Location, ValueRange args) {
                            return args[0];
                          });
}

Value buildMatMul(OpBuilder &b, Location loc, Value a, Value bMat) {
  auto aType = cast<RankedTensorType>(a.getType());
  auto bType = cast<RankedTensorType>(bMat.getType());
  int64_t ra = aType.getRank(), rb = bType.getRank();
  if (ra == 0 || rb == 0)
    return {};
  SmallVector<int64_t> aShape(aType.getShape()), bShape(bType.getShape());
  if (ra == 1)
    aShape.insert(aShape.begin(), 1);
  if (rb == 1)
    bShape.push_back(1);
  a = buildReshape(b, loc, a, aShape);
  bMat = buildReshape(b, loc, bMat, bShape);
  int64_t m = aShape[aShape.size() - 2], k = aShape.back();
  int64_t n = bShape.back();
  if (bShape[bShape.size() - 2] != k)
    return {};
  ArrayRef<int64_t> aBatch = ArrayRef(aShape).drop_back(2);
  ArrayRef<int64_t> bBatch = ArrayRef(bShape).drop_back(2);
  std::optional<SmallVector<int64_t>> batch = broadcastShapes({aBatch, bBatch});
  if (!batch)
    return {};
  Value result;
  if (numElements(bBatch) == 1) {
    // One right-hand matrix: fold the batch into the rows.
    int64_t rows = numElements(aBatch) * m;
    Value a2 = buildReshape(b, loc, a, {rows, k});
    Value b2 = buildReshape(b, loc, bMat, {k, n});
    result = buildMatMul2D(b, loc, a2, b2);
  } else {
    SmallVector<int64_t> aFull(*batch), bFull(*batch);
    aFull.append({m, k});
    bFull.append({k, n});
    int64_t batchSize = numElements(*batch);
    Value a3 = buildReshape(b, loc, broadcastTo(b, loc, a, aFull),
                            {batchSize, m, k});
    Value b3 = buildReshape(b, loc, broadcastTo(b, loc, bMat, bFull),
                            {batchSize, k, n});
    Value init =
        zeroFilled(b, loc, {batchSize, m, n}, aType.getElementType());
    result = linalg::BatchMatmulOp::create(b, loc, TypeRange{init.getType()},
                                           ValueRange{a3, b3},
                                           ValueRange{init})
                 .getResult(0);
  }
  SmallVector<int64_t> outShape(*batch);
  if (ra != 1)
    outShape.push_back(m);
  if (rb != 1)
    outShape.push_back(n);
  return buildReshape(b, loc, result, outShape);
}

//===----------------------------------------------------------------------===//
// Padding and windows
//===----------------------------------------------------------------------===//

Value buildPad(OpBuilder &b, Location loc, Value v, ArrayRef<int64_t> low,
               ArrayRef<int64_t> high, TypedAttr value) {
  auto type = cast<RankedTensorType>(v.getType());
  int64_t rank = type.getRank();
  SmallVector<int64_t> padLow(rank), padHigh(rank), shape(rank);
  bool anyPad = false, anySlice = false;
  for (int64_t d = 0; d < rank; ++d) {
    padLow[d] = std::max<int64_t>(low[d], 0);
    padHigh[d] = std::max<int64_t>(high[d], 0);
    shape[d] = type.getDimSize(d) + padLow[d] + padHigh[d];
    anyPad |= padLow[d] || padHigh[d];
    anySlice |= low[d] < 0 || high[d] < 0;
  }
  if (anyPad) {
    SmallVector<OpFoldResult> lo, hi;
    for (int64_t d = 0; d < rank; ++d) {
      lo.push_back(b.getIndexAttr(padLow[d]));
      hi.push_back(b.getIndexAttr(padHigh[d]));
    }
    Value padValue = arith::ConstantOp::create(b, loc, value);
    v = tensor::PadOp::create(
        b, loc, RankedTensorType::get(shape, type.getElementType()), v, lo,
        hi, padValue);
  }
  if (anySlice) {
    SmallVector<OpFoldResult> offsets, sizes, strides;
    for (int64_t d = 0; d < rank; ++d) {
      int64_t begin = std::max<int64_t>(-low[d], 0);
      int64_t end = std::max<int64_t>(-high[d], 0);
      offsets.push_back(b.getIndexAttr(begin));
      sizes.push_back(b.getIndexAttr(shape[d] - begin - end));
      strides.push_back(b.getIndexAttr(1));
    }
    v = tensor::ExtractSliceOp::create(b, loc, v, offsets, sizes, strides);
  }
  return v;
}

FailureOr<WindowGeometry> getWindowGeometry(NodeContext &ctx,
                                            ArrayRef<int64_t> inShape,
                                            ArrayRef<int64_t> kernel,
                                            bool ceilMode) {
  size_t n = inShape.size();
  WindowGeometry g;
  if (std::optional<SmallVector<int64_t>> k =
          ctx.getOptionalInts("kernel_shape"))
    g.kernel = *k;
  else
    g.kernel.assign(kernel.begin(), kernel.end());
  if (g.kernel.size() != n)
    return ctx.fail(Twine("kernel_shape has ") + Twine(g.kernel.size()) +
                    " dims, the input has " + Twine(n) + " spatial dims");
  g.strides = ctx.getOptionalInts("strides").value_or(
      SmallVector<int64_t>(n, 1));
  g.dilations = ctx.getOptionalInts("dilations").value_or(
      SmallVector<int64_t>(n, 1));
  if (g.strides.size() != n || g.dilations.size() != n)
    return ctx.fail("strides/dilations do not match the spatial rank");
  for (size_t i = 0; i < n; ++i)
    if (g.strides[i] < 1 || g.dilations[i] < 1 || g.kernel[i] < 1)
      return ctx.fail("kernel, strides and dilations must be positive");
  std::string autoPad = ctx.getString("auto_pad", "NOTSET");
  g.padsBegin.assign(n, 0);
  g.padsEnd.assign(n, 0);
  g.outShape.assign(n, 0);
  if (autoPad == "NOTSET") {
    if (std::optional<SmallVector<int64_t>> pads = ctx.getOptionalInts("pads")) {
      if (pads->size() != 2 * n)
        return ctx.fail("pads must hold 2 values per spatial dim");
      for (size_t i = 0; i < n; ++i) {
        g.padsBegin[i] = (*pads)[i];
        g.padsEnd[i] = (*pads)[n + i];
      }
    }
  } else if (autoPad != "VALID" && autoPad != "SAME_UPPER" &&
             autoPad != "SAME_LOWER") {
    return ctx.fail("unsupported auto_pad '" + autoPad + "'");
  }
  for (size_t i = 0; i < n; ++i) {
    int64_t dk = (g.kernel[i] - 1) * g.dilations[i] + 1;
    int64_t s = g.strides[i];
    if (autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER") {
      int64_t out = (inShape[i] + s - 1) / s;
      int64_t total = std::max<int64_t>(0, (out - 1) * s + dk - inShape[i]);
      int64_t small = total / 2, large = total - total / 2;
      g.padsBegin[i] = autoPad == "SAME_UPPER" ? small : large;
      g.padsEnd[i] = autoPad == "SAME_UPPER" ? large : small;
      g.outShape[i] = out;
      continue;
    }
    int64_t span = inShape[i] + g.padsBegin[i] + g.padsEnd[i] - dk;
    if (span < 0)
      return ctx.fail("the window is larger than the padded input");
    int64_t out = span / s + 1;
    if (ceilMode && span % s != 0) {
      out = (span + s - 1) / s + 1;
      // The last window must start inside the input or its left padding.
      if ((out - 1) * s >= inShape[i] + g.padsBegin[i])
        --out;
    }
    g.outShape[i] = out;
  }
  return g;
}

//===----------------------------------------------------------------------===//
// Quantization arithmetic
//===----------------------------------------------------------------------===//

Value alignToAxis(OpBuilder &b, Location loc, Value t, int64_t axis,
                  int64_t rank) {
  auto type = cast<RankedTensorType>(t.getType());
  if (type.getNumElements() == 1)
    return buildReshape(b, loc, t, {});
  if (type.getRank() != 1)
    return t;
  SmallVector<int64_t> shape(rank, 1);
  shape[axis] = type.getDimSize(0);
  return buildReshape(b, loc, t, shape);
}

Value toF32(OpBuilder &b, Location loc, Value v, bool isUnsigned) {
  return castScalar(b, loc, v, b.getF32Type(), isUnsigned, false);
}

Value buildCentered(OpBuilder &b, Location loc, Value v, bool vUnsigned,
                    Value zp, bool zpUnsigned) {
  Type i32 = b.getI32Type();
  SmallVector<Value> inputs = {v};
  if (zp)
    inputs.push_back(zp);
  auto shape = cast<RankedTensorType>(v.getType()).getShape();
  return buildElementwise(
      b, loc, shape, i32, inputs,
      [&](OpBuilder &nb, Location nl, ValueRange args) -> Value {
        Value x = castScalar(nb, nl, args[0], i32, vUnsigned, false);
        if (args.size() == 1)
          return x;
        Value z = castScalar(nb, nl, args[1], i32, zpUnsigned, false);
        return arith::SubIOp::create(nb, nl, x, z);
      });
}

std::pair<double, double> storageRange(Type storage, bool isUnsigned) {
  unsigned w = storage.getIntOrFloatBitWidth();
  if (isUnsigned)
    return {0.0, std::ldexp(1.0, w) - 1};
  return {-std::ldexp(1.0, w - 1), std::ldexp(1.0, w - 1) - 1};
}

Value quantizeScalar(OpBuilder &b, Location loc, Value scaled, Value zp,
                     bool zpUnsigned, Type storage, bool storageUnsigned) {
  Type f32 = b.getF32Type();
  Value r = math::RoundEvenOp::create(b, loc, scaled);
  if (zp)
    r = arith::AddFOp::create(b, loc, r, toF32(b, loc, zp, zpUnsigned));
  auto [lo, hi] = storageRange(storage, storageUnsigned);
  r = arith::MaximumFOp::create(b, loc, r, scalarConstant(b, loc, f32, lo));
  r = arith::MinimumFOp::create(b, loc, r, scalarConstant(b, loc, f32, hi));
  if (storageUnsigned)
    return arith::FPToUIOp::create(b, loc, storage, r);
  return arith::FPToSIOp::create(b, loc, storage, r);
}

Value buildRequantize(OpBuilder &b, Location loc, Value acc, Value scale,
                      Value zp, bool zpUnsigned, Type storage,
                      bool storageUnsigned) {
  SmallVector<Value> inputs = {acc, scale};
  if (zp)
    inputs.push_back(zp);
  auto shape = cast<RankedTensorType>(acc.getType()).getShape();
  return buildElementwise(
      b, loc, shape, storage, inputs,
      [&](OpBuilder &nb, Location nl, ValueRange args) -> Value {
        Value f = toF32(nb, nl, args[0]);
        Value scaled =
            arith::MulFOp::create(nb, nl, f, toF32(nb, nl, args[1]));
        return quantizeScalar(nb, nl, scaled,
                              args.size() > 2 ? args[2] : Value(), zpUnsigned,
                              storage, storageUnsigned);
      });
}

} // namespace quantc::onnx_import
