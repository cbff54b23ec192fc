// y = relu(a + b), b broadcast along the rows: [64, 256] + [256].
#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d1)>
module {
  func.func @main(%a: tensor<64x256xf32> {qc.name = "a"},
                  %b: tensor<256xf32> {qc.name = "b"})
      -> (tensor<64x256xf32> {qc.name = "y"}) {
    %zero = arith.constant 0.0 : f32
    %init = tensor.empty() : tensor<64x256xf32>
    %sum = linalg.generic {indexing_maps = [#id, #row, #id],
                           iterator_types = ["parallel", "parallel"]}
        ins(%a, %b : tensor<64x256xf32>, tensor<256xf32>)
        outs(%init : tensor<64x256xf32>) {
    ^bb0(%x: f32, %y: f32, %out: f32):
      %s = arith.addf %x, %y : f32
      linalg.yield %s : f32
    } -> tensor<64x256xf32>
    %relu = linalg.generic {indexing_maps = [#id, #id],
                            iterator_types = ["parallel", "parallel"]}
        ins(%sum : tensor<64x256xf32>) outs(%init : tensor<64x256xf32>) {
    ^bb0(%x: f32, %out: f32):
      %m = arith.maximumf %x, %zero : f32
      linalg.yield %m : f32
    } -> tensor<64x256xf32>
    return %relu : tensor<64x256xf32>
  }
}
