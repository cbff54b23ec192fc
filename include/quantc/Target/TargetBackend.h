//===- TargetBackend.h - The interface every code generator implements -*- C++ -*-===//
//
// Part of quantc.
//
// A target backend turns an imported model module (the input contract of
// docs/UserGuide.md: one public func.func over statically shaped tensors)
// into an artifact that follows the C ABI of runtime/include/quantc/runtime.h.
// Backends live in their own folders (lib/Target/CPU, later SPIRV, Metal,
// NPU) and register themselves by name, as IREE's target plugins do; the
// driver only talks to this interface.
//
//===----------------------------------------------------------------------===//

#ifndef QUANTC_TARGET_TARGETBACKEND_H
#define QUANTC_TARGET_TARGETBACKEND_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/LLVM.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"

#include <memory>
#include <optional>
#include <string>

namespace quantc {

/// What a backend writes.
enum class EmitKind {
  Object,    ///< Relocatable object (ELF for the CPU backend).
  StaticLib, ///< Archive holding the object.
  SharedLib, ///< Shared library with the runtime linked in.
  LLVMIR,    ///< Textual LLVM IR, optimized.
  MLIR,      ///< The lowered MLIR module.
  Assembly,  ///< Target assembly.
  Header,    ///< The C header declaring the model accessor.
};

/// "obj", "lib", "so", "llvm", "mlir", "asm", "header".
llvm::StringRef stringifyEmitKind(EmitKind kind);
std::optional<EmitKind> parseEmitKind(llvm::StringRef text);
/// The kind an output path implies: .o .a .so .ll .mlir .s .h.
std::optional<EmitKind> emitKindFromPath(llvm::StringRef path);

/// Options every backend understands; backend-specific knobs go in
/// `extraOptions` as `key=value` strings.
struct TargetBackendOptions {
  /// Sub-target of the backend ("host", "x86_64-avx2", ...); empty: default.
  std::string subTarget;
  /// Symbol name of the model accessor (a C identifier).
  std::string modelName;
  /// When non-empty, also write the C header here.
  std::string headerPath;
  /// The runtime library to link into shared libraries; empty: located.
  std::string runtimeLibrary;
  /// The linker driver for shared libraries; empty: located.
  std::string linker;
  /// 0-3: the optimization level of the generated code.
  unsigned optLevel = 3;
  /// Embed the weights in the code even when the module records the file
  /// they came from (GGUF, safetensors), where they stay by default.
  bool embedWeights = false;
};

/// A code generator. Implementations are stateless; one instance is shared.
class TargetBackend {
public:
  virtual ~TargetBackend();

  /// The name `--target` selects ("cpu").
  virtual llvm::StringRef getName() const = 0;
  /// One line for `--help` and listings.
  virtual llvm::StringRef getDescription() const = 0;
  /// Sub-targets, the first being the default.
  virtual llvm::SmallVector<std::string> getSubTargets() const = 0;
  /// Dialects the backend's pipeline and translation need loaded.
  virtual void getDependentDialects(mlir::DialectRegistry &registry) const {}
  virtual bool supportsEmitKind(EmitKind kind) const = 0;

  /// Adds the lowering pipeline (imported module -> what the backend
  /// serializes) to `pm`.
  virtual void buildPipeline(mlir::OpPassManager &pm,
                             const TargetBackendOptions &options) const = 0;

  /// Lowers `module` in place and writes `kind` to `outputPath` (atomically:
  /// on failure no file is left there). Errors are reported as diagnostics
  /// on the module's context.
  virtual mlir::LogicalResult emit(mlir::ModuleOp module,
                                   const TargetBackendOptions &options,
                                   EmitKind kind,
                                   llvm::StringRef outputPath) const = 0;
};

/// Adds `backend` to the registry; a second backend of the same name is
/// ignored (registration functions may run more than once).
void registerTargetBackend(std::unique_ptr<TargetBackend> backend);
/// The backend registered under `name`, or null.
const TargetBackend *lookupTargetBackend(llvm::StringRef name);
/// Every registered backend, sorted by name.
llvm::SmallVector<const TargetBackend *> listTargetBackends();

/// Resolves a `--target` value: a backend name ("cpu"), `backend:sub`
/// ("cpu:x86_64-avx2"), or a sub-target name of any backend
/// ("x86_64-avx2"). On success sets `subTarget` (empty for the default).
const TargetBackend *resolveTarget(llvm::StringRef target,
                                   std::string &subTarget);

} // namespace quantc

#endif // QUANTC_TARGET_TARGETBACKEND_H
