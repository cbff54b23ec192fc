//===- ExpandStridedCopies.cpp - memref.copy that memcpy cannot do --------===//
//
// Part of quantc.
//
//===----------------------------------------------------------------------===//

#include "quantc/Target/CPU/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/MemRef/Utils/MemRefUtils.h"
#include "mlir/Transforms/DialectConversion.h"

namespace quantc {
#define GEN_PASS_DEF_QCCPUEXPANDSTRIDEDCOPIESPASS
#include "quantc/Target/CPU/Passes.h.inc"
} // namespace quantc

using namespace mlir;

/// Whether finalize-memref-to-llvm turns `copy` into llvm.memcpy.
static bool isMemcpy(memref::CopyOp copy) {
  auto source = dyn_cast<MemRefType>(copy.getSource().getType());
  auto target = dyn_cast<MemRefType>(copy.getTarget().getType());
  return source && target &&
         memref::isStaticShapeAndContiguousRowMajor(source) &&
         memref::isStaticShapeAndContiguousRowMajor(target);
}

namespace {

struct CopyToLinalg : OpConversionPattern<memref::CopyOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(memref::CopyOp copy, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    if (!isa<MemRefType>(copy.getSource().getType()) ||
        !isa<MemRefType>(copy.getTarget().getType()))
      return rewriter.notifyMatchFailure(copy, "unranked memref");
    rewriter.replaceOpWithNewOp<linalg::CopyOp>(copy, adaptor.getSource(),
                                                adaptor.getTarget());
    return success();
  }
};

struct QCCPUExpandStridedCopiesPass
    : quantc::impl::QCCPUExpandStridedCopiesPassBase<
          QCCPUExpandStridedCopiesPass> {
  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    ConversionTarget target(*ctx);
    target.addLegalDialect<linalg::LinalgDialect>();
    // Contiguous copies stay: they become one llvm.memcpy.
    target.addDynamicallyLegalOp<memref::CopyOp>(isMemcpy);
    RewritePatternSet patterns(ctx);
    patterns.add<CopyToLinalg>(ctx);
    if (failed(applyPartialConversion(getOperation(), target,
                                      std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
