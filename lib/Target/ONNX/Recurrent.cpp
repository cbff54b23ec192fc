//===- Recurrent.cpp - ONNX RNN, GRU, LSTM --------------------------------===//
//
// Part of quantc.
//
// Each direction is an `scf.for` over the time steps carrying the hidden
// (and cell) state and the stacked outputs as tensors. The input projection
// X * W^T of every step is one matmul before the loop; each step adds
// H * R^T and applies the gates in one elementwise `linalg.generic`.
//
//===----------------------------------------------------------------------===//

#include "Builders.h"
#include "Importer.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace quantc::onnx_import;

namespace {

enum class Cell { RNN, GRU, LSTM };

/// One activation function of the `activations` attribute.
struct Activation {
  std::string name;
  float alpha = 0, beta = 0;
};

Value applyActivation(OpBuilder &b, Location loc, const Activation &act,
                      Value x) {
  Type t = x.getType();
  auto c = [&](double v) { return scalarConstant(b, loc, t, v); };
  StringRef n = act.name;
  if (n.equals_insensitive("sigmoid")) {
    Value e = math::ExpOp::create(b, loc, arith::NegFOp::create(b, loc, x));
    return arith::DivFOp::create(b, loc, c(1),
                                 arith::AddFOp::create(b, loc, c(1), e));
  }
  if (n.equals_insensitive("tanh"))
    return math::TanhOp::create(b, loc, x);
  if (n.equals_insensitive("relu"))
    return arith::MaximumFOp::create(b, loc, x, c(0));
  if (n.equals_insensitive("hardsigmoid")) {
    Value y = arith::AddFOp::create(
        b, loc, arith::MulFOp::create(b, loc, c(act.alpha), x), c(act.beta));
    return arith::MinimumFOp::create(
        b, loc, arith::MaximumFOp::create(b, loc, y, c(0)), c(1));
  }
  if (n.equals_insensitive("leakyrelu")) {
    Value neg = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OLT, x,
                                      c(0));
    return arith::SelectOp::create(
        b, loc, neg, arith::MulFOp::create(b, loc, c(act.alpha), x), x);
  }
  if (n.equals_insensitive("thresholdedrelu")) {
    Value gt = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, x,
                                     c(act.alpha));
    return arith::SelectOp::create(b, loc, gt, x, c(0));
  }
  if (n.equals_insensitive("scaledtanh"))
    return arith::MulFOp::create(
        b, loc, c(act.alpha),
        math::TanhOp::create(b, loc,
                             arith::MulFOp::create(b, loc, c(act.beta), x)));
  if (n.equals_insensitive("affine"))
    return arith::AddFOp::create(
        b, loc, arith::MulFOp::create(b, loc, c(act.alpha), x), c(act.beta));
  if (n.equals_insensitive("elu")) {
    Value neg = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OLT, x,
                                      c(0));
    Value em1 = arith::SubFOp::create(b, loc, math::ExpOp::create(b, loc, x),
                                      c(1));
    return arith::SelectOp::create(
        b, loc, neg, arith::MulFOp::create(b, loc, c(act.alpha), em1), x);
  }
  if (n.equals_insensitive("softsign"))
    return arith::DivFOp::create(
        b, loc, x,
        arith::AddFOp::create(b, loc, c(1), math::AbsFOp::create(b, loc, x)));
  // softplus
  return math::Log1pOp::create(b, loc, math::ExpOp::create(b, loc, x));
}

bool isKnownActivation(StringRef n) {
  for (StringRef k : {"sigmoid", "tanh", "relu", "hardsigmoid", "leakyrelu",
                      "thresholdedrelu", "scaledtanh", "affine", "elu",
                      "softsign", "softplus"})
    if (n.equals_insensitive(k))
      return true;
  return false;
}

