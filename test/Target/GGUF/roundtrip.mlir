// RUN: quantc-translate --export-gguf %s -o %t.gguf
// RUN: quantc-translate --import-gguf %t.gguf | FileCheck %s
// RUN: quantc-translate --import-gguf %t.gguf -o %t.mlir
// RUN: quantc-translate --export-gguf %t.mlir -o %t.again.gguf
// RUN: cmp %t.gguf %t.again.gguf
// RUN: quantc-opt %t.mlir --emit-bytecode -o %t.mlirbc
// RUN: quantc-translate --export-gguf %t.mlirbc -o %t.bytecode.gguf
// RUN: cmp %t.gguf %t.bytecode.gguf

// Tests that every ggml tensor type and every GGUF metadata value type
// survive GGUF -> IR -> GGUF byte for byte (through text and bytecode), and
// that the importer recovers each tensor's logical shape and type.

// CHECK: module attributes {qc.gguf_version = 2 : ui32, qc.metadata =
// CHECK-SAME: "k.u64", 18000000000000000000 : ui64
// CHECK-SAME: "k.str", "h\C3\A9llo"
// CHECK-SAME: "k.arr.nested", {{\[}}dense<[1, 2]> : tensor<2xsi64>, ["x", "y"], {{\[}}dense<3.000000e+00> : tensor<1xf64>{{\]\]\]}}
// CHECK: qc.global @w.q4_0 : tensor<3x64x!qc.block<q4_0>> = dense_resource<w.q4_0> : tensor<108xi8>
// CHECK: qc.global @w.q4_1 : tensor<3x64x!qc.block<q4_1>> = dense_resource<w.q4_1> : tensor<120xi8>
// CHECK: qc.global @w.q5_0 : tensor<3x64x!qc.block<q5_0>> = dense_resource<w.q5_0> : tensor<132xi8>
// CHECK: qc.global @w.q5_1 : tensor<3x64x!qc.block<q5_1>> = dense_resource<w.q5_1> : tensor<144xi8>
// CHECK: qc.global @w.q8_0 : tensor<3x64x!qc.block<q8_0>> = dense_resource<w.q8_0> : tensor<204xi8>
// CHECK: qc.global @w.q8_1 : tensor<3x64x!qc.block<q8_1>> = dense_resource<w.q8_1> : tensor<216xi8>
// CHECK: qc.global @w.q2_K : tensor<3x512x!qc.block<q2_K>> = dense_resource<w.q2_K> : tensor<504xi8>
// CHECK: qc.global @w.q3_K : tensor<3x512x!qc.block<q3_K>> = dense_resource<w.q3_K> : tensor<660xi8>
// CHECK: qc.global @w.q4_K : tensor<3x512x!qc.block<q4_K>> = dense_resource<w.q4_K> : tensor<864xi8>
// CHECK: qc.global @w.q5_K : tensor<3x512x!qc.block<q5_K>> = dense_resource<w.q5_K> : tensor<1056xi8>
// CHECK: qc.global @w.q6_K : tensor<3x512x!qc.block<q6_K>> = dense_resource<w.q6_K> : tensor<1260xi8>
// CHECK: qc.global @w.q8_K : tensor<3x512x!qc.block<q8_K>> = dense_resource<w.q8_K> : tensor<1752xi8>
// CHECK: qc.global @w.iq2_xxs : tensor<3x512x!qc.block<iq2_xxs>> = dense_resource<w.iq2_xxs> : tensor<396xi8>
// CHECK: qc.global @w.iq2_xs : tensor<3x512x!qc.block<iq2_xs>> = dense_resource<w.iq2_xs> : tensor<444xi8>
// CHECK: qc.global @w.iq3_xxs : tensor<3x512x!qc.block<iq3_xxs>> = dense_resource<w.iq3_xxs> : tensor<588xi8>
// CHECK: qc.global @w.iq1_s : tensor<3x512x!qc.block<iq1_s>> = dense_resource<w.iq1_s> : tensor<300xi8>
// CHECK: qc.global @w.iq4_nl : tensor<3x64x!qc.block<iq4_nl>> = dense_resource<w.iq4_nl> : tensor<108xi8>
// CHECK: qc.global @w.iq3_s : tensor<3x512x!qc.block<iq3_s>> = dense_resource<w.iq3_s> : tensor<660xi8>
// CHECK: qc.global @w.iq2_s : tensor<3x512x!qc.block<iq2_s>> = dense_resource<w.iq2_s> : tensor<492xi8>
// CHECK: qc.global @w.iq4_xs : tensor<3x512x!qc.block<iq4_xs>> = dense_resource<w.iq4_xs> : tensor<816xi8>
// CHECK: qc.global @w.iq1_m : tensor<3x512x!qc.block<iq1_m>> = dense_resource<w.iq1_m> : tensor<336xi8>
// CHECK: qc.global @w.tq1_0 : tensor<3x512x!qc.block<tq1_0>> = dense_resource<w.tq1_0> : tensor<324xi8>
// CHECK: qc.global @w.tq2_0 : tensor<3x512x!qc.block<tq2_0>> = dense_resource<w.tq2_0> : tensor<396xi8>
// CHECK: qc.global @w.mxfp4 : tensor<3x64x!qc.block<mxfp4>> = dense_resource<w.mxfp4> : tensor<102xi8>
// CHECK: qc.global @w.nvfp4 : tensor<3x128x!qc.block<nvfp4>> = dense_resource<w.nvfp4> : tensor<216xi8>
// CHECK: qc.global @w.q1_0 : tensor<3x256x!qc.block<q1_0>> = dense_resource<w.q1_0> : tensor<108xi8>
// CHECK: qc.global @w.q2_0 : tensor<3x128x!qc.block<q2_0>> = dense_resource<w.q2_0> : tensor<108xi8>
// CHECK: qc.global @p.f32 : tensor<2x3x5xf32> = dense_resource<p.f32> : tensor<120xi8>
// CHECK: qc.global @p.f16 : tensor<2x3x5xf16> = dense_resource<p.f16> : tensor<60xi8>
// CHECK: qc.global @p.bf16 : tensor<2x3x5xbf16> = dense_resource<p.bf16> : tensor<60xi8>
// CHECK: qc.global @p.f64 : tensor<2x3x5xf64> = dense_resource<p.f64> : tensor<240xi8>
// CHECK: qc.global @p.i8 : tensor<2x3x5xi8> = dense_resource<p.i8> : tensor<30xi8>
// CHECK: qc.global @p.i16 : tensor<2x3x5xi16> = dense_resource<p.i16> : tensor<60xi8>
// CHECK: qc.global @p.i32 : tensor<2x3x5xi32> = dense_resource<p.i32> : tensor<120xi8>
// CHECK: qc.global @p.i64 : tensor<2x3x5xi64> = dense_resource<p.i64> : tensor<240xi8>
// CHECK: qc.global @scalar : tensor<1xf32>

