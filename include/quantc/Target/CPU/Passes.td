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

def QCCPUEarlyDeallocPass
    : Pass<"qc-cpu-early-dealloc", "::mlir::func::FuncOp"> {
  let summary = "Free each temporary buffer right after its last use";
  let description = [{
    Ownership-based buffer deallocation frees a function's buffers at the
    end of the block that allocated them, so a model's temporaries all stay
    allocated until it returns: a language model's prefill holds every
    layer's activations at once. This pass moves each `memref.dealloc` of a
    `memref.alloc` of the same block to just after the last operation of
    that block that uses the buffer or a view of it (views: ops with
    `ViewLikeOpInterface` or `CastOpInterface`; a use inside a nested
    region counts as a use by the enclosing op of the block). Freed early,
    a buffer's memory is reused, still in cache, by the next allocation.

    A buffer that may escape is left alone: one of its views is an operand
    of a terminator, of an op with memref results that is not a view
    (`arith.select`, `scf.for` iteration arguments, ...), or of
    `memref.extract_aligned_pointer_as_index` (its address may be compared
    later, as the lowered `bufferization.dealloc` does).

    ```mlir
    %a = memref.alloc() : memref<8xf32>
    call @producer(%a) : (memref<8xf32>) -> ()
    call @consumer(%a, %out) : (memref<8xf32>, memref<8xf32>) -> ()
    call @other(%out) : (memref<8xf32>) -> ()
    memref.dealloc %a : memref<8xf32>
    // becomes
    %a = memref.alloc() : memref<8xf32>
    call @producer(%a) : (memref<8xf32>) -> ()
    call @consumer(%a, %out) : (memref<8xf32>, memref<8xf32>) -> ()
    memref.dealloc %a : memref<8xf32>
    call @other(%out) : (memref<8xf32>) -> ()
    ```
  }];
}

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
  let summary = "Resolve qc.weight reads to embedded bytes or weight inputs";
  let description = [{
    After bit-width lowering, a function reads a weight either as its
    packed bytes (`qc.storage` of a `qc.weight`, handed to a kernel) or,
    for a weight kept in a plain float or integer type (norms, biases), as
    a tensor that linalg ops use directly. A quantized weight read any other
    way (an op bit-width lowering did not take) is an error naming the op.

    `mode=embed` (the default) makes both reads constants over the
    `qc.global`'s bytes, so that the weights are embedded in the compiled
    model (the resource blob is shared, not copied).

    `mode=external` leaves the weights that are still the bytes of the file
    they were imported from (a `qc.global` with `qc.file_offset`, in a
    module with `qc.weight_files`) in that file: each becomes an argument of
    every function that reads it, directly or through calls (callers pass
    theirs on), once per function however often it is read, in the globals'
    order after the existing arguments. The argument is the weight's bytes
    (`tensor<Nxi8>`) when a kernel reads them, else the weight's tensor; it
    is marked `bufferization.writable = false` (the file is mapped
    read-only). The module attribute `qc_cpu.weights = {files = <the
    qc.weight_files>, entries = [{entry = @public function, args = [{name,
    type, file, offset}, ...]}, ...]}` lists the public functions' weight
    arguments for the model descriptor. Weights without a file offset (made
    by a pass) are embedded.

    Either way the globals and the module's `qc.*` metadata are erased.

    ```mlir
    qc.global @w {qc.file_offset = array<i64: 0, 4096>} : tensor<2x32x!qc.block<q4_0>> = ...
    func.func @f() -> tensor<36xi8> {
      %w = qc.weight @w : tensor<2x32x!qc.block<q4_0>>
      %b = qc.storage %w : tensor<2x32x!qc.block<q4_0>> -> tensor<36xi8>
      ...
    // mode=external:
    func.func @f(%w: tensor<36xi8> {bufferization.writable = false}) -> ...
    ```
  }];
  let options = [
    Option<"mode", "mode", "std::string", /*default=*/"\"embed\"",
           "embed: weights become constants in the compiled model; "
           "external: weights with a file offset become function arguments "
           "bound at run time">,
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::bufferization::BufferizationDialect",
    "::mlir::memref::MemRefDialect",
  ];
}

def QCCPUBindStatesPass : Pass<"qc-cpu-bind-states", "::mlir::ModuleOp"> {
  let summary = "Update states in place; keep the other entry inputs read-only";
  let description = [{
    An entry (public function) argument with `qc.kind = "state"` is a
    tensor the runtime keeps across runs (a key/value cache); a result with
    `qc.state = <argument index>` is its new value. This pass makes the
    argument the state's buffer (an identity-layout memref), read through
    `bufferization.to_tensor restrict` (`writable` when the function updates
    it) and replaces the result by `bufferization.materialize_in_destination
    ... in restrict writable` of the new value into that buffer, so that
    one-shot bufferization computes the update in place: a new value made
    by `tensor.insert_slice` into the state writes only the inserted part,
    and no copy of the state or output buffer is left. The `qc.kind` and
    `qc.state` attributes are consumed.

    Every other tensor argument of an entry gets `bufferization.writable =
    false`: data inputs and weights may be the caller's memory
    (`qc_context_bind_input`) or a read-only mapping of the model file.

    ```mlir
    func.func @step(%x: tensor<4xf32>, %acc: tensor<4xf32> {qc.kind = "state"})
        -> (tensor<4xf32> {qc.state = 1 : i64}) {
      %n = arith.addf %acc, %x : tensor<4xf32>
      return %n : tensor<4xf32>
    }
    // becomes
    func.func @step(%x: tensor<4xf32> {bufferization.writable = false},
                    %acc: memref<4xf32>) {
      %t = bufferization.to_tensor %acc restrict writable : ...
      %n = arith.addf %t, %x : tensor<4xf32>
      bufferization.materialize_in_destination %n in restrict writable %acc : ...
      return
    }
    ```
  }];
  let dependentDialects = ["::mlir::bufferization::BufferizationDialect"];
}

#endif // QUANTC_TARGET_CPU_PASSES_TD
