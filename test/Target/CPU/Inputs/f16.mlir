// f16 in, f16 out: y = x * x + 1.
#id = affine_map<(d0, d1) -> (d0, d1)>
module {
  func.func @main(%x: tensor<4x300xf16> {qc.name = "x"})
      -> (tensor<4x300xf16> {qc.name = "y"}) {
    %one = arith.constant 1.0 : f16
    %empty = tensor.empty() : tensor<4x300xf16>
    %y = linalg.generic {indexing_maps = [#id, #id],
                         iterator_types = ["parallel", "parallel"]}
        ins(%x : tensor<4x300xf16>) outs(%empty : tensor<4x300xf16>) {
    ^bb0(%v: f16, %out: f16):
      %sq = arith.mulf %v, %v : f16
      %r = arith.addf %sq, %one : f16
      linalg.yield %r : f16
    } -> tensor<4x300xf16>
    return %y : tensor<4x300xf16>
  }
}
