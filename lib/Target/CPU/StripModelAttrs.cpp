//===- StripModelAttrs.cpp - Drop the importers' interface attributes -----===//
//
// Part of quantc.
//
//===----------------------------------------------------------------------===//

#include "quantc/Target/CPU/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

namespace quantc {
#define GEN_PASS_DEF_QCCPUSTRIPMODELATTRSPASS
#include "quantc/Target/CPU/Passes.h.inc"
} // namespace quantc

using namespace mlir;

namespace {

/// The attributes the importers' contract puts on the entry's arguments
/// and results.
constexpr llvm::StringLiteral kModelAttrs[] = {"qc.name", "qc.dtype",
                                               "qc.bound_value"};

struct QCCPUStripModelAttrsPass
    : quantc::impl::QCCPUStripModelAttrsPassBase<QCCPUStripModelAttrsPass> {
  void runOnOperation() override {
    func::FuncOp func = getOperation();
    for (unsigned i = 0, e = func.getNumArguments(); i < e; ++i)
      for (StringRef name : kModelAttrs)
        func.removeArgAttr(i, name);
    for (unsigned i = 0, e = func.getNumResults(); i < e; ++i)
      for (StringRef name : kModelAttrs)
        func.removeResultAttr(i, StringAttr::get(&getContext(), name));
  }
};

} // namespace
