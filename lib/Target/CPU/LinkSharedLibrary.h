//===- LinkSharedLibrary.h - Linking a model into a .so ----------*- C++ -*-===//
//
// Part of quantc.
//
//===----------------------------------------------------------------------===//

#ifndef QUANTC_LIB_TARGET_CPU_LINKSHAREDLIBRARY_H
#define QUANTC_LIB_TARGET_CPU_LINKSHAREDLIBRARY_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <string>

namespace quantc::cpu {

/// libquantc_runtime.a: `explicitPath` when non-empty, else
/// $QUANTC_RUNTIME_LIB, else <dir of this executable>/../lib/. Fails with a
/// message naming what was tried when the file is missing.
llvm::Expected<std::string> locateRuntimeLibrary(llvm::StringRef explicitPath);

/// The linker driver: `explicitLinker` (a path or a name on PATH) when
/// non-empty, else clang++-22 or clang++ on PATH, else
/// /usr/lib/llvm-22/bin/clang++.
llvm::Expected<std::string> locateLinker(llvm::StringRef explicitLinker);

/// Links `objectPath` and the whole runtime archive into the shared library
/// `outputPath` (written atomically). `triple` is passed to a clang driver
/// when it is not the host's.
llvm::Error linkSharedLibrary(llvm::StringRef linker,
                              llvm::StringRef objectPath,
                              llvm::StringRef runtimeLibrary,
                              llvm::StringRef triple,
                              llvm::StringRef outputPath);

} // namespace quantc::cpu

#endif // QUANTC_LIB_TARGET_CPU_LINKSHAREDLIBRARY_H
