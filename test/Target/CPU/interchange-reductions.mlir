// RUN: quantc-opt --pass-pipeline='builtin.module(func.func(qc-cpu-interchange-reductions))' %s | FileCheck %s

// Tests that a matmul's loops become (i, k, j): the output's contiguous
// dimension j moves inside the reduction k.

// CHECK-DAG: #[[A:.*]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-DAG: #[[B:.*]] = affine_map<(d0, d1, d2) -> (d1, d2)>
// CHECK-DAG: #[[C:.*]] = affine_map<(d0, d1, d2) -> (d0, d2)>
// CHECK-LABEL: func.func @matmul(
// CHECK:         linalg.generic {indexing_maps = [#[[A]], #[[B]], #[[C]]], iterator_types = ["parallel", "reduction", "parallel"]}
func.func @matmul(%a: memref<64x128xf32>, %b: memref<128x32xf32>, %c: memref<64x32xf32>) {
  linalg.matmul ins(%a, %b : memref<64x128xf32>, memref<128x32xf32>) outs(%c : memref<64x32xf32>)
  return
}

// Tests that a convolution's output width goes innermost.

// CHECK-LABEL: func.func @conv(
// CHECK:         linalg.generic
// CHECK-SAME:      iterator_types = ["parallel", "parallel", "parallel", "reduction", "reduction", "reduction", "parallel"]
func.func @conv(%x: memref<1x3x16x16xf32>, %w: memref<8x3x3x3xf32>, %y: memref<1x8x14x14xf32>) {
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
    ins(%x, %w : memref<1x3x16x16xf32>, memref<8x3x3x3xf32>) outs(%y : memref<1x8x14x14xf32>)
  return
}

// Tests that a reduction along the contiguous dimension stays: moving the
// row index innermost would read with a stride.

// CHECK-LABEL: func.func @row_sums(
// CHECK:         iterator_types = ["parallel", "reduction"]
func.func @row_sums(%x: memref<128x256xf32>, %s: memref<128xf32>) {
  linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i)>],
                  iterator_types = ["parallel", "reduction"]}
      ins(%x : memref<128x256xf32>) outs(%s : memref<128xf32>) {
  ^bb0(%v: f32, %acc: f32):
    %r = arith.addf %acc, %v : f32
    linalg.yield %r : f32
  }
  return
}