/// A [M, N] = A[M, K] * B[N, K]^T matmul.
Value matmulTransB(OpBuilder &b, Location loc, Value a, Value bt) {
  MLIRContext *ctx = b.getContext();
  auto at = cast<RankedTensorType>(a.getType());
  auto btt = cast<RankedTensorType>(bt.getType());
  Type element = at.getElementType();
  int64_t m = at.getDimSize(0), n = btt.getDimSize(0);
  Value init = linalg::FillOp::create(
                   b, loc, scalarConstant(b, loc, element, 0),
                   buildEmpty(b, loc, {m, n}, element))
                   .getResult(0);
  AffineExpr dm, dn, dk;
  bindDims(ctx, dm, dn, dk);
  SmallVector<AffineMap> maps = {AffineMap::get(3, 0, {dm, dk}, ctx),
                                 AffineMap::get(3, 0, {dn, dk}, ctx),
                                 AffineMap::get(3, 0, {dm, dn}, ctx)};
  return linalg::GenericOp::create(
             b, loc, TypeRange{init.getType()}, ValueRange{a, bt},
             ValueRange{init}, maps,
             {utils::IteratorType::parallel, utils::IteratorType::parallel,
              utils::IteratorType::reduction},
             [](OpBuilder &nb, Location nl, ValueRange args) {
               Value p = arith::MulFOp::create(nb, nl, args[0], args[1]);
               linalg::YieldOp::create(nb, nl,
                                       arith::AddFOp::create(nb, nl, args[2], p)
                                           .getResult());
             })
      .getResult(0);
}

/// `v[d]` of a [numDirections, ...] tensor, as a tensor of the other dims.
Value sliceDirection(OpBuilder &b, Location loc, Value v, int64_t d) {
  auto type = cast<RankedTensorType>(v.getType());
  SmallVector<OpFoldResult> offsets(type.getRank(), b.getIndexAttr(0));
  offsets[0] = b.getIndexAttr(d);
  SmallVector<OpFoldResult> sizes, strides(type.getRank(), b.getIndexAttr(1));
  sizes.push_back(b.getIndexAttr(1));
  for (int64_t i = 1; i < type.getRank(); ++i)
    sizes.push_back(b.getIndexAttr(type.getDimSize(i)));
  auto resultType = RankedTensorType::get(type.getShape().drop_front(),
                                          type.getElementType());
  return tensor::ExtractSliceOp::create(b, loc, resultType, v, offsets, sizes,
                                        strides);
}

/// Columns [begin, begin + size) of a 2-D or the range of a 1-D tensor.
Value sliceLast(OpBuilder &b, Location loc, Value v, int64_t begin,
                int64_t size) {
  auto type = cast<RankedTensorType>(v.getType());
  int64_t rank = type.getRank();
  SmallVector<OpFoldResult> offsets(rank, b.getIndexAttr(0)), sizes,
      strides(rank, b.getIndexAttr(1));
  offsets.back() = b.getIndexAttr(begin);
  for (int64_t i = 0; i + 1 < rank; ++i)
    sizes.push_back(b.getIndexAttr(type.getDimSize(i)));
  sizes.push_back(b.getIndexAttr(size));
  SmallVector<int64_t> shape(type.getShape());
  shape.back() = size;
  return tensor::ExtractSliceOp::create(
      b, loc, RankedTensorType::get(shape, type.getElementType()), v, offsets,
      sizes, strides);
}

struct RecurrentConverter {
  NodeContext &ctx;
  Cell cell;
  int64_t hidden, seq, batch, numDirections;
  float clip;
  bool linearBeforeReset;
  SmallVector<Activation> activations;
  Type element;

  unsigned numGates() const {
    return cell == Cell::LSTM ? 4 : cell == Cell::GRU ? 3 : 1;
  }
  unsigned numActivations() const {
    return cell == Cell::LSTM ? 3 : cell == Cell::GRU ? 2 : 1;
  }

  Value clipped(OpBuilder &b, Location loc, Value x) {
    if (clip <= 0)
      return x;
    Value hi = scalarConstant(b, loc, x.getType(), clip);
    Value lo = scalarConstant(b, loc, x.getType(), -clip);
    return arith::MinimumFOp::create(b, loc,
                                     arith::MaximumFOp::create(b, loc, x, lo),
                                     hi);
  }

