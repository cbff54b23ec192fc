//===- Signal.cpp - ONNX signal processing ops -----------------------------===//
//
// Part of quantc.
//
// The window generators (HannWindow, HammingWindow, BlackmanWindow) and
// MelWeightMatrix depend only on their scalar operands, which must be
// compile-time constants (they decide the output shape), so their results are
// computed here as constants. DFT and STFT are direct O(n^2) transforms: one
// linalg.generic contracting the signal with cos/sin tables computed at
// import time (STFT first gathers its windowed frames).
//
//===----------------------------------------------------------------------===//

#include "Builders.h"
#include "DataMovement.h"
#include "Importer.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include <cmath>
#include <numbers>

using namespace mlir;
using namespace quantc::onnx_import;

namespace {

/// The first element of a constant as a double.
double firstAsDouble(DenseElementsAttr a, bool isUnsigned) {
  Attribute v = *a.value_begin<Attribute>();
  if (auto f = dyn_cast<FloatAttr>(v))
    return f.getValueAsDouble();
  APInt i = cast<IntegerAttr>(v).getValue();
  return isUnsigned ? (double)i.getZExtValue() : (double)i.getSExtValue();
}

/// A constant scalar operand, or a diagnostic naming it.
FailureOr<double> requireScalar(NodeContext &ctx, unsigned i,
                                StringRef what) {
  std::optional<DenseElementsAttr> v = ctx.constantInput(i);
  if (!v)
    return ctx.emitError()
           << what << " (input " << i << ", '" << ctx.node.input(i)
           << "') must be a compile-time constant; bind the graph input "
              "with --bind-input or --bind-shape-inputs";
  if (v->getNumElements() != 1)
    return ctx.emitError() << what << " must be a scalar";
  return firstAsDouble(*v, ctx.inputIsUnsigned(i));
}

/// The element type of `output_datatype` (default float).
FailureOr<std::pair<Type, int32_t>> outputDataType(NodeContext &ctx) {
  int32_t dtype = ctx.getInt("output_datatype", kFloat);
  Type element = getElementType(ctx.b.getContext(), dtype);
  if (!element || dtype == kBool || dtype == kString)
    return ctx.emitError() << "unsupported output_datatype "
                           << getDTypeName(dtype);
  return std::make_pair(element, dtype);
}

//===----------------------------------------------------------------------===//
// Windows
//===----------------------------------------------------------------------===//

/// y[n] = a0 - a1 cos(2 pi n / N) + a2 cos(4 pi n / N), N = size (periodic)
/// or size - 1 (symmetric).
LogicalResult convertWindow(NodeContext &ctx) {
  double a0, a1, a2 = 0;
  if (ctx.opType() == "HannWindow") {
    a0 = 0.5;
    a1 = 0.5;
  } else if (ctx.opType() == "HammingWindow") {
    a0 = 25.0 / 46.0;
    a1 = 21.0 / 46.0;
  } else {
    a0 = 0.42;
    a1 = 0.5;
    a2 = 0.08;
  }
  FailureOr<double> size = requireScalar(ctx, 0, "the window size");
  if (failed(size))
    return failure();
  auto out = outputDataType(ctx);
  if (failed(out))
    return failure();
  int64_t n = (int64_t)*size;
  if (n < 0)
    return ctx.fail("the window size is negative");
  bool periodic = ctx.getInt("periodic", 1) != 0;
  int64_t period = periodic ? n : n - 1;
  SmallVector<Attribute> values;
  for (int64_t i = 0; i < n; ++i) {
    // A one-point symmetric window has no period; it is [1] (as PyTorch).
    double v = 1.0;
    if (period > 0) {
      double t = 2 * std::numbers::pi * (double)i / (double)period;
      v = a0 - a1 * std::cos(t) + a2 * std::cos(2 * t);
    }
    values.push_back(scalarAttr(out->first, v));
  }
  auto type = RankedTensorType::get({n}, out->first);
  ctx.setResult(0,
                arith::ConstantOp::create(ctx.b, ctx.loc,
                                          DenseElementsAttr::get(type, values)),
                out->second);
  return success();
}

//===----------------------------------------------------------------------===//
// MelWeightMatrix
//===----------------------------------------------------------------------===//

/// The [dft_length / 2 + 1, num_mel_bins] matrix of triangular filters, as
/// the ONNX reference computes it: num_mel_bins + 2 points evenly spaced on
/// the mel scale (mel(f) = 2595 log10(1 + f / 700)) between the edges, each
/// mapped to the spectrogram bin floor((dft_length + 1) f / sample_rate);
/// filter i rises from point i to point i + 1 and falls to point i + 2.
LogicalResult convertMelWeightMatrix(NodeContext &ctx) {
  FailureOr<double> numMelBins = requireScalar(ctx, 0, "num_mel_bins");
  FailureOr<double> dftLength = requireScalar(ctx, 1, "dft_length");
  FailureOr<double> sampleRate = requireScalar(ctx, 2, "sample_rate");
  FailureOr<double> lower = requireScalar(ctx, 3, "lower_edge_hertz");
  FailureOr<double> upper = requireScalar(ctx, 4, "upper_edge_hertz");
  if (failed(numMelBins) || failed(dftLength) || failed(sampleRate) ||
      failed(lower) || failed(upper))
    return failure();
  auto out = outputDataType(ctx);
  if (failed(out))
    return failure();
  int64_t bins = (int64_t)*numMelBins, length = (int64_t)*dftLength;
  int64_t rate = (int64_t)*sampleRate;
  if (bins <= 0 || length <= 0 || rate <= 0)
    return ctx.fail("num_mel_bins, dft_length and sample_rate must be "
                    "positive");
  int64_t spectrogramBins = length / 2 + 1;
  // The edges' mel values in float (the edges' type), the rest in double.
  auto mel = [](float f) {
    return 2595.0f * std::log10(1.0f + f / 700.0f);
  };
  float lowMel = mel((float)*lower), highMel = mel((float)*upper);
  float melStep = (highMel - lowMel) / (float)(bins + 2);
  SmallVector<int64_t> points;
  for (int64_t i = 0; i < bins + 2; ++i) {
    double m = (double)i * (double)melStep + (double)lowMel;
    double hz = 700.0 * (std::pow(10.0, m / 2595.0) - 1.0);
    points.push_back((int64_t)std::floor((double)(length + 1) * hz /
                                         (double)rate));
  }
  for (int64_t p : points)
    if (p < 0 || p >= spectrogramBins)
      return ctx.fail("a mel band edge falls outside the spectrogram bins; "
                      "check lower_edge_hertz/upper_edge_hertz against "
                      "sample_rate");
  std::vector<double> matrix(spectrogramBins * bins, 0.0);
  auto at = [&](int64_t j, int64_t i) -> double & {
    return matrix[j * bins + i];
  };
  for (int64_t i = 0; i < bins; ++i) {
    int64_t left = points[i], center = points[i + 1], right = points[i + 2];
    if (center == left) {
      at(center, i) = 1;
    } else {
      for (int64_t j = left; j <= center; ++j)
        at(j, i) = (double)(j - left) / (double)(center - left);
    }
    for (int64_t j = center; j < right; ++j)
      at(j, i) = (double)(right - j) / (double)(right - center);
  }
  SmallVector<Attribute> values;
  for (double v : matrix)
    values.push_back(scalarAttr(out->first, v));
  auto type = RankedTensorType::get({spectrogramBins, bins}, out->first);
  ctx.setResult(0,
                arith::ConstantOp::create(ctx.b, ctx.loc,
                                          DenseElementsAttr::get(type, values)),
                out->second);
  return success();
}

//===----------------------------------------------------------------------===//
// DFT and STFT
//===----------------------------------------------------------------------===//

/// The DFT along `axis` of the signal re + i im (`im` may be null, for a real
/// signal), both of the same shape with n <= `length` samples along `axis`
/// (the rest taken as zeros): result[..., k, ..., c] for k < `numBins`, c = 0
/// (real part) or 1 (imaginary part). The inverse transform divides by
/// `length`.
Value buildDFT(OpBuilder &b, Location loc, Value re, Value im, int64_t axis,
               int64_t length, int64_t numBins, bool inverse) {
  MLIRContext *ctx = b.getContext();
  auto type = cast<RankedTensorType>(re.getType());
  Type element = type.getElementType();
  int64_t rank = type.getRank(), n = type.getDimSize(axis);

  // result[c] = sum_n re * a[c, k, n] + im * b[c, k, n].
  SmallVector<Attribute> aValues(2 * numBins * n), bValues(2 * numBins * n);
  double scale = inverse ? 1.0 / (double)length : 1.0;
  double sign = inverse ? -1.0 : 1.0; // e^{-i t} forward, e^{+i t} inverse
  for (int64_t k = 0; k < numBins; ++k) {
    for (int64_t j = 0; j < n; ++j) {
      // (k * j) mod length keeps the angle accurate for long transforms.
      int64_t phase = (k % length) * (j % length) % length;
      double t = 2 * std::numbers::pi * (double)phase / (double)length;
      double cs = std::cos(t) * scale, sn = std::sin(t) * scale * sign;
      int64_t re0 = k * n + j, im0 = numBins * n + k * n + j;
      aValues[re0] = scalarAttr(element, cs);
      aValues[im0] = scalarAttr(element, -sn);
      bValues[re0] = scalarAttr(element, sn);
      bValues[im0] = scalarAttr(element, cs);
    }
  }
  auto tableType = RankedTensorType::get({2, numBins, n}, element);
  Value aTable = arith::ConstantOp::create(
      b, loc, DenseElementsAttr::get(tableType, aValues));
  Value bTable = arith::ConstantOp::create(
      b, loc, DenseElementsAttr::get(tableType, bValues));

  // Loops: the result's dims (axis -> k, then c), then the reduction over n.
  int64_t loops = rank + 2;
  SmallVector<AffineExpr> signalExprs, outExprs;
  for (int64_t d = 0; d < rank; ++d)
    signalExprs.push_back(getAffineDimExpr(d == axis ? rank + 1 : d, ctx));
  for (int64_t d = 0; d <= rank; ++d)
    outExprs.push_back(getAffineDimExpr(d, ctx));
  AffineMap signalMap = AffineMap::get(loops, 0, signalExprs, ctx);
  AffineMap tableMap = AffineMap::get(
      loops, 0,
      {getAffineDimExpr(rank, ctx), getAffineDimExpr(axis, ctx),
       getAffineDimExpr(rank + 1, ctx)},
      ctx);
  AffineMap outMap = AffineMap::get(loops, 0, outExprs, ctx);

  SmallVector<Value> inputs = {re, aTable};
  SmallVector<AffineMap> maps = {signalMap, tableMap};
  if (im) {
    inputs.append({im, bTable});
    maps.append({signalMap, tableMap});
  }
  maps.push_back(outMap);
  SmallVector<int64_t> outShape(type.getShape());
  outShape[axis] = numBins;
  outShape.push_back(2);
  Value init = buildFilled(b, loc, outShape, element, scalarAttr(element, 0));
  SmallVector<utils::IteratorType> iterators(loops - 1,
                                             utils::IteratorType::parallel);
  iterators.push_back(utils::IteratorType::reduction);
  auto generic = linalg::GenericOp::create(
      b, loc, TypeRange{init.getType()}, inputs, ValueRange{init}, maps,
      iterators, [&](OpBuilder &nb, Location nl, ValueRange args) {
        Value acc = args.back();
        Value sum = arith::AddFOp::create(
            nb, nl, acc, arith::MulFOp::create(nb, nl, args[0], args[1]));
        if (im)
          sum = arith::AddFOp::create(
              nb, nl, sum, arith::MulFOp::create(nb, nl, args[2], args[3]));
        linalg::YieldOp::create(nb, nl, sum);
      });
  return generic.getResult(0);
}

/// Component `c` of a [..., 1 or 2] signal, without its last dim, and the
/// first `count` entries along `axis`.
Value signalComponent(OpBuilder &b, Location loc, Value x, int64_t c,
                      int64_t axis, int64_t count) {
  auto type = cast<RankedTensorType>(x.getType());
  int64_t rank = type.getRank();
  SmallVector<OpFoldResult> offsets(rank, b.getIndexAttr(0)), sizes,
      strides(rank, b.getIndexAttr(1));
  SmallVector<int64_t> shape;
  for (int64_t d = 0; d < rank - 1; ++d) {
    int64_t size = d == axis ? count : type.getDimSize(d);
    sizes.push_back(b.getIndexAttr(size));
    shape.push_back(size);
  }
  offsets[rank - 1] = b.getIndexAttr(c);
  sizes.push_back(b.getIndexAttr(1));
  auto resultType = RankedTensorType::get(shape, type.getElementType());
  return tensor::ExtractSliceOp::create(b, loc, resultType, x, offsets, sizes,
                                        strides);
}

LogicalResult convertDFT(NodeContext &ctx) {
  RankedTensorType type = ctx.inputType(0);
  int64_t rank = type.getRank();
  if (!isa<FloatType>(type.getElementType()))
    return ctx.fail("expects a floating-point signal");
  if (rank < 2 || (type.getDimSize(rank - 1) != 1 &&
                   type.getDimSize(rank - 1) != 2))
    return ctx.fail("the signal's last dimension must be 1 (real) or 2 "
                    "(complex)");
  bool complex = type.getDimSize(rank - 1) == 2;
  int64_t axis = ctx.getInt("axis", 1);
  if (ctx.opset >= 20) {
    axis = -2;
    if (ctx.hasInput(2)) {
      FailureOr<SmallVector<int64_t>> a = ctx.requireConstantInts(2, "axis");
      if (failed(a))
        return failure();
      if (a->size() != 1)
        return ctx.fail("axis must be a scalar");
      axis = (*a)[0];
    }
  }
  if (axis < 0)
    axis += rank;
  if (axis < 0 || axis > rank - 2)
    return ctx.fail(Twine("axis must select a signal dimension, in [-") +
                    Twine(rank) + ", -2] or [0, " + Twine(rank - 2) + "]");
  int64_t n = type.getDimSize(axis);
  int64_t length = n;
  if (ctx.hasInput(1)) {
    FailureOr<SmallVector<int64_t>> l =
        ctx.requireConstantInts(1, "dft_length");
    if (failed(l))
      return failure();
    if (l->size() != 1 || (*l)[0] <= 0)
      return ctx.fail("dft_length must be a positive scalar");
    length = (*l)[0];
  }
  bool inverse = ctx.getInt("inverse", 0) != 0;
  bool onesided = ctx.getInt("onesided", 0) != 0;
  if (onesided && complex)
    return ctx.fail("onesided output needs a real signal");
  if (onesided && inverse)
    return ctx.fail("onesided inverse transforms are not supported");
  if (length == 0 || n == 0)
    return ctx.fail("empty signal");
  int64_t numBins = onesided ? length / 2 + 1 : length;
  int64_t used = std::min(n, length);
  Value x = ctx.input(0);
  Value re = signalComponent(ctx.b, ctx.loc, x, 0, axis, used);
  Value im = complex ? signalComponent(ctx.b, ctx.loc, x, 1, axis, used)
                     : Value();
  ctx.setResult(0, buildDFT(ctx.b, ctx.loc, re, im, axis, length, numBins,
                            inverse),
                ctx.inputDType(0));
  return success();
}

LogicalResult convertSTFT(NodeContext &ctx) {
  RankedTensorType type = ctx.inputType(0);
  Type element = type.getElementType();
  if (!isa<FloatType>(element))
    return ctx.fail("expects a floating-point signal");
  if (type.getRank() != 3 ||
      (type.getDimSize(2) != 1 && type.getDimSize(2) != 2))
    return ctx.fail("the signal must be [batch, length, 1 or 2]");
  bool complex = type.getDimSize(2) == 2;
  int64_t batch = type.getDimSize(0), signalLength = type.getDimSize(1);
  FailureOr<SmallVector<int64_t>> step =
      ctx.requireConstantInts(1, "frame_step");
  if (failed(step))
    return failure();
  if (step->size() != 1 || (*step)[0] <= 0)
    return ctx.fail("frame_step must be a positive scalar");
  int64_t frameStep = (*step)[0];
  bool hasWindow = ctx.hasInput(2);
  int64_t frameLength = -1;
  if (hasWindow) {
    if (ctx.inputRank(2) != 1)
      return ctx.fail("the window must be 1-D");
    frameLength = ctx.inputType(2).getDimSize(0);
  }
  if (ctx.hasInput(3)) {
    FailureOr<SmallVector<int64_t>> l =
        ctx.requireConstantInts(3, "frame_length");
    if (failed(l))
      return failure();
    if (l->size() != 1 || (*l)[0] <= 0)
      return ctx.fail("frame_length must be a positive scalar");
    if (hasWindow && (*l)[0] != frameLength)
      return ctx.fail("frame_length differs from the window's length");
    frameLength = (*l)[0];
  }
  if (frameLength < 0)
    return ctx.fail("needs a window or a frame_length");
  if (frameLength == 0 || frameLength > signalLength)
    return ctx.fail("frame_length must be in [1, signal length]");
  bool onesided = ctx.getInt("onesided", 1) != 0;
  if (onesided && complex)
    return ctx.fail("onesided output needs a real signal (set onesided=0)");
  int64_t frames = (signalLength - frameLength) / frameStep + 1;
  int64_t numBins = onesided ? frameLength / 2 + 1 : frameLength;

  // frames[b, f, n] = signal[b, f * step + n, c] * window[n].
  OpBuilder &b = ctx.b;
  MLIRContext *mctx = b.getContext();
  Value signal = ctx.input(0);
  Value window = hasWindow ? ctx.input(2) : Value();
  if (window && ctx.inputType(2).getElementType() != element)
    window = castTensor(b, ctx.loc, window, element, false, false);
  auto frame = [&](int64_t c) {
    SmallVector<Value> inputs;
    SmallVector<AffineMap> maps;
    if (window) {
      inputs.push_back(window);
      maps.push_back(AffineMap::get(3, 0, {getAffineDimExpr(2, mctx)}, mctx));
    }
    return buildIndexGeneric(
        b, ctx.loc, {batch, frames, frameLength}, element, inputs, maps,
        [&](OpBuilder &nb, Location nl, ValueRange idx, ValueRange args) {
          Value pos = arith::AddIOp::create(
              nb, nl,
              arith::MulIOp::create(nb, nl, idx[1],
                                    indexConstant(nb, nl, frameStep)),
              idx[2]);
          Value v = tensor::ExtractOp::create(
              nb, nl, signal,
              ValueRange{idx[0], pos, indexConstant(nb, nl, c)});
          if (window)
            v = arith::MulFOp::create(nb, nl, v, args[0]);
          return v;
        });
  };
  Value re = frame(0);
  Value im = complex ? frame(1) : Value();
  ctx.setResult(0, buildDFT(b, ctx.loc, re, im, /*axis=*/2, frameLength,
                            numBins, /*inverse=*/false),
                ctx.inputDType(0));
  return success();
}

} // namespace

void quantc::onnx_import::registerSignalOps(OpRegistry &r) {
  r.add("", "HannWindow", 17, convertWindow);
  r.add("", "HammingWindow", 17, convertWindow);
  r.add("", "BlackmanWindow", 17, convertWindow);
  r.add("", "MelWeightMatrix", 17, convertMelWeightMatrix);
  r.add("", "DFT", 17, convertDFT);
  r.add("", "STFT", 17, convertSTFT);
}
