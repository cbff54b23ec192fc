// RUN: quantc-opt %s --split-input-file --qc-cpu-bind-weights --verify-diagnostics | FileCheck %s

// Tests that a weight's packed bytes and a float weight read directly become
// constants over the globals' bytes (the same resource blob, retyped), and
// that the globals and the module's qc.* metadata are gone.
// CHECK-LABEL: module {
// CHECK-NOT: qc.
// CHECK: func.func @f
// CHECK-DAG: %[[B:.*]] = arith.constant dense_resource<w> : tensor<36xi8>
// CHECK-DAG: %[[N:.*]] = arith.constant dense_resource<norm> : tensor<32xf32>
// CHECK: return %[[B]], %[[N]]
// CHECK-NOT: qc.global
module attributes {qc.metadata = [["general.architecture", "llama"]]} {
  qc.global @w : tensor<2x32x!qc.block<q4_0>> = dense_resource<w> : tensor<36xi8>
  qc.global @norm : tensor<32xf32> = dense_resource<norm> : tensor<128xi8>
  func.func @f() -> (tensor<36xi8>, tensor<32xf32>) {
    %w = qc.weight @w : tensor<2x32x!qc.block<q4_0>>
    %b = qc.storage %w : tensor<2x32x!qc.block<q4_0>> -> tensor<36xi8>
    %n = qc.weight @norm : tensor<32xf32>
    return %b, %n : tensor<36xi8>, tensor<32xf32>
  }
}
{-#
  dialect_resources: {
    builtin: {
      w: "0x04000000000000000000000000000000000000000000000000000000000000000000000000000000",
      norm: "0x040000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
    }
  }
#-}

// -----

// Tests dense (non-resource) bytes.
// CHECK-LABEL: func.func @dense
// CHECK: arith.constant dense<1.000000e+00> : tensor<1xf32>
module {
  qc.global @one : tensor<1xf32> = dense<[0, 0, -128, 63]> : tensor<4xi8>
  func.func @dense() -> tensor<1xf32> {
    %w = qc.weight @one : tensor<1xf32>
    return %w : tensor<1xf32>
  }
}

// -----

// Tests that a quantized weight read by anything but the kernels is an
// error at the reader.
module {
  qc.global @w : tensor<2x32x!qc.block<q4_0>> = dense<0> : tensor<36xi8>
  func.func @f() -> tensor<2x32xf32> {
    %w = qc.weight @w : tensor<2x32x!qc.block<q4_0>>
    // expected-error @+1 {{'qc.dequantize' op reads the quantized weight @w ('tensor<2x32x!qc.block<q4_0>>'), which only the kernels of qc-lower-bitwidth take}}
    %d = qc.dequantize %w : tensor<2x32x!qc.block<q4_0>> -> tensor<2x32xf32>
    return %d : tensor<2x32xf32>
  }
}
