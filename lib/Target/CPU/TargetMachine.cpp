//===- TargetMachine.cpp - CPU sub-targets and their machines -------------===//
//
// Part of quantc.
//
//===----------------------------------------------------------------------===//

#include "quantc/Target/CPU/CPUTarget.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/Target/TargetOptions.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/Triple.h"

#include <mutex>

// The targets quantc can emit for; libLLVM.so exports their initializers.
extern "C" {
void LLVMInitializeX86TargetInfo();
void LLVMInitializeX86Target();
void LLVMInitializeX86TargetMC();
void LLVMInitializeX86AsmPrinter();
void LLVMInitializeAArch64TargetInfo();
void LLVMInitializeAArch64Target();
void LLVMInitializeAArch64TargetMC();
void LLVMInitializeAArch64AsmPrinter();
}

using namespace llvm;

namespace quantc {

ArrayRef<CPUTargetSpec> getCPUTargetSpecs() {
  static const CPUTargetSpec specs[] = {
      {"host", "", "", ""},
      {"x86_64-avx2", "x86_64-unknown-linux-gnu", "haswell", ""},
      {"x86_64-avx512", "x86_64-unknown-linux-gnu", "skylake-avx512", ""},
      {"aarch64-neon", "aarch64-unknown-linux-gnu", "cortex-a76",
       "+neon,+dotprod"},
  };
  return specs;
}

std::optional<CPUTargetSpec> lookupCPUTargetSpec(StringRef name) {
  for (const CPUTargetSpec &spec : getCPUTargetSpecs()) {
    if (spec.name != name)
      continue;
    if (name != "host")
      return spec;
    CPUTargetSpec host = spec;
    host.triple = Triple::normalize(sys::getProcessTriple());
    host.cpu = sys::getHostCPUName().str();
    SmallVector<std::string> features;
    for (const auto &feature : sys::getHostCPUFeatures())
      features.push_back((feature.second ? "+" : "-") + feature.first().str());
    llvm::sort(features);
    host.features = join(features, ",");
    return host;
  }
  return std::nullopt;
}

void initializeCPUTargets() {
  static std::once_flag once;
  std::call_once(once, [] {
    LLVMInitializeX86TargetInfo();
    LLVMInitializeX86Target();
    LLVMInitializeX86TargetMC();
    LLVMInitializeX86AsmPrinter();
    LLVMInitializeAArch64TargetInfo();
    LLVMInitializeAArch64Target();
    LLVMInitializeAArch64TargetMC();
    LLVMInitializeAArch64AsmPrinter();
  });
}

std::unique_ptr<TargetMachine>
createCPUTargetMachine(const CPUTargetSpec &spec, unsigned optLevel,
                       std::string &error) {
  initializeCPUTargets();
  Triple triple(spec.triple);
  const Target *target = TargetRegistry::lookupTarget(triple, error);
  if (!target)
    return nullptr;
  CodeGenOptLevel level = optLevel == 0   ? CodeGenOptLevel::None
                          : optLevel == 1 ? CodeGenOptLevel::Less
                          : optLevel == 2 ? CodeGenOptLevel::Default
                                          : CodeGenOptLevel::Aggressive;
  std::unique_ptr<TargetMachine> machine(target->createTargetMachine(
      triple, spec.cpu, spec.features, TargetOptions(), Reloc::PIC_,
      std::nullopt, level));
  if (!machine)
    error = "cannot create a target machine for " + spec.triple;
  return machine;
}

} // namespace quantc
