// RUN: quantc-opt --pass-pipeline='builtin.module(func.func(qc-cpu-expand-strided-copies))' %s | FileCheck %s

// Tests that copies between contiguous buffers stay (they become a memcpy)
// and copies from or into strided views become linalg.copy.

// CHECK-LABEL: func.func @copies(
// CHECK:         memref.copy %{{.*}}, %{{.*}} : memref<4x64xf32> to memref<4x64xf32>
// CHECK:         linalg.copy ins(%{{.*}} : memref<4x64xf32>) outs(%{{.*}} : memref<4x64xf32, strided<[96, 1]>>)
// CHECK:         linalg.copy ins(%{{.*}} : memref<2x16xf32, strided<[64, 2], offset: 67>>) outs(%{{.*}} : memref<2x16xf32>)
// CHECK-NOT:     memref.copy
func.func @copies(%a: memref<4x64xf32>, %b: memref<4x64xf32>, %cat: memref<4x96xf32>, %s: memref<2x16xf32>) {
  memref.copy %a, %b : memref<4x64xf32> to memref<4x64xf32>
  %view = memref.subview %cat[0, 0] [4, 64] [1, 1] : memref<4x96xf32> to memref<4x64xf32, strided<[96, 1]>>
  memref.copy %a, %view : memref<4x64xf32> to memref<4x64xf32, strided<[96, 1]>>
  %slice = memref.subview %a[1, 3] [2, 16] [1, 2] : memref<4x64xf32> to memref<2x16xf32, strided<[64, 2], offset: 67>>
  memref.copy %slice, %s : memref<2x16xf32, strided<[64, 2], offset: 67>> to memref<2x16xf32>
  return
}
