//===- quantc-opt.cpp - The quantc pass driver ----------------------------===//
//
// Part of quantc.
//
// mlir-opt with the qc dialect and passes beside every upstream one.
//
//===----------------------------------------------------------------------===//

#include "mlir/Tools/mlir-opt/MlirOptMain.h"

#include "quantc/InitAllDialects.h"
#include "quantc/InitAllPasses.h"

int main(int argc, char **argv) {
  quantc::registerAllPasses();
  mlir::DialectRegistry registry;
  quantc::registerAllDialects(registry);
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "quantc pass driver\n", registry));
}
