//===- Imatrix.h - llama.cpp importance matrices ----------------*- C++ -*-===//
//
// Part of quantc.
//
//===----------------------------------------------------------------------===//

#ifndef QUANTC_TRANSFORMS_IMATRIX_H
#define QUANTC_TRANSFORMS_IMATRIX_H

#include "mlir/IR/Diagnostics.h"
#include "llvm/ADT/StringMap.h"

#include <vector>

namespace quantc {

/// Per tensor name, the importance of each input column (for a 3-D tensor,
/// one run of columns per matrix): the mean squared activation that
/// llama.cpp's `llama-imatrix` collected.
using ImportanceMatrix = llvm::StringMap<std::vector<float>>;

/// Reads an importance matrix in llama.cpp's GGUF format (`general.type` =
/// "imatrix"; tensors `<name>.in_sum2` and `<name>.counts`). Errors name the
/// file and what is wrong.
mlir::FailureOr<ImportanceMatrix>
readImportanceMatrix(llvm::StringRef path,
                     llvm::function_ref<mlir::InFlightDiagnostic()> emitError);

} // namespace quantc

#endif // QUANTC_TRANSFORMS_IMATRIX_H
