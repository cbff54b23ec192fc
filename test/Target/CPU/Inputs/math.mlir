// Transcendental functions: LLVM intrinsics and libm calls.
// y = tanh(exp(0.1 * x)) + erf(x) + sqrt(|x|)
#id = affine_map<(d0, d1) -> (d0, d1)>
module {
  func.func @main(%x: tensor<8x100xf32> {qc.name = "x"})
      -> (tensor<8x100xf32> {qc.name = "y"}) {
    %tenth = arith.constant 0.1 : f32
    %empty = tensor.empty() : tensor<8x100xf32>
    %y = linalg.generic {indexing_maps = [#id, #id],
                         iterator_types = ["parallel", "parallel"]}
        ins(%x : tensor<8x100xf32>) outs(%empty : tensor<8x100xf32>) {
    ^bb0(%v: f32, %out: f32):
      %s = arith.mulf %v, %tenth : f32
      %e = math.exp %s : f32
      %t = math.tanh %e : f32
      %r = math.erf %v : f32
      %a = math.absf %v : f32
      %q = math.sqrt %a : f32
      %sum = arith.addf %t, %r : f32
      %res = arith.addf %sum, %q : f32
      linalg.yield %res : f32
    } -> tensor<8x100xf32>
    return %y : tensor<8x100xf32>
  }
}
