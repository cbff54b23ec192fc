// RUN: quantc-opt %s --split-input-file --qc-cpu-early-dealloc | FileCheck %s

func.func private @producer(memref<8xf32>)
func.func private @consumer(memref<8xf32>, memref<8xf32>)
func.func private @other(memref<8xf32>)

// Each temporary is freed right after its last use (through a view too),
// not at the end of the function.
// CHECK-LABEL: func.func @chain(
// CHECK: %[[A:.*]] = memref.alloc() : memref<8xf32>
// CHECK-NEXT: call @producer(%[[A]])
// CHECK-NEXT: %[[B:.*]] = memref.alloc() : memref<8xf32>
// CHECK-NEXT: call @consumer(%[[A]], %[[B]])
// CHECK-NEXT: memref.dealloc %[[A]] : memref<8xf32>
// CHECK-NEXT: %[[V:.*]] = memref.subview %[[B]][0] [4] [1]
// CHECK-NEXT: scf.for
// CHECK: memref.load %[[V]]
// CHECK: }
// CHECK-NEXT: memref.dealloc %[[B]] : memref<8xf32>
// CHECK-NEXT: call @other(%{{.*}})
// CHECK-NEXT: return
func.func @chain(%out: memref<8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %a = memref.alloc() : memref<8xf32>
  call @producer(%a) : (memref<8xf32>) -> ()
  %b = memref.alloc() : memref<8xf32>
  call @consumer(%a, %b) : (memref<8xf32>, memref<8xf32>) -> ()
  %v = memref.subview %b[0] [4] [1] : memref<8xf32> to memref<4xf32, strided<[1]>>
  scf.for %i = %c0 to %c4 step %c1 {
    %x = memref.load %v[%i] : memref<4xf32, strided<[1]>>
    memref.store %x, %out[%i] : memref<8xf32>
  }
  call @other(%out) : (memref<8xf32>) -> ()
  memref.dealloc %a : memref<8xf32>
  memref.dealloc %b : memref<8xf32>
  return
}

// -----

// A buffer that may escape stays freed where it was: chosen by a select,
// or freed in another block than its allocation's.
// CHECK-LABEL: func.func @escapes(
// CHECK: call @other(%{{.*}})
// CHECK-NEXT: memref.dealloc %{{.*}} : memref<8xf32>
// CHECK-NEXT: memref.alloc
// CHECK-NEXT: scf.if
// CHECK-NEXT: memref.dealloc
// CHECK: return
func.func private @other(memref<8xf32>)
func.func @escapes(%c: i1, %out: memref<8xf32>) {
  %a = memref.alloc() : memref<8xf32>
  %s = arith.select %c, %a, %out : memref<8xf32>
  call @other(%out) : (memref<8xf32>) -> ()
  memref.dealloc %a : memref<8xf32>
  %b = memref.alloc() : memref<8xf32>
  scf.if %c {
    memref.dealloc %b : memref<8xf32>
  }
  return
}

// -----

// A buffer never used but by its dealloc is freed at once.
// CHECK-LABEL: func.func @unused(
// CHECK-NEXT: %[[A:.*]] = memref.alloc() : memref<8xf32>
// CHECK-NEXT: memref.dealloc %[[A]]
// CHECK-NEXT: call @other
func.func private @other(memref<8xf32>)
func.func @unused(%out: memref<8xf32>) {
  %a = memref.alloc() : memref<8xf32>
  call @other(%out) : (memref<8xf32>) -> ()
  memref.dealloc %a : memref<8xf32>
  return
}
