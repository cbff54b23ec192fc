// RUN: quantc-opt %s --split-input-file --qc-cpu-bind-states --verify-diagnostics | FileCheck %s
// RUN: quantc-opt %s --split-input-file --qc-cpu-bind-states --one-shot-bufferize="bufferize-function-boundaries" --canonicalize --verify-diagnostics | FileCheck %s --check-prefix=BUF

// A state updated by a result: the argument becomes the state's buffer, read
// through a writable restrict to_tensor, and the result is materialized into
// it (the result is gone); the data input is read-only.
// CHECK-LABEL: func.func @cache(
// CHECK-SAME: %[[T:.*]]: tensor<1x2xf32> {bufferization.writable = false}, %[[P:.*]]: index, %[[C:.*]]: memref<8x2xf32>) {
// CHECK: %[[CT:.*]] = bufferization.to_tensor %[[C]] restrict writable : memref<8x2xf32> to tensor<8x2xf32>
// CHECK: %[[U:.*]] = tensor.insert_slice %[[T]] into %[[CT]][%[[P]], 0] [1, 2] [1, 1]
// CHECK: bufferization.materialize_in_destination %[[U]] in restrict writable %[[C]] : (tensor<8x2xf32>, memref<8x2xf32>) -> ()
// CHECK-NEXT: return{{$}}
// Bufferized, the update writes the inserted row into the state and nothing
// else (after canonicalization, which removes the copy of the state onto
// itself): no buffer of the state's size is allocated or copied.
// BUF-LABEL: func.func @cache(
// BUF-NOT: memref.alloc
// BUF: %[[SV:.*]] = memref.subview %{{.*}}[%{{.*}}, 0] [1, 2] [1, 1] : memref<8x2xf32> to memref<1x2xf32, strided<[2, 1], offset: ?>>
// BUF-NEXT: memref.copy %{{.*}}, %[[SV]]
// BUF-NOT: memref.alloc
// BUF-NOT: memref.copy
// BUF: return
func.func @cache(%t: tensor<1x2xf32>, %pos: index, %c: tensor<8x2xf32> {qc.kind = "state"})
    -> (tensor<8x2xf32> {qc.state = 2 : i64}) {
  %u = tensor.insert_slice %t into %c[%pos, 0] [1, 2] [1, 1] : tensor<1x2xf32> into tensor<8x2xf32>
  return %u : tensor<8x2xf32>
}

// -----

// A state only read: not writable; other results stay.
// CHECK-LABEL: func.func @reads(
// CHECK-SAME: %[[C:.*]]: memref<8x2xf32>) -> tensor<1x2xf32>
// CHECK: bufferization.to_tensor %[[C]] restrict : memref<8x2xf32> to tensor<8x2xf32>
// CHECK-NOT: materialize_in_destination
func.func @reads(%c: tensor<8x2xf32> {qc.kind = "state"}) -> tensor<1x2xf32> {
  %s = tensor.extract_slice %c[0, 0] [1, 2] [1, 1] : tensor<8x2xf32> to tensor<1x2xf32>
  return %s : tensor<1x2xf32>
}

// -----

// Only public functions are entries.
// CHECK-LABEL: func.func private @helper(
// CHECK-SAME: %{{.*}}: tensor<4xf32> {qc.kind = "state"}) -> tensor<4xf32>
func.func private @helper(%x: tensor<4xf32> {qc.kind = "state"}) -> tensor<4xf32> {
  return %x : tensor<4xf32>
}

// -----

// expected-error @+1 {{'qc.state' refers to argument 0, which is not a qc.kind = "state" argument}}
func.func @not_a_state(%x: tensor<4xf32>) -> (tensor<4xf32> {qc.state = 0 : i64}) {
  return %x : tensor<4xf32>
}

// -----

// expected-error @+1 {{result 0 is the new value of state argument 0 but has another type}}
func.func @other_type(%x: tensor<4xf32> {qc.kind = "state"}) -> (tensor<8xf32> {qc.state = 0 : i64}) {
  %e = tensor.empty() : tensor<8xf32>
  return %e : tensor<8xf32>
}

// -----

// expected-error @+1 {{'qc.kind' must be "state"}}
func.func @unknown_kind(%x: tensor<4xf32> {qc.kind = "weird"}) -> tensor<4xf32> {
  return %x : tensor<4xf32>
}

// -----

// expected-error @+1 {{'qc.state' refers to argument 7 of 1}}
func.func @out_of_range(%x: tensor<4xf32> {qc.kind = "state"}) -> (tensor<4xf32> {qc.state = 7 : i64}) {
  return %x : tensor<4xf32>
}
