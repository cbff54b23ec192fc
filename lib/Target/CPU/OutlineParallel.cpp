//===- OutlineParallel.cpp - Run scf.parallel on the runtime's threads ----===//
//
// Part of quantc.
//
// qc-cpu-outline-parallel: threads the `qc_rt *` handle through the module
// and replaces each outermost scf.parallel with a call to
// `qc_rt_parallel_for(rt, n, fn, env)`, `fn` being the loop body outlined
// into a function of (env, begin, end). See Passes.td for the contract.
//
//===----------------------------------------------------------------------===//

#include "quantc/Target/CPU/Passes.h"

#include "mlir/Conversion/LLVMCommon/TypeConverter.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "mlir/Transforms/RegionUtils.h"
#include "llvm/ADT/SetVector.h"

namespace quantc {
#define GEN_PASS_DEF_QCCPUOUTLINEPARALLELPASS
#include "quantc/Target/CPU/Passes.h.inc"
} // namespace quantc

using namespace mlir;

/// Marks the runtime-handle argument of a function.
static constexpr llvm::StringLiteral kRuntimeArgAttr = "qc_cpu.rt";
/// Marks an outlined loop body.
static constexpr llvm::StringLiteral kParallelBodyAttr = "qc_cpu.parallel_body";
/// The runtime entry point (runtime/include/quantc/runtime.h).
static constexpr llvm::StringLiteral kParallelForName = "qc_rt_parallel_for";

/// The `qc.rt` argument of `func`, or null.
static Value getRuntimeArg(func::FuncOp func) {
  for (unsigned i = 0, e = func.getNumArguments(); i < e; ++i)
    if (func.getArgAttr(i, kRuntimeArgAttr))
      return func.getArgument(i);
  return nullptr;
}

/// Appends the runtime handle to every function with a body and passes it
/// at every call between them. Functions that already have one keep it.
static LogicalResult threadRuntimeHandle(ModuleOp module) {
  MLIRContext *ctx = module.getContext();
  Type ptrType = LLVM::LLVMPointerType::get(ctx);
  llvm::DenseSet<StringAttr> withHandle;
  for (auto func : module.getOps<func::FuncOp>()) {
    if (func.isDeclaration())
      continue;
    withHandle.insert(func.getSymNameAttr());
    if (getRuntimeArg(func))
      continue;
    unsigned index = func.getNumArguments();
    if (failed(func.insertArgument(
            index, ptrType,
            DictionaryAttr::get(ctx, {NamedAttribute(kRuntimeArgAttr,
                                                     UnitAttr::get(ctx))}),
            func.getLoc())))
      return func.emitError("cannot add the runtime handle argument");
  }
  WalkResult result = module.walk([&](func::CallOp call) {
    if (!withHandle.contains(call.getCalleeAttr().getAttr()))
      return WalkResult::advance();
    auto callee = module.lookupSymbol<func::FuncOp>(call.getCalleeAttr());
    if (call.getNumOperands() == callee.getNumArguments())
      return WalkResult::advance(); // Already passes it.
    auto caller = call->getParentOfType<func::FuncOp>();
    Value rt = caller ? getRuntimeArg(caller) : nullptr;
    if (!rt) {
      call.emitError("calls a function that takes the runtime handle from "
                     "outside a function that has it");
      return WalkResult::interrupt();
    }
    call.getOperandsMutable().append(rt);
    return WalkResult::advance();
  });
  return failure(result.wasInterrupted());
}

namespace {

/// Moves an outermost scf.parallel into a function of (env, begin, end) and
/// calls it through qc_rt_parallel_for.
struct OutlineParallelLoop : OpRewritePattern<scf::ParallelOp> {
  OutlineParallelLoop(MLIRContext *ctx, int64_t minIterations)
      : OpRewritePattern(ctx), minIterations(minIterations),
        typeConverter(ctx) {}

