// RUN: quantc-opt --pass-pipeline='builtin.module(func.func(qc-cpu-strip-model-attrs))' %s | FileCheck %s

// Tests that the importers' interface attributes go and others stay.

// CHECK-LABEL: func.func @main(
// CHECK-SAME:      %{{[^:]*}}: tensor<2xi64>,
// CHECK-SAME:      %{{[^:]*}}: tensor<4xi8> {other.keep})
// CHECK-SAME:      -> tensor<4xi8>
// CHECK-NOT:   qc.
func.func @main(%shape: tensor<2xi64> {qc.name = "shape", qc.bound_value = dense<[2, 4]> : tensor<2xi64>},
                %mask: tensor<4xi8> {qc.name = "mask", qc.dtype = 2 : i32, other.keep})
    -> (tensor<4xi8> {qc.name = "out"}) {
  return %mask : tensor<4xi8>
}
