//===- Pipeline.cpp - The CPU lowering pipeline ---------------------------===//
//
// Part of quantc.
//
// Imported module (linalg on tensors) -> LLVM dialect, multi-threaded
// through the runtime. Registered as `quantc-opt --qc-cpu-lower-to-llvm`.
//
//===----------------------------------------------------------------------===//

#include "quantc/Target/CPU/CPUTarget.h"
#include "quantc/Target/CPU/Passes.h"

#include "quantc/Transforms/Passes.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Dialect/Arith/Transforms/Passes.h"
#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Dialect/Quant/Transforms/Passes.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

namespace {
struct CPULoweringPipelineOptions
    : PassPipelineOptions<CPULoweringPipelineOptions> {
  Option<int64_t> minParallelIterations{
      *this, "min-parallel-iterations",
      llvm::cl::desc("Loops with fewer parallel iterations stay serial"),
      llvm::cl::init(64)};
  Option<std::string> kernelISA{
      *this, "kernel-isa",
      llvm::cl::desc("Instruction set of the quantized kernels (generic, "
                     "avx2, avxvnni, avx512vnni, neon-dotprod)"),
      llvm::cl::init("generic")};
  Option<bool> externalWeights{
      *this, "external-weights",
      llvm::cl::desc("Weights still in their source file become inputs bound "
                     "at run time (qc-cpu-bind-weights mode=external)"),
      llvm::cl::init(false)};
};
} // namespace

void quantc::buildCPULoweringPipeline(OpPassManager &pm,
                                      int64_t minParallelIterations,
                                      StringRef kernelISA,
                                      bool externalWeights) {
  // Constant int8 weights dequantized into matmuls (ONNX QDQ) become
  // qc.matmul on weights repacked at compile time.
  pm.addPass(createQCFuseDequantMatmulPass());

  // The descriptor has been read; the tensors are about to become memrefs.
  pm.addNestedPass<func::FuncOp>(createQCCPUStripModelAttrsPass());

  // Quantized types (the ONNX importer's quant.scast/quant.dcast of
  // constant-parameter DequantizeLinear) become arith on the storage
  // integers; the canonicalizer folds the storage-cast pairs away and the
  // tensor-level arith the lowering emits becomes linalg.generic.
  pm.addNestedPass<func::FuncOp>(quant::createLowerQuantOps());
  pm.addPass(createCanonicalizerPass());
  pm.addNestedPass<func::FuncOp>(createConvertElementwiseToLinalgPass());

  // Tensors: fuse elementwise producers into consumers, then clean up.
  pm.addPass(createLinalgElementwiseOpFusionPass());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());

  // Quantized matmuls, row gathers and attention become calls of kernels on
  // the weights' packed bytes; an elementwise consumer of a matmul (bias,
  // activation, residual) is fused into the kernel's store.
  QCLowerBitwidthPassOptions lowerBitwidth;
  lowerBitwidth.isa = kernelISA.str();
  pm.addPass(createQCLowerBitwidthPass(lowerBitwidth));
  // The weights the kernels and linalg ops read become constants or, left
  // in their file, entry inputs.
  QCCPUBindWeightsPassOptions bindWeights;
  bindWeights.mode = externalWeights ? "external" : "embed";
  pm.addPass(createQCCPUBindWeightsPass(bindWeights));
  // States are updated in their buffers; inputs are never written.
  pm.addPass(createQCCPUBindStatesPass());

  // Buffers: identity layouts at function boundaries so that the entry
  // wrapper can describe each argument with a static descriptor; results
  // become out-parameters (the caller owns the output buffers).
  pm.addPass(bufferization::createEmptyTensorToAllocTensorPass());
  bufferization::OneShotBufferizePassOptions bufferize;
  bufferize.bufferizeFunctionBoundaries = true;
  // Recurrent cells (ONNX LSTM/GRU) yield freshly computed state tensors
  // from scf.for; they bufferize to a new buffer per iteration.
  bufferize.allowReturnAllocsFromLoops = true;
  bufferize.functionBoundaryTypeConversion =
      bufferization::LayoutMapOption::IdentityLayoutMap;
  pm.addPass(bufferization::createOneShotBufferizePass(bufferize));
  bufferization::BufferResultsToOutParamsPassOptions outParams;
  outParams.hoistStaticAllocs = true;
  outParams.modifyPublicFunctions = true;
  pm.addPass(bufferization::createBufferResultsToOutParamsPass(outParams));
  bufferization::buildBufferDeallocationPipeline(pm);
  // Temporaries freed after their last use, not when the function returns.
  pm.addNestedPass<func::FuncOp>(createQCCPUEarlyDeallocPass());
  pm.addPass(createQCBuildKernelsPass());
  pm.addPass(createCanonicalizerPass());
  pm.addNestedPass<func::FuncOp>(createQCCPUExpandStridedCopiesPass());
  pm.addNestedPass<func::FuncOp>(createQCCPUInterchangeReductionsPass());

  // Loops: parallel iterators become scf.parallel, whose outermost ones run
  // on the runtime's threads.
  pm.addNestedPass<func::FuncOp>(createConvertLinalgToParallelLoopsPass());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  QCCPUOutlineParallelPassOptions outline;
  outline.minIterations = minParallelIterations;
  pm.addPass(createQCCPUOutlineParallelPass(outline));

  // LLVM dialect.
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  pm.addPass(createSCFToControlFlowPass());
  pm.addPass(arith::createArithExpandOpsPass());
  pm.addPass(createConvertVectorToLLVMPass());
  pm.addPass(createFinalizeMemRefToLLVMConversionPass());
  pm.addPass(createConvertMathToLLVMPass());
  pm.addPass(createConvertMathToLibmPass());
  pm.addPass(createArithToLLVMConversionPass());
  pm.addPass(createConvertIndexToLLVMPass());
  pm.addPass(createConvertFuncToLLVMPass());
  pm.addPass(createConvertControlFlowToLLVMPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
  pm.addPass(createCanonicalizerPass());
}

void quantc::registerCPUPassesAndPipelines() {
  registerQCCPUPasses();
  PassPipelineRegistration<CPULoweringPipelineOptions>(
      "qc-cpu-lower-to-llvm",
      "Lower an imported model (linalg on tensors) to the LLVM dialect for "
      "the CPU backend, with parallel loops run through qc_rt_parallel_for",
      [](OpPassManager &pm, const CPULoweringPipelineOptions &options) {
        buildCPULoweringPipeline(pm, options.minParallelIterations,
                                 options.kernelISA, options.externalWeights);
      });
}
