//===- InstrumentActivations.cpp - Calibration outputs ---------------------===//
//
// Part of quantc.
//
// qc-instrument-activations: see Passes.td.
//
//===----------------------------------------------------------------------===//

#include "quantc/Transforms/QuantizableOps.h"

#include "quantc/Dialect/QC/IR/QCDialect.h"
#include "quantc/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

namespace quantc {
#define GEN_PASS_DEF_QCINSTRUMENTACTIVATIONSPASS
#include "quantc/Transforms/Passes.h.inc"
} // namespace quantc

using namespace mlir;
using namespace quantc;
using namespace quantc::weightquant;

namespace {

struct QCInstrumentActivationsPass
    : quantc::impl::QCInstrumentActivationsPassBase<
          QCInstrumentActivationsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<QuantizableOp> ops = collectQuantizable(module);
    for (auto [index, q] : llvm::enumerate(ops)) {
      auto func = dyn_cast<func::FuncOp>(q.op->getParentOp());
      if (!func || func.isPrivate() || !func.getBody().hasOneBlock())
        continue;
      auto ret = dyn_cast<func::ReturnOp>(func.getBody().front().getTerminator());
      if (!ret)
        continue;
      Builder b(func.getContext());
      ret->insertOperands(ret->getNumOperands(), q.input);
      SmallVector<Type> results(func.getResultTypes());
      results.push_back(q.input.getType());
      SmallVector<DictionaryAttr> resultAttrs;
      for (unsigned i = 0; i < func.getNumResults(); ++i)
        resultAttrs.push_back(func.getResultAttrDict(i));
      resultAttrs.push_back(b.getDictionaryAttr(
          {b.getNamedAttr(qc::QCDialect::kNameAttrName,
                          b.getStringAttr("qc.activation." +
                                          std::to_string(index))),
           b.getNamedAttr(qc::QCDialect::kDTypeAttrName, b.getI32IntegerAttr(1))}));
      func.setFunctionType(
          b.getFunctionType(func.getArgumentTypes(), results));
      func.setAllResultAttrs(resultAttrs);
    }
  }
};

} // namespace
