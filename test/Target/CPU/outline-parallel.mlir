// RUN: quantc-opt --qc-cpu-outline-parallel --split-input-file %s | FileCheck %s

// Tests that a 1-D parallel loop becomes a call to the runtime, its body a
// function of (env, begin, end) that loads the captured memrefs from the
// environment, and that every function with a body gets the runtime handle.

// CHECK-LABEL: func.func @copy(
// CHECK-SAME:      %[[IN:[^:]*]]: memref<1024xf32>, %[[OUT:[^:]*]]: memref<1024xf32>, %[[RT:[^:]*]]: !llvm.ptr {qc_cpu.rt})
// CHECK-DAG:     %[[FN:.*]] = constant @copy_par0 : (!llvm.ptr, i64, i64) -> ()
// CHECK-DAG:     %[[N:.*]] = arith.constant 1024 : i64
// CHECK:         %[[ENV:.*]] = llvm.alloca %{{.*}} x !llvm.struct<(struct<(ptr, ptr, i64, array<1 x i64>, array<1 x i64>)>, struct<(ptr, ptr, i64, array<1 x i64>, array<1 x i64>)>)>
// CHECK:         %[[D0:.*]] = builtin.unrealized_conversion_cast %[[IN]] : memref<1024xf32> to !llvm.struct
// CHECK:         llvm.store %[[D0]]
// CHECK:         call @qc_rt_parallel_for(%[[RT]], %[[N]], %[[FN]], %[[ENV]])
// CHECK-NOT:     scf.parallel
// CHECK:         return

// CHECK-LABEL: func.func private @copy_par0(
// CHECK-SAME:      %{{[^:]*}}: !llvm.ptr, %{{[^:]*}}: i64, %{{[^:]*}}: i64) attributes {qc_cpu.parallel_body}
// CHECK:         llvm.load
// CHECK:         builtin.unrealized_conversion_cast %{{.*}} : !llvm.struct<(ptr, ptr, i64, array<1 x i64>, array<1 x i64>)> to memref<1024xf32>
// CHECK:         scf.for
// CHECK:           memref.load
// CHECK:           memref.store
// CHECK:         return

// CHECK: func.func private @qc_rt_parallel_for(!llvm.ptr, i64, (!llvm.ptr, i64, i64) -> (), !llvm.ptr)
func.func @copy(%in: memref<1024xf32>, %out: memref<1024xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c1024 = arith.constant 1024 : index
  scf.parallel (%i) = (%c0) to (%c1024) step (%c1) {
    %v = memref.load %in[%i] : memref<1024xf32>
    memref.store %v, %out[%i] : memref<1024xf32>
  }
  return
}

// -----

// Tests that leading dimensions are collapsed until the range has at least
// min-iterations (64) iterations, the rest staying an inner scf.parallel,
// and that captured index values travel as i64.

// CHECK-LABEL: func.func @collapse(
// CHECK:         arith.constant 128 : i64
// CHECK:         %[[C:.*]] = arith.index_cast %{{.*}} : index to i64
// CHECK:         llvm.store %[[C]]
// CHECK:         call @qc_rt_parallel_for
// CHECK-LABEL: func.func private @collapse_par0(
// CHECK:         arith.index_cast %{{.*}} : i64 to index
// CHECK:         scf.for
// CHECK:           arith.remsi
// CHECK:           arith.divsi
// CHECK:           scf.parallel
// CHECK:             arith.addf
func.func @collapse(%m: memref<4x32x128xf32>, %delta: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c32 = arith.constant 32 : index
  %c128 = arith.constant 128 : index
  scf.parallel (%i, %j, %k) = (%c0, %c0, %c0) to (%c4, %c32, %c128) step (%c1, %c1, %c1) {
    %kk = arith.addi %k, %delta : index
    %v = memref.load %m[%i, %j, %k] : memref<4x32x128xf32>
    %w = arith.addf %v, %v : f32
    memref.store %w, %m[%i, %j, %kk] : memref<4x32x128xf32>
  }
  return
}

// -----

// Tests that small loops and loops with reductions stay serial, and that
// nested loops are left to the outlined body.

// CHECK-LABEL: func.func @serial(
// CHECK-NOT:     qc_rt_parallel_for
// CHECK:         scf.parallel
// CHECK:         scf.parallel
// CHECK:         scf.reduce
// CHECK:         return
func.func @serial(%m: memref<16xf32>) -> f32 {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c16 = arith.constant 16 : index
  %c1024 = arith.constant 1024 : index
  %zero = arith.constant 0.0 : f32
  scf.parallel (%i) = (%c0) to (%c16) step (%c1) {
    memref.store %zero, %m[%i] : memref<16xf32>
  }
  %sum = scf.parallel (%i) = (%c0) to (%c1024) step (%c1) init (%zero) -> f32 {
    %v = arith.index_cast %i : index to i32
    %f = arith.sitofp %v : i32 to f32
    scf.reduce(%f : f32) {
    ^bb0(%a: f32, %b: f32):
      %s = arith.addf %a, %b : f32
      scf.reduce.return %s : f32
    }
  }
  return %sum : f32
}

// -----

// Tests that calls between functions pass the caller's runtime handle.

// CHECK-LABEL: func.func private @callee(
// CHECK-SAME:      !llvm.ptr {qc_cpu.rt})
// CHECK-LABEL: func.func @caller(
// CHECK-SAME:      %[[RT:[^:]*]]: !llvm.ptr {qc_cpu.rt})
// CHECK:         call @callee(%{{.*}}, %[[RT]])
func.func private @callee(%m: memref<16xf32>) {
  return
}
func.func @caller(%m: memref<16xf32>) {
  call @callee(%m) : (memref<16xf32>) -> ()
  return
}
