//===- InterchangeReductions.cpp - Contiguous innermost loops -------------===//
//
// Part of quantc.
//
// qc-cpu-interchange-reductions: reorders the loops of contractions and
// convolutions so that the innermost loop walks the output's contiguous
// dimension instead of a reduction. See Passes.td.
//
//===----------------------------------------------------------------------===//

#include "quantc/Target/CPU/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace quantc {
#define GEN_PASS_DEF_QCCPUINTERCHANGEREDUCTIONSPASS
#include "quantc/Target/CPU/Passes.h.inc"
} // namespace quantc

using namespace mlir;

/// The loop to move innermost, or nullopt when the op should stay as is.
static std::optional<unsigned> contiguousParallelLoop(linalg::LinalgOp op) {
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  if (iterators.size() < 2 ||
      iterators.back() != utils::IteratorType::reduction ||
      op.getNumDpsInits() != 1)
    return std::nullopt;
  AffineMap output = op.getMatchingIndexingMap(op.getDpsInitOperand(0));
  if (output.getNumResults() == 0)
    return std::nullopt;
  auto dim = dyn_cast<AffineDimExpr>(output.getResults().back());
  if (!dim || iterators[dim.getPosition()] != utils::IteratorType::parallel)
    return std::nullopt;
  unsigned loop = dim.getPosition();
  // Some input must read consecutive elements along that loop.
  for (OpOperand *input : op.getDpsInputOperands()) {
    AffineMap map = op.getMatchingIndexingMap(input);
    if (map.getNumResults() > 0 &&
        map.getResults().back().isFunctionOfDim(loop))
      return loop;
  }
  return std::nullopt;
}

namespace {

struct InterchangeInnerReduction
    : OpInterfaceRewritePattern<linalg::LinalgOp> {
  using OpInterfaceRewritePattern::OpInterfaceRewritePattern;

  LogicalResult matchAndRewrite(linalg::LinalgOp op,
                                PatternRewriter &rewriter) const override {
    if (!op.hasPureBufferSemantics())
      return rewriter.notifyMatchFailure(op, "runs after bufferization");
    std::optional<unsigned> loop = contiguousParallelLoop(op);
    if (!loop)
      return rewriter.notifyMatchFailure(op, "innermost loop already fits");
    auto generic = dyn_cast<linalg::GenericOp>(op.getOperation());
    if (!generic) {
      FailureOr<linalg::GenericOp> generalized =
          linalg::generalizeNamedOp(rewriter, op);
      if (failed(generalized))
        return rewriter.notifyMatchFailure(op, "cannot be generalized");
      generic = *generalized;
    }
    SmallVector<unsigned> permutation;
    for (unsigned i = 0, e = generic.getNumLoops(); i < e; ++i)
      if (i != *loop)
        permutation.push_back(i);
    permutation.push_back(*loop);
    if (failed(linalg::interchangeGenericOp(rewriter, generic, permutation)))
      return rewriter.notifyMatchFailure(op, "invalid interchange");
    return success();
  }
};

struct QCCPUInterchangeReductionsPass
    : quantc::impl::QCCPUInterchangeReductionsPassBase<
          QCCPUInterchangeReductionsPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<InterchangeInnerReduction>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
