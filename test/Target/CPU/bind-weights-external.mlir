// RUN: quantc-opt %s --split-input-file --qc-cpu-bind-weights=mode=external --verify-diagnostics | FileCheck %s

// Weights still in their source file become arguments of the functions that
// read them (once per function, however often read; callers pass theirs on
// to callees), in the globals' order, read-only: the packed bytes when a
// kernel reads them, else the weight's tensor. A weight made by a pass (no
// file offset) stays embedded. The module lists the public functions'
// weight arguments and the files for the model descriptor; the globals and
// the qc.* attributes are gone.
// CHECK-LABEL: module attributes {qc_cpu.weights = {entries = [{args = [
// CHECK-SAME: {file = 0 : i64, name = "w", offset = 4096 : i64, type = tensor<36xi8>},
// CHECK-SAME: {file = 0 : i64, name = "norm", offset = 4132 : i64, type = tensor<4xf32>}], entry = "f"}],
// CHECK-SAME: files = [{header_bytes = 64 : i64, header_hash = 42 : i64, path = "/models/m.gguf", size = 8192 : i64}]}} {
// CHECK-NOT: qc.global
// CHECK: func.func private @inner(%[[N:.*]]: tensor<4xf32> {bufferization.writable = false}) -> tensor<4xf32> {
// CHECK-NEXT: return %[[N]] : tensor<4xf32>
// CHECK: func.func @f(%{{.*}}: tensor<4xf32>, %[[W:.*]]: tensor<36xi8> {bufferization.writable = false}, %[[N2:.*]]: tensor<4xf32> {bufferization.writable = false})
// CHECK: %[[I:.*]] = call @inner(%[[N2]]) : (tensor<4xf32>) -> tensor<4xf32>
// CHECK: %[[M:.*]] = arith.constant dense<0.000000e+00> : tensor<4xf32>
// CHECK: return %[[W]], %[[N2]], %[[I]], %[[M]]
module attributes {qc.weight_files = [{path = "/models/m.gguf", size = 8192 : i64, header_bytes = 64 : i64, header_hash = 42 : i64}]} {
  qc.global @w {qc.file_offset = array<i64: 0, 4096>} : tensor<2x32x!qc.block<q4_0>> = dense<1> : tensor<36xi8>
  qc.global @norm {qc.file_offset = array<i64: 0, 4132>} : tensor<4xf32> = dense<0> : tensor<16xi8>
  qc.global @made : tensor<4xf32> = dense<0> : tensor<16xi8>
  func.func private @inner() -> tensor<4xf32> {
    %n = qc.weight @norm : tensor<4xf32>
    return %n : tensor<4xf32>
  }
  func.func @f(%x: tensor<4xf32>) -> (tensor<36xi8>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) {
    %w = qc.weight @w : tensor<2x32x!qc.block<q4_0>>
    %b = qc.storage %w : tensor<2x32x!qc.block<q4_0>> -> tensor<36xi8>
    %n = qc.weight @norm : tensor<4xf32>
    %n2 = qc.weight @norm : tensor<4xf32>
    %i = func.call @inner() : () -> tensor<4xf32>
    %m = qc.weight @made : tensor<4xf32>
    return %b, %n, %i, %m : tensor<36xi8>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>
  }
}

// -----

// A file offset must name one of the module's weight files.
// expected-error @+1 {{'qc.file_offset' refers to file 0, but the module's 'qc.weight_files' lists 0}}
qc.global @norm {qc.file_offset = array<i64: 0, 4132>} : tensor<4xf32> = dense<0> : tensor<16xi8>
func.func @no_files() -> tensor<4xf32> {
  %n = qc.weight @norm : tensor<4xf32>
  return %n : tensor<4xf32>
}
