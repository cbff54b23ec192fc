//===- Elementwise.cpp - ONNX elementwise ops -----------------------------===//
//
// Part of quantc.
//
// Unary math, binary arithmetic with numpy broadcasting, comparisons, logic,
// the variadic Max/Min/Sum/Mean, Where, Cast/CastLike and Identity: each a
// broadcasting `linalg.generic` (folded at import time on constants).
//
//===----------------------------------------------------------------------===//

#include "Builders.h"
#include "Importer.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"

using namespace mlir;
using namespace quantc::onnx_import;

namespace {

/// Emits `body` over the node's inputs (all of them, broadcast) and binds
/// output 0 with `dtype` (kUndefined: the first input's).
LogicalResult emitNary(NodeContext &ctx, Type resultElement, ScalarBodyFn body,
                       int32_t dtype = kUndefined) {
  SmallVector<Value> inputs;
  for (unsigned i = 0; i < ctx.numInputs(); ++i)
    if (ctx.hasInput(i))
      inputs.push_back(ctx.input(i));
  if (inputs.empty())
    return ctx.fail("expected at least one input");
  FailureOr<Value> result =
      buildBroadcastElementwise(ctx.b, ctx.loc, resultElement, inputs, body);
  if (failed(result)) {
    InFlightDiagnostic diag = ctx.emitError();
    diag << "operand shapes do not broadcast:";
    for (Value v : inputs)
      diag << " " << v.getType();
    return diag;
  }
  ctx.setResult(0, *result, dtype == kUndefined ? ctx.inputDType(0) : dtype);
  return success();
}

Type elementOf(NodeContext &ctx, unsigned i) {
  return ctx.inputType(i).getElementType();
}

bool isFloat(Type t) { return isa<FloatType>(t); }

//===----------------------------------------------------------------------===//
// Unary
//===----------------------------------------------------------------------===//

template <typename FloatOp>
LogicalResult convertFloatUnary(NodeContext &ctx) {
  if (!isFloat(elementOf(ctx, 0)))
    return ctx.fail("expects a floating-point input");
  return emitNary(ctx, elementOf(ctx, 0),
                  [](OpBuilder &b, Location loc, ValueRange a) -> Value {
                    return FloatOp::create(b, loc, a[0]);
                  });
}

LogicalResult convertAbs(NodeContext &ctx) {
  bool isUnsigned = ctx.inputIsUnsigned(0);
  return emitNary(ctx, elementOf(ctx, 0),
                  [&](OpBuilder &b, Location loc, ValueRange a) -> Value {
                    if (isFloat(a[0].getType()))
                      return math::AbsFOp::create(b, loc, a[0]);
                    if (isUnsigned)
                      return a[0];
                    return math::AbsIOp::create(b, loc, a[0]);
                  });
}

LogicalResult convertNeg(NodeContext &ctx) {
  return emitNary(ctx, elementOf(ctx, 0),
                  [](OpBuilder &b, Location loc, ValueRange a) -> Value {
                    if (isFloat(a[0].getType()))
                      return arith::NegFOp::create(b, loc, a[0]);
                    return arith::SubIOp::create(
                        b, loc, scalarConstant(b, loc, a[0].getType(), 0),
                        a[0]);
                  });
}

LogicalResult convertReciprocal(NodeContext &ctx) {
  if (!isFloat(elementOf(ctx, 0)))
    return ctx.fail("expects a floating-point input");
  return emitNary(ctx, elementOf(ctx, 0),
                  [](OpBuilder &b, Location loc, ValueRange a) -> Value {
                    return arith::DivFOp::create(
                        b, loc, scalarConstant(b, loc, a[0].getType(), 1),
                        a[0]);
                  });
}

LogicalResult convertSign(NodeContext &ctx) {
  bool isUnsigned = ctx.inputIsUnsigned(0);
  return emitNary(ctx, elementOf(ctx, 0),
                  [&](OpBuilder &b, Location loc, ValueRange a) -> Value {
                    Type t = a[0].getType();
                    Value zero = scalarConstant(b, loc, t, 0);
                    Value one = scalarConstant(b, loc, t, 1);
                    Value minusOne = scalarConstant(b, loc, t, -1);
                    Value pos, neg;
                    if (isFloat(t)) {
                      pos = arith::CmpFOp::create(
                          b, loc, arith::CmpFPredicate::OGT, a[0], zero);
                      neg = arith::CmpFOp::create(
                          b, loc, arith::CmpFPredicate::OLT, a[0], zero);
                    } else {
                      pos = arith::CmpIOp::create(
                          b, loc,
                          isUnsigned ? arith::CmpIPredicate::ugt
                                     : arith::CmpIPredicate::sgt,
                          a[0], zero);
                      neg = isUnsigned
                                ? Value(arith::ConstantOp::create(
                                      b, loc, b.getBoolAttr(false)))
                                : Value(arith::CmpIOp::create(
                                      b, loc, arith::CmpIPredicate::slt, a[0],
                                      zero));
                    }
                    Value r = arith::SelectOp::create(b, loc, neg, minusOne,
                                                      zero);
                    // NaN stays NaN.
                    if (isFloat(t))
                      r = arith::SelectOp::create(
                          b, loc,
                          arith::CmpFOp::create(b, loc,
                                                arith::CmpFPredicate::UNO,
                                                a[0], a[0]),
                          a[0], r);
                    return arith::SelectOp::create(b, loc, pos, one, r);
                  });
}

LogicalResult convertNot(NodeContext &ctx) {
  return emitNary(ctx, elementOf(ctx, 0),
                  [](OpBuilder &b, Location loc, ValueRange a) -> Value {
                    return arith::XOrIOp::create(
                        b, loc, a[0], scalarConstant(b, loc, a[0].getType(), -1));
                  });
}

LogicalResult convertIsNaN(NodeContext &ctx) {
  return emitNary(ctx, ctx.b.getI1Type(),
                  [](OpBuilder &b, Location loc, ValueRange a) -> Value {
                    return arith::CmpFOp::create(
                        b, loc, arith::CmpFPredicate::UNO, a[0], a[0]);
                  },
                  kBool);
}

LogicalResult convertIsInf(NodeContext &ctx) {
  bool positive = ctx.getInt("detect_positive", 1);
  bool negative = ctx.getInt("detect_negative", 1);
  return emitNary(
      ctx, ctx.b.getI1Type(),
      [&](OpBuilder &b, Location loc, ValueRange a) -> Value {
        Type t = a[0].getType();
        Value pos = arith::CmpFOp::create(
            b, loc, arith::CmpFPredicate::OEQ, a[0],
            scalarConstant(b, loc, t, std::numeric_limits<double>::infinity()));
        Value neg = arith::CmpFOp::create(
            b, loc, arith::CmpFPredicate::OEQ, a[0],
            scalarConstant(b, loc, t, -std::numeric_limits<double>::infinity()));
        Value no = arith::ConstantOp::create(b, loc, b.getBoolAttr(false));
        return arith::OrIOp::create(b, loc, positive ? pos : no,
                                    negative ? neg : no);
      },
      kBool);
}

//===----------------------------------------------------------------------===//
// Binary arithmetic
//===----------------------------------------------------------------------===//

LogicalResult checkSameElement(NodeContext &ctx) {
  for (unsigned i = 1; i < ctx.numInputs(); ++i)
    if (ctx.hasInput(i) && elementOf(ctx, i) != elementOf(ctx, 0))
      return ctx.fail("operands have different element types");
  return success();
}

template <typename FOp, typename IOp>
LogicalResult convertArith(NodeContext &ctx) {
  if (failed(checkSameElement(ctx)))
    return failure();
  return emitNary(ctx, elementOf(ctx, 0),
                  [](OpBuilder &b, Location loc, ValueRange a) -> Value {
                    if (isFloat(a[0].getType()))
                      return FOp::create(b, loc, a[0], a[1]);
                    return IOp::create(b, loc, a[0], a[1]);
                  });
}

LogicalResult convertDiv(NodeContext &ctx) {
  if (failed(checkSameElement(ctx)))
    return failure();
  bool isUnsigned = ctx.inputIsUnsigned(0);
  return emitNary(ctx, elementOf(ctx, 0),
                  [&](OpBuilder &b, Location loc, ValueRange a) -> Value {
                    if (isFloat(a[0].getType()))
                      return arith::DivFOp::create(b, loc, a[0], a[1]);
                    if (isUnsigned)
                      return arith::DivUIOp::create(b, loc, a[0], a[1]);
                    return arith::DivSIOp::create(b, loc, a[0], a[1]);
                  });
}

LogicalResult convertMod(NodeContext &ctx) {
  if (failed(checkSameElement(ctx)))
    return failure();
  bool fmod = ctx.getInt("fmod", 0);
  bool isUnsigned = ctx.inputIsUnsigned(0);
  if (isFloat(elementOf(ctx, 0)) && !fmod)
    return ctx.fail("fmod must be 1 for floating-point inputs");
  return emitNary(
      ctx, elementOf(ctx, 0),
      [&](OpBuilder &b, Location loc, ValueRange a) -> Value {
        Type t = a[0].getType();
        if (isFloat(t))
          return arith::RemFOp::create(b, loc, a[0], a[1]);
        if (isUnsigned)
          return arith::RemUIOp::create(b, loc, a[0], a[1]);
        Value r = arith::RemSIOp::create(b, loc, a[0], a[1]);
        if (fmod)
          return r;
        // Python-style: the result takes the divisor's sign.
        Value zero = scalarConstant(b, loc, t, 0);
        Value rNeg = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt,
                                           r, zero);
        Value dNeg = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt,
                                           a[1], zero);
        Value nonZero = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne,
                                              r, zero);
        Value differ = arith::XOrIOp::create(b, loc, rNeg, dNeg);
        Value fix = arith::AndIOp::create(b, loc, nonZero, differ);
        return arith::SelectOp::create(
            b, loc, fix, arith::AddIOp::create(b, loc, r, a[1]), r);
      });
}

