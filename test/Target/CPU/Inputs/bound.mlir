// An input bound at compile time (its value fixed the shapes; the body does
// not read it) and an unsigned input carried as i8 with qc.dtype = 2.
module {
  func.func @main(%x: tensor<2x4xf32> {qc.name = "x"},
                  %shape: tensor<2xi64> {qc.name = "shape",
                                         qc.bound_value = dense<[2, 4]> : tensor<2xi64>},
                  %mask: tensor<4xi8> {qc.name = "mask", qc.dtype = 2 : i32})
      -> (tensor<2x4xf32> {qc.name = "y"}, tensor<f32> {qc.name = "total"}) {
    %empty = tensor.empty() : tensor<2x4xf32>
    %y = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>,
                                          affine_map<(i, j) -> (j)>,
                                          affine_map<(i, j) -> (i, j)>],
                         iterator_types = ["parallel", "parallel"]}
        ins(%x, %mask : tensor<2x4xf32>, tensor<4xi8>) outs(%empty : tensor<2x4xf32>) {
    ^bb0(%v: f32, %m: i8, %out: f32):
      %f = arith.uitofp %m : i8 to f32
      %r = arith.mulf %v, %f : f32
      linalg.yield %r : f32
    } -> tensor<2x4xf32>
    %zero = arith.constant 0.0 : f32
    %e0 = tensor.empty() : tensor<f32>
    %init = linalg.fill ins(%zero : f32) outs(%e0 : tensor<f32>) -> tensor<f32>
    %total = linalg.reduce ins(%y : tensor<2x4xf32>) outs(%init : tensor<f32>) dimensions = [0, 1]
      (%in: f32, %acc: f32) {
        %s = arith.addf %in, %acc : f32
        linalg.yield %s : f32
      }
    return %y, %total : tensor<2x4xf32>, tensor<f32>
  }
}