  /// Runs one direction. `xw`: [seq, batch, gates*hidden] input projections
  /// with the W bias added; `r`: [gates*hidden, hidden]; `rb`: [gates*hidden]
  /// (R bias); `p`: [3*hidden] peepholes or null. Returns Y [seq, batch, h],
  /// the last H and the last C.
  std::tuple<Value, Value, Value> runDirection(Value xw, Value r, Value rb,
                                               Value p, Value h0, Value c0,
                                               bool reverse,
                                               ArrayRef<Activation> acts) {
    OpBuilder &b = ctx.b;
    Location loc = ctx.loc;
    Value y = buildEmpty(b, loc, {seq, batch, hidden}, element);
    Value lower = arith::ConstantIndexOp::create(b, loc, 0);
    Value upper = arith::ConstantIndexOp::create(b, loc, seq);
    Value step = arith::ConstantIndexOp::create(b, loc, 1);
    SmallVector<Value> init = {h0, y};
    if (cell == Cell::LSTM)
      init.push_back(c0);
    auto loop = scf::ForOp::create(
        b, loc, lower, upper, step, init,
        [&](OpBuilder &nb, Location nl, Value iv, ValueRange state) {
          Value hPrev = state[0], yAcc = state[1];
          Value cPrev = cell == Cell::LSTM ? state[2] : Value();
          Value t = iv;
          if (reverse)
            t = arith::SubIOp::create(
                nb, nl, arith::ConstantIndexOp::create(nb, nl, seq - 1), iv);
          int64_t g = numGates() * hidden;
          SmallVector<OpFoldResult> offsets = {t, nb.getIndexAttr(0),
                                               nb.getIndexAttr(0)};
          SmallVector<OpFoldResult> sizes = {nb.getIndexAttr(1),
                                             nb.getIndexAttr(batch),
                                             nb.getIndexAttr(g)};
          SmallVector<OpFoldResult> ones(3, nb.getIndexAttr(1));
          Value xt = tensor::ExtractSliceOp::create(
              nb, nl, RankedTensorType::get({batch, g}, element), xw, offsets,
              sizes, ones);
          Value hr = matmulTransB(nb, nl, hPrev, r);
          SmallVector<Value> results;
          Value hNew, cNew;
          if (cell == Cell::LSTM) {
            std::tie(hNew, cNew) = lstmStep(nb, nl, xt, hr, rb, p, cPrev, acts);
          } else if (cell == Cell::GRU) {
            hNew = gruStep(nb, nl, xt, hr, rb, r, hPrev, acts);
          } else {
            hNew = rnnStep(nb, nl, xt, hr, rb, acts);
          }
          SmallVector<OpFoldResult> yOffsets = {t, nb.getIndexAttr(0),
                                                nb.getIndexAttr(0)};
          SmallVector<OpFoldResult> ySizes = {nb.getIndexAttr(1),
                                              nb.getIndexAttr(batch),
                                              nb.getIndexAttr(hidden)};
          Value yNext = tensor::InsertSliceOp::create(nb, nl, hNew, yAcc,
                                                      yOffsets, ySizes, ones);
          results = {hNew, yNext};
          if (cell == Cell::LSTM)
            results.push_back(cNew);
          scf::YieldOp::create(nb, nl, results);
        });
    Value cLast = cell == Cell::LSTM ? loop.getResult(2) : Value();
    return {loop.getResult(1), loop.getResult(0), cLast};
  }

