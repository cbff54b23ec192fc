//===- Builders.cpp - IR building blocks for ONNX converters --------------===//
//
// Part of quantc.
//
//===----------------------------------------------------------------------===//

#include "Builders.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/AffineMap.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Matchers.h"

using namespace mlir;

namespace quantc::onnx_import {

int64_t numElements(ArrayRef<int64_t> shape) {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

std::optional<SmallVector<int64_t>>
broadcastShapes(ArrayRef<ArrayRef<int64_t>> shapes) {
  size_t rank = 0;
  for (ArrayRef<int64_t> s : shapes)
    rank = std::max(rank, s.size());
  SmallVector<int64_t> result(rank, 1);
  for (ArrayRef<int64_t> s : shapes) {
    for (size_t i = 0; i < s.size(); ++i) {
      int64_t &r = result[rank - s.size() + i];
      int64_t d = s[i];
      if (d == r || d == 1)
        continue;
      if (r != 1)
        return std::nullopt;
      r = d;
    }
  }
  return result;
}

DenseElementsAttr getConstantValue(Value v, int64_t limit) {
  auto cst = v.getDefiningOp<arith::ConstantOp>();
  if (!cst)
    return {};
  if (auto dense = dyn_cast<DenseElementsAttr>(cst.getValue()))
    return dense;
  if (auto resource = dyn_cast<DenseResourceElementsAttr>(cst.getValue())) {
    auto type = cast<ShapedType>(resource.getType());
    if (type.getNumElements() > limit || type.getElementType().isInteger(1))
      return {};
    AsmResourceBlob *blob = resource.getRawHandle().getBlob();
    if (!blob)
      return {};
    ArrayRef<char> data = blob->getData();
    bool splat = false;
    if (!DenseElementsAttr::isValidRawBuffer(type, data, splat))
      return {};
    return DenseElementsAttr::getFromRawBuffer(type, data);
  }
  return {};
}

/// Linear offsets of an input element for each output index, through the
/// input's indexing map (dims or constants).
static int64_t mapOffset(AffineMap map, ArrayRef<int64_t> index,
                         ArrayRef<int64_t> inputShape) {
  int64_t offset = 0;
  for (unsigned r = 0; r < map.getNumResults(); ++r) {
    AffineExpr e = map.getResult(r);
    int64_t i = 0;
    if (auto d = dyn_cast<AffineDimExpr>(e))
      i = index[d.getPosition()];
    else if (auto c = dyn_cast<AffineConstantExpr>(e))
      i = c.getValue();
    else
      return -1;
    offset = offset * inputShape[r] + i;
  }
  return offset;
}

DenseElementsAttr foldGeneric(linalg::GenericOp op) {
  if (op.getNumDpsInits() != 1 || op.getNumReductionLoops() != 0)
    return {};
  auto resultType = cast<RankedTensorType>(op.getResult(0).getType());
  int64_t n = resultType.getNumElements();
  if (n > kFoldLimit)
    return {};
  SmallVector<SmallVector<Attribute>> inputs;
  SmallVector<ArrayRef<int64_t>> inputShapes;
  for (OpOperand *operand : op.getDpsInputOperands()) {
    DenseElementsAttr value = getConstantValue(operand->get());
    if (!value)
      return {};
    inputs.emplace_back(value.getValues<Attribute>().begin(),
                        value.getValues<Attribute>().end());
    inputShapes.push_back(value.getType().getShape());
  }
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  Block &body = op.getRegion().front();
  ArrayRef<int64_t> shape = resultType.getShape();
  SmallVector<int64_t> index(shape.size(), 0);
  SmallVector<Attribute> results;
  results.reserve(n);
  DenseMap<Value, Attribute> env;
  for (int64_t linear = 0; linear < n; ++linear) {
    int64_t rest = linear;
    for (int64_t d = shape.size() - 1; d >= 0; --d) {
      index[d] = rest % shape[d];
      rest /= shape[d];
    }
    env.clear();
    for (size_t k = 0; k < inputs.size(); ++k) {
      int64_t offset = mapOffset(maps[k], index, inputShapes[k]);
      if (offset < 0)
        return {};
      env[body.getArgument(k)] = inputs[k][offset];
    }
    auto lookup = [&](Value v) -> Attribute {
      if (Attribute a = env.lookup(v))
        return a;
      Attribute a;
      if (matchPattern(v, m_Constant(&a)))
        return a;
      return {};
    };
    for (Operation &inner : body.without_terminator()) {
      SmallVector<Attribute> operands;
      for (Value operand : inner.getOperands())
        operands.push_back(lookup(operand));
      SmallVector<OpFoldResult> folded;
      if (failed(inner.fold(operands, folded)) ||
          folded.size() != inner.getNumResults())
        return {};
      for (auto [result, f] : llvm::zip(inner.getResults(), folded)) {
        Attribute a = dyn_cast<Attribute>(f);
        if (!a)
          a = lookup(cast<Value>(f));
        if (!a)
          return {};
        env[result] = a;
      }
    }
    Attribute out = lookup(body.getTerminator()->getOperand(0));
    if (!out || cast<TypedAttr>(out).getType() != resultType.getElementType())
      return {};
    results.push_back(out);
  }
  return DenseElementsAttr::get(resultType, results);
}

Value buildEmpty(OpBuilder &b, Location loc, ArrayRef<int64_t> shape,
                 Type elementType) {
  return tensor::EmptyOp::create(b, loc, shape, elementType);
}

Value buildElementwise(OpBuilder &b, Location loc, ArrayRef<int64_t> resultShape,
                       Type resultElementType, ValueRange inputs,
                       ScalarBodyFn body) {
  MLIRContext *ctx = b.getContext();
  int64_t rank = resultShape.size();
  SmallVector<AffineMap> maps;
  for (Value input : inputs) {
    auto type = cast<RankedTensorType>(input.getType());
    int64_t r = type.getRank();
    SmallVector<AffineExpr> exprs;
    for (int64_t i = 0; i < r; ++i) {
      int64_t d = rank - r + i;
      if (type.getDimSize(i) == 1 && resultShape[d] != 1)
        exprs.push_back(getAffineConstantExpr(0, ctx));
      else
        exprs.push_back(getAffineDimExpr(d, ctx));
    }
    maps.push_back(AffineMap::get(rank, 0, exprs, ctx));
  }
  maps.push_back(AffineMap::getMultiDimIdentityMap(rank, ctx));
  auto resultType = RankedTensorType::get(resultShape, resultElementType);
  Value init = buildEmpty(b, loc, resultShape, resultElementType);
  auto generic = linalg::GenericOp::create(
      b, loc, TypeRange{resultType}, inputs, ValueRange{init}, maps,
      SmallVector<utils::IteratorType>(rank, utils::IteratorType::parallel),
      [&](OpBuilder &nested, Location nestedLoc, ValueRange args) {
        Value result = body(nested, nestedLoc, args.drop_back());
        linalg::YieldOp::create(nested, nestedLoc, result);
      });
  bool allConstant = llvm::all_of(
      inputs, [](Value v) { return v.getDefiningOp<arith::ConstantOp>(); });
  if (allConstant && !inputs.empty()) {
    if (DenseElementsAttr folded = foldGeneric(generic)) {
      generic->erase();
      init.getDefiningOp()->erase();
      return arith::ConstantOp::create(b, loc, folded);
    }
  }
  return generic.getResult(0);
}

FailureOr<Value> buildBroadcastElementwise(OpBuilder &b, Location loc,
                                           Type resultElementType,
                                           ValueRange inputs,
                                           ScalarBodyFn body) {
  SmallVector<ArrayRef<int64_t>> shapes;
  for (Value v : inputs)
    shapes.push_back(cast<RankedTensorType>(v.getType()).getShape());
  std::optional<SmallVector<int64_t>> shape = broadcastShapes(shapes);
  if (!shape)
    return failure();
  return buildElementwise(b, loc, *shape, resultElementType, inputs, body);
}

Value buildReduction(
    OpBuilder &b, Location loc, Value input, ArrayRef<int64_t> axes,
    bool keepDims, TypedAttr init,
    function_ref<Value(OpBuilder &, Location, Value, Value)> combine,
    function_ref<Value(OpBuilder &, Location, Value)> map, Type accType) {
  MLIRContext *ctx = b.getContext();
  auto type = cast<RankedTensorType>(input.getType());
  int64_t rank = type.getRank();
  if (!accType)
    accType = init.getType();
  SmallVector<int64_t> outShape, keptShape;
  SmallVector<AffineExpr> outExprs;
  SmallVector<utils::IteratorType> iterators;
  for (int64_t d = 0; d < rank; ++d) {
    bool reduced = llvm::is_contained(axes, d);
    iterators.push_back(reduced ? utils::IteratorType::reduction
                                : utils::IteratorType::parallel);
    keptShape.push_back(reduced ? 1 : type.getDimSize(d));
    if (!reduced) {
      outShape.push_back(type.getDimSize(d));
      outExprs.push_back(getAffineDimExpr(d, ctx));
    }
  }
  Value empty = buildEmpty(b, loc, outShape, accType);
  Value initTensor =
      linalg::FillOp::create(b, loc, arith::ConstantOp::create(b, loc, init)
                                         .getResult(),
                             empty)
          .getResult(0);
  SmallVector<AffineMap> maps = {AffineMap::getMultiDimIdentityMap(rank, ctx),
                                 AffineMap::get(rank, 0, outExprs, ctx)};
  auto generic = linalg::GenericOp::create(
      b, loc, TypeRange{initTensor.getType()}, ValueRange{input},
      ValueRange{initTensor}, maps, iterators,
      [&](OpBuilder &nested, Location nestedLoc, ValueRange args) {
        Value x = args[0];
        if (map)
          x = map(nested, nestedLoc, x);
        linalg::YieldOp::create(nested, nestedLoc,
                                combine(nested, nestedLoc, args[1], x));
      });
  Value result = generic.getResult(0);
  if (keepDims)
    result = buildReshape(b, loc, result, keptShape);
  return result;
}

TypedAttr scalarAttr(Type type, double value) {
  if (auto f = dyn_cast<FloatType>(type)) {
    APFloat v(value);
    bool lost;
    v.convert(f.getFloatSemantics(), APFloat::rmNearestTiesToEven, &lost);
    return FloatAttr::get(type, v);
  }
  if (type.isIndex())
    return IntegerAttr::get(type, static_cast<int64_t>(value));
  if (type.isInteger(1))
    return IntegerAttr::get(type, value != 0 ? 1 : 0);
  unsigned width = type.getIntOrFloatBitWidth();
  // Values above INT64_MAX only come from unsigned 64-bit limits.
  if (value >= 9223372036854775808.0)
    return IntegerAttr::get(type,
                            APInt(width, static_cast<uint64_t>(value)));
  return IntegerAttr::get(
      type, APInt(width, static_cast<int64_t>(value), /*isSigned=*/true,
                  /*implicitTrunc=*/true));
}

Value scalarConstant(OpBuilder &b, Location loc, Type type, double value) {
  return arith::ConstantOp::create(b, loc, scalarAttr(type, value));
}

Value castScalar(OpBuilder &b, Location loc, Value v, Type dst,
                 bool srcUnsigned, bool dstUnsigned) {
  Type src = v.getType();
  if (src == dst)
    return v;
  if (src.isInteger(1))
    srcUnsigned = true;
  if (dst.isInteger(1)) {
    if (isa<FloatType>(src))
      return arith::CmpFOp::create(b, loc, arith::CmpFPredicate::UNE, v,
                                   scalarConstant(b, loc, src, 0));
    return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne, v,
                                 scalarConstant(b, loc, src, 0));
  }
  auto srcF = dyn_cast<FloatType>(src);
  auto dstF = dyn_cast<FloatType>(dst);
  if (srcF && dstF) {
    if (srcF.getWidth() < dstF.getWidth())
      return arith::ExtFOp::create(b, loc, dst, v);
    if (srcF.getWidth() > dstF.getWidth())
      return arith::TruncFOp::create(b, loc, dst, v);
    // f16 <-> bf16: through f32.
    Value wide = arith::ExtFOp::create(b, loc, b.getF32Type(), v);
    return arith::TruncFOp::create(b, loc, dst, wide);
  }
  if (srcF) {
    if (dstUnsigned)
      return arith::FPToUIOp::create(b, loc, dst, v);
    return arith::FPToSIOp::create(b, loc, dst, v);
  }
  if (dstF) {
    if (srcUnsigned)
      return arith::UIToFPOp::create(b, loc, dst, v);
    return arith::SIToFPOp::create(b, loc, dst, v);
  }
  unsigned sw = src.getIntOrFloatBitWidth(), dw = dst.getIntOrFloatBitWidth();
  if (sw == dw)
    return v;
  if (sw > dw)
    return arith::TruncIOp::create(b, loc, dst, v);
  if (srcUnsigned)
    return arith::ExtUIOp::create(b, loc, dst, v);
  return arith::ExtSIOp::create(b, loc, dst, v);
}

Value castTensor(OpBuilder &b, Location loc, Value v, Type dstElement,
                 bool srcUnsigned, bool dstUnsigned) {
  auto type = cast<RankedTensorType>(v.getType());
  if (type.getElementType() == dstElement)
    return v;
  return buildElementwise(b, loc, type.getShape(), dstElement, v,
                          [&](OpBuilder &nb, Location nl, ValueRange args) {
                            return castScalar(nb, nl, args[0], dstElement,
                                              srcUnsigned, dstUnsigned);
                          });
}

Value buildFilled(OpBuilder &b, Location loc, ArrayRef<int64_t> shape,
                  Type elementType, TypedAttr value) {
  auto type = RankedTensorType::get(shape, elementType);
  if (numElements(shape) <= kFoldLimit)
    return arith::ConstantOp::create(b, loc, DenseElementsAttr::get(type, value));
  Value empty = buildEmpty(b, loc, shape, elementType);
  Value scalar = arith::ConstantOp::create(b, loc, value);
  return linalg::FillOp::create(b, loc, scalar, empty).getResult(0);
}

Value buildConstant(OpBuilder &b, Location loc, ElementsAttr value) {
  return arith::ConstantOp::create(b, loc, cast<TypedAttr>(value));
}

Value buildReshape(OpBuilder &b, Location loc, Value v, ArrayRef<int64_t> shape) {
  auto type = cast<RankedTensorType>(v.getType());
  if (type.getShape() == shape)
    return v;
  auto resultType = RankedTensorType::get(shape, type.getElementType());
  if (auto cst = v.getDefiningOp<arith::ConstantOp>()) {
    if (auto dense = dyn_cast<DenseElementsAttr>(cst.getValue()))
      return arith::ConstantOp::create(b, loc, dense.reshape(resultType));
    if (auto resource = dyn_cast<DenseResourceElementsAttr>(cst.getValue()))
      return arith::ConstantOp::create(
          b, loc,
          DenseResourceElementsAttr::get(resultType, resource.getRawHandle()));
  }
  SmallVector<int64_t> dims(shape);
  auto shapeType =
      RankedTensorType::get({(int64_t)shape.size()}, b.getI64Type());
  Value shapeValue = arith::ConstantOp::create(
      b, loc, DenseIntElementsAttr::get(shapeType, ArrayRef<int64_t>(dims)));
  return tensor::ReshapeOp::create(b, loc, resultType, v, shapeValue);
}

Value buildTranspose(OpBuilder &b, Location loc, Value v,
                     ArrayRef<int64_t> perm) {
  auto type = cast<RankedTensorType>(v.getType());
  bool identity = true;
  for (size_t i = 0; i < perm.size(); ++i)
    identity &= perm[i] == (int64_t)i;
  if (identity)
    return v;
  SmallVector<int64_t> shape;
  for (int64_t p : perm)
    shape.push_back(type.getDimSize(p));
  if (DenseElementsAttr value = getConstantValue(v)) {
    auto values = llvm::to_vector(value.getValues<Attribute>());
    SmallVector<Attribute> out(values.size());
    int64_t rank = perm.size();
    SmallVector<int64_t> inStrides(rank, 1);
    for (int64_t d = rank - 2; d >= 0; --d)
      inStrides[d] = inStrides[d + 1] * type.getDimSize(d + 1);
    SmallVector<int64_t> index(rank, 0);
    for (size_t linear = 0; linear < out.size(); ++linear) {
      int64_t rest = linear, offset = 0;
      for (int64_t d = rank - 1; d >= 0; --d) {
        index[d] = rest % shape[d];
        rest /= shape[d];
      }
      for (int64_t d = 0; d < rank; ++d)
        offset += index[d] * inStrides[perm[d]];
      out[linear] = values[offset];
    }
    return arith::ConstantOp::create(
        b, loc,
        DenseElementsAttr::get(
            RankedTensorType::get(shape, type.getElementType()), out));
  }
  Value init = buildEmpty(b, loc, shape, type.getElementType());
  return linalg::TransposeOp::create(b, loc, v, init, perm).getResult()[0];
}

Value buildMax(OpBuilder &b, Location loc, Value x, Value y, bool isUnsigned) {
  if (isa<FloatType>(x.getType()))
    return arith::MaximumFOp::create(b, loc, x, y);
  if (isUnsigned || x.getType().isInteger(1))
    return arith::MaxUIOp::create(b, loc, x, y);
  return arith::MaxSIOp::create(b, loc, x, y);
}

Value buildMin(OpBuilder &b, Location loc, Value x, Value y, bool isUnsigned) {
  if (isa<FloatType>(x.getType()))
    return arith::MinimumFOp::create(b, loc, x, y);
  if (isUnsigned || x.getType().isInteger(1))
    return arith::MinUIOp::create(b, loc, x, y);
  return arith::MinSIOp::create(b, loc, x, y);
}

Value buildAdd(OpBuilder &b, Location loc, Value x, Value y) {
  if (isa<FloatType>(x.getType()))
    return arith::AddFOp::create(b, loc, x, y);
  return arith::AddIOp::create(b, loc, x, y);
}

Value buildMul(OpBuilder &b, Location loc, Value x, Value y) {
  if (isa<FloatType>(x.getType()))
    return arith::MulFOp::create(b, loc, x, y);
  return arith::MulIOp::create(b, loc, x, y);
}

} // namespace quantc::onnx_import
