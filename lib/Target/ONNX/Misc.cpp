//===- Misc.cpp - ONNX sampling, Det and the training optimizers ----------===//
//
// Part of quantc.
//
// GridSample and RoiAlign read their input at data-dependent positions: each
// is one linalg.generic over the output whose body computes the sampling
// positions and gathers with tensor.extract (indices clamped into range, taps
// outside the input weighted by zero). Det is LU factorisation with partial
// pivoting in scf.for loops over a tensor. The optimizers of the
// ai.onnx.preview.training domain (Adagrad, Adam, Momentum) are elementwise
// formulas over each optimized tensor.
//
//===----------------------------------------------------------------------===//

#include "Builders.h"
#include "DataMovement.h"
#include "Importer.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include <cmath>

using namespace mlir;
using namespace quantc::onnx_import;

namespace {

/// Scalar floating-point arithmetic in one type, for the sampling bodies.
struct FloatMath {
  OpBuilder &b;
  Location loc;
  Type type;

  Value c(double v) const { return scalarConstant(b, loc, type, v); }
  Value add(Value x, Value y) const { return arith::AddFOp::create(b, loc, x, y); }
  Value sub(Value x, Value y) const { return arith::SubFOp::create(b, loc, x, y); }
  Value mul(Value x, Value y) const { return arith::MulFOp::create(b, loc, x, y); }
  Value div(Value x, Value y) const { return arith::DivFOp::create(b, loc, x, y); }
  Value floor(Value x) const { return math::FloorOp::create(b, loc, x); }
  Value max(Value x, Value y) const {
    return arith::MaximumFOp::create(b, loc, x, y);
  }
  Value min(Value x, Value y) const {
    return arith::MinimumFOp::create(b, loc, x, y);
  }
  Value clamp(Value x, double lo, double hi) const {
    return min(max(x, c(lo)), c(hi));
  }
  Value cmp(arith::CmpFPredicate p, Value x, Value y) const {
    return arith::CmpFOp::create(b, loc, p, x, y);
  }
  Value select(Value cond, Value x, Value y) const {
    return arith::SelectOp::create(b, loc, cond, x, y);
  }
  Value andI(Value x, Value y) const { return arith::AndIOp::create(b, loc, x, y); }
  /// A float holding an in-range integer, as an index.
  Value toIndex(Value x) const {
    Value i = arith::FPToSIOp::create(b, loc, b.getI64Type(), x);
    return arith::IndexCastOp::create(b, loc, b.getIndexType(), i);
  }
};

//===----------------------------------------------------------------------===//
// GridSample
//===----------------------------------------------------------------------===//

enum class Padding { Zeros, Border, Reflection };

/// PyTorch's grid_sample (which ONNX GridSample follows) for one axis.
struct GridAxis {
  int64_t size;
  bool alignCorners;
  Padding padding;

  /// Grid value in [-1, 1] -> input coordinate.
  Value unnormalize(const FloatMath &m, Value g) const {
    Value one = m.c(1);
    if (alignCorners) // (g + 1) / 2 * (size - 1)
      return m.mul(m.add(g, one), m.c((size - 1) / 2.0));
    // ((g + 1) * size - 1) / 2
    return m.mul(m.sub(m.mul(m.add(g, one), m.c(size)), one), m.c(0.5));
  }

  /// x reflected into [low, high] = [twiceLow / 2, twiceHigh / 2].
  static Value reflect(const FloatMath &m, Value x, int64_t twiceLow,
                       int64_t twiceHigh) {
    if (twiceLow == twiceHigh)
      return m.c(0);
    double low = twiceLow / 2.0, span = (twiceHigh - twiceLow) / 2.0;
    Value d = math::AbsFOp::create(m.b, m.loc, m.sub(x, m.c(low)));
    Value extra = arith::RemFOp::create(m.b, m.loc, d, m.c(span));
    Value flips = m.floor(m.div(d, m.c(span)));
    Value half = m.floor(m.mul(flips, m.c(0.5)));
    Value even = m.cmp(arith::CmpFPredicate::OEQ,
                       m.sub(flips, m.mul(half, m.c(2))), m.c(0));
    return m.select(even, m.add(extra, m.c(low)),
                    m.add(m.sub(m.c(span), extra), m.c(low)));
  }

  /// The padding mode applied to a coordinate (border clips, reflection
  /// reflects then clips; zeros leaves it).
  Value pad(const FloatMath &m, Value x) const {
    switch (padding) {
    case Padding::Zeros:
      return x;
    case Padding::Border:
      return m.clamp(x, 0, size - 1);
    case Padding::Reflection:
      x = alignCorners ? reflect(m, x, 0, 2 * (size - 1))
                       : reflect(m, x, -1, 2 * size - 1);
      return m.clamp(x, 0, size - 1);
    }
    return x;
  }

