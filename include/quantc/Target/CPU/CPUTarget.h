//===- CPUTarget.h - Compiling models to native CPU code ---------*- C++ -*-===//
//
// Part of quantc.
//
// The CPU backend lowers an imported model (linalg on tensors) to the LLVM
// dialect with `buildCPULoweringPipeline`, translates it to LLVM IR, adds the
// C ABI of runtime/include/quantc/runtime.h (the `qc_model` descriptor, the
// `<name>_run` entry wrapper and the `<name>()` accessor), optimizes it for
// one target machine and writes an object, archive, shared library, IR,
// assembly or header. `quantc compile` and `quantc run` call
// `compileModuleForCPU`.
//
//===----------------------------------------------------------------------===//

#ifndef QUANTC_TARGET_CPU_CPUTARGET_H
#define QUANTC_TARGET_CPU_CPUTARGET_H

#include "quantc/Target/TargetBackend.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"

#include <memory>
#include <optional>
#include <string>

namespace llvm {
class TargetMachine;
} // namespace llvm

namespace quantc {

/// A CPU sub-target: what `--target` names, and the machine it means.
struct CPUTargetSpec {
  std::string name;     ///< "host", "x86_64-avx2", ...
  std::string triple;   ///< "x86_64-unknown-linux-gnu"
  std::string cpu;      ///< "haswell"
  std::string features; ///< "+avx2,+fma" (may be empty)
};

/// The sub-targets, "host" first.
llvm::ArrayRef<CPUTargetSpec> getCPUTargetSpecs();
/// The spec named `name` ("host" is resolved to this machine's triple, CPU
/// and features); nullopt for an unknown name.
std::optional<CPUTargetSpec> lookupCPUTargetSpec(llvm::StringRef name);
/// Initializes the LLVM targets the CPU backend can emit for (X86,
/// AArch64); safe to call repeatedly.
void initializeCPUTargets();
/// A PIC target machine for `spec`, or null with `error` set.
std::unique_ptr<llvm::TargetMachine>
createCPUTargetMachine(const CPUTargetSpec &spec, unsigned optLevel,
                       std::string &error);

/// Where a compiled model's weights live.
enum class WeightBinding {
  /// Constants in the compiled code.
  Embed,
  /// Left in the file they were imported from (when the module records one:
  /// GGUF, safetensors), bound at run time with qc_context_map_weights;
  /// weights made by passes are embedded.
  External,
  /// External when the module records its weight files, else embedded.
  Auto,
};

/// Options of `compileModuleForCPU`.
struct CPUCompileOptions {
  /// Embed for library users that run the model without mapping weights;
  /// `quantc compile` and `quantc run` use Auto.
  WeightBinding weights = WeightBinding::Embed;
  /// A name of getCPUTargetSpecs().
  std::string target = "host";
  /// The accessor's symbol (a C identifier); empty: "model".
  std::string modelName;
  /// When non-empty, also write the C header to this path.
  std::string headerPath;
  /// libquantc_runtime.a for `so`; empty: $QUANTC_RUNTIME_LIB, else
  /// <dir of the running executable>/../lib/libquantc_runtime.a.
  std::string runtimeLibrary;
  /// Linker driver for `so`; empty: clang++-22, clang++ on PATH, else
  /// /usr/lib/llvm-22/bin/clang++. A name containing "ld.lld" is run as the
  /// linker itself.
  std::string linker;
  /// 0-3.
  unsigned optLevel = 3;
  /// Loops with fewer parallel iterations than this stay on one thread.
  int64_t minParallelIterations = 64;
};

/// Adds the pipeline that lowers an imported module to the LLVM dialect
/// (see docs and `quantc-opt --qc-cpu-lower-to-llvm`).
/// `kernelISA` names the instruction set of the quantized kernels
/// (`qc-lower-bitwidth`'s isa option: generic, avx2, avxvnni, avx512vnni,
/// neon-dotprod). With `externalWeights`, the weights still in their source
/// file (GGUF, safetensors) become inputs bound at run time instead of
/// constants (`qc-cpu-bind-weights`).
void buildCPULoweringPipeline(mlir::OpPassManager &pm,
                              int64_t minParallelIterations = 64,
                              llvm::StringRef kernelISA = "generic",
                              bool externalWeights = false);

/// Lowers `module` in place and writes `kind` to `outputPath` atomically.
/// `module` must follow the importers' contract (one public func.func over
/// statically shaped tensors). Errors are emitted on the module's context.
mlir::LogicalResult compileModuleForCPU(mlir::ModuleOp module,
                                        const CPUCompileOptions &options,
                                        llvm::StringRef outputPath,
                                        EmitKind kind);

/// A C identifier derived from a file name: "models/my-net.onnx" ->
/// "my_net"; "model" when nothing usable is left.
std::string deriveModelName(llvm::StringRef path);

/// Adds what compiling needs to a context's registry: the dialects, their
/// bufferization and conversion extensions, the LLVM IR translations.
/// `compileModuleForCPU` appends it to the module's context itself.
void registerCPUDialects(mlir::DialectRegistry &registry);

/// Registers the "cpu" backend with the target registry.
void registerCPUTargetBackend();

} // namespace quantc

#endif // QUANTC_TARGET_CPU_CPUTARGET_H
