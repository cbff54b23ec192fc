// RUN: quantc-opt %s --qc-instrument-activations | FileCheck %s

// The activation inputs of the quantizable ops (a constant-weight matmul and
// convolution) become extra results named by their index in walk order;
// a matmul on two activations is not quantizable and adds nothing.
// CHECK-LABEL: func.func @main
// CHECK-SAME: -> (tensor<2x3xf32> {qc.name = "y"}, tensor<2x4xf32> {qc.dtype = 1 : i32, qc.name = "qc.activation.0"}, tensor<1x1x4x4xf32> {qc.dtype = 1 : i32, qc.name = "qc.activation.1"})
// CHECK: %[[PAD:.*]] = tensor.pad
// CHECK: return %{{.*}}, %arg0, %[[PAD]] : tensor<2x3xf32>, tensor<2x4xf32>, tensor<1x1x4x4xf32>
func.func @main(%x: tensor<2x4xf32>, %y: tensor<4x3xf32>, %img: tensor<1x1x2x2xf32>) -> (tensor<2x3xf32> {qc.name = "y"}) {
  %w = arith.constant dense<1.0> : tensor<4x3xf32>
  %k = arith.constant dense<0.5> : tensor<2x1x3x3xf32>
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x3xf32>
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<2x3xf32>) -> tensor<2x3xf32>
  %a = linalg.matmul ins(%x, %w : tensor<2x4xf32>, tensor<4x3xf32>) outs(%f : tensor<2x3xf32>) -> tensor<2x3xf32>
  %b = linalg.matmul ins(%x, %y : tensor<2x4xf32>, tensor<4x3xf32>) outs(%f : tensor<2x3xf32>) -> tensor<2x3xf32>
  %p = tensor.pad %img low[0, 0, 1, 1] high[0, 0, 1, 1] {
  ^bb0(%i: index, %j: index, %l: index, %m: index):
    tensor.yield %z : f32
  } : tensor<1x1x2x2xf32> to tensor<1x1x4x4xf32>
  %ce = tensor.empty() : tensor<1x2x2x2xf32>
  %cf = linalg.fill ins(%z : f32) outs(%ce : tensor<1x2x2x2xf32>) -> tensor<1x2x2x2xf32>
  %c = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%p, %k : tensor<1x1x4x4xf32>, tensor<2x1x3x3xf32>) outs(%cf : tensor<1x2x2x2xf32>) -> tensor<1x2x2x2xf32>
  %s = arith.addf %a, %b : tensor<2x3xf32>
  return %s : tensor<2x3xf32>
}