LogicalResult convertPow(NodeContext &ctx) {
  Type base = elementOf(ctx, 0), exponent = elementOf(ctx, 1);
  bool baseUnsigned = ctx.inputIsUnsigned(0);
  bool expUnsigned = ctx.inputIsUnsigned(1);
  return emitNary(
      ctx, base, [&](OpBuilder &b, Location loc, ValueRange a) -> Value {
        // Computed in the base's float type (f64 for integers), as numpy.
        Type compute = isFloat(base) ? base : b.getF64Type();
        if (isFloat(base) && base.getIntOrFloatBitWidth() < 32)
          compute = b.getF32Type();
        Value x = castScalar(b, loc, a[0], compute, baseUnsigned, false);
        Value y = castScalar(b, loc, a[1], compute, expUnsigned, false);
        (void)exponent;
        Value r = math::PowFOp::create(b, loc, x, y);
        return castScalar(b, loc, r, base, false, baseUnsigned);
      });
}

LogicalResult convertBitShift(NodeContext &ctx) {
  bool left = ctx.getString("direction", "") == "LEFT";
  if (!left && ctx.getString("direction", "") != "RIGHT")
    return ctx.fail("direction must be LEFT or RIGHT");
  return emitNary(ctx, elementOf(ctx, 0),
                  [&](OpBuilder &b, Location loc, ValueRange a) -> Value {
                    if (left)
                      return arith::ShLIOp::create(b, loc, a[0], a[1]);
                    return arith::ShRUIOp::create(b, loc, a[0], a[1]);
                  });
}