module attributes {qc.gguf_version = 2 : ui32, qc.metadata = [["general.architecture", "llama"], ["general.alignment", 64 : ui32], ["k.u8", 200 : ui8], ["k.i8", -5 : si8], ["k.u16", 60000 : ui16], ["k.i16", -300 : si16], ["k.u32", 4000000000 : ui32], ["k.i32", -7 : si32], ["k.u64", 18000000000000000000 : ui64], ["k.i64", -9000000000 : si64], ["k.f32", 1.5 : f32], ["k.f64", -2.25 : f64], ["k.bool", false], ["k.str", "h\C3\A9llo"], ["k.arr.u8", dense<[1, 2, 255]> : tensor<3xui8>], ["k.arr.f32", dense<[1.0, -2.5]> : tensor<2xf32>], ["k.arr.bool", dense<[true, false]> : tensor<2xi1>], ["k.arr.str", ["a", "", "c"]], ["k.arr.empty", dense<> : tensor<0xsi32>], ["k.arr.nested", [dense<[1, 2]> : tensor<2xsi64>, ["x", "y"], [dense<[3.0]> : tensor<1xf64>]]]]} {
  qc.global @w.q4_0 : tensor<3x64x!qc.block<q4_0>> = dense<1> : tensor<108xi8>
  qc.global @w.q4_1 : tensor<3x64x!qc.block<q4_1>> = dense<2> : tensor<120xi8>
  qc.global @w.q5_0 : tensor<3x64x!qc.block<q5_0>> = dense<3> : tensor<132xi8>
  qc.global @w.q5_1 : tensor<3x64x!qc.block<q5_1>> = dense<4> : tensor<144xi8>
  qc.global @w.q8_0 : tensor<3x64x!qc.block<q8_0>> = dense<5> : tensor<204xi8>
  qc.global @w.q8_1 : tensor<3x64x!qc.block<q8_1>> = dense<6> : tensor<216xi8>
  qc.global @w.q2_K : tensor<3x512x!qc.block<q2_K>> = dense<7> : tensor<504xi8>
  qc.global @w.q3_K : tensor<3x512x!qc.block<q3_K>> = dense<8> : tensor<660xi8>
  qc.global @w.q4_K : tensor<3x512x!qc.block<q4_K>> = dense<9> : tensor<864xi8>
  qc.global @w.q5_K : tensor<3x512x!qc.block<q5_K>> = dense<10> : tensor<1056xi8>
  qc.global @w.q6_K : tensor<3x512x!qc.block<q6_K>> = dense<11> : tensor<1260xi8>
  qc.global @w.q8_K : tensor<3x512x!qc.block<q8_K>> = dense<12> : tensor<1752xi8>
  qc.global @w.iq2_xxs : tensor<3x512x!qc.block<iq2_xxs>> = dense<13> : tensor<396xi8>
  qc.global @w.iq2_xs : tensor<3x512x!qc.block<iq2_xs>> = dense<14> : tensor<444xi8>
  qc.global @w.iq3_xxs : tensor<3x512x!qc.block<iq3_xxs>> = dense<15> : tensor<588xi8>
  qc.global @w.iq1_s : tensor<3x512x!qc.block<iq1_s>> = dense<16> : tensor<300xi8>
  qc.global @w.iq4_nl : tensor<3x64x!qc.block<iq4_nl>> = dense<17> : tensor<108xi8>
  qc.global @w.iq3_s : tensor<3x512x!qc.block<iq3_s>> = dense<18> : tensor<660xi8>
  qc.global @w.iq2_s : tensor<3x512x!qc.block<iq2_s>> = dense<19> : tensor<492xi8>
  qc.global @w.iq4_xs : tensor<3x512x!qc.block<iq4_xs>> = dense<20> : tensor<816xi8>
  qc.global @w.iq1_m : tensor<3x512x!qc.block<iq1_m>> = dense<21> : tensor<336xi8>
  qc.global @w.tq1_0 : tensor<3x512x!qc.block<tq1_0>> = dense<22> : tensor<324xi8>
  qc.global @w.tq2_0 : tensor<3x512x!qc.block<tq2_0>> = dense<23> : tensor<396xi8>
  qc.global @w.mxfp4 : tensor<3x64x!qc.block<mxfp4>> = dense<24> : tensor<102xi8>
  qc.global @w.nvfp4 : tensor<3x128x!qc.block<nvfp4>> = dense<30> : tensor<216xi8>
  qc.global @w.q1_0 : tensor<3x256x!qc.block<q1_0>> = dense<31> : tensor<108xi8>
  qc.global @w.q2_0 : tensor<3x128x!qc.block<q2_0>> = dense<32> : tensor<108xi8>
  qc.global @p.f32 : tensor<2x3x5xf32> = dense<40> : tensor<120xi8>
  qc.global @p.f16 : tensor<2x3x5xf16> = dense<41> : tensor<60xi8>
  qc.global @p.bf16 : tensor<2x3x5xbf16> = dense<42> : tensor<60xi8>
  qc.global @p.f64 : tensor<2x3x5xf64> = dense<43> : tensor<240xi8>
  qc.global @p.i8 : tensor<2x3x5xi8> = dense<44> : tensor<30xi8>
  qc.global @p.i16 : tensor<2x3x5xi16> = dense<45> : tensor<60xi8>
  qc.global @p.i32 : tensor<2x3x5xi32> = dense<46> : tensor<120xi8>
  qc.global @p.i64 : tensor<2x3x5xi64> = dense<47> : tensor<240xi8>
  qc.global @scalar : tensor<f32> = dense<7> : tensor<4xi8>
}
