//===- Generators.cpp - ONNX ops that make tensors ------------------------===//
//
// Part of quantc.
//
// Constant, ConstantOfShape, Range and EyeLike: their results are constants
// whenever their operands are (always, for the shapes quantc compiles).
//
//===----------------------------------------------------------------------===//

#include "Builders.h"
#include "GraphImporter.h"
#include "Importer.h"

#include "mlir/Dialect/Arith/IR/Arith.h"

using namespace mlir;
using namespace quantc::onnx_import;

namespace {

LogicalResult convertConstant(NodeContext &ctx) {
  OpBuilder &b = ctx.b;
  auto scalarOrVector = [&](Type element, auto values, bool scalar,
                            int32_t dtype) {
    SmallVector<int64_t> shape;
    if (!scalar)
      shape.push_back(values.size());
    auto type = RankedTensorType::get(shape, element);
    SmallVector<Attribute> attrs;
    for (auto v : values)
      attrs.push_back(scalarAttr(element, v));
    ctx.setResult(0,
                  arith::ConstantOp::create(
                      b, ctx.loc, DenseElementsAttr::get(type, attrs)),
                  dtype);
    return success();
  };
  if (const onnx::AttributeProto *a = ctx.attr("value")) {
    std::string blob = ctx.importer.uniqueBlobName(
        ctx.node.output(0).empty() ? "constant" : ctx.node.output(0));
    FailureOr<ElementsAttr> value = convertTensorProto(
        a->t(), b.getContext(), ctx.importer.getBaseDir(), blob,
        [&] { return ctx.emitError(); });
    if (failed(value))
      return failure();
    ctx.setResult(0, buildConstant(b, ctx.loc, *value), a->t().data_type());
    return success();
  }
  if (const onnx::AttributeProto *a = ctx.attr("value_float"))
    return scalarOrVector(b.getF32Type(), std::vector<double>{a->f()}, true,
                          kFloat);
  if (const onnx::AttributeProto *a = ctx.attr("value_floats"))
    return scalarOrVector(b.getF32Type(),
                          std::vector<double>(a->floats().begin(),
                                              a->floats().end()),
                          false, kFloat);
  if (const onnx::AttributeProto *a = ctx.attr("value_int"))
    return scalarOrVector(b.getI64Type(), std::vector<double>{(double)a->i()},
                          true, kInt64);
  if (const onnx::AttributeProto *a = ctx.attr("value_ints")) {
    auto type = RankedTensorType::get({a->ints_size()}, b.getI64Type());
    SmallVector<int64_t> v(a->ints().begin(), a->ints().end());
    ctx.setResult(0,
                  arith::ConstantOp::create(
                      b, ctx.loc,
                      DenseIntElementsAttr::get(type, ArrayRef<int64_t>(v))),
                  kInt64);
    return success();
  }
  if (ctx.hasAttr("sparse_value"))
    return ctx.fail("sparse constants are not supported");
  if (ctx.hasAttr("value_string") || ctx.hasAttr("value_strings"))
    return ctx.fail("string constants are not supported");
  return ctx.fail("has no value attribute");
}

LogicalResult convertConstantOfShape(NodeContext &ctx) {
  FailureOr<SmallVector<int64_t>> shape =
      ctx.requireConstantInts(0, "the shape");
  if (failed(shape))
    return failure();
  for (int64_t d : *shape)
    if (d < 0)
      return ctx.fail("negative dimension in the shape");
  Type element = ctx.b.getF32Type();
  int32_t dtype = kFloat;
  TypedAttr value = ctx.b.getF32FloatAttr(0);
  if (const onnx::AttributeProto *a = ctx.attr("value")) {
    FailureOr<ElementsAttr> attr = convertTensorProto(
        a->t(), ctx.b.getContext(), ctx.importer.getBaseDir(), "",
        [&] { return ctx.emitError(); });
    if (failed(attr))
      return failure();
    if (attr->getNumElements() != 1)
      return ctx.fail("'value' must hold one element");
    element = attr->getElementType();
    dtype = a->t().data_type();
    value = cast<TypedAttr>(*attr->value_begin<Attribute>());
  }
  ctx.setResult(0, buildFilled(ctx.b, ctx.loc, *shape, element, value), dtype);
  return success();
}

LogicalResult convertRange(NodeContext &ctx) {
  std::optional<DenseElementsAttr> start = ctx.constantInput(0);
  std::optional<DenseElementsAttr> limit = ctx.constantInput(1);
  std::optional<DenseElementsAttr> delta = ctx.constantInput(2);
  Type element = ctx.inputType(0).getElementType();
  auto toDouble = [](DenseElementsAttr a) -> double {
    Attribute v = *a.value_begin<Attribute>();
    if (auto f = dyn_cast<FloatAttr>(v))
      return f.getValueAsDouble();
    return (double)cast<IntegerAttr>(v).getValue().getSExtValue();
  };
  if (!start || !limit || !delta) {
    // The element count decides the shape; it may still be known.
    return ctx.fail("start, limit and delta must be compile-time constants; "
                    "bind graph inputs with --bind-input");
  }
  double s = toDouble(*start), l = toDouble(*limit), d = toDouble(*delta);
  if (d == 0)
    return ctx.fail("delta is zero");
  int64_t n = std::max<int64_t>(0, (int64_t)std::ceil((l - s) / d));
  SmallVector<Attribute> values;
  for (int64_t i = 0; i < n; ++i) {
    if (isa<FloatType>(element)) {
      // As the spec: start + i * delta, in the element type.
      values.push_back(scalarAttr(element, s + i * d));
    } else {
      values.push_back(scalarAttr(element, (double)((int64_t)s + i * (int64_t)d)));
    }
  }
  auto type = RankedTensorType::get({n}, element);
  ctx.setResult(0, arith::ConstantOp::create(ctx.b, ctx.loc,
                                             DenseElementsAttr::get(type, values)),
                ctx.inputDType(0));
  return success();
}

LogicalResult convertEyeLike(NodeContext &ctx) {
  RankedTensorType type = ctx.inputType(0);
  if (type.getRank() != 2)
    return ctx.fail("expects a 2-D input");
  int32_t dtype = ctx.getInt("dtype", ctx.inputDType(0));
  Type element = getElementType(ctx.b.getContext(), dtype);
  if (!element)
    return ctx.fail(Twine("unsupported dtype ") + getDTypeName(dtype));
  int64_t k = ctx.getInt("k", 0);
  int64_t rows = type.getDimSize(0), cols = type.getDimSize(1);
  if (rows * cols > kFoldLimit * 16)
    return ctx.fail("the identity matrix is too large to build at compile time");
  SmallVector<Attribute> values;
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < cols; ++j)
      values.push_back(scalarAttr(element, j - i == k ? 1 : 0));
  ctx.setResult(0,
                arith::ConstantOp::create(
                    ctx.b, ctx.loc,
                    DenseElementsAttr::get(
                        RankedTensorType::get(type.getShape(), element), values)),
                dtype);
  return success();
}

} // namespace

void quantc::onnx_import::registerGeneratorOps(OpRegistry &r) {
  r.add("Constant", convertConstant);
  r.add("ConstantOfShape", convertConstantOfShape);
  r.add("Range", convertRange);
  r.add("EyeLike", convertEyeLike);
}