  /// Whether integral coordinate `x` is inside the axis.
  Value inBounds(const FloatMath &m, Value x) const {
    return m.andI(m.cmp(arith::CmpFPredicate::OGE, x, m.c(0)),
                  m.cmp(arith::CmpFPredicate::OLE, x, m.c(size - 1)));
  }
};

/// The cubic convolution weights (A = -0.75) of the taps at -1, 0, 1, 2 for
/// fraction t.
SmallVector<Value, 4> cubicWeights(const FloatMath &m, Value t) {
  const double a = -0.75;
  auto near = [&](Value x) { // ((a + 2) x - (a + 3)) x^2 + 1, |x| <= 1
    return m.add(m.mul(m.mul(m.sub(m.mul(m.c(a + 2), x), m.c(a + 3)), x), x),
                 m.c(1));
  };
  auto far = [&](Value x) { // ((a x - 5a) x + 8a) x - 4a, 1 < |x| < 2
    return m.sub(
        m.mul(m.add(m.mul(m.sub(m.mul(m.c(a), x), m.c(5 * a)), x), m.c(8 * a)),
              x),
        m.c(4 * a));
  };
  Value one = m.c(1);
  return {far(m.add(t, one)), near(t), near(m.sub(one, t)),
          far(m.sub(m.c(2), t))};
}

LogicalResult convertGridSample(NodeContext &ctx) {
  RankedTensorType xType = ctx.inputType(0), gridType = ctx.inputType(1);
  Type element = xType.getElementType();
  if (!isa<FloatType>(element))
    return ctx.fail("expects a floating-point input");
  if (xType.getRank() != 4 || gridType.getRank() != 4 ||
      gridType.getDimSize(3) != 2 ||
      gridType.getDimSize(0) != xType.getDimSize(0))
    return ctx.fail("expects X [N, C, H, W] and grid [N, H_out, W_out, 2] "
                    "(only 2-D sampling is supported)");
  std::string mode = ctx.getString("mode", "bilinear");
  if (mode == "linear")
    mode = "bilinear";
  if (mode == "cubic")
    mode = "bicubic";
  if (mode != "bilinear" && mode != "nearest" && mode != "bicubic")
    return ctx.fail("unsupported mode '" + mode + "'");
  std::string paddingName = ctx.getString("padding_mode", "zeros");
  Padding padding;
  if (paddingName == "zeros")
    padding = Padding::Zeros;
  else if (paddingName == "border")
    padding = Padding::Border;
  else if (paddingName == "reflection")
    padding = Padding::Reflection;
  else
    return ctx.fail("unsupported padding_mode '" + paddingName + "'");
  bool alignCorners = ctx.getInt("align_corners", 0) != 0;
  int64_t n = xType.getDimSize(0), channels = xType.getDimSize(1);
  int64_t h = xType.getDimSize(2), w = xType.getDimSize(3);
  int64_t outH = gridType.getDimSize(1), outW = gridType.getDimSize(2);
  GridAxis ax{w, alignCorners, padding}, ay{h, alignCorners, padding};
  Value x = ctx.input(0), grid = ctx.input(1);

  Value result = buildIndexGeneric(
      ctx.b, ctx.loc, {n, channels, outH, outW}, element, {}, {},
      [&](OpBuilder &nb, Location nl, ValueRange idx, ValueRange) {
        FloatMath m{nb, nl, element};
        auto gridAt = [&](int64_t k) {
          Value g = tensor::ExtractOp::create(
              nb, nl, grid,
              ValueRange{idx[0], idx[2], idx[3], indexConstant(nb, nl, k)});
          return castScalar(nb, nl, g, element, false, false);
        };
        Value gx = gridAt(0), gy = gridAt(1);
        // X[n, c, yi, xi] for integral coordinates, or 0 outside.
        auto tap = [&](Value yi, Value xi) {
          Value valid = m.andI(ay.inBounds(m, yi), ax.inBounds(m, xi));
          Value v = tensor::ExtractOp::create(
              nb, nl, x,
              ValueRange{idx[0], idx[1], m.toIndex(m.clamp(yi, 0, h - 1)),
                         m.toIndex(m.clamp(xi, 0, w - 1))});
          return m.select(valid, v, m.c(0));
        };
        if (mode == "nearest") {
          Value fx = ax.pad(m, ax.unnormalize(m, gx));
          Value fy = ay.pad(m, ay.unnormalize(m, gy));
          return tap(math::RoundEvenOp::create(nb, nl, fy),
                     math::RoundEvenOp::create(nb, nl, fx));
        }
        if (mode == "bilinear") {
          Value fx = ax.pad(m, ax.unnormalize(m, gx));
          Value fy = ay.pad(m, ay.unnormalize(m, gy));
          Value x0 = m.floor(fx), y0 = m.floor(fy);
          Value x1 = m.add(x0, m.c(1)), y1 = m.add(y0, m.c(1));
          Value tx = m.sub(fx, x0), ty = m.sub(fy, y0);
          Value sx = m.sub(m.c(1), tx), sy = m.sub(m.c(1), ty);
          Value top = m.add(m.mul(tap(y0, x0), sx), m.mul(tap(y0, x1), tx));
          Value bottom = m.add(m.mul(tap(y1, x0), sx), m.mul(tap(y1, x1), tx));
          return m.add(m.mul(top, sy), m.mul(bottom, ty));
        }
        // Bicubic: 4x4 taps around the unpadded coordinate; the padding
        // mode applies to each tap.
        Value fx = ax.unnormalize(m, gx), fy = ay.unnormalize(m, gy);
        Value x0 = m.floor(fx), y0 = m.floor(fy);
        SmallVector<Value, 4> wx = cubicWeights(m, m.sub(fx, x0));
        SmallVector<Value, 4> wy = cubicWeights(m, m.sub(fy, y0));
        Value sum = m.c(0);
        for (int64_t i = 0; i < 4; ++i) {
          Value yi = ay.pad(m, m.add(y0, m.c(i - 1)));
          Value row = m.c(0);
          for (int64_t j = 0; j < 4; ++j) {
            Value xj = ax.pad(m, m.add(x0, m.c(j - 1)));
            row = m.add(row, m.mul(tap(yi, xj), wx[j]));
          }
          sum = m.add(sum, m.mul(row, wy[i]));
        }
        return sum;
      });
  ctx.setResult(0, result, ctx.inputDType(0));
  return success();
}

//===----------------------------------------------------------------------===//
// RoiAlign
//===----------------------------------------------------------------------===//

LogicalResult convertRoiAlign(NodeContext &ctx) {
  RankedTensorType xType = ctx.inputType(0), roisType = ctx.inputType(1);
  Type element = xType.getElementType();
  if (!isa<FloatType>(element))
    return ctx.fail("expects a floating-point input");
  if (xType.getRank() != 4 || roisType.getRank() != 2 ||
      roisType.getDimSize(1) != 4 || ctx.inputRank(2) != 1 ||
      ctx.inputType(2).getDimSize(0) != roisType.getDimSize(0))
    return ctx.fail("expects X [N, C, H, W], rois [R, 4] and batch_indices "
                    "[R]");
  std::string mode = ctx.getString("mode", "avg");
  if (mode != "avg" && mode != "max")
    return ctx.fail("unsupported mode '" + mode + "'");
  // RoiAlign-10 has no coordinate_transformation_mode and behaves as
  // output_half_pixel.
  std::string coordMode = ctx.getString(
      "coordinate_transformation_mode",
      ctx.opset >= 16 ? "half_pixel" : "output_half_pixel");
  if (coordMode != "half_pixel" && coordMode != "output_half_pixel")
    return ctx.fail("unsupported coordinate_transformation_mode '" +
                    coordMode + "'");
  bool halfPixel = coordMode == "half_pixel";
  int64_t pooledH = ctx.getInt("output_height", 1);
  int64_t pooledW = ctx.getInt("output_width", 1);
  int64_t samplingRatio = ctx.getInt("sampling_ratio", 0);
  double spatialScale = ctx.getFloat("spatial_scale", 1.0f);
  if (pooledH <= 0 || pooledW <= 0 || samplingRatio < 0)
    return ctx.fail("output_height/output_width must be positive and "
                    "sampling_ratio non-negative");
  int64_t numRois = roisType.getDimSize(0), channels = xType.getDimSize(1);
  int64_t h = xType.getDimSize(2), w = xType.getDimSize(3);
  Value x = ctx.input(0), rois = ctx.input(1), batchIndices = ctx.input(2);
  bool isMax = mode == "max";
  bool indicesUnsigned = ctx.inputIsUnsigned(2);

  Value result = buildIndexGeneric(
      ctx.b, ctx.loc, {numRois, channels, pooledH, pooledW}, element, {}, {},
      [&](OpBuilder &nb, Location nl, ValueRange idx, ValueRange) {
        FloatMath m{nb, nl, element};
        auto roi = [&](int64_t k) {
          Value v = tensor::ExtractOp::create(
              nb, nl, rois, ValueRange{idx[0], indexConstant(nb, nl, k)});
          v = castScalar(nb, nl, v, element, false, false);
          return m.sub(m.mul(v, m.c(spatialScale)), m.c(halfPixel ? 0.5 : 0));
        };
        // Out-of-range batch indices are clamped rather than read out of
        // bounds.
        Value batch = toIndex(
            nb, nl, tensor::ExtractOp::create(nb, nl, batchIndices, idx[0]),
            indicesUnsigned);
        batch = arith::MinSIOp::create(
            nb, nl,
            arith::MaxSIOp::create(nb, nl, batch, indexConstant(nb, nl, 0)),
            indexConstant(nb, nl, xType.getDimSize(0) - 1));
        Value startW = roi(0), startH = roi(1), endW = roi(2), endH = roi(3);
        Value roiW = m.sub(endW, startW), roiH = m.sub(endH, startH);
        if (!halfPixel) {
          roiW = m.max(roiW, m.c(1));
          roiH = m.max(roiH, m.c(1));
        }
        Value binH = m.div(roiH, m.c(pooledH)), binW = m.div(roiW, m.c(pooledW));
        auto indexToFloat = [&](Value i) {
          Value v = arith::IndexCastOp::create(nb, nl, nb.getI64Type(), i);
          return arith::SIToFPOp::create(nb, nl, element, v).getResult();
        };
        Value baseH = m.add(startH, m.mul(indexToFloat(idx[2]), binH));
        Value baseW = m.add(startW, m.mul(indexToFloat(idx[3]), binW));

        // The bilinear sample at (y, x), as the reference: zero outside
        // [-1, H] x [-1, W], coordinates clamped to the last row/column.
        auto sample = [&](OpBuilder &sb, Location sl, Value y, Value xx) {
          FloatMath s{sb, sl, element};
          Value outside = arith::OrIOp::create(
              sb, sl,
              arith::OrIOp::create(
                  sb, sl, s.cmp(arith::CmpFPredicate::OLT, y, s.c(-1)),
                  s.cmp(arith::CmpFPredicate::OGT, y, s.c(h))),
              arith::OrIOp::create(
                  sb, sl, s.cmp(arith::CmpFPredicate::OLT, xx, s.c(-1)),
                  s.cmp(arith::CmpFPredicate::OGT, xx, s.c(w))));
          auto axis = [&](Value c, int64_t size) {
            c = s.max(c, s.c(0));
            Value low = s.floor(c);
            Value capped =
                s.cmp(arith::CmpFPredicate::OGE, low, s.c(size - 1));
            low = s.select(capped, s.c(size - 1), low);
            Value high = s.select(capped, s.c(size - 1), s.add(low, s.c(1)));
            c = s.select(capped, s.c(size - 1), c);
            Value frac = s.sub(c, low);
            // Indices of out-of-range samples are clamped; their weights
            // are zero.
            return std::make_tuple(
                s.toIndex(s.min(low, s.c(size - 1))),
                s.toIndex(s.min(high, s.c(size - 1))),
                s.select(outside, s.c(0), s.sub(s.c(1), frac)),
                s.select(outside, s.c(0), frac));
          };
          auto [y0, y1, hy, ly] = axis(y, h);
          auto [x0, x1, hx, lx] = axis(xx, w);
          auto at = [&](Value yi, Value xi, Value wy, Value wx) {
            Value v = tensor::ExtractOp::create(
                sb, sl, x, ValueRange{batch, idx[1], yi, xi});
            return s.mul(s.mul(wy, wx), v);
          };
          Value v1 = at(y0, x0, hy, hx), v2 = at(y0, x1, hy, lx);
          Value v3 = at(y1, x0, ly, hx), v4 = at(y1, x1, ly, lx);
          if (isMax)
            return s.max(s.max(v1, v2), s.max(v3, v4));
          return s.add(s.add(v1, v2), s.add(v3, v4));
        };
        Value init = m.c(isMax ? -INFINITY : 0.0);
        auto combine = [&](OpBuilder &sb, Location sl, Value acc, Value v) {
          FloatMath s{sb, sl, element};
          return isMax ? s.max(acc, v) : s.add(acc, v);
        };

        Value acc, count;
        if (samplingRatio > 0) {
          // A fixed grid of sampling points, unrolled.
          int64_t g = samplingRatio;
          Value stepH = m.div(binH, m.c(g)), stepW = m.div(binW, m.c(g));
          acc = init;
          for (int64_t iy = 0; iy < g; ++iy) {
            Value y = m.add(baseH, m.mul(m.c(iy + 0.5), stepH));
            for (int64_t ix = 0; ix < g; ++ix) {
              Value xx = m.add(baseW, m.mul(m.c(ix + 0.5), stepW));
              acc = combine(nb, nl, acc, sample(nb, nl, y, xx));
            }
          }
          count = m.c(g * g);
        } else {
          // Adaptive: ceil(roi / pooled) points per bin side, known only at
          // run time.
          Value gridH = math::CeilOp::create(nb, nl, m.div(roiH, m.c(pooledH)));
          Value gridW = math::CeilOp::create(nb, nl, m.div(roiW, m.c(pooledW)));
          Value stepH = m.div(binH, gridH), stepW = m.div(binW, gridW);
          Value zero = indexConstant(nb, nl, 0), one = indexConstant(nb, nl, 1);
          auto outer = scf::ForOp::create(
              nb, nl, zero, m.toIndex(m.max(gridH, m.c(0))), one,
              ValueRange{init},
              [&](OpBuilder &ob, Location ol, Value iy, ValueRange accs) {
                FloatMath o{ob, ol, element};
                Value fy = arith::SIToFPOp::create(
                    ob, ol, element,
                    arith::IndexCastOp::create(ob, ol, ob.getI64Type(), iy));
                Value y = o.add(baseH, o.mul(o.add(fy, o.c(0.5)), stepH));
                auto inner = scf::ForOp::create(
                    ob, ol, zero, o.toIndex(o.max(gridW, o.c(0))), one,
                    accs,
                    [&](OpBuilder &ib, Location il, Value ix,
                        ValueRange innerAccs) {
                      FloatMath in{ib, il, element};
                      Value fx = arith::SIToFPOp::create(
                          ib, il, element,
                          arith::IndexCastOp::create(ib, il, ib.getI64Type(),
                                                     ix));
                      Value xx =
                          in.add(baseW, in.mul(in.add(fx, in.c(0.5)), stepW));
                      scf::YieldOp::create(
                          ib, il,
                          combine(ib, il, innerAccs[0],
                                  sample(ib, il, y, xx)));
                    });
                scf::YieldOp::create(ob, ol, inner.getResults());
              });
          acc = outer.getResult(0);
          count = m.mul(m.max(gridH, m.c(0)), m.max(gridW, m.c(0)));
        }
        // No samples: 0 in both modes.
        Value empty = m.cmp(arith::CmpFPredicate::OLE, count, m.c(0));
        Value value = isMax ? acc : m.div(acc, m.max(count, m.c(1)));
        return m.select(empty, m.c(0), value);
      });
  ctx.setResult(0, result, ctx.inputDType(0));
  return success();
}

//===----------------------------------------------------------------------===//
// Det
//===----------------------------------------------------------------------===//

/// det of every [M, M] matrix of `x` ([B, M, M]) by Gaussian elimination with
/// partial pivoting: a [B] tensor.
Value buildDet(OpBuilder &b, Location loc, Value x) {
  auto type = cast<RankedTensorType>(x.getType());
  Type element = type.getElementType();
  int64_t batch = type.getDimSize(0), size = type.getDimSize(1);
  auto matType = RankedTensorType::get({size, size}, element);
  Value c0 = indexConstant(b, loc, 0), c1 = indexConstant(b, loc, 1);
  Value cm = indexConstant(b, loc, size);
  Value out = buildEmpty(b, loc, {batch}, element);
  auto batchLoop = scf::ForOp::create(
      b, loc, c0, indexConstant(b, loc, batch), c1, ValueRange{out},
      [&](OpBuilder &bb, Location bl, Value bi, ValueRange outs) {
        FloatMath m{bb, bl, element};
        SmallVector<OpFoldResult> offsets = {bi, bb.getIndexAttr(0),
                                             bb.getIndexAttr(0)};
        SmallVector<OpFoldResult> sizes = {bb.getIndexAttr(1),
                                           bb.getIndexAttr(size),
                                           bb.getIndexAttr(size)};
        SmallVector<OpFoldResult> strides(3, bb.getIndexAttr(1));
        Value mat = tensor::ExtractSliceOp::create(bb, bl, matType, x, offsets,
                                                   sizes, strides);
        auto colLoop = scf::ForOp::create(
            bb, bl, c0, cm, c1, ValueRange{mat, m.c(1)},
            [&](OpBuilder &kb, Location kl, Value k, ValueRange state) {
              FloatMath f{kb, kl, element};
              Value a = state[0], det = state[1];
              auto at = [&](OpBuilder &ob, Location ol, Value t, Value i,
                            Value j) {
                return tensor::ExtractOp::create(ob, ol, t, ValueRange{i, j})
                    .getResult();
              };
              // The pivot: the row i >= k with the largest |a[i, k]|.
              auto search = scf::ForOp::create(
                  kb, kl, k, cm, c1, ValueRange{k, f.c(-1)},
                  [&](OpBuilder &ib, Location il, Value i, ValueRange best) {
                    FloatMath s{ib, il, element};
                    Value v = math::AbsFOp::create(ib, il, at(ib, il, a, i, k));
                    Value better =
                        s.cmp(arith::CmpFPredicate::OGT, v, best[1]);
                    scf::YieldOp::create(
                        ib, il,
                        ValueRange{s.select(better, i, best[0]),
                                   s.select(better, v, best[1])});
                  });
              Value p = search.getResult(0);
              // Swap rows k and p (a no-op when p == k).
              auto swap = scf::ForOp::create(
                  kb, kl, c0, cm, c1, ValueRange{a},
                  [&](OpBuilder &jb, Location jl, Value j, ValueRange t) {
                    Value rowK = at(jb, jl, t[0], k, j);
                    Value rowP = at(jb, jl, t[0], p, j);
                    Value s1 = tensor::InsertOp::create(jb, jl, rowP, t[0],
                                                        ValueRange{k, j});
                    Value s2 = tensor::InsertOp::create(jb, jl, rowK, s1,
                                                        ValueRange{p, j});
                    scf::YieldOp::create(jb, jl, s2);
                  });
              a = swap.getResult(0);
              Value swapped = arith::CmpIOp::create(
                  kb, kl, arith::CmpIPredicate::ne, p, k);
              det = f.select(swapped, arith::NegFOp::create(kb, kl, det), det);
              Value pivot = at(kb, kl, a, k, k);
              det = f.mul(det, pivot);
              // A zero pivot means a zero column below the diagonal: the
              // determinant is 0 and elimination has nothing to do.
              Value safe = f.select(
                  f.cmp(arith::CmpFPredicate::OEQ, pivot, f.c(0)), f.c(1),
                  pivot);
              Value next = arith::AddIOp::create(kb, kl, k, c1);
              auto rows = scf::ForOp::create(
                  kb, kl, next, cm, c1, ValueRange{a},
                  [&](OpBuilder &ib, Location il, Value i, ValueRange t) {
                    FloatMath s{ib, il, element};
                    Value factor = s.div(at(ib, il, t[0], i, k), safe);
                    auto cols = scf::ForOp::create(
                        ib, il, next, cm, c1, t,
                        [&](OpBuilder &jb, Location jl, Value j,
                            ValueRange u) {
                          FloatMath e{jb, jl, element};
                          Value v = e.sub(at(jb, jl, u[0], i, j),
                                          e.mul(factor,
                                                at(jb, jl, u[0], k, j)));
                          scf::YieldOp::create(
                              jb, jl,
                              tensor::InsertOp::create(jb, jl, v, u[0],
                                                       ValueRange{i, j})
                                  .getResult());
                        });
                    scf::YieldOp::create(ib, il, cols.getResults());
                  });
              scf::YieldOp::create(kb, kl,
                                   ValueRange{rows.getResult(0), det});
            });
        Value det = colLoop.getResult(1);
        scf::YieldOp::create(
            bb, bl,
            tensor::InsertOp::create(bb, bl, det, outs[0], ValueRange{bi})
                .getResult());
      });
  return batchLoop.getResult(0);
}

LogicalResult convertDet(NodeContext &ctx) {
  RankedTensorType type = ctx.inputType(0);
  int64_t rank = type.getRank();
  if (!isa<FloatType>(type.getElementType()))
    return ctx.fail("expects floating-point matrices");
  if (rank < 2 || type.getDimSize(rank - 1) != type.getDimSize(rank - 2))
    return ctx.fail("expects [*, M, M] square matrices");
  ArrayRef<int64_t> batchShape = type.getShape().drop_back(2);
  int64_t batch = numElements(batchShape), size = type.getDimSize(rank - 1);
  Value x = buildReshape(ctx.b, ctx.loc, ctx.input(0), {batch, size, size});
  Value det = buildDet(ctx.b, ctx.loc, x);
  ctx.setResult(0, buildReshape(ctx.b, ctx.loc, det, batchShape),
                ctx.inputDType(0));
  return success();
}

//===----------------------------------------------------------------------===//
// Training optimizers (ai.onnx.preview.training)
//===----------------------------------------------------------------------===//

/// The per-tensor operands: X_i, G_i, then `extra` more groups (H for
/// Adagrad, V for Momentum, V and H for Adam), each group one tensor per
/// optimized tensor.
FailureOr<int64_t> optimizedTensorCount(NodeContext &ctx, int64_t groups) {
  int64_t variadic = (int64_t)ctx.numInputs() - 2;
  if (variadic <= 0 || variadic % groups != 0)
    return ctx.emitError() << "expects R, T and " << groups
                           << " tensors per optimized tensor";
  int64_t count = variadic / groups;
  int64_t outGroups = groups - 1; // every group but G has a new value
  if ((int64_t)ctx.numOutputs() != count * outGroups)
    return ctx.emitError() << "expects " << count * outGroups << " outputs";
  for (int64_t i = 0; i < variadic; ++i)
    if (!isa<FloatType>(ctx.inputType(2 + i).getElementType()))
      return ctx.emitError() << "expects floating-point tensors";
  if (!isa<FloatType>(ctx.inputType(0).getElementType()) ||
      ctx.inputType(0).getNumElements() != 1 ||
      !isa<IntegerType>(ctx.inputType(1).getElementType()) ||
      ctx.inputType(1).getNumElements() != 1)
    return ctx.emitError() << "expects a float scalar R and an integer "
                              "scalar T";
  return count;
}

/// One output of an optimizer: `body(m, r, t, tensors)` over R, T and
/// `tensors` (broadcast), in the element type of the first tensor.
using OptimizerBody = llvm::function_ref<Value(
    const FloatMath &, Value r, Value t, ValueRange tensors)>;
LogicalResult emitOptimizerOutput(NodeContext &ctx, unsigned output,
                                  ArrayRef<unsigned> inputs,
                                  OptimizerBody body) {
  Type element = ctx.inputType(inputs[0]).getElementType();
  SmallVector<Value> operands = {ctx.input(0), ctx.input(1)};
  for (unsigned i : inputs)
    operands.push_back(ctx.input(i));
  bool tUnsigned = ctx.inputIsUnsigned(1);
  FailureOr<Value> result = buildBroadcastElementwise(
      ctx.b, ctx.loc, element, operands,
      [&](OpBuilder &b, Location loc, ValueRange args) {
        FloatMath m{b, loc, element};
        Value r = castScalar(b, loc, args[0], element, false, false);
        SmallVector<Value> tensors;
        for (Value v : args.drop_front(2))
          tensors.push_back(castScalar(b, loc, v, element, false, false));
        // T as i64, so that T > 0 and its float value are signed.
        Value t = args[1];
        if (t.getType().getIntOrFloatBitWidth() < 64)
          t = castScalar(b, loc, t, b.getI64Type(), tUnsigned, false);
        return body(m, r, t, tensors);
      });
  if (failed(result))
    return ctx.fail("the optimized tensors do not broadcast");
  ctx.setResult(output, *result, ctx.inputDType(inputs[0]));
  return success();
}

Value tPositive(const FloatMath &m, Value t) {
  Value zero = arith::ConstantOp::create(
      m.b, m.loc, IntegerAttr::get(t.getType(), 0));
  return arith::CmpIOp::create(m.b, m.loc, arith::CmpIPredicate::sgt, t, zero);
}

Value tAsFloat(const FloatMath &m, Value t) {
  return arith::SIToFPOp::create(m.b, m.loc, m.type, t);
}

LogicalResult convertAdagrad(NodeContext &ctx) {
  FailureOr<int64_t> count = optimizedTensorCount(ctx, 3);
  if (failed(count))
    return failure();
  double norm = ctx.getFloat("norm_coefficient", 0.0f);
  double epsilon = ctx.getFloat("epsilon", 1e-6f);
  double decay = ctx.getFloat("decay_factor", 0.0f);
  int64_t n = *count;
  for (int64_t i = 0; i < n; ++i) {
    unsigned xi = 2 + i, gi = 2 + n + i, hi = 2 + 2 * n + i;
    // G_reg = norm * X + G; H_new = H + G_reg^2.
    auto hNew = [&](const FloatMath &m, ValueRange v) {
      Value g = m.add(m.mul(m.c(norm), v[0]), v[1]);
      return std::make_pair(g, m.add(v[2], m.mul(g, g)));
    };
    if (failed(emitOptimizerOutput(
            ctx, i, {xi, gi, hi},
            [&](const FloatMath &m, Value r, Value t, ValueRange v) {
              auto [g, h] = hNew(m, v);
              // r = R / (1 + T * decay); X_new = X - r * G_reg / (sqrt(H) + eps)
              Value rate = m.div(
                  r, m.add(m.c(1), m.mul(tAsFloat(m, t), m.c(decay))));
              Value denom =
                  m.add(math::SqrtOp::create(m.b, m.loc, h), m.c(epsilon));
              return m.sub(v[0], m.div(m.mul(rate, g), denom));
            })) ||
        failed(emitOptimizerOutput(
            ctx, n + i, {xi, gi, hi},
            [&](const FloatMath &m, Value, Value, ValueRange v) {
              return hNew(m, v).second;
            })))
      return failure();
  }
  return success();
}

LogicalResult convertAdam(NodeContext &ctx) {
  FailureOr<int64_t> count = optimizedTensorCount(ctx, 4);
  if (failed(count))
    return failure();
  double norm = ctx.getFloat("norm_coefficient", 0.0f);
  double normPost = ctx.getFloat("norm_coefficient_post", 0.0f);
  double alpha = ctx.getFloat("alpha", 0.9f);
  double beta = ctx.getFloat("beta", 0.999f);
  double epsilon = ctx.getFloat("epsilon", 1e-6f);
  int64_t n = *count;
  for (int64_t i = 0; i < n; ++i) {
    unsigned xi = 2 + i, gi = 2 + n + i, vi = 2 + 2 * n + i,
             hi = 2 + 3 * n + i;
    auto g = [&](const FloatMath &m, ValueRange v) {
      return m.add(m.mul(m.c(norm), v[0]), v[1]);
    };
    // V_new = alpha V + (1 - alpha) G_reg
    auto vNew = [&](const FloatMath &m, ValueRange v) {
      return m.add(m.mul(m.c(alpha), v[2]), m.mul(m.c(1 - alpha), g(m, v)));
    };
    // H_new = beta H + (1 - beta) G_reg^2
    auto hNew = [&](const FloatMath &m, ValueRange v) {
      Value gr = g(m, v);
      return m.add(m.mul(m.c(beta), v[3]), m.mul(m.c(1 - beta), m.mul(gr, gr)));
    };
    SmallVector<unsigned> operands = {xi, gi, vi, hi};
    if (failed(emitOptimizerOutput(
            ctx, i, operands,
            [&](const FloatMath &m, Value r, Value t, ValueRange v) {
              Value tf = tAsFloat(m, t);
              auto pow = [&](double base) {
                return math::PowFOp::create(m.b, m.loc, m.c(base), tf)
                    .getResult();
              };
              // R_adj = T > 0 ? R sqrt(1 - beta^T) / (1 - alpha^T) : R
              Value adjusted = m.div(
                  m.mul(r, math::SqrtOp::create(m.b, m.loc,
                                                m.sub(m.c(1), pow(beta)))),
                  m.sub(m.c(1), pow(alpha)));
              Value rate = m.select(tPositive(m, t), adjusted, r);
              Value denom = m.add(math::SqrtOp::create(m.b, m.loc, hNew(m, v)),
                                  m.c(epsilon));
              Value xNew = m.sub(v[0], m.mul(rate, m.div(vNew(m, v), denom)));
              return m.mul(m.c(1 - normPost), xNew);
            })) ||
        failed(emitOptimizerOutput(
            ctx, n + i, operands,
            [&](const FloatMath &m, Value, Value, ValueRange v) {
              return vNew(m, v);
            })) ||
        failed(emitOptimizerOutput(
            ctx, 2 * n + i, operands,
            [&](const FloatMath &m, Value, Value, ValueRange v) {
              return hNew(m, v);
            })))
      return failure();
  }
  return success();
}

LogicalResult convertMomentum(NodeContext &ctx) {
  FailureOr<int64_t> count = optimizedTensorCount(ctx, 3);
  if (failed(count))
    return failure();
  for (StringRef name : {"alpha", "beta", "norm_coefficient", "mode"})
    if (!ctx.hasAttr(name))
      return ctx.fail(Twine("missing required attribute '") + name + "'");
  double norm = ctx.getFloat("norm_coefficient", 0.0f);
  double alpha = ctx.getFloat("alpha", 0.0f);
  double beta = ctx.getFloat("beta", 0.0f);
  std::string mode = ctx.getString("mode", "standard");
  if (mode != "standard" && mode != "nesterov")
    return ctx.fail("unsupported mode '" + mode + "'");
  bool nesterov = mode == "nesterov";
  int64_t n = *count;
  for (int64_t i = 0; i < n; ++i) {
    unsigned xi = 2 + i, gi = 2 + n + i, vi = 2 + 2 * n + i;
    // G_reg = norm X + G; V_new = alpha V + (T > 0 ? beta : 1) G_reg.
    auto gvNew = [&](const FloatMath &m, Value t, ValueRange v) {
      Value g = m.add(m.mul(m.c(norm), v[0]), v[1]);
      Value b = m.select(tPositive(m, t), m.c(beta), m.c(1));
      return std::make_pair(g, m.add(m.mul(m.c(alpha), v[2]), m.mul(b, g)));
    };
    if (failed(emitOptimizerOutput(
            ctx, i, {xi, gi, vi},
            [&](const FloatMath &m, Value r, Value t, ValueRange v) {
              auto [g, vn] = gvNew(m, t, v);
              // standard: X - R V_new; nesterov: X - R (G_reg + alpha V_new)
              Value dir = nesterov ? m.add(g, m.mul(m.c(alpha), vn)) : vn;
              return m.sub(v[0], m.mul(r, dir));
            })) ||
        failed(emitOptimizerOutput(
            ctx, n + i, {xi, gi, vi},
            [&](const FloatMath &m, Value, Value t, ValueRange v) {
              return gvNew(m, t, v).second;
            })))
      return failure();
  }
  return success();
}

} // namespace

void quantc::onnx_import::registerMiscOps(OpRegistry &r) {
  r.add("", "GridSample", 16, convertGridSample);
  r.add("", "RoiAlign", 10, convertRoiAlign);
  r.add("", "Det", 11, convertDet);
  const char *training = "ai.onnx.preview.training";
  r.add(training, "Adagrad", 1, convertAdagrad);
  r.add(training, "Adam", 1, convertAdam);
  r.add(training, "Momentum", 1, convertMomentum);
}