  LogicalResult matchAndRewrite(scf::ParallelOp loop,
                                PatternRewriter &rewriter) const override {
    if (loop.getNumResults() != 0)
      return rewriter.notifyMatchFailure(loop, "has reductions");
    if (loop->getParentOfType<scf::ParallelOp>())
      return rewriter.notifyMatchFailure(loop, "not outermost");
    auto func = loop->getParentOfType<func::FuncOp>();
    if (!func || func->hasAttr(kParallelBodyAttr))
      return rewriter.notifyMatchFailure(loop, "inside an outlined body");
    Value rt = getRuntimeArg(func);
    if (!rt)
      return rewriter.notifyMatchFailure(loop, "no runtime handle");

    // Static trip counts where known; choose how many leading dimensions
    // to collapse into the range the threads share.
    unsigned rank = loop.getNumLoops();
    SmallVector<std::optional<int64_t>> trips;
    for (unsigned d = 0; d < rank; ++d)
      trips.push_back(constantTripCount(loop.getLowerBound()[d],
                                        loop.getUpperBound()[d],
                                        loop.getStep()[d]));
    unsigned collapsed = 1;
    if (llvm::all_of(trips, [](auto t) { return t.has_value(); })) {
      int64_t total = 1;
      for (auto t : trips)
        total *= *t;
      if (total < minIterations)
        return rewriter.notifyMatchFailure(loop, "too few iterations");
      int64_t product = *trips[0];
      while (collapsed < rank && product < minIterations)
        product *= *trips[collapsed++];
    }

    // The values the body needs: what it uses from above, and the bounds.
    llvm::SetVector<Value> used;
    getUsedValuesDefinedAbove(loop.getRegion(), used);
    for (Value v : loop.getOperands())
      used.insert(v);
    SmallVector<Value> captured;
    SmallVector<Operation *> cloned;
    SmallVector<Type> envFields;
    for (Value v : used) {
      Operation *def = v.getDefiningOp();
      if (def && (def->hasTrait<OpTrait::ConstantLike>() ||
                  isa<memref::GetGlobalOp>(def))) {
        cloned.push_back(def);
        continue;
      }
      Type field = envFieldType(v.getType());
      if (!field)
        return rewriter.notifyMatchFailure(loop, "captures a value of a type "
                                                 "with no LLVM equivalent");
      captured.push_back(v);
      envFields.push_back(field);
    }

    MLIRContext *ctx = getContext();
    Location loc = loop.getLoc();
    Type ptrType = LLVM::LLVMPointerType::get(ctx);
    Type i64 = rewriter.getI64Type();
    auto bodyType = rewriter.getFunctionType({ptrType, i64, i64}, {});
    auto module = func->getParentOfType<ModuleOp>();
    ensureParallelForDecl(rewriter, module, ptrType, bodyType);
    // An empty struct is not a valid alloca; keep one field.
    if (envFields.empty())
      envFields.push_back(i64);
    auto envType = LLVM::LLVMStructType::getLiteral(ctx, envFields);

    // The outlined function, right after its parent.
    OpBuilder::InsertionGuard guard(rewriter);
    rewriter.setInsertionPointAfter(func);
    std::string name = uniqueName(module, func.getSymName());
    auto outlined = func::FuncOp::create(rewriter, loc, name, bodyType);
    outlined.setPrivate();
    outlined->setAttr(kParallelBodyAttr, rewriter.getUnitAttr());
    Block *entry = outlined.addEntryBlock();
    rewriter.setInsertionPointToStart(entry);
    IRMapping mapping;
    for (Operation *def : cloned)
      rewriter.clone(*def, mapping);
    Value env = entry->getArgument(0);
    for (auto [i, v] : llvm::enumerate(captured)) {
      Value addr = LLVM::GEPOp::create(
          rewriter, loc, ptrType, envType, env,
          ArrayRef<LLVM::GEPArg>{0, static_cast<int32_t>(i)});
      Value field = LLVM::LoadOp::create(rewriter, loc, envFields[i], addr);
      mapping.map(v, fromEnvField(rewriter, loc, field, v.getType()));
    }
    buildOutlinedLoop(rewriter, loc, loop, collapsed, mapping,
                      entry->getArgument(1), entry->getArgument(2));
    func::ReturnOp::create(rewriter, loc);

    // The caller: fill the environment, then call the runtime.
    rewriter.setInsertionPointToStart(&func.getBody().front());
    Value one = arith::ConstantIntOp::create(rewriter, loc, i64, 1);
    Value envPtr =
        LLVM::AllocaOp::create(rewriter, loc, ptrType, envType, one, 8);
    rewriter.setInsertionPoint(loop);
    for (auto [i, v] : llvm::enumerate(captured)) {
      Value field = toEnvField(rewriter, loc, v, envFields[i]);
      Value addr = LLVM::GEPOp::create(
          rewriter, loc, ptrType, envType, envPtr,
          ArrayRef<LLVM::GEPArg>{0, static_cast<int32_t>(i)});
      LLVM::StoreOp::create(rewriter, loc, field, addr);
    }
    Value n = arith::ConstantIndexOp::create(rewriter, loc, 1);
    for (unsigned d = 0; d < collapsed; ++d)
      n = arith::MulIOp::create(
          rewriter, loc, n,
          tripCount(rewriter, loc, loop.getLowerBound()[d],
                    loop.getUpperBound()[d], loop.getStep()[d]));
    n = arith::IndexCastOp::create(rewriter, loc, i64, n);
    Value fn = func::ConstantOp::create(rewriter, loc, bodyType,
                                        FlatSymbolRefAttr::get(outlined));
    func::CallOp::create(rewriter, loc, kParallelForName, TypeRange{},
                         ValueRange{rt, n, fn, envPtr});
    rewriter.eraseOp(loop);
    return success();
  }

private:
  static std::optional<int64_t> constantTripCount(Value lb, Value ub,
                                                  Value step) {
    auto l = getConstantIntValue(lb), u = getConstantIntValue(ub),
         s = getConstantIntValue(step);
    if (!l || !u || !s || *s <= 0)
      return std::nullopt;
    return *u <= *l ? 0 : (*u - *l + *s - 1) / *s;
  }

