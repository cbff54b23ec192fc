//===- ModelABI.h - The C ABI of a compiled model in LLVM IR -----*- C++ -*-===//
//
// Part of quantc.
//
//===----------------------------------------------------------------------===//

#ifndef QUANTC_LIB_TARGET_CPU_MODELABI_H
#define QUANTC_LIB_TARGET_CPU_MODELABI_H

#include "ModelSignature.h"

#include "llvm/Support/Error.h"

namespace llvm {
class Module;
} // namespace llvm

namespace quantc::cpu {

/// Adds to `module` (the translated lowered model, in which each entry's
/// function `EntrySignature::funcName` takes the memref descriptors,
/// expanded, of the entry's inputs then its outputs, then the `qc_rt *`):
///   - per entry a run wrapper `int32_t (void **buffers, qc_rt *rt)`, entry
///     0's exported as `<modelName>_run`,
///   - the constant `qc_model` descriptor (ABI version 2: inputs, outputs,
///     entries, weight files) and `const qc_model *<modelName>()`,
///   - with `sharedAccessor`, `const qc_model *qc_shared_model(void)`,
/// and gives every other definition internal linkage.
llvm::Error addModelABI(llvm::Module &module, const ModelSignature &signature,
                        llvm::StringRef modelName, bool sharedAccessor);

} // namespace quantc::cpu

#endif // QUANTC_LIB_TARGET_CPU_MODELABI_H
