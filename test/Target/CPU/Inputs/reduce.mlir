// Row sums through a linalg.generic reduction: [128, 256] -> [128].
module {
  func.func @main(%x: tensor<128x256xf32> {qc.name = "x"})
      -> (tensor<128xf32> {qc.name = "sum"}) {
    %zero = arith.constant 0.0 : f32
    %empty = tensor.empty() : tensor<128xf32>
    %init = linalg.fill ins(%zero : f32) outs(%empty : tensor<128xf32>) -> tensor<128xf32>
    %sum = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>,
                                            affine_map<(i, j) -> (i)>],
                           iterator_types = ["parallel", "reduction"]}
        ins(%x : tensor<128x256xf32>) outs(%init : tensor<128xf32>) {
    ^bb0(%v: f32, %acc: f32):
      %s = arith.addf %acc, %v : f32
      linalg.yield %s : f32
    } -> tensor<128xf32>
    return %sum : tensor<128xf32>
  }
}
