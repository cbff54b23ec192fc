//===- Passes.td - CPU backend passes -----------------------*- tablegen -*-===//
//
// Part of quantc.
//
//===----------------------------------------------------------------------===//

#ifndef QUANTC_TARGET_CPU_PASSES_TD
#define QUANTC_TARGET_CPU_PASSES_TD

include "mlir/Pass/PassBase.td"

//===----------------------------------------------------------------------===//
// Model interface
//===----------------------------------------------------------------------===//

def QCCPUStripModelAttrsPass
    : Pass<"qc-cpu-strip-model-attrs", "::mlir::func::FuncOp"> {
  let summary = "Drop the importers' qc.name/qc.dtype/qc.bound_value attributes";
  let description = [{
    The importers describe the model's inputs and outputs with argument and
    result attributes that the qc dialect verifies against tensor types
    (`qc.bound_value` must have the argument's type). The CPU backend reads
    them into the `qc_model` descriptor before lowering; this pass removes
    them so that bufferization can turn the tensors into memrefs.

    ```mlir
    func.func @main(%x: tensor<2xi64> {qc.name = "x", qc.bound_value = dense<[1, 2]> : tensor<2xi64>})
    // becomes
    func.func @main(%x: tensor<2xi64>)
    ```
  }];
  let dependentDialects = ["::mlir::func::FuncDialect"];
}

//===----------------------------------------------------------------------===//
// Buffers
//===----------------------------------------------------------------------===//

def QCCPUExpandStridedCopiesPass
    : Pass<"qc-cpu-expand-strided-copies", "::mlir::func::FuncOp"> {
  let summary = "Turn memref.copy between non-contiguous buffers into linalg.copy";
  let description = [{
    `finalize-memref-to-llvm` lowers a `memref.copy` between contiguous
    buffers to `llvm.memcpy`, but any other copy to a call of `memrefCopy`
    from MLIR's C runner utilities, which compiled models do not link.
    Bufferizing `tensor.concat`, `tensor.pad`, `tensor.insert_slice` and
    strided `tensor.extract_slice` creates such copies; this pass rewrites
    them to `linalg.copy`, which becomes (parallel) loops like every other
    linalg op.

    ```mlir
    memref.copy %src, %dst : memref<4x64xf32> to memref<4x64xf32, strided<[96, 1]>>
    // becomes
    linalg.copy ins(%src : memref<4x64xf32>)
                outs(%dst : memref<4x64xf32, strided<[96, 1]>>)
    ```
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect"];
}

//===----------------------------------------------------------------------===//
// Loops
//===----------------------------------------------------------------------===//

def QCCPUInterchangeReductionsPass
    : Pass<"qc-cpu-interchange-reductions", "::mlir::func::FuncOp"> {
  let summary = "Move the output's contiguous dimension inside the reductions";
  let description = [{
    `convert-linalg-to-parallel-loops` keeps the loop order of the indexing
    maps, so a matmul becomes `i, j` parallel around an innermost `k`
    reduction: a scalar dot product that LLVM does not vectorize without
    reassociation. When a structured op's last loop is a reduction, its
    output's last index is a parallel loop `d`, and an input's last index
    uses `d` (so consecutive `d` read consecutive elements), this pass
    generalizes the op and moves `d` innermost: `i, k, j` for a matmul,
    `n, f, oh, c, kh, kw, ow` for a convolution. The inner loop then runs
    over contiguous memory and vectorizes. Reductions along the contiguous
    dimension (row sums) are left alone.

    ```mlir
    linalg.matmul ins(%a, %b : memref<64x128xf32>, memref<128x32xf32>)
                  outs(%c : memref<64x32xf32>)
    // becomes a linalg.generic with iterators
    // ["parallel", "reduction", "parallel"] (i, k, j)
    ```
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect"];
}

//===----------------------------------------------------------------------===//
// Multi-threading
//===----------------------------------------------------------------------===//

def QCCPUOutlineParallelPass
    : Pass<"qc-cpu-outline-parallel", "::mlir::ModuleOp"> {
  let summary = "Run the outermost scf.parallel loops on the runtime's threads";
  let description = [{
    Threads the runtime handle through the module and turns each outermost
    `scf.parallel` into a call to the runtime:

    1. Every function with a body gets a trailing `!llvm.ptr` argument (with
       the unit attribute `qc_cpu.rt`), the `qc_rt *` of
       runtime/include/quantc/runtime.h; calls pass their caller's.
    2. An outermost `scf.parallel` without reductions whose parallel
       iterations are not statically fewer than `min-iterations` is moved
       into a new private function `@<func>_par<N>(%env: !llvm.ptr,
       %begin: i64, %end: i64)` (attribute `qc_cpu.parallel_body`). Its leading
       dimensions are collapsed into one range of at least `min-iterations`
       iterations (or all of them), of which the function runs
       `[%begin, %end)`; the other dimensions stay an inner `scf.parallel`.
       Values the body uses from above are packed into an environment
       struct on the caller's stack (memrefs as their LLVM descriptors,
       `index` as `i64`); constants are cloned instead.
    3. The loop becomes `func.call @qc_rt_parallel_for(%rt, %n, %fn, %env)`.

    The pass runs on scf + memref, before the conversion to the LLVM
    dialect; the casts between memrefs and their descriptors it creates are
    `builtin.unrealized_conversion_cast`s that `reconcile-unrealized-casts`
    removes.

    ```mlir
    scf.parallel (%i) = (%c0) to (%c1024) step (%c1) {
      %v = memref.load %in[%i] : memref<1024xf32>
      memref.store %v, %out[%i] : memref<1024xf32>
    }
    // becomes
    func.call @qc_rt_parallel_for(%rt, %n, %fn, %env)
        : (!llvm.ptr, i64, (!llvm.ptr, i64, i64) -> (), !llvm.ptr) -> ()
    ```
  }];
  let options = [
    Option<"minIterations", "min-iterations", "int64_t", /*default=*/"64",
           "Loops with statically fewer parallel iterations stay serial; "
           "also the size the collapsed range aims for">,
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::func::FuncDialect",
    "::mlir::LLVM::LLVMDialect",
    "::mlir::scf::SCFDialect",
  ];
}

def QCCPUBindWeightsPass : Pass<"qc-cpu-bind-weights", "::mlir::ModuleOp"> {
  let summary = "Resolve qc.weight reads to the weights' bytes";
  let description = [{
    After bit-width lowering, a function reads a weight either as its
    packed bytes (`qc.storage` of a `qc.weight`, handed to a kernel) or,
    for a weight kept in a plain float or integer type (norms, biases), as
    a tensor that linalg ops use directly. This pass makes both constants
    over the `qc.global`'s bytes, so that the weights are embedded in the
    compiled model (the resource blob is shared, not copied), then erases
    the globals and the module's `qc.*` metadata. A quantized weight read
    any other way (an op bit-width lowering did not take) is an error
    naming the op.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect"];
}

#endif // QUANTC_TARGET_CPU_PASSES_TD
