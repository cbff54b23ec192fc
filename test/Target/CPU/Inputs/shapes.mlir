// Data movement: concat, pad, a strided slice, a transpose.
// out[j][i] = pad(concat(x, y))[1 + i][2 + 2j].
module {
  func.func @main(%x: tensor<4x64xf32> {qc.name = "x"}, %y: tensor<4x32xf32> {qc.name = "y"})
      -> (tensor<48x4xf32> {qc.name = "out"}) {
    %zero = arith.constant 0.0 : f32
    %cat = tensor.concat dim(1) %x, %y : (tensor<4x64xf32>, tensor<4x32xf32>) -> tensor<4x96xf32>
    %p = tensor.pad %cat low[1, 1] high[1, 1] {
    ^bb0(%i: index, %j: index):
      tensor.yield %zero : f32
    } : tensor<4x96xf32> to tensor<6x98xf32>
    %s = tensor.extract_slice %p[1, 2] [4, 48] [1, 2] : tensor<6x98xf32> to tensor<4x48xf32>
    %e = tensor.empty() : tensor<48x4xf32>
    %t = linalg.transpose ins(%s : tensor<4x48xf32>) outs(%e : tensor<48x4xf32>) permutation = [1, 0]
    return %t : tensor<48x4xf32>
  }
}
