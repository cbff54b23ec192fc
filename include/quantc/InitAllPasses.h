//===- InitAllPasses.h - Register every pass quantc uses --------*- C++ -*-===//
//
// Part of quantc.
//
//===----------------------------------------------------------------------===//

#ifndef QUANTC_INITALLPASSES_H
#define QUANTC_INITALLPASSES_H

#include "mlir/InitAllPasses.h"

#include "quantc/Target/CPU/Passes.h"
#include "quantc/Transforms/Passes.h"

namespace quantc {

/// Registers the qc passes and every upstream pass.
inline void registerAllPasses() {
  mlir::registerAllPasses();
  quantc::registerQCPasses();
  quantc::registerCPUPassesAndPipelines();
}

} // namespace quantc

#endif // QUANTC_INITALLPASSES_H