template <typename IOp>
LogicalResult convertLogical(NodeContext &ctx) {
  return emitNary(ctx, elementOf(ctx, 0),
                  [](OpBuilder &b, Location loc, ValueRange a) -> Value {
                    return IOp::create(b, loc, a[0], a[1]);
                  });
}

LogicalResult convertCompare(NodeContext &ctx, arith::CmpFPredicate fp,
                             arith::CmpIPredicate sp,
                             arith::CmpIPredicate up) {
  if (failed(checkSameElement(ctx)))
    return failure();
  bool isUnsigned = ctx.inputIsUnsigned(0);
  return emitNary(
      ctx, ctx.b.getI1Type(),
      [&](OpBuilder &b, Location loc, ValueRange a) -> Value {
        if (isFloat(a[0].getType()))
          return arith::CmpFOp::create(b, loc, fp, a[0], a[1]);
        return arith::CmpIOp::create(b, loc, isUnsigned ? up : sp, a[0], a[1]);
      },
      kBool);
}

LogicalResult convertEqual(NodeContext &ctx) {
  return convertCompare(ctx, arith::CmpFPredicate::OEQ,
                        arith::CmpIPredicate::eq, arith::CmpIPredicate::eq);
}
LogicalResult convertGreater(NodeContext &ctx) {
  return convertCompare(ctx, arith::CmpFPredicate::OGT,
                        arith::CmpIPredicate::sgt, arith::CmpIPredicate::ugt);
}
LogicalResult convertGreaterOrEqual(NodeContext &ctx) {
  return convertCompare(ctx, arith::CmpFPredicate::OGE,
                        arith::CmpIPredicate::sge, arith::CmpIPredicate::uge);
}
LogicalResult convertLess(NodeContext &ctx) {
  return convertCompare(ctx, arith::CmpFPredicate::OLT,
                        arith::CmpIPredicate::slt, arith::CmpIPredicate::ult);
}
LogicalResult convertLessOrEqual(NodeContext &ctx) {
  return convertCompare(ctx, arith::CmpFPredicate::OLE,
                        arith::CmpIPredicate::sle, arith::CmpIPredicate::ule);
}

