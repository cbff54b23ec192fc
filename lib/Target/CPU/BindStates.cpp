//===- BindStates.cpp - States updated in place, inputs read-only ---------===//
//
// Part of quantc.
//
// qc-cpu-bind-states: see Passes.td.
//
//===----------------------------------------------------------------------===//

#include "quantc/Dialect/QC/IR/QCDialect.h"
#include "quantc/Target/CPU/Passes.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/BitVector.h"

namespace quantc {
#define GEN_PASS_DEF_QCCPUBINDSTATESPASS
#include "quantc/Target/CPU/Passes.h.inc"
} // namespace quantc

using namespace mlir;
using namespace quantc;

namespace {

struct QCCPUBindStatesPass
    : quantc::impl::QCCPUBindStatesPassBase<QCCPUBindStatesPass> {
  void runOnOperation() override {
    for (auto func : getOperation().getOps<func::FuncOp>())
      if (func.isPublic() && !func.isDeclaration() && failed(bind(func)))
        return signalPassFailure();
  }

  LogicalResult bind(func::FuncOp func) {
    MLIRContext *ctx = &getContext();
    StringAttr writableName = StringAttr::get(
        ctx, bufferization::BufferizationDialect::kWritableAttrName);
    unsigned numArgs = func.getNumArguments();

    // Which result updates which state.
    SmallVector<int64_t> resultOf(numArgs, -1);
    llvm::BitVector stateResults(func.getNumResults());
    for (unsigned r = 0, e = func.getNumResults(); r < e; ++r) {
      auto state = func.getResultAttrOfType<IntegerAttr>(
          r, qc::QCDialect::kStateAttrName);
      if (!state)
        continue;
      int64_t arg = state.getInt();
      if (arg < 0 || arg >= static_cast<int64_t>(numArgs) ||
          !func.getArgAttr(arg, qc::QCDialect::kKindAttrName))
        return func.emitError("result ")
               << r << ": qc.state = " << arg
               << " is not a qc.kind = \"state\" argument";
      if (resultOf[arg] >= 0)
        return func.emitError("state argument ")
               << arg << " gets a new value from two results";
      if (func.getResultTypes()[r] != func.getArgumentTypes()[arg])
        return func.emitError("result ")
               << r << " is the new value of state argument " << arg
               << " but has another type";
      resultOf[arg] = r;
      stateResults.set(r);
    }

    Block &body = func.getBody().front();
    OpBuilder b = OpBuilder::atBlockBegin(&body);
    SmallVector<Type> argTypes(func.getArgumentTypes());
    for (unsigned i = 0; i < numArgs; ++i) {
      BlockArgument arg = func.getArgument(i);
      auto tensor = dyn_cast<RankedTensorType>(arg.getType());
      if (!func.getArgAttr(i, qc::QCDialect::kKindAttrName)) {
        // Inputs are the caller's (or a mapped file's): never written.
        if (tensor && !func.getArgAttr(i, writableName))
          func.setArgAttr(i, writableName, BoolAttr::get(ctx, false));
        continue;
      }
      if (!tensor || !tensor.hasStaticShape())
        return func.emitError("state argument ")
               << i << " is not a statically shaped tensor";
      func.removeArgAttr(i, qc::QCDialect::kKindAttrName);
      func.removeArgAttr(i, writableName);
      // The state's buffer itself: the function reads it as a tensor that
      // one-shot bufferization may update in place when the state gets a
      // new value.
      auto memref = MemRefType::get(tensor.getShape(), tensor.getElementType());
      arg.setType(memref);
      argTypes[i] = memref;
      bool updated = resultOf[i] >= 0;
      auto value = bufferization::ToTensorOp::create(
          b, arg.getLoc(), tensor, arg, /*restrict=*/true,
          /*writable=*/updated);
      arg.replaceAllUsesExcept(value, value);
    }

    // The new values are materialized in the states' buffers (nothing to
    // copy when they were computed there) instead of being returned.
    SmallVector<func::ReturnOp> returns;
    func.walk([&](func::ReturnOp op) { returns.push_back(op); });
    for (func::ReturnOp ret : returns) {
      OpBuilder rb(ret);
      for (unsigned i = 0; i < numArgs; ++i) {
        if (resultOf[i] < 0)
          continue;
        auto op = bufferization::MaterializeInDestinationOp::create(
            rb, ret.getLoc(), ret.getOperand(resultOf[i]), func.getArgument(i));
        op.setRestrict(true);
        op.setWritable(true);
      }
      SmallVector<Value> kept;
      for (auto [r, value] : llvm::enumerate(ret.getOperands()))
        if (!stateResults.test(r))
          kept.push_back(value);
      ret->setOperands(kept);
    }
    func.setFunctionType(
        FunctionType::get(ctx, argTypes, func.getResultTypes()));
    if (failed(func.eraseResults(stateResults)))
      return func.emitError("cannot drop the state results");
    return success();
  }
};

} // namespace