  /// An elementwise generic over [batch, hidden] with broadcast [hidden]
  /// operands; `body` returns the output scalars.
  SmallVector<Value>
  gateGeneric(OpBuilder &b, Location loc, ValueRange inputs,
              unsigned numResults,
              function_ref<SmallVector<Value>(OpBuilder &, Location, ValueRange)>
                  body) {
    MLIRContext *mctx = b.getContext();
    SmallVector<AffineMap> maps;
    AffineExpr d0, d1;
    bindDims(mctx, d0, d1);
    for (Value in : inputs)
      maps.push_back(cast<RankedTensorType>(in.getType()).getRank() == 1
                         ? AffineMap::get(2, 0, {d1}, mctx)
                         : AffineMap::get(2, 0, {d0, d1}, mctx));
    SmallVector<Value> outs;
    SmallVector<Type> types;
    for (unsigned i = 0; i < numResults; ++i) {
      outs.push_back(buildEmpty(b, loc, {batch, hidden}, element));
      types.push_back(outs.back().getType());
      maps.push_back(AffineMap::get(2, 0, {d0, d1}, mctx));
    }
    auto op = linalg::GenericOp::create(
        b, loc, types, inputs, outs, maps,
        {utils::IteratorType::parallel, utils::IteratorType::parallel},
        [&](OpBuilder &nb, Location nl, ValueRange args) {
          linalg::YieldOp::create(nb, nl,
                                  body(nb, nl, args.take_front(inputs.size())));
        });
    return SmallVector<Value>(op.getResults());
  }

  std::pair<Value, Value> lstmStep(OpBuilder &b, Location loc, Value xt,
                                   Value hr, Value rb, Value p, Value cPrev,
                                   ArrayRef<Activation> acts) {
    // Gate order i, o, f, c.
    SmallVector<Value> inputs;
    for (int k = 0; k < 4; ++k) {
      inputs.push_back(sliceLast(b, loc, xt, k * hidden, hidden));
      inputs.push_back(sliceLast(b, loc, hr, k * hidden, hidden));
      inputs.push_back(sliceLast(b, loc, rb, k * hidden, hidden));
    }
    inputs.push_back(cPrev);
    for (int k = 0; k < 3; ++k)
      inputs.push_back(sliceLast(b, loc, p, k * hidden, hidden));
    SmallVector<Value> out = gateGeneric(
        b, loc, inputs, 2,
        [&](OpBuilder &nb, Location nl, ValueRange a) -> SmallVector<Value> {
          auto pre = [&](int k) {
            Value s = arith::AddFOp::create(nb, nl, a[3 * k], a[3 * k + 1]);
            return arith::AddFOp::create(nb, nl, s, a[3 * k + 2]).getResult();
          };
          Value c = a[12], pi = a[13], po = a[14], pf = a[15];
          Value it = applyActivation(
              nb, nl, acts[0],
              clipped(nb, nl,
                      arith::AddFOp::create(
                          nb, nl, pre(0), arith::MulFOp::create(nb, nl, pi, c))));
          Value ft = applyActivation(
              nb, nl, acts[0],
              clipped(nb, nl,
                      arith::AddFOp::create(
                          nb, nl, pre(2), arith::MulFOp::create(nb, nl, pf, c))));
          Value ct = applyActivation(nb, nl, acts[1], clipped(nb, nl, pre(3)));
          Value cNew = arith::AddFOp::create(
              nb, nl, arith::MulFOp::create(nb, nl, ft, c),
              arith::MulFOp::create(nb, nl, it, ct));
          Value ot = applyActivation(
              nb, nl, acts[0],
              clipped(nb, nl,
                      arith::AddFOp::create(
                          nb, nl, pre(1),
                          arith::MulFOp::create(nb, nl, po, cNew))));
          Value hNew = arith::MulFOp::create(
              nb, nl, ot, applyActivation(nb, nl, acts[2], cNew));
          return {hNew, cNew};
        });
    return {out[0], out[1]};
  }