//===----------------------------------------------------------------------===//
// Variadic
//===----------------------------------------------------------------------===//

/// Max/Min/Sum/Mean over any number of broadcast inputs.
LogicalResult convertVariadic(NodeContext &ctx, StringRef kind) {
  if (failed(checkSameElement(ctx)))
    return failure();
  bool isUnsigned = ctx.inputIsUnsigned(0);
  unsigned n = 0;
  for (unsigned i = 0; i < ctx.numInputs(); ++i)
    n += ctx.hasInput(i);
  return emitNary(
      ctx, elementOf(ctx, 0),
      [&](OpBuilder &b, Location loc, ValueRange a) -> Value {
        Value acc = a[0];
        for (Value x : a.drop_front()) {
          if (kind == "Max")
            acc = buildMax(b, loc, acc, x, isUnsigned);
          else if (kind == "Min")
            acc = buildMin(b, loc, acc, x, isUnsigned);
          else
            acc = buildAdd(b, loc, acc, x);
        }
        if (kind == "Mean")
          acc = arith::DivFOp::create(
              b, loc, acc, scalarConstant(b, loc, acc.getType(), n));
        return acc;
      });
}

LogicalResult convertMax(NodeContext &ctx) { return convertVariadic(ctx, "Max"); }
LogicalResult convertMin(NodeContext &ctx) { return convertVariadic(ctx, "Min"); }
LogicalResult convertSum(NodeContext &ctx) { return convertVariadic(ctx, "Sum"); }
LogicalResult convertMean(NodeContext &ctx) {
  return convertVariadic(ctx, "Mean");
}

//===----------------------------------------------------------------------===//
// Where, Cast, Identity
//===----------------------------------------------------------------------===//

LogicalResult convertWhere(NodeContext &ctx) {
  if (elementOf(ctx, 1) != elementOf(ctx, 2))
    return ctx.fail("X and Y have different element types");
  return emitNary(ctx, elementOf(ctx, 1),
                  [](OpBuilder &b, Location loc, ValueRange a) -> Value {
                    return arith::SelectOp::create(b, loc, a[0], a[1], a[2]);
                  },
                  ctx.inputDType(1));
}

