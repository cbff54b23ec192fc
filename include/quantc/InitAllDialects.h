//===- InitAllDialects.h - Register every dialect quantc uses ---*- C++ -*-===//
//
// Part of quantc.
//
//===----------------------------------------------------------------------===//

#ifndef QUANTC_INITALLDIALECTS_H
#define QUANTC_INITALLDIALECTS_H

#include "mlir/IR/DialectRegistry.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"

#include "quantc/Dialect/QC/IR/QCDialect.h"

namespace quantc {

/// Registers the qc dialect.
inline void registerQuantcDialects(mlir::DialectRegistry &registry) {
  registry.insert<qc::QCDialect>();
}

/// Registers the qc dialect and every upstream dialect and extension.
inline void registerAllDialects(mlir::DialectRegistry &registry) {
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);
  registerQuantcDialects(registry);
}

} // namespace quantc

#endif // QUANTC_INITALLDIALECTS_H
