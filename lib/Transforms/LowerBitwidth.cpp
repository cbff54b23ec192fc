//===- LowerBitwidth.cpp - Quantized ops to packed-integer kernels --------===//
//
// Part of quantc.
//
// qc-lower-bitwidth: qc.matmul and qc.gather_rows become calls of the
// kernels of quantc/Conversion/QCToVector/Kernels.h on the weight's packed
// bytes (qc.storage). See Passes.td.
//
//===----------------------------------------------------------------------===//

#include "quantc/Conversion/QCToVector/Kernels.h"
#include "quantc/Dialect/QC/IR/QCDialect.h"
#include "quantc/Dialect/QC/IR/QCOps.h"
#include "quantc/Dialect/QC/IR/QCTypes.h"
#include "quantc/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"

namespace quantc {
#define GEN_PASS_DEF_QCLOWERBITWIDTHPASS
#define GEN_PASS_DEF_QCBUILDKERNELSPASS
#include "quantc/Transforms/Passes.h.inc"
} // namespace quantc

using namespace mlir;
using namespace quantc;

namespace {

/// `value` (a ranked tensor) as a memref<?x...> of the same rank, read-only.
Value asDynamicBuffer(ImplicitLocOpBuilder &b, Value value) {
  auto type = cast<RankedTensorType>(value.getType());
  auto staticType = MemRefType::get(type.getShape(), type.getElementType());
  Value buffer = bufferization::ToBufferOp::create(b, staticType, value,
                                                   /*read_only=*/true);
  SmallVector<int64_t> dyn(type.getRank(), ShapedType::kDynamic);
  return memref::CastOp::create(b, MemRefType::get(dyn, type.getElementType()),
                                buffer);
}

/// The packed bytes of `weight` as a read-only memref<?xi8>.
FailureOr<Value> weightBytes(ImplicitLocOpBuilder &b, Operation *op,
                             Value weight) {
  auto type = cast<RankedTensorType>(weight.getType());
  FailureOr<int64_t> size =
      qc::getStorageSize(type, [&] { return op->emitOpError() << "weight: "; });
  if (failed(size))
    return failure();
  auto bytesType = RankedTensorType::get({*size}, b.getI8Type());
  Value bytes = qc::StorageOp::create(b, bytesType, weight);
  return asDynamicBuffer(b, bytes);
}

/// A fresh buffer of tensor type `type` whose dynamic sizes are `dynSizes`,
/// with the memref<?x?xf32> view the kernels take.
std::pair<Value, Value> allocResult(ImplicitLocOpBuilder &b,
                                    RankedTensorType type,
                                    ValueRange dynSizes) {
  auto memrefType = MemRefType::get(type.getShape(), type.getElementType());
  Value alloc =
      memref::AllocOp::create(b, memrefType, dynSizes, b.getI64IntegerAttr(64));
  SmallVector<int64_t> dyn(type.getRank(), ShapedType::kDynamic);
  Value view = memref::CastOp::create(
      b, MemRefType::get(dyn, type.getElementType()), alloc);
  return {alloc, view};
}

/// An elementwise consumer of a 2-D matmul that can run in the kernel's
/// store: a linalg.generic whose iterators are parallel, that reads the
/// matmul's result through the identity map and its other f32 inputs by
/// (m, n) or by n (a bias), does not read its output, and whose body is
/// arith/math on scalars. Bias adds, activations (ReLU, SiLU, GELU's
/// polynomials) and residual adds have this form once elementwise ops are
/// linalg.
struct EpilogueMatch {
  linalg::GenericOp generic;
  unsigned resultOperand; ///< index of the matmul result among the inputs
  SmallVector<Value> extras;
  SmallVector<int64_t> extraRanks;
};

std::optional<EpilogueMatch> matchEpilogue(qc::MatmulOp op) {
  Value result = op.getResult();
  auto type = cast<RankedTensorType>(result.getType());
  if (type.getRank() != 2 || !type.getElementType().isF32() ||
      !result.hasOneUse())
    return std::nullopt;
  auto generic = dyn_cast<linalg::GenericOp>(*result.getUsers().begin());
  if (!generic || generic.getNumResults() != 1 ||
      generic.getNumDpsInits() != 1 ||
      generic.getNumParallelLoops() != generic.getNumLoops() ||
      generic.getNumLoops() != 2 || generic.getResult(0).getType() != type)
    return std::nullopt;
  MLIRContext *ctx = op.getContext();
  AffineMap identity = AffineMap::getMultiDimIdentityMap(2, ctx);
  AffineMap byColumn = AffineMap::get(2, 0, {getAffineDimExpr(1, ctx)}, ctx);
  if (generic.getIndexingMapsArray().back() != identity)
    return std::nullopt;
  EpilogueMatch match{generic, 0, {}, {}};
  bool sawResult = false;
  for (OpOperand *input : generic.getDpsInputOperands()) {
    AffineMap map = generic.getMatchingIndexingMap(input);
    auto inputType = dyn_cast<RankedTensorType>(input->get().getType());
    if (!inputType || !inputType.getElementType().isF32())
      return std::nullopt;
    if (input->get() == result) {
      if (sawResult || map != identity)
        return std::nullopt;
      sawResult = true;
      match.resultOperand = input->getOperandNumber();
      continue;
    }
    if (map == identity && inputType == type) {
      match.extraRanks.push_back(2);
    } else if (map == byColumn && inputType.getRank() == 1 &&
               inputType.getDimSize(0) == type.getDimSize(1)) {
      match.extraRanks.push_back(1);
    } else {
      return std::nullopt;
    }
    match.extras.push_back(input->get());
  }
  Block &body = generic.getRegion().front();
  if (!sawResult || !body.getArguments().back().use_empty())
    return std::nullopt;
  for (Operation &inner : body.without_terminator()) {
    if (!isa<arith::ArithDialect, math::MathDialect>(inner.getDialect()) ||
        inner.getNumRegions() != 0)
      return std::nullopt;
    // Values from outside the body must be constants (cloned along).
    for (Value operand : inner.getOperands()) {
      if (operand.getParentRegion() == &generic.getRegion())
        continue;
      Operation *def = operand.getDefiningOp();
      if (!def || !def->hasTrait<OpTrait::ConstantLike>())
        return std::nullopt;
    }
  }
  return match;
}

/// The private scalar function (acc, extras...) -> f32 holding the
/// generic's body.
FlatSymbolRefAttr createEpilogueFunction(EpilogueMatch &match,
                                         ModuleOp module) {
  MLIRContext *ctx = module.getContext();
  auto f32 = Float32Type::get(ctx);
  SmallVector<Type> args(1 + match.extras.size(), f32);
  std::string name;
  for (int64_t i = 0;; ++i) {
    name = "qc_epilogue_" + std::to_string(i);
    if (!module.lookupSymbol(name))
      break;
  }
  OpBuilder mb = OpBuilder::atBlockEnd(module.getBody());
  auto fn = func::FuncOp::create(mb, match.generic.getLoc(), name,
                                 mb.getFunctionType(args, {f32}));
  fn.setPrivate();
  Block *entry = fn.addEntryBlock();
  OpBuilder b = OpBuilder::atBlockEnd(entry);
  Block &body = match.generic.getRegion().front();
  IRMapping mapping;
  unsigned next = 1;
  for (OpOperand *input : match.generic.getDpsInputOperands()) {
    BlockArgument arg = body.getArgument(input->getOperandNumber());
    mapping.map(arg, input->getOperandNumber() == match.resultOperand
                         ? entry->getArgument(0)
                         : entry->getArgument(next++));
  }
  for (Operation &inner : body.without_terminator()) {
    for (Value operand : inner.getOperands())
      if (!mapping.contains(operand) &&
          operand.getParentRegion() != &match.generic.getRegion())
        mapping.map(operand, b.clone(*operand.getDefiningOp())->getResult(0));
    b.clone(inner, mapping);
  }
  auto yield = cast<linalg::YieldOp>(body.getTerminator());
  func::ReturnOp::create(b, match.generic.getLoc(),
                         mapping.lookup(yield.getOperand(0)));
  return FlatSymbolRefAttr::get(fn);
}

LogicalResult lowerMatmul(qc::MatmulOp op, KernelISA isa) {
  // A fused epilogue may read values defined after the matmul (a sibling
  // matmul's result): the call goes where the consumer is.
  std::optional<EpilogueMatch> epilogue = matchEpilogue(op);
  ImplicitLocOpBuilder b(op.getLoc(), epilogue
                                          ? epilogue->generic.getOperation()
                                          : op.getOperation());
  auto module = op->getParentOfType<ModuleOp>();
  auto inputType = op.getInput().getType();
  auto weightType = op.getWeight().getType();
  if (!inputType.getElementType().isF32())
    return op.emitOpError() << "bit-width lowering takes f32 activations, got "
                            << inputType.getElementType();
  if (!weightType.hasStaticShape())
    return op.emitOpError() << "bit-width lowering needs a weight of static "
                               "shape, got "
                            << weightType;
  Type weightElement = weightType.getElementType();
  if (!hasQuantizedKernel(weightElement))
    return op.emitOpError()
           << "has no kernel for weights of type " << weightElement
           << " (supported: q4_0, q4_1, q5_0, q5_1, q8_0, "
              "q2_K..q6_K, 4- and 8-bit !qc.group with "
              "groups of 32 or more, f32, f16, bf16)";
  FlatSymbolRefAttr epilogueFn =
      epilogue ? createEpilogueFunction(*epilogue, module) : nullptr;
  // Weights quantized weight-only (qc-quantize-matmul-weights) keep f32
  // activations.
  bool weightOnly = false;
  if (auto read = op.getWeight().getDefiningOp<qc::WeightOp>())
    if (auto global = SymbolTable::lookupNearestSymbolFrom<qc::GlobalOp>(
            read, read.getNameAttr()))
      weightOnly = global->hasAttr(qc::QCDialect::kWeightOnlyAttrName);
  FailureOr<func::FuncOp> kernel = getOrCreateMatmulKernel(
      module, weightElement, isa, op.getLoc(), epilogueFn,
      epilogue ? ArrayRef<int64_t>(epilogue->extraRanks) : ArrayRef<int64_t>(),
      weightOnly);
  if (failed(kernel))
    return failure();

  // The input as rows x K.
  Value x = op.getInput();
  int64_t rank = inputType.getRank();
  int64_t K = weightType.getDimSize(1), N = weightType.getDimSize(0);
  SmallVector<ReassociationIndices> collapse;
  if (rank == 1) {
    auto x2Type = RankedTensorType::get({1, K}, inputType.getElementType());
    x = tensor::ExpandShapeOp::create(b, x2Type, x,
                                      ArrayRef<ReassociationIndices>{{0, 1}});
  } else if (rank > 2) {
    ReassociationIndices lead;
    for (int64_t i = 0; i < rank - 1; ++i)
      lead.push_back(i);
    collapse = {lead, {rank - 1}};
    x = tensor::CollapseShapeOp::create(b, x, collapse);
  }
  auto x2Type = cast<RankedTensorType>(x.getType());
  SmallVector<Value> dynSizes;
  if (x2Type.isDynamicDim(0))
    dynSizes.push_back(tensor::DimOp::create(b, x, 0));
  auto y2Type = RankedTensorType::get({x2Type.getDimSize(0), N},
                                      inputType.getElementType());

  Value xBuf = asDynamicBuffer(b, x);
  FailureOr<Value> wBuf = weightBytes(b, op, op.getWeight());
  if (failed(wBuf))
    return failure();
  auto [yAlloc, yView] = allocResult(b, y2Type, dynSizes);
  SmallVector<Value> operands = {xBuf, *wBuf, yView};
  if (epilogue)
    for (Value extra : epilogue->extras)
      operands.push_back(asDynamicBuffer(b, extra));
  func::CallOp::create(b, *kernel, operands);
  Value y = bufferization::ToTensorOp::create(b, y2Type, yAlloc,
                                              /*restrict=*/b.getUnitAttr(),
                                              /*writable=*/b.getUnitAttr());
  auto resultType = op.getType();
  if (rank == 1)
    y = tensor::CollapseShapeOp::create(b, resultType, y,
                                        ArrayRef<ReassociationIndices>{{0, 1}});
  else if (rank > 2)
    y = tensor::ExpandShapeOp::create(b, resultType, y, collapse);
  else if (y.getType() != resultType)
    y = tensor::CastOp::create(b, resultType, y);
  if (epilogue) {
    // The generic's result is the kernel's.
    epilogue->generic.getResult(0).replaceAllUsesWith(y);
    epilogue->generic.erase();
  } else {
    op.replaceAllUsesWith(y);
  }
  op.erase();
  return success();
}

LogicalResult lowerGatherRows(qc::GatherRowsOp op) {
  ImplicitLocOpBuilder b(op.getLoc(), op);
  auto module = op->getParentOfType<ModuleOp>();
  auto tableType = op.getTable().getType();
  auto resultType = op.getType();
  if (!resultType.getElementType().isF32())
    return op.emitOpError() << "bit-width lowering produces f32 rows, got "
                            << resultType.getElementType();
  if (!tableType.hasStaticShape())
    return op.emitOpError() << "bit-width lowering needs a table of static "
                               "shape, got "
                            << tableType;
  Type element = tableType.getElementType();
  if (!hasQuantizedKernel(element))
    return op.emitOpError() << "has no kernel for tables of type " << element;
  Type indexType = op.getIndices().getType().getElementType();
  FailureOr<func::FuncOp> kernel =
      getOrCreateGatherRowsKernel(module, element, indexType, op.getLoc());
  if (failed(kernel))
    return failure();
  Value ids = asDynamicBuffer(b, op.getIndices());
  FailureOr<Value> table = weightBytes(b, op, op.getTable());
  if (failed(table))
    return failure();
  SmallVector<Value> dynSizes;
  if (resultType.isDynamicDim(0))
    dynSizes.push_back(tensor::DimOp::create(b, op.getIndices(), 0));
  auto [alloc, view] = allocResult(b, resultType, dynSizes);
  func::CallOp::create(b, *kernel, ValueRange{*table, ids, view});
  Value out = bufferization::ToTensorOp::create(
      b, resultType, alloc, b.getUnitAttr(), b.getUnitAttr());
  op.replaceAllUsesWith(out);
  op.erase();
  return success();
}

LogicalResult lowerAttention(qc::AttentionOp op) {
  ImplicitLocOpBuilder b(op.getLoc(), op);
  auto module = op->getParentOfType<ModuleOp>();
  RankedTensorType qType = op.getQuery().getType();
  RankedTensorType kType = op.getKeys().getType();
  if (!qType.getElementType().isF32())
    return op.emitOpError() << "bit-width lowering takes f32 attention, got "
                            << qType.getElementType();
  int64_t D = qType.getDimSize(2);
  if (ShapedType::isDynamic(D) || kType.isDynamicDim(2))
    return op.emitOpError() << "needs a static head size";
  FailureOr<func::FuncOp> kernel = getOrCreateAttentionKernel(
      module, D, op.getPos().getType().getElementType(), op.getLoc());
  if (failed(kernel))
    return failure();
  // The query as memref<?x?xDxf32>; the keys and values, usually one
  // layer's slice of a cache, as views at a dynamic offset
  // (memref<?x?xDxf32, strided<[?, D, 1], offset: ?>>), so that the slice
  // is passed in place rather than copied.
  const int64_t dyn = ShapedType::kDynamic;
  auto view = [&](Value tensor, bool atOffset) -> Value {
    auto type = cast<RankedTensorType>(tensor.getType());
    MemRefLayoutAttrInterface layout, dynLayout;
    if (atOffset) {
      int64_t rowStride = ShapedType::isDynamic(type.getDimSize(1))
                              ? dyn
                              : type.getDimSize(1) * D;
      layout = StridedLayoutAttr::get(b.getContext(), dyn,
                                      ArrayRef<int64_t>{rowStride, D, 1});
      dynLayout = StridedLayoutAttr::get(b.getContext(), dyn,
                                         ArrayRef<int64_t>{dyn, D, 1});
    }
    auto staticType =
        MemRefType::get(type.getShape(), type.getElementType(), layout);
    Value buffer = bufferization::ToBufferOp::create(b, staticType, tensor,
                                                     /*read_only=*/true);
    return memref::CastOp::create(
        b, MemRefType::get({dyn, dyn, D}, type.getElementType(), dynLayout),
        buffer);
  };
  Value q = view(op.getQuery(), false), k = view(op.getKeys(), true),
        v = view(op.getValues(), true);
  auto posType = op.getPos().getType();
  Value pos = bufferization::ToBufferOp::create(
      b, MemRefType::get(posType.getShape(), posType.getElementType()),
      op.getPos(), /*read_only=*/true);
  pos = memref::CollapseShapeOp::create(
      b, pos,
      ArrayRef<ReassociationIndices>{llvm::to_vector(
          llvm::seq<int64_t>(0, std::max<int64_t>(posType.getRank(), 1)))});
  pos = memref::CastOp::create(
      b, MemRefType::get({ShapedType::kDynamic}, posType.getElementType()),
      pos);
  SmallVector<Value> dynSizes;
  for (int64_t i = 0; i < qType.getRank(); ++i)
    if (qType.isDynamicDim(i))
      dynSizes.push_back(tensor::DimOp::create(b, op.getQuery(), i));
  auto outType = MemRefType::get(qType.getShape(), qType.getElementType());
  Value out =
      memref::AllocOp::create(b, outType, dynSizes, b.getI64IntegerAttr(64));
  Value outView = memref::CastOp::create(
      b,
      MemRefType::get({ShapedType::kDynamic, ShapedType::kDynamic, D},
                      qType.getElementType()),
      out);
  Value scale = arith::ConstantOp::create(b, op.getScaleAttr());
  func::CallOp::create(b, *kernel, ValueRange{q, k, v, pos, outView, scale});
  Value result = bufferization::ToTensorOp::create(
      b, qType, out, b.getUnitAttr(), b.getUnitAttr());
  op.replaceAllUsesWith(result);
  op.erase();
  return success();
}

struct QCLowerBitwidthPass
    : quantc::impl::QCLowerBitwidthPassBase<QCLowerBitwidthPass> {
  using Base::Base;

  void runOnOperation() override {
    std::optional<KernelISA> kernelISA = symbolizeKernelISA(isa);
    if (!kernelISA) {
      getOperation().emitError()
          << "qc-lower-bitwidth: unknown isa '" << isa
          << "' (expected generic, avx2, avxvnni, avx512vnni, neon-dotprod)";
      return signalPassFailure();
    }
    SmallVector<Operation *> ops;
    getOperation().walk([&](Operation *op) {
      if (llvm::isa<qc::MatmulOp, qc::GatherRowsOp, qc::AttentionOp>(op))
        ops.push_back(op);
    });
    bool failed = false;
    for (Operation *op : ops) {
      LogicalResult result = failure();
      if (auto matmul = dyn_cast<qc::MatmulOp>(op))
        result = lowerMatmul(matmul, *kernelISA);
      else if (auto gather = dyn_cast<qc::GatherRowsOp>(op))
        result = lowerGatherRows(gather);
      else
        result = lowerAttention(cast<qc::AttentionOp>(op));
      failed |= mlir::failed(result);
    }
    if (failed)
      signalPassFailure();
  }
};

struct QCBuildKernelsPass
    : quantc::impl::QCBuildKernelsPassBase<QCBuildKernelsPass> {
  void runOnOperation() override {
    SmallVector<func::FuncOp> kernels;
    for (auto func : getOperation().getOps<func::FuncOp>())
      if (func->hasAttr(qc::QCDialect::kKernelAttrName))
        kernels.push_back(func);
    for (func::FuncOp func : kernels)
      if (failed(buildKernelBody(func)))
        return signalPassFailure();
  }
};

} // namespace