LogicalResult emitCast(NodeContext &ctx, int32_t to) {
  Type dst = getElementType(ctx.b.getContext(), to);
  if (!dst)
    return ctx.fail(Twine("casting to ") + getDTypeName(to) +
                    " is not supported");
  Value result = castTensor(ctx.b, ctx.loc, ctx.input(0), dst,
                            ctx.inputIsUnsigned(0), isUnsignedDType(to));
  ctx.setResult(0, result, to);
  return success();
}

LogicalResult convertCast(NodeContext &ctx) {
  if (!ctx.hasAttr("to"))
    return ctx.fail("missing attribute 'to'");
  return emitCast(ctx, ctx.getInt("to", 0));
}

LogicalResult convertCastLike(NodeContext &ctx) {
  return emitCast(ctx, ctx.inputDType(1));
}

LogicalResult convertIdentity(NodeContext &ctx) {
  ctx.setResult(0, ctx.input(0), ctx.inputDType(0));
  return success();
}

} // namespace

void quantc::onnx_import::registerElementwiseOps(OpRegistry &r) {
  r.add("Abs", convertAbs);
  r.add("Acos", convertFloatUnary<math::AcosOp>);
  r.add("Acosh", convertFloatUnary<math::AcoshOp>);
  r.add("Asin", convertFloatUnary<math::AsinOp>);
  r.add("Asinh", convertFloatUnary<math::AsinhOp>);
  r.add("Atan", convertFloatUnary<math::AtanOp>);
  r.add("Atanh", convertFloatUnary<math::AtanhOp>);
  r.add("Ceil", convertFloatUnary<math::CeilOp>);
  r.add("Cos", convertFloatUnary<math::CosOp>);
  r.add("Cosh", convertFloatUnary<math::CoshOp>);
  r.add("Erf", convertFloatUnary<math::ErfOp>);
  r.add("Exp", convertFloatUnary<math::ExpOp>);
  r.add("Floor", convertFloatUnary<math::FloorOp>);
  r.add("Log", convertFloatUnary<math::LogOp>);
  r.add("Round", convertFloatUnary<math::RoundEvenOp>);
  r.add("Sin", convertFloatUnary<math::SinOp>);
  r.add("Sinh", convertFloatUnary<math::SinhOp>);
  r.add("Sqrt", convertFloatUnary<math::SqrtOp>);
  r.add("Tan", convertFloatUnary<math::TanOp>);
  r.add("Tanh", convertFloatUnary<math::TanhOp>);
  r.add("Neg", convertNeg);
  r.add("Reciprocal", convertReciprocal);
  r.add("Sign", convertSign);
  r.add("Not", convertNot);
  r.add("IsNaN", convertIsNaN);
  r.add("IsInf", convertIsInf);

  r.add("Add", convertArith<arith::AddFOp, arith::AddIOp>);
  r.add("Sub", convertArith<arith::SubFOp, arith::SubIOp>);
  r.add("Mul", convertArith<arith::MulFOp, arith::MulIOp>);
  r.add("Div", convertDiv);
  r.add("Mod", convertMod);
  r.add("Pow", convertPow);
  r.add("BitShift", convertBitShift);
  r.add("And", convertLogical<arith::AndIOp>);
  r.add("Or", convertLogical<arith::OrIOp>);
  r.add("Xor", convertLogical<arith::XOrIOp>);
  r.add("BitwiseAnd", convertLogical<arith::AndIOp>);
  r.add("BitwiseOr", convertLogical<arith::OrIOp>);
  r.add("BitwiseXor", convertLogical<arith::XOrIOp>);
  r.add("BitwiseNot", convertNot);
  r.add("Equal", convertEqual);
  r.add("Greater", convertGreater);
  r.add("GreaterOrEqual", convertGreaterOrEqual);
  r.add("Less", convertLess);
  r.add("LessOrEqual", convertLessOrEqual);

  r.add("Max", convertMax);
  r.add("Min", convertMin);
  r.add("Sum", convertSum);
  r.add("Mean", convertMean);
  r.add("Where", convertWhere);
  r.add("Cast", convertCast);
  r.add("CastLike", convertCastLike);
  r.add("Identity", convertIdentity);
}
