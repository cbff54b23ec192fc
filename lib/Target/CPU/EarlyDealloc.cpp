//===- EarlyDealloc.cpp - Free temporaries after their last use -----------===//
//
// Part of quantc.
//
//===----------------------------------------------------------------------===//

#include "quantc/Target/CPU/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Interfaces/CastInterfaces.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

namespace quantc {
#define GEN_PASS_DEF_QCCPUEARLYDEALLOCPASS
#include "quantc/Target/CPU/Passes.h.inc"
} // namespace quantc

using namespace mlir;

namespace {

/// The last operation of `block` that uses `buffer` or one of its views
/// (null when none), or failure when a view may escape.
FailureOr<Operation *> lastUse(Value buffer, Block *block,
                               Operation *dealloc) {
  SmallVector<Value> worklist{buffer};
  Operation *last = nullptr;
  while (!worklist.empty()) {
    Value value = worklist.pop_back_val();
    for (OpOperand &use : value.getUses()) {
      Operation *user = use.getOwner();
      if (user == dealloc)
        continue;
      if (isa<ViewLikeOpInterface, CastOpInterface>(user)) {
        for (Value result : user->getResults())
          if (isa<BaseMemRefType>(result.getType()))
            worklist.push_back(result);
      } else if (isa<memref::ExtractAlignedPointerAsIndexOp>(user) ||
                 user->hasTrait<OpTrait::IsTerminator>() ||
                 llvm::any_of(user->getResultTypes(), [](Type type) {
                   return isa<BaseMemRefType>(type);
                 })) {
        return failure();
      }
      Operation *ancestor = block->findAncestorOpInBlock(*user);
      if (!ancestor)
        return failure();
      if (!last || last->isBeforeInBlock(ancestor))
        last = ancestor;
    }
  }
  return last;
}

struct QCCPUEarlyDeallocPass
    : quantc::impl::QCCPUEarlyDeallocPassBase<QCCPUEarlyDeallocPass> {
  void runOnOperation() override {
    SmallVector<memref::DeallocOp> deallocs;
    getOperation().walk(
        [&](memref::DeallocOp dealloc) { deallocs.push_back(dealloc); });
    for (memref::DeallocOp dealloc : deallocs) {
      auto alloc = dealloc.getMemref().getDefiningOp<memref::AllocOp>();
      Block *block = dealloc->getBlock();
      if (!alloc || alloc->getBlock() != block)
        continue;
      FailureOr<Operation *> last = lastUse(alloc, block, dealloc);
      if (failed(last))
        continue;
      Operation *after = *last ? *last : alloc.getOperation();
      if (after->isBeforeInBlock(dealloc))
        dealloc->moveAfter(after);
    }
  }
};

} // namespace