  Value gruStep(OpBuilder &b, Location loc, Value xt, Value hr, Value rb,
                Value r, Value hPrev, ArrayRef<Activation> acts) {
    // Gate order z, r, h.
    auto gate = [&](Value v, int k) {
      return sliceLast(b, loc, v, k * hidden, hidden);
    };
    SmallVector<Value> zr = gateGeneric(
        b, loc,
        {gate(xt, 0), gate(hr, 0), gate(rb, 0), gate(xt, 1), gate(hr, 1),
         gate(rb, 1)},
        2, [&](OpBuilder &nb, Location nl, ValueRange a) -> SmallVector<Value> {
          auto pre = [&](int k) {
            Value s = arith::AddFOp::create(nb, nl, a[3 * k], a[3 * k + 1]);
            return clipped(nb, nl, arith::AddFOp::create(nb, nl, s, a[3 * k + 2]));
          };
          return {applyActivation(nb, nl, acts[0], pre(0)),
                  applyActivation(nb, nl, acts[0], pre(1))};
        });
    Value z = zr[0], rt = zr[1];
    Value hPart; // the recurrent term of the candidate, before activation
    if (linearBeforeReset) {
      hPart = gateGeneric(b, loc, {rt, gate(hr, 2), gate(rb, 2)}, 1,
                          [&](OpBuilder &nb, Location nl,
                              ValueRange a) -> SmallVector<Value> {
                            return {arith::MulFOp::create(
                                nb, nl, a[0],
                                arith::AddFOp::create(nb, nl, a[1], a[2]))};
                          })[0];
    } else {
      Value rh = gateGeneric(b, loc, {rt, hPrev}, 1,
                             [&](OpBuilder &nb, Location nl,
                                 ValueRange a) -> SmallVector<Value> {
                               return {arith::MulFOp::create(nb, nl, a[0], a[1])};
                             })[0];
      auto rType = cast<RankedTensorType>(r.getType());
      SmallVector<OpFoldResult> offsets = {b.getIndexAttr(2 * hidden),
                                           b.getIndexAttr(0)};
      SmallVector<OpFoldResult> sizes = {b.getIndexAttr(hidden),
                                         b.getIndexAttr(rType.getDimSize(1))};
      SmallVector<OpFoldResult> ones(2, b.getIndexAttr(1));
      Value rh3 = tensor::ExtractSliceOp::create(
          b, loc, RankedTensorType::get({hidden, rType.getDimSize(1)}, element),
          r, offsets, sizes, ones);
      Value prod = matmulTransB(b, loc, rh, rh3);
      hPart = gateGeneric(b, loc, {prod, gate(rb, 2)}, 1,
                          [&](OpBuilder &nb, Location nl,
                              ValueRange a) -> SmallVector<Value> {
                            return {arith::AddFOp::create(nb, nl, a[0], a[1])};
                          })[0];
    }
    return gateGeneric(
        b, loc, {gate(xt, 2), hPart, z, hPrev}, 1,
        [&](OpBuilder &nb, Location nl, ValueRange a) -> SmallVector<Value> {
          Value ht = applyActivation(
              nb, nl, acts[1],
              clipped(nb, nl, arith::AddFOp::create(nb, nl, a[0], a[1])));
          Value one = scalarConstant(nb, nl, element, 1);
          Value keep = arith::SubFOp::create(nb, nl, one, a[2]);
          return {arith::AddFOp::create(
              nb, nl, arith::MulFOp::create(nb, nl, keep, ht),
              arith::MulFOp::create(nb, nl, a[2], a[3]))};
        })[0];
  }

  Value rnnStep(OpBuilder &b, Location loc, Value xt, Value hr, Value rb,
                ArrayRef<Activation> acts) {
    return gateGeneric(
        b, loc, {xt, hr, rb}, 1,
        [&](OpBuilder &nb, Location nl, ValueRange a) -> SmallVector<Value> {
          Value s = arith::AddFOp::create(nb, nl, a[0], a[1]);
          s = arith::AddFOp::create(nb, nl, s, a[2]);
          return {applyActivation(nb, nl, acts[0], clipped(nb, nl, s))};
        })[0];
  }