  /// ceildiv(ub - lb, step) for positive steps, as index.
  static Value tripCount(OpBuilder &b, Location loc, Value lb, Value ub,
                         Value step) {
    Value span = arith::SubIOp::create(b, loc, ub, lb);
    return arith::CeilDivSIOp::create(b, loc, span, step);
  }

  /// The LLVM type a captured value is stored as, or null.
  Type envFieldType(Type type) const {
    if (isa<MemRefType>(type) || isa<IndexType>(type))
      return typeConverter.convertType(type);
    if (LLVM::isCompatibleType(type))
      return type;
    return nullptr;
  }

  static Value toEnvField(OpBuilder &b, Location loc, Value v, Type field) {
    if (isa<IndexType>(v.getType()))
      return arith::IndexCastOp::create(b, loc, field, v);
    if (isa<MemRefType>(v.getType()))
      return UnrealizedConversionCastOp::create(b, loc, field, v).getResult(0);
    return v;
  }

  static Value fromEnvField(OpBuilder &b, Location loc, Value field,
                            Type type) {
    if (isa<IndexType>(type))
      return arith::IndexCastOp::create(b, loc, type, field);
    if (isa<MemRefType>(type))
      return UnrealizedConversionCastOp::create(b, loc, type, field)
          .getResult(0);
    return field;
  }

