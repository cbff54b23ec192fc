//===- DataMovement.cpp - Gathers for the tensor and indexing ops ---------===//
//
// Part of quantc.
//
//===----------------------------------------------------------------------===//

#include "DataMovement.h"

#include "Builders.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;

namespace quantc::onnx_import {

AxisTable identityTable(int64_t n) {
  AxisTable t(n);
  for (int64_t i = 0; i < n; ++i)
    t[i] = i;
  return t;
}

SmallVector<int64_t> stridesOf(ArrayRef<int64_t> shape) {
  SmallVector<int64_t> strides(shape.size(), 1);
  for (int64_t d = (int64_t)shape.size() - 2; d >= 0; --d)
    strides[d] = strides[d + 1] * shape[d + 1];
  return strides;
}

Value indexConstant(OpBuilder &b, Location loc, int64_t v) {
  return arith::ConstantIndexOp::create(b, loc, v);
}

Value toIndex(OpBuilder &b, Location loc, Value v, bool isUnsigned) {
  if (v.getType().isIndex())
    return v;
  if (isUnsigned)
    return arith::IndexCastUIOp::create(b, loc, b.getIndexType(), v);
  return arith::IndexCastOp::create(b, loc, b.getIndexType(), v);
}

Value wrapNegativeIndex(OpBuilder &b, Location loc, Value i, int64_t size) {
  Value zero = indexConstant(b, loc, 0);
  Value negative =
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, i, zero);
  Value wrapped =
      arith::AddIOp::create(b, loc, i, indexConstant(b, loc, size));
  return arith::SelectOp::create(b, loc, negative, wrapped, i);
}

Value buildIndexGeneric(OpBuilder &b, Location loc, ArrayRef<int64_t> shape,
                        Type element, ValueRange inputs,
                        ArrayRef<AffineMap> inputMaps, IndexBodyFn body) {
  int64_t rank = shape.size();
  SmallVector<AffineMap> maps(inputMaps);
  maps.push_back(AffineMap::getMultiDimIdentityMap(rank, b.getContext()));
  Value init = buildEmpty(b, loc, shape, element);
  auto generic = linalg::GenericOp::create(
      b, loc, TypeRange{init.getType()}, inputs, ValueRange{init}, maps,
      SmallVector<utils::IteratorType>(rank, utils::IteratorType::parallel),
      [&](OpBuilder &nb, Location nl, ValueRange args) {
        SmallVector<Value> indices;
        for (int64_t d = 0; d < rank; ++d)
          indices.push_back(linalg::IndexOp::create(nb, nl, d));
        linalg::YieldOp::create(nb, nl,
                                body(nb, nl, indices, args.drop_back()));
        for (Value index : indices)
          if (index.use_empty())
            index.getDefiningOp()->erase();
      });
  return generic.getResult(0);
}

namespace {

/// How one axis of an axis gather reads its source.
struct AxisKind {
  enum Kind { Affine, Padded, Table } kind = Table;
  /// Affine: source index = start + step * o. Padded: lo entries of -1, then
  /// start, start+1, ..., (size - lo - hi entries), then hi entries of -1.
  int64_t start = 0, step = 1, lo = 0, hi = 0;
};

AxisKind classify(const AxisTable &t) {
  AxisKind k;
  int64_t n = t.size();
  if (n == 0) {
    k.kind = AxisKind::Affine;
    return k;
  }
  bool hasPad = llvm::is_contained(t, -1);
  if (!hasPad) {
    k.start = t[0];
    k.step = n > 1 ? t[1] - t[0] : 1;
    for (int64_t i = 0; i < n; ++i)
      if (t[i] != k.start + k.step * i)
        return k;
    k.kind = AxisKind::Affine;
    return k;
  }
  while (k.lo < n && t[k.lo] == -1)
    ++k.lo;
  while (k.hi < n - k.lo && t[n - 1 - k.hi] == -1)
    ++k.hi;
  int64_t inner = n - k.lo - k.hi;
  if (inner == 0)
    return k;
  k.start = t[k.lo];
  for (int64_t i = 0; i < inner; ++i)
    if (t[k.lo + i] != k.start + i)
      return k;
  k.kind = AxisKind::Padded;
  return k;
}

DenseElementsAttr foldAxisGather(DenseElementsAttr src,
                                 RankedTensorType resultType,
                                 ArrayRef<AxisTable> tables,
                                 TypedAttr padValue) {
  auto srcType = cast<RankedTensorType>(src.getType());
  SmallVector<int64_t> strides = stridesOf(srcType.getShape());
  ArrayRef<int64_t> shape = resultType.getShape();
  int64_t n = resultType.getNumElements();
  if (src.isSplat() && !padValue)
    return DenseElementsAttr::get(resultType,
                                  src.getSplatValue<Attribute>());
  auto values = llvm::to_vector(src.getValues<Attribute>());
  SmallVector<Attribute> out;
  out.reserve(n);
  SmallVector<int64_t> index(shape.size(), 0);
  for (int64_t linear = 0; linear < n; ++linear) {
    int64_t rest = linear, offset = 0;
    bool pad = false;
    for (int64_t d = shape.size() - 1; d >= 0; --d) {
      index[d] = rest % shape[d];
      rest /= shape[d];
    }
    for (size_t d = 0; d < shape.size(); ++d) {
      int64_t i = tables[d][index[d]];
      if (i < 0) {
        pad = true;
        break;
      }
      offset += i * strides[d];
    }
    out.push_back(pad ? Attribute(padValue) : values[offset]);
  }
  return DenseElementsAttr::get(resultType, out);
}

} // namespace

