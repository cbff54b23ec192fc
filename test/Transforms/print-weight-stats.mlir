// RUN: quantc-opt %s --split-input-file --qc-print-weight-stats -o /dev/null | FileCheck %s
// RUN: quantc-opt %s --split-input-file --qc-print-weight-stats=sort-by-size -o /dev/null | FileCheck %s --check-prefix=SORTED
// RUN: quantc-opt %s --split-input-file --qc-print-weight-stats | FileCheck %s --check-prefix=IR

// Tests that every weight gets a row with its storage bytes and bits per
// weight, in IR order, and that the totals add up.
// CHECK: name{{ +}}shape{{ +}}type{{ +}}bytes{{ +}}bpw
// CHECK-NEXT: small{{ +}}1x32{{ +}}!qc.block<q8_0>{{ +}}34{{ +}}8.500
// CHECK-NEXT: big{{ +}}4x256{{ +}}!qc.block<q4_K>{{ +}}576{{ +}}4.500
// CHECK-NEXT: norm{{ +}}8{{ +}}f16{{ +}}16{{ +}}16.000
// CHECK-NEXT: total: 3 weights, 1064 elements, 626 bytes, 4.707 bits per weight, 14.7% of f32

// Tests that sort-by-size lists the largest first.
// SORTED: name
// SORTED-NEXT: big
// SORTED-NEXT: small
// SORTED-NEXT: norm

// Tests that the pass leaves the IR unchanged.
// IR: qc.global @small
// IR: qc.global @big
// IR: qc.global @norm

qc.global @small : tensor<1x32x!qc.block<q8_0>> = dense<1> : tensor<34xi8>
qc.global @big : tensor<4x256x!qc.block<q4_K>> = dense<2> : tensor<576xi8>
qc.global @norm : tensor<8xf16> = dense<0> : tensor<16xi8>

// -----

// Tests that the scale list of a per-axis type is elided.
// RUN: quantc-opt %s --split-input-file --qc-print-weight-stats -o /dev/null | FileCheck %s --check-prefix=AXIS
// AXIS: per_channel{{ +}}3x4{{ +}}!quant.uniform<i8:f32:0, {3 scales}>{{ +}}12{{ +}}8.000
qc.global @per_channel : tensor<3x4x!quant.uniform<i8:f32:0, {0.1, 0.2, 0.3}>> = dense<1> : tensor<12xi8>
