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

/// Adds to `module` (the translated lowered model, whose entry function
/// `loweredEntry` takes each input's then each output's memref descriptor,
/// expanded, then the `qc_rt *`):
///   - `int32_t <modelName>_run(void **buffers, qc_rt *rt)`,
///   - the constant `qc_model` descriptor and `const qc_model *<modelName>()`,
///   - with `sharedAccessor`, `const qc_model *qc_shared_model(void)`,
/// and gives every other definition internal linkage.
llvm::Error addModelABI(llvm::Module &module, const ModelSignature &signature,
                        llvm::StringRef loweredEntry, llvm::StringRef modelName,
                        bool sharedAccessor);

} // namespace quantc::cpu

#endif // QUANTC_LIB_TARGET_CPU_MODELABI_H