Value buildAxisGather(OpBuilder &b, Location loc, Value src,
                      ArrayRef<AxisTable> tables, TypedAttr padValue) {
  auto srcType = cast<RankedTensorType>(src.getType());
  Type element = srcType.getElementType();
  int64_t rank = srcType.getRank();
  assert((int64_t)tables.size() == rank && "one table per axis");
  SmallVector<int64_t> shape;
  bool identity = true;
  for (int64_t d = 0; d < rank; ++d) {
    shape.push_back(tables[d].size());
    identity &= tables[d] == identityTable(srcType.getDimSize(d));
  }
  if (identity)
    return src;
  auto resultType = RankedTensorType::get(shape, element);
  if (resultType.getNumElements() == 0)
    return arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(resultType, ArrayRef<Attribute>{}));
  // Only padding can come out of an empty source.
  if (srcType.getNumElements() == 0) {
    assert(padValue && "gather from an empty tensor without a pad value");
    return buildFilled(b, loc, shape, element, padValue);
  }
  if (resultType.getNumElements() <= kFoldLimit)
    if (DenseElementsAttr value = getConstantValue(src))
      return arith::ConstantOp::create(
          b, loc, foldAxisGather(value, resultType, tables, padValue));

  SmallVector<AxisKind> kinds;
  for (const AxisTable &t : tables)
    kinds.push_back(classify(t));

  // Slices, broadcasts and constant pads need no gather.
  bool sliceable = llvm::all_of(kinds, [](const AxisKind &k) {
    return k.kind == AxisKind::Padded ||
           (k.kind == AxisKind::Affine && k.step >= 0);
  });
  if (sliceable) {
    SmallVector<OpFoldResult> offsets, sizes, strides, low, high;
    SmallVector<int64_t> sliceShape;
    SmallVector<AffineExpr> broadcastExprs;
    bool broadcast = false, padded = false;
    for (int64_t d = 0; d < rank; ++d) {
      const AxisKind &k = kinds[d];
      int64_t size = shape[d];
      int64_t step = k.step;
      if (k.kind == AxisKind::Padded) {
        size -= k.lo + k.hi;
        padded = true;
      } else if (step == 0 && size > 1) {
        broadcast = true;
        size = 1;
      }
      if (size == 1 || step == 0)
        step = 1;
      offsets.push_back(b.getIndexAttr(k.start));
      sizes.push_back(b.getIndexAttr(size));
      strides.push_back(b.getIndexAttr(step));
      sliceShape.push_back(size);
      low.push_back(b.getIndexAttr(k.kind == AxisKind::Padded ? k.lo : 0));
      high.push_back(b.getIndexAttr(k.kind == AxisKind::Padded ? k.hi : 0));
      broadcastExprs.push_back(size == 1 && shape[d] != 1
                                   ? b.getAffineConstantExpr(0)
                                   : b.getAffineDimExpr(d));
    }
    Value v = src;
    if (sliceShape != srcType.getShape() ||
        llvm::any_of(kinds, [](const AxisKind &k) { return k.start != 0; }))
      v = tensor::ExtractSliceOp::create(
          b, loc, RankedTensorType::get(sliceShape, element), src, offsets,
          sizes, strides);
    if (padded && !broadcast) {
      assert(padValue && "padded gather without a pad value");
      Value pad = arith::ConstantOp::create(b, loc, padValue);
      return tensor::PadOp::create(b, loc, resultType, v, low, high, pad);
    }
    if (!padded) {
      if (!broadcast)
        return v;
      AffineMap map = AffineMap::get(rank, 0, broadcastExprs, b.getContext());
      return buildIndexGeneric(
          b, loc, shape, element, v, map,
          [](OpBuilder &, Location, ValueRange, ValueRange args) {
            return args[0];
          });
    }
  }

  // Integer-factor nearest upsampling (table[o] = o / k): broadcast to
  // [d0, k0, d1, k1, ...] and merge each pair.
  SmallVector<int64_t> factors;
  for (int64_t d = 0; d < rank; ++d) {
    int64_t dim = srcType.getDimSize(d), k = dim ? shape[d] / dim : 0;
    if (tables[d] == identityTable(dim)) {
      factors.push_back(1);
      continue;
    }
    bool repeat = k >= 2 && k * dim == shape[d];
    for (int64_t o = 0; repeat && o < shape[d]; ++o)
      repeat = tables[d][o] == o / k;
    if (!repeat)
      break;
    factors.push_back(k);
  }
  if ((int64_t)factors.size() == rank) {
    SmallVector<int64_t> wide;
    SmallVector<AffineExpr> exprs;
    for (int64_t d = 0; d < rank; ++d) {
      exprs.push_back(b.getAffineDimExpr(wide.size()));
      wide.push_back(srcType.getDimSize(d));
      if (factors[d] != 1)
        wide.push_back(factors[d]);
    }
    AffineMap map = AffineMap::get(wide.size(), 0, exprs, b.getContext());
    Value broadcast = buildIndexGeneric(
        b, loc, wide, element, src, map,
        [](OpBuilder &, Location, ValueRange, ValueRange args) {
          return args[0];
        });
    return buildReshape(b, loc, broadcast, shape);
  }

  // The general case: every output element reads its source element.
  SmallVector<Value> tableValues(rank);
  bool anyPad = false;
  for (int64_t d = 0; d < rank; ++d) {
    if (kinds[d].kind == AxisKind::Affine)
      continue;
    anyPad |= llvm::is_contained(tables[d], -1);
    auto type = RankedTensorType::get({(int64_t)tables[d].size()},
                                      b.getI64Type());
    tableValues[d] = arith::ConstantOp::create(
        b, loc, DenseIntElementsAttr::get(type, ArrayRef<int64_t>(tables[d])));
  }
  assert((!anyPad || padValue) && "padded gather without a pad value");
  (void)anyPad;
  return buildIndexGeneric(
      b, loc, shape, element, {}, {},
      [&](OpBuilder &nb, Location nl, ValueRange indices, ValueRange) {
        SmallVector<Value> srcIndices;
        Value valid;
        for (int64_t d = 0; d < rank; ++d) {
          const AxisKind &k = kinds[d];
          if (k.kind == AxisKind::Affine) {
            Value i = indices[d];
            if (k.step != 1)
              i = arith::MulIOp::create(nb, nl, i,
                                        indexConstant(nb, nl, k.step));
            if (k.start != 0)
              i = arith::AddIOp::create(nb, nl, i,
                                        indexConstant(nb, nl, k.start));
            srcIndices.push_back(i);
            continue;
          }
          Value i = toIndex(
              nb, nl,
              tensor::ExtractOp::create(nb, nl, tableValues[d], indices[d]));
          if (llvm::is_contained(tables[d], -1)) {
            Value zero = indexConstant(nb, nl, 0);
            Value ok = arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::sge,
                                             i, zero);
            valid = valid ? arith::AndIOp::create(nb, nl, valid, ok) : ok;
            i = arith::MaxSIOp::create(nb, nl, i, zero);
          }
          srcIndices.push_back(i);
        }
        Value v = tensor::ExtractOp::create(nb, nl, src, srcIndices);
        if (valid)
          v = arith::SelectOp::create(
              nb, nl, valid, v, arith::ConstantOp::create(nb, nl, padValue));
        return v;
      });
}

} // namespace quantc::onnx_import
