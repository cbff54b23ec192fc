//===- PlanWeightPrecision.cpp - int8/int4 per weight under a budget -------===//
//
// Part of quantc.
//
// qc-plan-weight-precision: see Passes.td.
//
//===----------------------------------------------------------------------===//

#include "quantc/Transforms/QuantizableOps.h"
#include "WeightQuantMath.h"

#include "quantc/Dialect/QC/IR/QCDialect.h"
#include "quantc/Transforms/Passes.h"

#include "llvm/Support/FormatVariadic.h"

namespace quantc {
#define GEN_PASS_DEF_QCPLANWEIGHTPRECISIONPASS
#include "quantc/Transforms/Passes.h.inc"
} // namespace quantc

using namespace mlir;
using namespace quantc;
using namespace quantc::weightquant;

namespace {

struct Candidate {
  Operation *op;
  int64_t bytes8, bytes4;
  double cost; ///< added squared relative error per byte saved
};

struct QCPlanWeightPrecisionPass
    : quantc::impl::QCPlanWeightPrecisionPassBase<QCPlanWeightPrecisionPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    std::optional<Scheme> four = parseScheme(int4);
    if (!four || four->bits != 4) {
      module.emitError() << "qc-plan-weight-precision: int4 must be int4-g32, "
                            "int4-g64 or int4-g128, got '"
                         << int4 << "'";
      return signalPassFailure();
    }
    SmallVector<Candidate> candidates;
    int64_t elements = 0, total = 0, minimum = 0;
    for (QuantizableOp &q : collectQuantizable(module)) {
      std::optional<std::vector<float>> w = floatValues(q.weight.getValue());
      if (!w)
        continue;
      auto type = cast<RankedTensorType>(q.weight.getType());
      int64_t rows = 1, len = 1;
      std::vector<float> byRow;
      if (q.isConv) {
        for (int64_t i = 0; i < type.getRank(); ++i)
          (i < q.channelDims ? rows : len) *= type.getDimSize(i);
        byRow = std::move(*w);
      } else {
        len = type.getDimSize(0), rows = type.getDimSize(1);
        byRow.resize(w->size());
        for (int64_t k = 0; k < len; ++k)
          for (int64_t n = 0; n < rows; ++n)
            byRow[n * len + k] = (*w)[k * rows + n];
      }
      double e8 = quantizeRows(byRow.data(), rows, len, Scheme{8, 0}, false)
                      .relativeRMSError;
      double e4 =
          quantizeRows(byRow.data(), rows, len, *four, true).relativeRMSError;
      Candidate c{q.op, schemeBytes(rows, len, Scheme{8, 0}),
                  schemeBytes(rows, len, *four), 0};
      c.cost = (e4 * e4 - e8 * e8) / std::max<int64_t>(1, c.bytes8 - c.bytes4);
      elements += rows * len;
      total += c.bytes8;
      minimum += c.bytes4;
      q.op->setAttr(qc::QCDialect::kQuantizeSchemeAttrName,
                    StringAttr::get(&getContext(), "int8"));
      candidates.push_back(c);
    }
    double budget = bpw * double(elements) / 8.0;
    if (double(minimum) > budget) {
      module.emitError() << "qc-plan-weight-precision: "
                         << llvm::formatv("{0}", bpw.getValue()).str()
                         << " bits per weight is below what " << int4
                         << " takes for every weight ("
                         << llvm::formatv("{0:F2}", 8.0 * minimum /
                                                        std::max<int64_t>(
                                                            1, elements))
                                .str()
                         << ")";
      return signalPassFailure();
    }
    llvm::sort(candidates, [](const Candidate &a, const Candidate &b) {
      return a.cost < b.cost;
    });
    for (const Candidate &c : candidates) {
      if (double(total) <= budget)
        break;
      c.op->setAttr(qc::QCDialect::kQuantizeSchemeAttrName,
                    StringAttr::get(&getContext(), int4));
      total += c.bytes4 - c.bytes8;
    }
  }
};

} // namespace
