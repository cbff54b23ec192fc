//===- Activation.cpp - ONNX activation functions -------------------------===//
//
// Part of quantc.
//
// Relu and its relatives, the sigmoid family, Softplus/Softsign/Mish, Gelu,
// PRelu (slope broadcast to X), Shrink and Clip (bounds as attributes before
// opset 11, optional inputs from 11). Each is one broadcasting
// `linalg.generic` over X, folded at import time when X is a constant.
//
//===----------------------------------------------------------------------===//

#include "Builders.h"
#include "Importer.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"

#include <cmath>
#include <limits>

using namespace mlir;
using namespace quantc::onnx_import;

namespace {

/// A scalar body that also sees the element type and the node's attributes.
using ActivationFn =
    llvm::function_ref<Value(OpBuilder &, Location, Type, ValueRange)>;

/// Emits `fn` elementwise over the node's (broadcast) inputs.
LogicalResult emitActivation(NodeContext &ctx, ActivationFn fn,
                             bool floatOnly = true) {
  Type element = ctx.inputType(0).getElementType();
  if (floatOnly && !isa<FloatType>(element))
    return ctx.fail("expects a floating-point input");
  SmallVector<Value> inputs;
  for (unsigned i = 0; i < ctx.numInputs(); ++i)
    if (ctx.hasInput(i))
      inputs.push_back(ctx.input(i));
  FailureOr<Value> result = buildBroadcastElementwise(
      ctx.b, ctx.loc, element, inputs,
      [&](OpBuilder &b, Location loc, ValueRange a) {
        return fn(b, loc, element, a);
      });
  if (failed(result))
    return ctx.fail("operand shapes do not broadcast");
  ctx.setResult(0, *result, ctx.inputDType(0));
  return success();
}

Value cst(OpBuilder &b, Location loc, Type t, double v) {
  return scalarConstant(b, loc, t, v);
}
Value mulf(OpBuilder &b, Location loc, Value x, Value y) {
  return arith::MulFOp::create(b, loc, x, y);
}
Value addf(OpBuilder &b, Location loc, Value x, Value y) {
  return arith::AddFOp::create(b, loc, x, y);
}
Value subf(OpBuilder &b, Location loc, Value x, Value y) {
  return arith::SubFOp::create(b, loc, x, y);
}
Value cmpf(OpBuilder &b, Location loc, arith::CmpFPredicate p, Value x,
           Value y) {
  return arith::CmpFOp::create(b, loc, p, x, y);
}
Value select(OpBuilder &b, Location loc, Value c, Value x, Value y) {
  return arith::SelectOp::create(b, loc, c, x, y);
}
/// log(1 + exp(x)) without overflow: max(x, 0) + log1p(exp(-|x|)).
Value softplus(OpBuilder &b, Location loc, Type t, Value x) {
  Value pos = arith::MaximumFOp::create(b, loc, x, cst(b, loc, t, 0));
  Value negAbs = arith::NegFOp::create(b, loc, math::AbsFOp::create(b, loc, x));
  return addf(b, loc, pos,
              math::Log1pOp::create(b, loc, math::ExpOp::create(b, loc, negAbs)));
}

LogicalResult convertRelu(NodeContext &ctx) {
  bool isUnsigned = ctx.inputIsUnsigned(0);
  return emitActivation(
      ctx,
      [&](OpBuilder &b, Location loc, Type t, ValueRange a) {
        return buildMax(b, loc, a[0], cst(b, loc, t, 0), isUnsigned);
      },
      /*floatOnly=*/false);
}

LogicalResult convertLeakyRelu(NodeContext &ctx) {
  double alpha = ctx.getFloat("alpha", 0.01f);
  return emitActivation(ctx, [&](OpBuilder &b, Location loc, Type t,
                                 ValueRange a) {
    Value neg = cmpf(b, loc, arith::CmpFPredicate::OLT, a[0], cst(b, loc, t, 0));
    return select(b, loc, neg, mulf(b, loc, a[0], cst(b, loc, t, alpha)), a[0]);
  });
}

LogicalResult convertPRelu(NodeContext &ctx) {
  if (ctx.inputType(1).getElementType() != ctx.inputType(0).getElementType())
    return ctx.fail("X and slope have different element types");
  bool isFloat = isa<FloatType>(ctx.inputType(0).getElementType());
  bool isUnsigned = ctx.inputIsUnsigned(0);
  return emitActivation(
      ctx,
      [&](OpBuilder &b, Location loc, Type t, ValueRange a) -> Value {
        Value zero = cst(b, loc, t, 0);
        if (isUnsigned)
          return a[0];
        Value neg =
            isFloat ? cmpf(b, loc, arith::CmpFPredicate::OLT, a[0], zero)
                    : Value(arith::CmpIOp::create(
                          b, loc, arith::CmpIPredicate::slt, a[0], zero));
        return select(b, loc, neg, buildMul(b, loc, a[0], a[1]), a[0]);
      },
      /*floatOnly=*/false);
}

LogicalResult convertElu(NodeContext &ctx) {
  double alpha = ctx.getFloat("alpha", 1.0f);
  return emitActivation(ctx, [&](OpBuilder &b, Location loc, Type t,
                                 ValueRange a) {
    Value neg = cmpf(b, loc, arith::CmpFPredicate::OLT, a[0], cst(b, loc, t, 0));
    Value em1 = math::ExpM1Op::create(b, loc, a[0]);
    return select(b, loc, neg, mulf(b, loc, cst(b, loc, t, alpha), em1), a[0]);
  });
}

LogicalResult convertSelu(NodeContext &ctx) {
  double alpha = ctx.getFloat("alpha", 1.67326319217681884765625f);
  double gamma = ctx.getFloat("gamma", 1.05070102214813232421875f);
  return emitActivation(ctx, [&](OpBuilder &b, Location loc, Type t,
                                 ValueRange a) {
    Value pos = cmpf(b, loc, arith::CmpFPredicate::OGT, a[0], cst(b, loc, t, 0));
    Value negPart = subf(b, loc,
                         mulf(b, loc, cst(b, loc, t, alpha),
                              math::ExpOp::create(b, loc, a[0])),
                         cst(b, loc, t, alpha));
    return mulf(b, loc, cst(b, loc, t, gamma),
                select(b, loc, pos, a[0], negPart));
  });
}

LogicalResult convertCelu(NodeContext &ctx) {
  double alpha = ctx.getFloat("alpha", 1.0f);
  if (alpha == 0)
    return ctx.fail("alpha must not be 0");
  return emitActivation(ctx, [&](OpBuilder &b, Location loc, Type t,
                                 ValueRange a) {
    // max(0, x) + min(0, alpha * (exp(x / alpha) - 1))
    Value zero = cst(b, loc, t, 0);
    Value scaled = arith::DivFOp::create(b, loc, a[0], cst(b, loc, t, alpha));
    Value neg = mulf(b, loc, cst(b, loc, t, alpha),
                     math::ExpM1Op::create(b, loc, scaled));
    return addf(b, loc, arith::MaximumFOp::create(b, loc, a[0], zero),
                arith::MinimumFOp::create(b, loc, neg, zero));
  });
}

LogicalResult convertSigmoid(NodeContext &ctx) {
  return emitActivation(ctx, [](OpBuilder &b, Location loc, Type t,
                                ValueRange a) -> Value {
    Value e = math::ExpOp::create(b, loc, arith::NegFOp::create(b, loc, a[0]));
    return arith::DivFOp::create(b, loc, cst(b, loc, t, 1),
                                 addf(b, loc, cst(b, loc, t, 1), e));
  });
}

/// max(0, min(1, alpha * x + beta)), times x for HardSwish.
Value hardSigmoid(OpBuilder &b, Location loc, Type t, Value x, double alpha,
                  double beta) {
  Value y = addf(b, loc, mulf(b, loc, cst(b, loc, t, alpha), x),
                 cst(b, loc, t, beta));
  y = arith::MinimumFOp::create(b, loc, y, cst(b, loc, t, 1));
  return arith::MaximumFOp::create(b, loc, y, cst(b, loc, t, 0));
}

LogicalResult convertHardSigmoid(NodeContext &ctx) {
  double alpha = ctx.getFloat("alpha", 0.2f);
  double beta = ctx.getFloat("beta", 0.5f);
  return emitActivation(ctx, [&](OpBuilder &b, Location loc, Type t,
                                 ValueRange a) {
    return hardSigmoid(b, loc, t, a[0], alpha, beta);
  });
}

LogicalResult convertHardSwish(NodeContext &ctx) {
  return emitActivation(ctx, [](OpBuilder &b, Location loc, Type t,
                                ValueRange a) {
    return mulf(b, loc, a[0], hardSigmoid(b, loc, t, a[0], 1.0 / 6, 0.5));
  });
}

LogicalResult convertSoftplus(NodeContext &ctx) {
  return emitActivation(ctx, [](OpBuilder &b, Location loc, Type t,
                                ValueRange a) {
    return softplus(b, loc, t, a[0]);
  });
}

LogicalResult convertSoftsign(NodeContext &ctx) {
  return emitActivation(ctx, [](OpBuilder &b, Location loc, Type t,
                                ValueRange a) -> Value {
    Value d = addf(b, loc, cst(b, loc, t, 1), math::AbsFOp::create(b, loc, a[0]));
    return arith::DivFOp::create(b, loc, a[0], d);
  });
}

LogicalResult convertMish(NodeContext &ctx) {
  return emitActivation(ctx, [](OpBuilder &b, Location loc, Type t,
                                ValueRange a) {
    return mulf(b, loc, a[0],
                math::TanhOp::create(b, loc, softplus(b, loc, t, a[0])));
  });
}

LogicalResult convertThresholdedRelu(NodeContext &ctx) {
  double alpha = ctx.getFloat("alpha", 1.0f);
  return emitActivation(ctx, [&](OpBuilder &b, Location loc, Type t,
                                 ValueRange a) {
    Value above =
        cmpf(b, loc, arith::CmpFPredicate::OGT, a[0], cst(b, loc, t, alpha));
    return select(b, loc, above, a[0], cst(b, loc, t, 0));
  });
}

LogicalResult convertGelu(NodeContext &ctx) {
  std::string approximate = ctx.getString("approximate", "none");
  if (approximate != "none" && approximate != "tanh")
    return ctx.fail("approximate must be 'none' or 'tanh', not '" +
                    approximate + "'");
  bool useTanh = approximate == "tanh";
  return emitActivation(ctx, [&](OpBuilder &b, Location loc, Type t,
                                 ValueRange a) {
    Value x = a[0];
    Value inner;
    if (useTanh) {
      // tanh(sqrt(2 / pi) * (x + 0.044715 * x^3))
      Value cube = mulf(b, loc, x, mulf(b, loc, x, x));
      Value arg = addf(b, loc, x, mulf(b, loc, cst(b, loc, t, 0.044715), cube));
      inner = math::TanhOp::create(
          b, loc, mulf(b, loc, cst(b, loc, t, std::sqrt(2.0 / M_PI)), arg));
    } else {
      inner = math::ErfOp::create(b, loc,
                                  mulf(b, loc, x, cst(b, loc, t, M_SQRT1_2)));
    }
    Value half = mulf(b, loc, cst(b, loc, t, 0.5), x);
    return mulf(b, loc, half, addf(b, loc, cst(b, loc, t, 1), inner));
  });
}

LogicalResult convertShrink(NodeContext &ctx) {
  double bias = ctx.getFloat("bias", 0.0f);
  double lambd = ctx.getFloat("lambd", 0.5f);
  bool isFloat = isa<FloatType>(ctx.inputType(0).getElementType());
  bool isUnsigned = ctx.inputIsUnsigned(0);
  return emitActivation(
      ctx,
      [&](OpBuilder &b, Location loc, Type t, ValueRange a) -> Value {
        Value x = a[0];
        Value below, above, plus, minus;
        if (isFloat) {
          below = cmpf(b, loc, arith::CmpFPredicate::OLT, x,
                       cst(b, loc, t, -lambd));
          above = cmpf(b, loc, arith::CmpFPredicate::OGT, x,
                       cst(b, loc, t, lambd));
          plus = addf(b, loc, x, cst(b, loc, t, bias));
          minus = subf(b, loc, x, cst(b, loc, t, bias));
        } else {
          // Integer inputs compare against the bounds in double precision.
          Type f64 = b.getF64Type();
          Value xf = castScalar(b, loc, x, f64, isUnsigned, false);
          below = cmpf(b, loc, arith::CmpFPredicate::OLT, xf,
                       cst(b, loc, f64, -lambd));
          above = cmpf(b, loc, arith::CmpFPredicate::OGT, xf,
                       cst(b, loc, f64, lambd));
          plus = castScalar(b, loc, addf(b, loc, xf, cst(b, loc, f64, bias)),
                            t, false, isUnsigned);
          minus = castScalar(b, loc, subf(b, loc, xf, cst(b, loc, f64, bias)),
                             t, false, isUnsigned);
        }
        Value zero = cst(b, loc, t, 0);
        return select(b, loc, below, plus,
                      select(b, loc, above, minus, zero));
      },
      /*floatOnly=*/false);
}

//===----------------------------------------------------------------------===//
// Clip
//===----------------------------------------------------------------------===//

/// Clip before opset 11: float bounds as attributes.
LogicalResult convertClipAttr(NodeContext &ctx) {
  double inf = std::numeric_limits<double>::infinity();
  double lo = ctx.hasAttr("min") ? ctx.getFloat("min", 0) : -inf;
  double hi = ctx.hasAttr("max") ? ctx.getFloat("max", 0) : inf;
  return emitActivation(ctx, [&](OpBuilder &b, Location loc, Type t,
                                 ValueRange a) {
    Value y = arith::MaximumFOp::create(b, loc, a[0], cst(b, loc, t, lo));
    return arith::MinimumFOp::create(b, loc, y, cst(b, loc, t, hi));
  });
}

/// Clip from opset 11: optional scalar `min` and `max` inputs, any numeric
/// type; min(max(x, min), max), so `max` wins when min > max.
LogicalResult convertClip(NodeContext &ctx) {
  OpBuilder &b = ctx.b;
  RankedTensorType type = ctx.inputType(0);
  Type element = type.getElementType();
  bool isUnsigned = ctx.inputIsUnsigned(0);
  SmallVector<Value> inputs = {ctx.input(0)};
  int lo = -1, hi = -1;
  for (unsigned i : {1u, 2u}) {
    if (!ctx.hasInput(i))
      continue;
    RankedTensorType bound = ctx.inputType(i);
    if (bound.getElementType() != element)
      return ctx.fail("bound " + Twine(i) + " has element type " +
                      Twine(getDTypeName(ctx.inputDType(i))) +
                      ", X has " + getDTypeName(ctx.inputDType(0)));
    if (bound.getNumElements() != 1)
      return ctx.fail("bound " + Twine(i) + " must be a scalar");
    (i == 1 ? lo : hi) = inputs.size();
    inputs.push_back(buildReshape(b, ctx.loc, ctx.input(i), {}));
  }
  Value result = buildElementwise(
      b, ctx.loc, type.getShape(), element, inputs,
      [&](OpBuilder &nb, Location loc, ValueRange a) {
        Value y = a[0];
        if (lo >= 0)
          y = buildMax(nb, loc, y, a[lo], isUnsigned);
        if (hi >= 0)
          y = buildMin(nb, loc, y, a[hi], isUnsigned);
        return y;
      });
  ctx.setResult(0, result, ctx.inputDType(0));
  return success();
}

} // namespace

void quantc::onnx_import::registerActivationOps(OpRegistry &r) {
  r.add("Relu", convertRelu);
  r.add("LeakyRelu", convertLeakyRelu);
  r.add("PRelu", convertPRelu);
  r.add("Elu", convertElu);
  r.add("Selu", convertSelu);
  r.add("Celu", convertCelu);
  r.add("Sigmoid", convertSigmoid);
  r.add("HardSigmoid", convertHardSigmoid);
  r.add("HardSwish", convertHardSwish);
  r.add("Softplus", convertSoftplus);
  r.add("Softsign", convertSoftsign);
  r.add("Mish", convertMish);
  r.add("ThresholdedRelu", convertThresholdedRelu);
  r.add("", "Gelu", 20, convertGelu);
  r.add("Shrink", convertShrink);
  r.add("Clip", convertClipAttr);
  r.add("", "Clip", 11, convertClip);
}
