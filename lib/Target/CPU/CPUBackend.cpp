//===- CPUBackend.cpp - The "cpu" target backend --------------------------===//
//
// Part of quantc.
//
//===----------------------------------------------------------------------===//

#include "quantc/Target/CPU/CPUTarget.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"

using namespace mlir;

namespace quantc {

void registerCPUDialects(DialectRegistry &registry) {
  // The pipeline needs the bufferization and conversion interfaces that
  // upstream registers as extensions.
  registerAllDialects(registry);
  registerAllExtensions(registry);
  registerBuiltinDialectTranslation(registry);
  registerLLVMDialectTranslation(registry);
}

namespace {
class CPUBackend final : public TargetBackend {
public:
  StringRef getName() const override { return "cpu"; }
  StringRef getDescription() const override {
    return "Native code for x86-64 and AArch64 through LLVM";
  }
  SmallVector<std::string> getSubTargets() const override {
    SmallVector<std::string> names;
    for (const CPUTargetSpec &spec : getCPUTargetSpecs())
      names.push_back(spec.name);
    return names;
  }
  void getDependentDialects(DialectRegistry &registry) const override {
    registerCPUDialects(registry);
  }
  bool supportsEmitKind(EmitKind) const override { return true; }
  void buildPipeline(OpPassManager &pm,
                     const TargetBackendOptions &options) const override {
    buildCPULoweringPipeline(pm);
  }
  LogicalResult emit(ModuleOp module, const TargetBackendOptions &options,
                     EmitKind kind, StringRef outputPath) const override {
    CPUCompileOptions cpu;
    if (!options.subTarget.empty())
      cpu.target = options.subTarget;
    cpu.modelName = options.modelName;
    cpu.headerPath = options.headerPath;
    cpu.runtimeLibrary = options.runtimeLibrary;
    cpu.linker = options.linker;
    cpu.optLevel = options.optLevel;
    cpu.weights =
        options.embedWeights ? WeightBinding::Embed : WeightBinding::Auto;
    return compileModuleForCPU(module, cpu, outputPath, kind);
  }
};
} // namespace

void registerCPUTargetBackend() {
  registerTargetBackend(std::make_unique<CPUBackend>());
}

} // namespace quantc
