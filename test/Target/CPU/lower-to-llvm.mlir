// RUN: quantc-opt --qc-cpu-lower-to-llvm %s | FileCheck %s \
// RUN:   --implicit-check-not=linalg. --implicit-check-not=memref. --implicit-check-not=scf.
// RUN: quantc-opt --qc-cpu-lower-to-llvm=min-parallel-iterations=100000 %s | FileCheck %s --check-prefix=SERIAL

// Tests the whole CPU lowering on an imported model: the two elementwise
// generics fuse into one loop nest, bufferization turns the result into an
// out-parameter, and the loop nest runs through the runtime in an outlined
// function. Nothing but the LLVM dialect is left.

// CHECK-LABEL: llvm.func @main(
// The two inputs' and the output's descriptors, expanded, then the runtime.
// CHECK-SAME:      %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: i64, %{{.*}}: i64, %{{.*}}: i64, %{{.*}}: i64, %{{.*}}: i64,
// CHECK-SAME:      %[[RT:arg19]]: !llvm.ptr {qc_cpu.rt})
// CHECK:         %[[FN:.*]] = llvm.mlir.addressof @main_par0
// CHECK:         llvm.call @qc_rt_parallel_for(%[[RT]], %{{.*}}, %[[FN]], %{{.*}})
// CHECK-NOT:     llvm.call @qc_rt_parallel_for
// CHECK:         llvm.return

// CHECK-LABEL: llvm.func @main_par0(
// CHECK-SAME:      %{{.*}}: !llvm.ptr, %{{.*}}: i64, %{{.*}}: i64) attributes {qc_cpu.parallel_body
// CHECK:         llvm.fadd
// CHECK:         llvm.fcmp
// CHECK:         llvm.store
// CHECK:         llvm.func @qc_rt_parallel_for(!llvm.ptr, i64, !llvm.ptr, !llvm.ptr)

// SERIAL-NOT:  qc_rt_parallel_for
// SERIAL:      llvm.func @main(
// SERIAL-NOT:  qc_rt_parallel_for

#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d1)>
func.func @main(%a: tensor<64x256xf32> {qc.name = "a"},
                %b: tensor<256xf32> {qc.name = "b"})
    -> (tensor<64x256xf32> {qc.name = "y"}) {
  %zero = arith.constant 0.0 : f32
  %init = tensor.empty() : tensor<64x256xf32>
  %sum = linalg.generic {indexing_maps = [#id, #row, #id],
                         iterator_types = ["parallel", "parallel"]}
      ins(%a, %b : tensor<64x256xf32>, tensor<256xf32>)
      outs(%init : tensor<64x256xf32>) {
  ^bb0(%x: f32, %y: f32, %out: f32):
    %s = arith.addf %x, %y : f32
    linalg.yield %s : f32
  } -> tensor<64x256xf32>
  %relu = linalg.generic {indexing_maps = [#id, #id],
                          iterator_types = ["parallel", "parallel"]}
      ins(%sum : tensor<64x256xf32>) outs(%init : tensor<64x256xf32>) {
  ^bb0(%x: f32, %out: f32):
    %m = arith.maximumf %x, %zero : f32
    linalg.yield %m : f32
  } -> tensor<64x256xf32>
  return %relu : tensor<64x256xf32>
}