  LogicalResult convert() {
    OpBuilder &b = ctx.b;
    Location loc = ctx.loc;
    int64_t layout = ctx.getInt("layout", 0);
    std::string direction = ctx.getString("direction", "forward");
    if (direction != "forward" && direction != "reverse" &&
        direction != "bidirectional")
      return ctx.fail("unknown direction '" + direction + "'");
    numDirections = direction == "bidirectional" ? 2 : 1;
    if (ctx.getInt("input_forget", 0))
      return ctx.fail("input_forget is not supported");
    clip = ctx.getFloat("clip", 0);
    linearBeforeReset = ctx.getInt("linear_before_reset", 0);

    Value x = ctx.input(0);
    RankedTensorType xType = ctx.inputType(0);
    element = xType.getElementType();
    if (!isa<FloatType>(element) || xType.getRank() != 3)
      return ctx.fail("X must be a 3-D floating-point tensor");
    if (layout)
      x = buildTranspose(b, loc, x, {1, 0, 2});
    auto xs = cast<RankedTensorType>(x.getType());
    seq = xs.getDimSize(0);
    batch = xs.getDimSize(1);
    int64_t inputSize = xs.getDimSize(2);
    RankedTensorType wType = ctx.inputType(1);
    hidden = ctx.getInt("hidden_size", wType.getDimSize(1) / numGates());
    int64_t g = numGates() * hidden;
    if (wType.getShape() != ArrayRef<int64_t>{numDirections, g, inputSize})
      return ctx.fail("W has shape incompatible with hidden_size and X");

    // Activations, with their alpha/beta consumed in order.
    SmallVector<std::string> names = ctx.getStrings("activations");
    SmallVector<float> alphas = ctx.getFloats("activation_alpha");
    SmallVector<float> betas = ctx.getFloats("activation_beta");
    if (names.empty()) {
      for (int64_t d = 0; d < numDirections; ++d) {
        if (cell == Cell::LSTM)
          names.append({"Sigmoid", "Tanh", "Tanh"});
        else if (cell == Cell::GRU)
          names.append({"Sigmoid", "Tanh"});
        else
          names.push_back("Tanh");
      }
    }
    if (names.size() != numActivations() * numDirections)
      return ctx.fail("expected " + Twine(numActivations() * numDirections) +
                      " activations");
    size_t ai = 0, bi = 0;
    for (const std::string &n : names) {
      if (!isKnownActivation(n))
        return ctx.fail("unsupported activation '" + n + "'");
      Activation act{n};
      StringRef s = n;
      bool usesAlpha = s.equals_insensitive("hardsigmoid") ||
                       s.equals_insensitive("leakyrelu") ||
                       s.equals_insensitive("thresholdedrelu") ||
                       s.equals_insensitive("scaledtanh") ||
                       s.equals_insensitive("affine") ||
                       s.equals_insensitive("elu");
      bool usesBeta = s.equals_insensitive("hardsigmoid") ||
                      s.equals_insensitive("scaledtanh") ||
                      s.equals_insensitive("affine");
      act.alpha = s.equals_insensitive("hardsigmoid")       ? 0.2f
                  : s.equals_insensitive("leakyrelu")       ? 0.01f
                  : s.equals_insensitive("thresholdedrelu") ? 1.0f
                  : s.equals_insensitive("elu")             ? 1.0f
                                                            : 0.0f;
      act.beta = s.equals_insensitive("hardsigmoid") ? 0.5f : 0.0f;
      if (usesAlpha && ai < alphas.size())
        act.alpha = alphas[ai++];
      if (usesBeta && bi < betas.size())
        act.beta = betas[bi++];
      activations.push_back(act);
    }

    if (ctx.hasInput(4)) {
      std::optional<SmallVector<int64_t>> lens = ctx.constantInts(4);
      if (!lens)
        return ctx.fail("sequence_lens must be a compile-time constant");
      for (int64_t l : *lens)
        if (l != seq)
          return ctx.fail("sequence_lens shorter than the sequence are not "
                          "supported");
    }

    Value zerosH = buildFilled(b, loc, {numDirections, batch, hidden}, element,
                               scalarAttr(element, 0));
    auto stateInput = [&](unsigned i) -> Value {
      if (!ctx.hasInput(i))
        return zerosH;
      Value v = ctx.input(i);
      if (layout)
        v = buildTranspose(b, loc, v, {1, 0, 2});
      return v;
    };
    Value h0All = stateInput(5);
    Value c0All = cell == Cell::LSTM ? stateInput(6) : Value();

    SmallVector<Value> ys, hs, cs;
    for (int64_t d = 0; d < numDirections; ++d) {
      Value w = sliceDirection(b, loc, ctx.input(1), d);
      Value r = sliceDirection(b, loc, ctx.input(2), d);
      Value wb, rb;
      if (ctx.hasInput(3)) {
        Value bias = sliceDirection(b, loc, ctx.input(3), d);
        wb = sliceLast(b, loc, bias, 0, g);
        rb = sliceLast(b, loc, bias, g, g);
      } else {
        wb = rb = buildFilled(b, loc, {g}, element, scalarAttr(element, 0));
      }
      Value p;
      if (cell == Cell::LSTM) {
        if (ctx.hasInput(7))
          p = sliceDirection(b, loc, ctx.input(7), d);
        else
          p = buildFilled(b, loc, {3 * hidden}, element, scalarAttr(element, 0));
      }
      // X * W^T + Wb for all steps at once.
      Value x2 = buildReshape(b, loc, x, {seq * batch, inputSize});
      Value xw = matmulTransB(b, loc, x2, w);
      xw = buildElementwise(b, loc, {seq * batch, g}, element, {xw, wb},
                            [](OpBuilder &nb, Location nl, ValueRange a) {
                              return arith::AddFOp::create(nb, nl, a[0], a[1])
                                  .getResult();
                            });
      xw = buildReshape(b, loc, xw, {seq, batch, g});
      bool reverse = direction == "reverse" || d == 1;
      auto [y, h, c] = runDirection(
          xw, r, rb, p, sliceDirection(b, loc, h0All, d),
          c0All ? sliceDirection(b, loc, c0All, d) : Value(), reverse,
          ArrayRef<Activation>(activations)
              .slice(d * numActivations(), numActivations()));
      ys.push_back(buildReshape(b, loc, y, {seq, 1, batch, hidden}));
      hs.push_back(buildReshape(b, loc, h, {1, batch, hidden}));
      if (c)
        cs.push_back(buildReshape(b, loc, c, {1, batch, hidden}));
    }
    auto concat = [&](SmallVector<Value> parts, int64_t dim) -> Value {
      if (parts.size() == 1)
        return parts[0];
      return tensor::ConcatOp::create(b, loc, dim, parts).getResult();
    };
    Value y = concat(ys, 1), h = concat(hs, 0);
    if (layout) {
      y = buildTranspose(b, loc, y, {2, 0, 1, 3});
      h = buildTranspose(b, loc, h, {1, 0, 2});
    }
    if (ctx.hasOutput(0))
      ctx.setResult(0, y);
    if (ctx.hasOutput(1))
      ctx.setResult(1, h);
    if (cell == Cell::LSTM && ctx.hasOutput(2)) {
      Value c = concat(cs, 0);
      if (layout)
        c = buildTranspose(b, loc, c, {1, 0, 2});
      ctx.setResult(2, c);
    }
    return success();
  }
};

LogicalResult convertRNN(NodeContext &ctx) {
  return RecurrentConverter{ctx, Cell::RNN}.convert();
}
LogicalResult convertGRU(NodeContext &ctx) {
  return RecurrentConverter{ctx, Cell::GRU}.convert();
}
LogicalResult convertLSTM(NodeContext &ctx) {
  return RecurrentConverter{ctx, Cell::LSTM}.convert();
}

} // namespace

void quantc::onnx_import::registerRecurrentOps(OpRegistry &r) {
  r.add("RNN", convertRNN);
  r.add("GRU", convertGRU);
  r.add("LSTM", convertLSTM);
}