  /// `for p in [begin, end)`: the collapsed dimensions are delinearized from
  /// p, the others stay an scf.parallel; the body is cloned inside.
  static void buildOutlinedLoop(PatternRewriter &rewriter, Location loc,
                                scf::ParallelOp loop, unsigned collapsed,
                                IRMapping &mapping, Value begin, Value end) {
    auto lbs = llvm::map_to_vector(loop.getLowerBound(), [&](Value v) {
      return mapping.lookupOrDefault(v);
    });
    auto ubs = llvm::map_to_vector(loop.getUpperBound(), [&](Value v) {
      return mapping.lookupOrDefault(v);
    });
    auto steps = llvm::map_to_vector(
        loop.getStep(), [&](Value v) { return mapping.lookupOrDefault(v); });
    Type indexType = rewriter.getIndexType();
    Value lo = arith::IndexCastOp::create(rewriter, loc, indexType, begin);
    Value hi = arith::IndexCastOp::create(rewriter, loc, indexType, end);
    Value c1 = arith::ConstantIndexOp::create(rewriter, loc, 1);
    auto forOp = scf::ForOp::create(rewriter, loc, lo, hi, c1);
    OpBuilder::InsertionGuard guard(rewriter);
    rewriter.setInsertionPoint(forOp.getBody()->getTerminator());

    Block *body = loop.getBody();
    Value rest = forOp.getInductionVar();
    SmallVector<Value> ivs(collapsed);
    for (unsigned d = collapsed; d-- > 0;) {
      Value p = rest;
      if (d > 0) {
        Value trip = tripCount(rewriter, loc, lbs[d], ubs[d], steps[d]);
        p = arith::RemSIOp::create(rewriter, loc, rest, trip);
        rest = arith::DivSIOp::create(rewriter, loc, rest, trip);
      }
      Value scaled = arith::MulIOp::create(rewriter, loc, p, steps[d]);
      ivs[d] = arith::AddIOp::create(rewriter, loc, lbs[d], scaled);
    }
    for (unsigned d = 0; d < collapsed; ++d)
      mapping.map(body->getArgument(d), ivs[d]);

    auto cloneBody = [&](OpBuilder &b) {
      for (Operation &op : body->without_terminator())
        b.clone(op, mapping);
    };
    unsigned rank = loop.getNumLoops();
    if (collapsed == rank) {
      cloneBody(rewriter);
      return;
    }
    auto inner = scf::ParallelOp::create(
        rewriter, loc, ArrayRef(lbs).drop_front(collapsed),
        ArrayRef(ubs).drop_front(collapsed),
        ArrayRef(steps).drop_front(collapsed),
        [&](OpBuilder &b, Location, ValueRange innerIvs) {
          for (unsigned d = collapsed; d < rank; ++d)
            mapping.map(body->getArgument(d), innerIvs[d - collapsed]);
          cloneBody(b);
        });
    (void)inner;
  }

  static void ensureParallelForDecl(PatternRewriter &rewriter,
                                    ModuleOp module, Type ptrType,
                                    FunctionType bodyType) {
    if (module.lookupSymbol(kParallelForName))
      return;
    OpBuilder::InsertionGuard guard(rewriter);
    rewriter.setInsertionPointToEnd(module.getBody());
    auto type = rewriter.getFunctionType(
        {ptrType, rewriter.getI64Type(), bodyType, ptrType}, {});
    auto decl = func::FuncOp::create(rewriter, module.getLoc(),
                                     kParallelForName, type);
    decl.setPrivate();
  }

  static std::string uniqueName(ModuleOp module, StringRef parent) {
    for (unsigned i = 0;; ++i) {
      std::string name = (parent + "_par" + Twine(i)).str();
      if (!module.lookupSymbol(name))
        return name;
    }
  }

  int64_t minIterations;
  LLVMTypeConverter typeConverter;
};

struct QCCPUOutlineParallelPass
    : quantc::impl::QCCPUOutlineParallelPassBase<QCCPUOutlineParallelPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (failed(threadRuntimeHandle(module)))
      return signalPassFailure();
    RewritePatternSet patterns(&getContext());
    patterns.add<OutlineParallelLoop>(&getContext(), minIterations);
    GreedyRewriteConfig config;
    config.setRegionSimplificationLevel(GreedySimplifyRegionLevel::Disabled);
    if (failed(applyPatternsGreedily(module, std::move(patterns), config)))
      return signalPassFailure();
  }
};

} // namespace
