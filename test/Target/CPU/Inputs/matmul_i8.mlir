// i8 x i8 -> i32 matmul (linalg.matmul sign-extends its operands).
module {
  func.func @main(%a: tensor<32x64xi8> {qc.name = "a"},
                  %b: tensor<64x16xi8> {qc.name = "b"})
      -> (tensor<32x16xi32> {qc.name = "c"}) {
    %zero = arith.constant 0 : i32
    %empty = tensor.empty() : tensor<32x16xi32>
    %init = linalg.fill ins(%zero : i32) outs(%empty : tensor<32x16xi32>) -> tensor<32x16xi32>
    %c = linalg.matmul ins(%a, %b : tensor<32x64xi8>, tensor<64x16xi8>)
                       outs(%init : tensor<32x16xi32>) -> tensor<32x16xi32>
    return %c : tensor<32x16xi32>
  }
}
