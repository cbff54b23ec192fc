//===- Runtime.cppm - The quantc.runtime module -----------------*- C++ -*-===//
//
// Part of quantc.
//
// What quantc-compiled models link against: the implementation behind the C
// ABI of quantc/runtime.h. No LLVM, MLIR or abseil; only libc, libstdc++ and
// pthreads, so that the static library links into a shared one with
// `clang++ -shared model.o libquantc_runtime.a`. Partitions:
//   :dtype       sizes and names of the element types (ONNX numbering)
//   :threadpool  persistent workers behind qc_rt_parallel_for
//   :context     a model's buffers, input checks and run
// RuntimeC.cpp implements the C functions over these.
//
//===----------------------------------------------------------------------===//

export module quantc.runtime;

export import :dtype;
export import :threadpool;
export import :context;
