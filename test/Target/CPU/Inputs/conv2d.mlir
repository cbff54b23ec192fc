// A 3x3 convolution, NCHW / FCHW, no padding: [1,3,16,16] * [8,3,3,3].
module {
  func.func @main(%x: tensor<1x3x16x16xf32> {qc.name = "x"},
                  %w: tensor<8x3x3x3xf32> {qc.name = "w"})
      -> (tensor<1x8x14x14xf32> {qc.name = "y"}) {
    %zero = arith.constant 0.0 : f32
    %empty = tensor.empty() : tensor<1x8x14x14xf32>
    %init = linalg.fill ins(%zero : f32) outs(%empty : tensor<1x8x14x14xf32>) -> tensor<1x8x14x14xf32>
    %y = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>,
                                   strides = dense<1> : tensor<2xi64>}
        ins(%x, %w : tensor<1x3x16x16xf32>, tensor<8x3x3x3xf32>)
        outs(%init : tensor<1x8x14x14xf32>) -> tensor<1x8x14x14xf32>
    return %y : tensor<1x8x14x14xf32>
  }
}
