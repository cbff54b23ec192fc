//===- quantc-translate.cpp - The quantc translation driver ---------------===//
//
// Part of quantc.
//
// mlir-translate with quantc's importers and exporters beside upstream's.
//
//===----------------------------------------------------------------------===//

#include "mlir/Tools/mlir-translate/MlirTranslateMain.h"

#include "quantc/InitAllTranslations.h"

int main(int argc, char **argv) {
  quantc::registerAllTranslations();
  return mlir::failed(
      mlir::mlirTranslateMain(argc, argv, "quantc translation driver\n"));
}
