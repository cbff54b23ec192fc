//===- MatMul.cpp - ONNX matrix products ----------------------------------===//
//
// Part of quantc.
//
// MatMul and Gemm on linalg.matmul / linalg.batch_matmul; MatMulInteger and
// QLinearMatMul accumulate in i32 (operands widened and re-centred on their
// zero points, never dequantized to float), QLinearMatMul then requantizes
// with round-half-to-even and saturation; com.microsoft MatMulNBits unpacks
// its 2/4/8-bit blocks with their scales and zero points into the float
// weight of a matmul. Einsum lives in Einsum.cpp.
//
//===----------------------------------------------------------------------===//

#include "Builders.h"
#include "Importer.h"
#include "NN.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace quantc::onnx_import;

namespace quantc::onnx_import {
LogicalResult convertEinsum(NodeContext &ctx);
} // namespace quantc::onnx_import

namespace {

LogicalResult convertMatMul(NodeContext &ctx) {
  if (ctx.inputType(0).getElementType() != ctx.inputType(1).getElementType())
    return ctx.fail("operands have different element types");
  Value result = buildMatMul(ctx.b, ctx.loc, ctx.input(0), ctx.input(1));
  if (!result)
    return ctx.fail("operand shapes do not match for a matrix product");
  ctx.setResult(0, result, ctx.inputDType(0));
  return success();
}

LogicalResult convertGemm(NodeContext &ctx) {
  OpBuilder &b = ctx.b;
  Location loc = ctx.loc;
  Value a = ctx.input(0), bMat = ctx.input(1);
  if (ctx.inputRank(0) != 2 || ctx.inputRank(1) != 2)
    return ctx.fail("A and B must be 2-D");
  Type element = ctx.inputType(0).getElementType();
  if (ctx.inputType(1).getElementType() != element)
    return ctx.fail("operands have different element types");
  if (ctx.getInt("transA", 0))
    a = buildTranspose(b, loc, a, {1, 0});
  if (ctx.getInt("transB", 0))
    bMat = buildTranspose(b, loc, bMat, {1, 0});
  auto aType = cast<RankedTensorType>(a.getType());
  auto bType = cast<RankedTensorType>(bMat.getType());
  if (aType.getDimSize(1) != bType.getDimSize(0))
    return ctx.fail("inner dimensions do not match");
  Value y = buildMatMul2D(b, loc, a, bMat);
  double alpha = ctx.getFloat("alpha", 1.0f);
  double beta = ctx.getFloat("beta", 1.0f);
  bool hasC = ctx.hasInput(2) && beta != 0;
  if (alpha != 1.0 || hasC) {
    SmallVector<Value> inputs = {y};
    if (hasC) {
      if (ctx.inputType(2).getElementType() != element)
        return ctx.fail("C has a different element type");
      if (ctx.inputRank(2) > 2)
        return ctx.fail("C must have rank 2 or less");
      inputs.push_back(ctx.input(2));
    }
    auto shape = cast<RankedTensorType>(y.getType()).getShape();
    if (hasC) {
      std::optional<SmallVector<int64_t>> joint =
          broadcastShapes({shape, ctx.inputType(2).getShape()});
      if (!joint || ArrayRef<int64_t>(*joint) != shape)
        return ctx.fail("C does not broadcast to the result");
    }
    y = buildElementwise(
        b, loc, shape, element, inputs,
        [&](OpBuilder &nb, Location nl, ValueRange args) -> Value {
          Value r = args[0];
          if (alpha != 1.0)
            r = buildMul(nb, nl, r, scalarConstant(nb, nl, element, alpha));
          if (args.size() > 1) {
            Value c = args[1];
            if (beta != 1.0)
              c = buildMul(nb, nl, c, scalarConstant(nb, nl, element, beta));
            r = buildAdd(nb, nl, r, c);
          }
          return r;
        });
  }
  ctx.setResult(0, y, ctx.inputDType(0));
  return success();
}

bool isInt8(NodeContext &ctx, unsigned i) {
  int32_t d = ctx.inputDType(i);
  return d == kUInt8 || d == kInt8;
}

/// A zero point or scale of an operand of rank `rank`: per tensor (one
/// element), per row of the left operand ([M] -> [M, 1]) or per column of the
/// right one ([N]), or already N-D.
Value alignMatMulParam(NodeContext &ctx, unsigned i, int64_t rank, bool rows) {
  Value v = ctx.input(i);
  auto type = ctx.inputType(i);
  if (type.getNumElements() == 1)
    return buildReshape(ctx.b, ctx.loc, v, {});
  if (type.getRank() == 1 && rows && rank >= 2)
    return alignToAxis(ctx.b, ctx.loc, v, rank - 2, rank);
  return v;
}

/// (A - a_zp) x (B - b_zp) in i32, operands at `aIdx`/`bIdx`, zero points at
/// `aZp`/`bZp` (absent: zero).
FailureOr<Value> integerMatMul(NodeContext &ctx, unsigned aIdx, unsigned aZp,
                               unsigned bIdx, unsigned bZp) {
  if (!isInt8(ctx, aIdx) || !isInt8(ctx, bIdx))
    return ctx.fail("expects uint8 or int8 operands");
  int64_t ra = ctx.inputRank(aIdx), rb = ctx.inputRank(bIdx);
  Value aZero = ctx.hasInput(aZp) ? alignMatMulParam(ctx, aZp, ra, true)
                                  : Value();
  Value bZero = ctx.hasInput(bZp) ? alignMatMulParam(ctx, bZp, rb, false)
                                  : Value();
  Value a = buildCentered(ctx.b, ctx.loc, ctx.input(aIdx),
                          ctx.inputIsUnsigned(aIdx), aZero,
                          ctx.hasInput(aZp) && ctx.inputIsUnsigned(aZp));
  Value bMat = buildCentered(ctx.b, ctx.loc, ctx.input(bIdx),
                             ctx.inputIsUnsigned(bIdx), bZero,
                             ctx.hasInput(bZp) && ctx.inputIsUnsigned(bZp));
  Value result = buildMatMul(ctx.b, ctx.loc, a, bMat);
  if (!result)
    return ctx.fail("operand shapes do not match for a matrix product");
  return result;
}

LogicalResult convertMatMulInteger(NodeContext &ctx) {
  FailureOr<Value> acc = integerMatMul(ctx, 0, 2, 1, 3);
  if (failed(acc))
    return failure();
  ctx.setResult(0, *acc, kInt32);
  return success();
}

LogicalResult convertQLinearMatMul(NodeContext &ctx) {
  // a, a_scale, a_zero_point, b, b_scale, b_zero_point, y_scale, y_zp.
  for (unsigned i : {1u, 2u, 4u, 5u, 6u, 7u})
    if (!ctx.hasInput(i))
      return ctx.fail("expects all 8 inputs");
  FailureOr<Value> acc = integerMatMul(ctx, 0, 2, 3, 5);
  if (failed(acc))
    return failure();
  int64_t ra = ctx.inputRank(0), rb = ctx.inputRank(3);
  Value aScale = alignMatMulParam(ctx, 1, ra, true);
  Value bScale = alignMatMulParam(ctx, 4, rb, false);
  Value yScale = alignMatMulParam(ctx, 6, 0, false);
  if (!isInt8(ctx, 7))
    return ctx.fail("y_zero_point must be uint8 or int8");
  // The multiplier a_scale * b_scale / y_scale, in f32.
  FailureOr<Value> scale = buildBroadcastElementwise(
      ctx.b, ctx.loc, ctx.b.getF32Type(), {aScale, bScale, yScale},
      [](OpBuilder &nb, Location nl, ValueRange s) -> Value {
        Value ab = arith::MulFOp::create(nb, nl, toF32(nb, nl, s[0]),
                                         toF32(nb, nl, s[1]));
        return arith::DivFOp::create(nb, nl, ab, toF32(nb, nl, s[2]));
      });
  if (failed(scale))
    return ctx.fail("scales do not broadcast");
  Value yZero = alignMatMulParam(ctx, 7, 0, false);
  Type storage = ctx.inputType(7).getElementType();
  bool isUnsigned = ctx.inputIsUnsigned(7);
  Value y = buildRequantize(ctx.b, ctx.loc, *acc, *scale, yZero, isUnsigned,
                            storage, isUnsigned);
  ctx.setResult(0, y, ctx.inputDType(7));
  return success();
}

//===----------------------------------------------------------------------===//
// com.microsoft MatMulNBits
//===----------------------------------------------------------------------===//

/// Y = A x dequant(B)^T (+ bias). B is [N, k_blocks, blob] uint8 with
/// `bits`-wide codes packed low-first along K; scales [N * k_blocks] (or
/// [N, k_blocks]); zero points either packed like B ([N * ceil(k_blocks *
/// bits / 8)]) or one float per block; the default zero point is
/// 2^(bits - 1). A code dequantizes to (code - zero_point) * scale.
LogicalResult convertMatMulNBits(NodeContext &ctx) {
  OpBuilder &b = ctx.b;
  Location loc = ctx.loc;
  int64_t k = ctx.getInt("K", 0), n = ctx.getInt("N", 0);
  int64_t bits = ctx.getInt("bits", 4);
  int64_t blockSize = ctx.getInt("block_size", 0);
  if (k <= 0 || n <= 0)
    return ctx.fail("attributes K and N must be positive");
  if (bits != 2 && bits != 4 && bits != 8)
    return ctx.fail(Twine("bits=") + Twine(bits) + " is not supported");
  if (blockSize < 16 || (blockSize & (blockSize - 1)))
    return ctx.fail("block_size must be a power of two >= 16");
  if (ctx.hasInput(4))
    return ctx.fail("g_idx is not supported");
  RankedTensorType aType = ctx.inputType(0);
  Type element = aType.getElementType();
  if (!isa<FloatType>(element))
    return ctx.fail("A must be floating point");
  if (aType.getRank() < 1 || aType.getShape().back() != k)
    return ctx.fail("A's last dimension must be K");
  int64_t kBlocks = (k + blockSize - 1) / blockSize;
  int64_t perByte = 8 / bits;
  int64_t blob = blockSize / perByte;
  RankedTensorType bType = ctx.inputType(1);
  if (ctx.inputDType(1) != kUInt8 ||
      bType.getShape() != ArrayRef<int64_t>{n, kBlocks, blob})
    return ctx.fail(Twine("B must be uint8 [") + Twine(n) + ", " +
                    Twine(kBlocks) + ", " + Twine(blob) + "]");
  if (ctx.inputType(2).getNumElements() != n * kBlocks)
    return ctx.fail("scales must hold N * k_blocks values");
  Value scales = buildReshape(b, loc, ctx.input(2), {n * kBlocks});
  Value zeros;
  bool packedZeros = false;
  int64_t zpBytesPerRow = (kBlocks * bits + 7) / 8;
  if (ctx.hasInput(3)) {
    zeros = ctx.input(3);
    int64_t count = ctx.inputType(3).getNumElements();
    packedZeros = ctx.inputDType(3) == kUInt8;
    if (packedZeros ? count != n * zpBytesPerRow : count != n * kBlocks)
      return ctx.fail("zero_points have the wrong size");
    if (!packedZeros &&
        ctx.inputType(3).getElementType() != ctx.inputType(2).getElementType())
      return ctx.fail("float zero_points must have the scales' type");
    zeros = buildReshape(b, loc, zeros, {count});
  }
  Value packed = ctx.input(1);
  Type f32 = b.getF32Type(), i32 = b.getI32Type();
  // W[k, n], one element at a time, gathered from the packed operands.
  Value init = buildEmpty(b, loc, {k, n}, element);
  MLIRContext *mctx = b.getContext();
  auto generic = linalg::GenericOp::create(
      b, loc, TypeRange{init.getType()}, ValueRange{}, ValueRange{init},
      SmallVector<AffineMap>{AffineMap::getMultiDimIdentityMap(2, mctx)},
      SmallVector<utils::IteratorType>(2, utils::IteratorType::parallel),
      [&](OpBuilder &nb, Location nl, ValueRange) {
        auto c = [&](int64_t v) -> Value {
          return arith::ConstantIndexOp::create(nb, nl, v);
        };
        Value kk = linalg::IndexOp::create(nb, nl, 0);
        Value nn = linalg::IndexOp::create(nb, nl, 1);
        Value block = arith::DivUIOp::create(nb, nl, kk, c(blockSize));
        Value within = arith::RemUIOp::create(nb, nl, kk, c(blockSize));
        Value byteIdx = arith::DivUIOp::create(nb, nl, within, c(perByte));
        Value byte = tensor::ExtractOp::create(nb, nl, packed,
                                               ValueRange{nn, block, byteIdx});
        auto unpack = [&](Value byteVal, Value slot) -> Value {
          Value shift = arith::MulIOp::create(
              nb, nl, arith::RemUIOp::create(nb, nl, slot, c(perByte)),
              c(bits));
          Value wide = arith::ExtUIOp::create(nb, nl, i32, byteVal);
          Value sh = arith::IndexCastOp::create(nb, nl, i32, shift);
          Value code = arith::ShRUIOp::create(nb, nl, wide, sh);
          return arith::AndIOp::create(
              nb, nl, code,
              arith::ConstantIntOp::create(nb, nl, i32, (1 << bits) - 1));
        };
        Value code = unpack(byte, within);
        Value flatBlock = arith::AddIOp::create(
            nb, nl, arith::MulIOp::create(nb, nl, nn, c(kBlocks)), block);
        Value scale = tensor::ExtractOp::create(nb, nl, scales,
                                                ValueRange{flatBlock});
        Value value;
        if (zeros && !packedZeros) {
          Value zp = tensor::ExtractOp::create(nb, nl, zeros,
                                               ValueRange{flatBlock});
          value = arith::SubFOp::create(
              nb, nl, arith::SIToFPOp::create(nb, nl, f32, code),
              toF32(nb, nl, zp));
        } else {
          Value zp;
          if (zeros) {
            Value zpIdx = arith::AddIOp::create(
                nb, nl, arith::MulIOp::create(nb, nl, nn, c(zpBytesPerRow)),
                arith::DivUIOp::create(nb, nl, block, c(perByte)));
            Value zpByte =
                tensor::ExtractOp::create(nb, nl, zeros, ValueRange{zpIdx});
            zp = unpack(zpByte, block);
          } else {
            zp = arith::ConstantIntOp::create(nb, nl, i32, 1 << (bits - 1));
          }
          value = arith::SIToFPOp::create(
              nb, nl, f32, arith::SubIOp::create(nb, nl, code, zp));
        }
        Value w = arith::MulFOp::create(nb, nl, value, toF32(nb, nl, scale));
        linalg::YieldOp::create(
            nb, nl, castScalar(nb, nl, w, element, false, false));
      });
  Value y = buildMatMul(b, loc, ctx.input(0), generic.getResult(0));
  if (ctx.hasInput(5)) {
    if (ctx.inputType(5).getNumElements() != n)
      return ctx.fail("bias must hold N values");
    Value bias = buildReshape(b, loc, ctx.input(5), {n});
    y = buildElementwise(b, loc, cast<RankedTensorType>(y.getType()).getShape(),
                         element, {y, bias},
                         [](OpBuilder &nb, Location nl, ValueRange args) {
                           return buildAdd(nb, nl, args[0], args[1]);
                         });
  }
  ctx.setResult(0, y, ctx.inputDType(0));
  return success();
}

} // namespace

void quantc::onnx_import::registerMatMulOps(OpRegistry &registry) {
  registry.add("MatMul", convertMatMul);
  registry.add("Gemm", convertGemm);
  registry.add("Einsum", convertEinsum);
  registry.add("MatMulInteger", convertMatMulInteger);
  registry.add("QLinearMatMul", convertQLinearMatMul);
  registry.add("com.microsoft", "MatMulNBits", 1, convertMatMulNBits);
}
