//===- Resize.cpp - ONNX Resize and Upsample -------------------------------===//
//
// Part of quantc.
//
// Resize is separable: along each resized axis, output index o reads a few
// input indices (1 for nearest, 2 for linear, 4 for cubic, more with
// antialias) with fixed weights. With static shapes and constant
// scales/sizes/roi those taps are known at import time, so they are computed
// here exactly as the ONNX reference does (coordinate transformation, the
// nearest rounding modes, cubic_coeff_a, exclude_outside, edge padding,
// tf_crop_and_resize's extrapolation) and the IR only applies them: a
// gather (buildAxisGather) for axes where every output reads one input, and
// one linalg.generic per interpolated axis otherwise.
//
//===----------------------------------------------------------------------===//

#include "Builders.h"
#include "DataMovement.h"
#include "Importer.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include <cmath>

using namespace mlir;
using namespace quantc::onnx_import;

namespace {

enum class Mode { Nearest, Linear, Cubic };

struct ResizeParams {
  Mode mode = Mode::Nearest;
  std::string coordMode = "half_pixel";
  std::string nearestMode = "round_prefer_floor";
  double cubicA = -0.75;
  bool excludeOutside = false;
  bool antialias = false;
  double extrapolation = 0;
};

/// The taps of one axis: for output o, input indices idx[o*n + t] (already
/// clamped into range) with weights w[o*n + t]; outside[o] marks outputs that
/// take the extrapolation value.
struct AxisTaps {
  int64_t n = 1;
  SmallVector<int64_t> idx;
  SmallVector<double> w;
  SmallVector<bool> outside;
};

SmallVector<double> nearestCoeffs(double ratio, StringRef mode) {
  if (ratio == std::floor(ratio))
    return {0, 1};
  if (mode == "round_prefer_floor")
    return {double(ratio <= 0.5), double(ratio > 0.5)};
  if (mode == "round_prefer_ceil")
    return {double(ratio < 0.5), double(ratio >= 0.5)};
  if (mode == "floor")
    return {1, 0};
  return {0, 1}; // ceil
}

SmallVector<double> cubicCoeffs(double r, double a) {
  double s = 1 - r;
  return {((a * (r + 1) - 5 * a) * (r + 1) + 8 * a) * (r + 1) - 4 * a,
          ((a + 2) * r - (a + 3)) * r * r + 1,
          ((a + 2) * s - (a + 3)) * s * s + 1,
          ((a * (s + 1) - 5 * a) * (s + 1) + 8 * a) * (s + 1) - 4 * a};
}

SmallVector<double> cubicCoeffsAntialias(double ratio, double scale,
                                         double a) {
  scale = std::min(scale, 1.0);
  auto coeff = [&](double x) {
    x = std::abs(x);
    double x2 = x * x, x3 = x * x2;
    if (x <= 1)
      return (a + 2) * x3 - (a + 3) * x2 + 1;
    if (x < 2)
      return a * x3 - 5 * a * x2 + 8 * a * x - 4 * a;
    return 0.0;
  };
  int64_t start = (int64_t)std::floor(-2 / scale) + 1;
  int64_t end = 2 - start;
  SmallVector<double> c;
  double sum = 0;
  for (int64_t i = start; i < end; ++i) {
    c.push_back(coeff(scale * (i - ratio)));
    sum += c.back();
  }
  for (double &v : c)
    v /= sum;
  return c;
}

SmallVector<double> linearCoeffsAntialias(double ratio, double scale) {
  scale = std::min(scale, 1.0);
  int64_t start = (int64_t)std::floor(-1 / scale) + 1;
  int64_t footprint = 2 - 2 * start;
  SmallVector<double> c;
  double sum = 0;
  for (int64_t i = start; i < start + footprint; ++i) {
    c.push_back(std::clamp(1 - std::abs((i - ratio) * scale), 0.0, 1.0));
    sum += c.back();
  }
  for (double &v : c)
    v /= sum;
  return c;
}

/// The `n` indices nearest to `x` among [-pad, size + pad), preferring
/// smaller ones, in ascending order (the reference's edge-padded neighbors).
SmallVector<int64_t> neighbors(double x, int64_t n, int64_t size) {
  int64_t pad = (n + 1) / 2;
  SmallVector<int64_t> all;
  for (int64_t i = -pad; i < size + pad; ++i)
    all.push_back(i);
  llvm::sort(all, [&](int64_t a, int64_t b) {
    double da = std::abs(x - a), db = std::abs(x - b);
    return da < db || (da == db && a < b);
  });
  all.resize(std::min<int64_t>(n, all.size()));
  llvm::sort(all);
  return all;
}

/// Computes the taps of one axis of input size `in` resized to `out` with
/// `scale`; `roiStart`/`roiEnd` are tf_crop_and_resize's region.
FailureOr<AxisTaps> computeTaps(NodeContext &ctx, const ResizeParams &p,
                                int64_t in, int64_t out, double scale,
                                double roiStart, double roiEnd) {
  AxisTaps taps;
  double outWidth = scale * in;
  StringRef cm = p.coordMode;
  for (int64_t o = 0; o < out; ++o) {
    double x = o, xo;
    if (cm == "align_corners")
      xo = outWidth == 1 ? 0.0 : x * (in - 1) / (outWidth - 1);
    else if (cm == "asymmetric")
      xo = x / scale;
    else if (cm == "tf_half_pixel_for_nn")
      xo = (x + 0.5) / scale;
    else if (cm == "tf_crop_and_resize")
      xo = (outWidth == 1
                ? (roiEnd - roiStart) * (in - 1) / 2
                : x * (roiEnd - roiStart) * (in - 1) / (outWidth - 1)) +
           roiStart * (in - 1);
    else if (cm == "pytorch_half_pixel")
      xo = outWidth == 1 ? -0.5 : (x + 0.5) / scale - 0.5;
    else if (cm == "half_pixel")
      xo = (x + 0.5) / scale - 0.5;
    else if (cm == "half_pixel_symmetric") {
      double adjustment = out / outWidth;
      double center = in / 2.0;
      xo = center * (1 - adjustment) + (x + 0.5) / scale - 0.5;
    } else
      return ctx.fail("unsupported coordinate_transformation_mode '" + cm +
                      "'");
    bool outside =
        cm == "tf_crop_and_resize" && (xo < 0 || xo > double(in - 1));
    double ratio = xo == std::floor(xo) ? 1.0 : xo - std::floor(xo);
    SmallVector<double> c;
    switch (p.mode) {
    case Mode::Nearest:
      c = nearestCoeffs(ratio, p.nearestMode);
      break;
    case Mode::Linear:
      c = p.antialias ? linearCoeffsAntialias(ratio, scale)
                      : SmallVector<double>{1 - ratio, ratio};
      break;
    case Mode::Cubic:
      c = p.antialias ? cubicCoeffsAntialias(ratio, scale, p.cubicA)
                      : cubicCoeffs(ratio, p.cubicA);
      break;
    }
    SmallVector<int64_t> idx = neighbors(xo, c.size(), in);
    if ((int64_t)idx.size() != (int64_t)c.size())
      return ctx.fail("the input is too small for the interpolation");
    if (p.excludeOutside) {
      double sum = 0;
      for (size_t t = 0; t < c.size(); ++t) {
        if (idx[t] < 0 || idx[t] >= in)
          c[t] = 0;
        sum += c[t];
      }
      for (double &v : c)
        v /= sum;
    }
    // Nearest keeps the single tap it selects.
    if (p.mode == Mode::Nearest) {
      idx = {c[0] != 0 ? idx[0] : idx[1]};
      c = {1};
    }
    if (o == 0)
      taps.n = c.size();
    else if ((int64_t)c.size() != taps.n)
      return ctx.fail("internal error: varying tap counts");
    for (size_t t = 0; t < c.size(); ++t) {
      taps.idx.push_back(std::clamp<int64_t>(idx[t], 0, in - 1));
      taps.w.push_back(outside ? 0.0 : c[t]);
    }
    taps.outside.push_back(outside);
  }
  return taps;
}

/// The gather table of an axis whose every output reads one input with
/// weight 1 (or is outside), or nullopt.
std::optional<AxisTable> asGather(const AxisTaps &taps, int64_t out) {
  AxisTable table;
  for (int64_t o = 0; o < out; ++o) {
    if (taps.outside[o]) {
      table.push_back(-1);
      continue;
    }
    int64_t pick = -1;
    for (int64_t t = 0; t < taps.n; ++t) {
      double w = taps.w[o * taps.n + t];
      if (w == 0)
        continue;
      if (w != 1 || pick >= 0)
        return std::nullopt;
      pick = taps.idx[o * taps.n + t];
    }
    if (pick < 0)
      return std::nullopt;
    table.push_back(pick);
  }
  return table;
}

/// Interpolates `x` along `axis` with `taps`.
Value buildTapPass(OpBuilder &b, Location loc, Value x, int64_t axis,
                   const AxisTaps &taps, const ResizeParams &p) {
  auto type = cast<RankedTensorType>(x.getType());
  Type element = type.getElementType();
  Type acc = element.getIntOrFloatBitWidth() < 32 ? b.getF32Type() : element;
  int64_t out = taps.outside.size(), n = taps.n;
  SmallVector<int64_t> shape(type.getShape());
  shape[axis] = out;
  auto idxType = RankedTensorType::get({out, n}, b.getI64Type());
  Value idx = arith::ConstantOp::create(
      b, loc, DenseIntElementsAttr::get(idxType, ArrayRef<int64_t>(taps.idx)));
  SmallVector<Attribute> ws;
  for (double w : taps.w)
    ws.push_back(scalarAttr(acc, w));
  Value weights = arith::ConstantOp::create(
      b, loc, DenseElementsAttr::get(RankedTensorType::get({out, n}, acc), ws));
  Value outsideMask;
  if (llvm::is_contained(taps.outside, true)) {
    SmallVector<bool> mask(taps.outside.begin(), taps.outside.end());
    outsideMask = arith::ConstantOp::create(
        b, loc,
        DenseElementsAttr::get(RankedTensorType::get({out}, b.getI1Type()),
                               ArrayRef<bool>(mask)));
  }
  return buildIndexGeneric(
      b, loc, shape, element, {}, {},
      [&](OpBuilder &nb, Location nl, ValueRange indices, ValueRange) {
        SmallVector<Value> at(indices);
        Value sum = scalarConstant(nb, nl, acc, 0);
        for (int64_t t = 0; t < n; ++t) {
          Value tv = indexConstant(nb, nl, t);
          at[axis] = toIndex(nb, nl,
                             tensor::ExtractOp::create(
                                 nb, nl, idx, ValueRange{indices[axis], tv}));
          Value w = tensor::ExtractOp::create(nb, nl, weights,
                                              ValueRange{indices[axis], tv});
          Value v = castScalar(nb, nl, tensor::ExtractOp::create(nb, nl, x, at),
                               acc, false, false);
          sum = arith::AddFOp::create(nb, nl, sum,
                                      arith::MulFOp::create(nb, nl, w, v));
        }
        if (outsideMask) {
          Value isOut = tensor::ExtractOp::create(nb, nl, outsideMask,
                                                  ValueRange{indices[axis]});
          sum = arith::SelectOp::create(
              nb, nl, isOut, scalarConstant(nb, nl, acc, p.extrapolation), sum);
        }
        return castScalar(nb, nl, sum, element, false, false);
      });
}

/// The float values of a constant input (empty when absent or empty).
FailureOr<SmallVector<double>> constantFloats(NodeContext &ctx, unsigned i,
                                              StringRef what) {
  if (!ctx.hasInput(i))
    return SmallVector<double>();
  if (ctx.inputType(i).getNumElements() == 0)
    return SmallVector<double>();
  std::optional<DenseElementsAttr> v = ctx.constantInput(i);
  if (!v)
    return ctx.fail(what + " (input " + Twine(i) +
                    ") must be a compile-time constant; bind graph inputs "
                    "with --bind-input");
  SmallVector<double> out;
  for (Attribute a : v->getValues<Attribute>()) {
    if (auto f = dyn_cast<FloatAttr>(a))
      out.push_back(f.getValueAsDouble());
    else
      out.push_back((double)cast<IntegerAttr>(a).getInt());
  }
  return out;
}

LogicalResult emitResize(NodeContext &ctx, ResizeParams p,
                         SmallVector<double> scales, SmallVector<int64_t> sizes,
                         SmallVector<double> roi, SmallVector<int64_t> axes,
                         StringRef keepAspect) {
  RankedTensorType type = ctx.inputType(0);
  int64_t rank = type.getRank();
  Type element = type.getElementType();
  if (p.mode != Mode::Nearest && !isa<FloatType>(element))
    return ctx.fail("linear and cubic modes need a floating-point input");
  if (axes.empty())
    for (int64_t d = 0; d < rank; ++d)
      axes.push_back(d);
  else
    for (int64_t &a : axes) {
      FailureOr<int64_t> n = ctx.normalizeAxis(a, rank);
      if (failed(n))
        return failure();
      a = *n;
    }
  int64_t naxes = axes.size();
  if (scales.empty() == sizes.empty())
    return ctx.fail("needs exactly one of 'scales' and 'sizes'");
  if (!scales.empty() && (int64_t)scales.size() != naxes)
    return ctx.fail("'scales' has " + Twine(scales.size()) + " entries for " +
                    Twine(naxes) + " axes");
  if (!sizes.empty() && (int64_t)sizes.size() != naxes)
    return ctx.fail("'sizes' has " + Twine(sizes.size()) + " entries for " +
                    Twine(naxes) + " axes");
  // Per input dimension: scale, output size, roi.
  SmallVector<double> scale(rank, 1.0), roiStart(rank, 0.0), roiEnd(rank, 1.0);
  SmallVector<int64_t> outShape(type.getShape());
  if (p.coordMode == "tf_crop_and_resize") {
    if ((int64_t)roi.size() != 2 * naxes)
      return ctx.fail("tf_crop_and_resize needs a constant 'roi' of " +
                      Twine(2 * naxes) + " values");
    for (int64_t i = 0; i < naxes; ++i) {
      roiStart[axes[i]] = roi[i];
      roiEnd[axes[i]] = roi[naxes + i];
    }
  }
  if (!scales.empty()) {
    for (int64_t i = 0; i < naxes; ++i) {
      if (scales[i] <= 0)
        return ctx.fail("scales must be positive");
      int64_t d = axes[i];
      scale[d] = scales[i];
      outShape[d] = (int64_t)std::floor(type.getDimSize(d) * scales[i]);
    }
  } else {
    for (int64_t i = 0; i < naxes; ++i) {
      int64_t d = axes[i];
      if (type.getDimSize(d) == 0)
        return ctx.fail("cannot resize an empty axis");
      scale[d] = (double)sizes[i] / type.getDimSize(d);
      outShape[d] = sizes[i];
    }
    if (keepAspect != "stretch") {
      double s = keepAspect == "not_larger" ? INFINITY : 0;
      for (int64_t d : axes)
        s = keepAspect == "not_larger" ? std::min(s, scale[d])
                                       : std::max(s, scale[d]);
      for (int64_t d : axes) {
        scale[d] = s;
        outShape[d] = (int64_t)(s * type.getDimSize(d) + 0.5);
      }
    }
  }
  // Shape inference rounds the products in float; the graph's type wins.
  if (RankedTensorType inferred = ctx.inferredType(0))
    if (inferred.getRank() == rank)
      outShape = llvm::to_vector(inferred.getShape());

  // Nearest-like axes first (they shrink or gather), then interpolation.
  Value x = ctx.input(0);
  SmallVector<AxisTable> tables;
  SmallVector<std::pair<int64_t, AxisTaps>> passes;
  bool anyOutside = false;
  for (int64_t d = 0; d < rank; ++d) {
    int64_t in = type.getDimSize(d), out = outShape[d];
    if (!llvm::is_contained(axes, d) || (in == 0 && out == 0)) {
      tables.push_back(identityTable(in));
      continue;
    }
    FailureOr<AxisTaps> taps =
        computeTaps(ctx, p, in, out, scale[d], roiStart[d], roiEnd[d]);
    if (failed(taps))
      return failure();
    if (std::optional<AxisTable> t = asGather(*taps, out)) {
      anyOutside |= llvm::is_contained(*t, -1);
      tables.push_back(*t);
      continue;
    }
    tables.push_back(identityTable(in));
    passes.emplace_back(d, std::move(*taps));
  }
  TypedAttr pad = anyOutside ? scalarAttr(element, p.extrapolation) : TypedAttr();
  x = buildAxisGather(ctx.b, ctx.loc, x, tables, pad);
  for (auto &[d, taps] : passes)
    x = buildTapPass(ctx.b, ctx.loc, x, d, taps, p);
  ctx.setResult(0, x, ctx.inputDType(0));
  return success();
}

FailureOr<Mode> parseMode(NodeContext &ctx, StringRef mode) {
  if (mode == "nearest")
    return Mode::Nearest;
  if (mode == "linear" || mode == "bilinear")
    return Mode::Linear;
  if (mode == "cubic" && ctx.opType() == "Resize")
    return Mode::Cubic;
  return ctx.fail("unsupported mode '" + mode + "'");
}

LogicalResult convertResize(NodeContext &ctx) {
  ResizeParams p;
  FailureOr<Mode> mode = parseMode(ctx, ctx.getString("mode", "nearest"));
  if (failed(mode))
    return failure();
  p.mode = *mode;
  if (ctx.opset < 11) {
    // Resize-10 is Upsample with the scales as input 1.
    p.coordMode = "asymmetric";
    p.nearestMode = "floor";
    FailureOr<SmallVector<double>> scales = constantFloats(ctx, 1, "'scales'");
    if (failed(scales))
      return failure();
    return emitResize(ctx, p, *scales, {}, {}, {}, "stretch");
  }
  p.coordMode = ctx.getString("coordinate_transformation_mode", "half_pixel");
  p.nearestMode = ctx.getString("nearest_mode", "round_prefer_floor");
  if (p.nearestMode != "round_prefer_floor" &&
      p.nearestMode != "round_prefer_ceil" && p.nearestMode != "floor" &&
      p.nearestMode != "ceil")
    return ctx.fail("unsupported nearest_mode '" + p.nearestMode + "'");
  p.cubicA = ctx.getFloat("cubic_coeff_a", -0.75f);
  p.excludeOutside = ctx.getInt("exclude_outside", 0);
  p.extrapolation = ctx.getFloat("extrapolation_value", 0);
  p.antialias = ctx.getInt("antialias", 0);
  if (p.antialias && p.mode == Mode::Nearest)
    return ctx.fail("antialias is not defined for mode 'nearest'");
  std::string keepAspect = ctx.getString("keep_aspect_ratio_policy", "stretch");
  if (keepAspect != "stretch" && keepAspect != "not_larger" &&
      keepAspect != "not_smaller")
    return ctx.fail("unsupported keep_aspect_ratio_policy '" + keepAspect +
                    "'");
  SmallVector<double> roi;
  if (p.coordMode == "tf_crop_and_resize") {
    FailureOr<SmallVector<double>> r = constantFloats(ctx, 1, "'roi'");
    if (failed(r))
      return failure();
    roi = *r;
  }
  FailureOr<SmallVector<double>> scales = constantFloats(ctx, 2, "'scales'");
  if (failed(scales))
    return failure();
  SmallVector<int64_t> sizes;
  if (ctx.hasInput(3) && ctx.inputType(3).getNumElements() != 0) {
    FailureOr<SmallVector<int64_t>> s = ctx.requireConstantInts(3, "'sizes'");
    if (failed(s))
      return failure();
    sizes = *s;
  }
  return emitResize(ctx, p, *scales, sizes, roi, ctx.getInts("axes"),
                    keepAspect);
}

LogicalResult convertUpsample(NodeContext &ctx) {
  ResizeParams p;
  FailureOr<Mode> mode = parseMode(ctx, ctx.getString("mode", "nearest"));
  if (failed(mode))
    return failure();
  p.mode = *mode;
  p.coordMode = "asymmetric";
  p.nearestMode = "floor";
  SmallVector<double> scales;
  if (ctx.opset < 9) {
    for (float s : ctx.getFloats("scales"))
      scales.push_back(s);
  } else {
    FailureOr<SmallVector<double>> s = constantFloats(ctx, 1, "'scales'");
    if (failed(s))
      return failure();
    scales = *s;
  }
  return emitResize(ctx, p, scales, {}, {}, {}, "stretch");
}

} // namespace

namespace quantc::onnx_import {
void registerResizeOps(OpRegistry &r) {
  r.add("Resize", convertResize);
  // Upsample-1 (experimental height_scale/width_scale) is not supported.
  r.add("", "Upsample", 7, convertUpsample);
}
} // namespace quantc::onnx_import
