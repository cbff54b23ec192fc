//===- Emit.cpp - compileModuleForCPU: lowering, LLVM, files --------------===//
//
// Part of quantc.
//
// Imported module -> LLVM dialect (Pipeline.cpp) -> LLVM IR plus the model's
// C ABI (ModelABI.cpp) -> optimized for one target machine -> the requested
// file, written atomically.
//
//===----------------------------------------------------------------------===//

#include "LinkSharedLibrary.h"
#include "ModelABI.h"
#include "ModelSignature.h"

#include "quantc/Conversion/QCToVector/Kernels.h"
#include "quantc/Dialect/QC/IR/QCDialect.h"
#include "quantc/Target/CPU/CPUTarget.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/IR/Verifier.h"
#include "llvm/Object/ArchiveWriter.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FileUtilities.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Target/TargetMachine.h"

using namespace mlir;

namespace quantc {

/// Whether `name` is a C identifier.
static bool isCIdentifier(StringRef name) {
  if (name.empty() || llvm::isDigit(name.front()))
    return false;
  return llvm::all_of(
      name, [](char c) { return llvm::isAlnum(c) || c == '_'; });
}

std::string deriveModelName(StringRef path) {
  StringRef stem = llvm::sys::path::stem(path);
  std::string name;
  for (char c : stem)
    name.push_back(llvm::isAlnum(c) ? c : '_');
  if (name.empty() || llvm::all_of(name, [](char c) { return c == '_'; }))
    return "model";
  if (llvm::isDigit(name.front()))
    name.insert(name.begin(), '_');
  return name;
}

/// Writes `bytes` to `path` through a temporary file and a rename.
static LogicalResult writeAtomically(Location loc, StringRef path,
                                     StringRef bytes) {
  llvm::Error err = llvm::writeToOutput(path, [&](llvm::raw_ostream &os) {
    os << bytes;
    return llvm::Error::success();
  });
  if (err)
    return emitError(loc) << "cannot write '" << path
                          << "': " << llvm::toString(std::move(err));
  return success();
}

/// The LLVM new-pass-manager pipeline at `optLevel`, tuned for `machine`.
static void optimize(llvm::Module &module, llvm::TargetMachine &machine,
                     unsigned optLevel) {
  llvm::LoopAnalysisManager lam;
  llvm::FunctionAnalysisManager fam;
  llvm::CGSCCAnalysisManager cgam;
  llvm::ModuleAnalysisManager mam;
  llvm::PipelineTuningOptions tuning;
  tuning.LoopVectorization = optLevel >= 2;
  tuning.SLPVectorization = optLevel >= 2;
  llvm::PassBuilder builder(&machine, tuning);
  builder.registerModuleAnalyses(mam);
  builder.registerCGSCCAnalyses(cgam);
  builder.registerFunctionAnalyses(fam);
  builder.registerLoopAnalyses(lam);
  builder.crossRegisterProxies(lam, fam, cgam, mam);
  llvm::OptimizationLevel level = optLevel == 0   ? llvm::OptimizationLevel::O0
                                  : optLevel == 1 ? llvm::OptimizationLevel::O1
                                  : optLevel == 2 ? llvm::OptimizationLevel::O2
                                                  : llvm::OptimizationLevel::O3;
  llvm::ModulePassManager pipeline =
      optLevel == 0 ? builder.buildO0DefaultPipeline(level)
                    : builder.buildPerModuleDefaultPipeline(level);
  pipeline.run(module, mam);
}

/// Object code or assembly for `module`.
static LogicalResult emitMachineCode(Location loc, llvm::Module &module,
                                     llvm::TargetMachine &machine,
                                     llvm::CodeGenFileType type,
                                     llvm::SmallVectorImpl<char> &out) {
  llvm::raw_svector_ostream os(out);
  llvm::legacy::PassManager codegen;
  if (machine.addPassesToEmitFile(codegen, os, nullptr, type))
    return emitError(loc) << "the target machine cannot emit this file type";
  codegen.run(module);
  return success();
}

/// An archive holding one member, the object `object`.
static LogicalResult writeArchive(Location loc, StringRef path,
                                  StringRef memberName, StringRef object) {
  llvm::NewArchiveMember members[] = {
      llvm::NewArchiveMember(llvm::MemoryBufferRef(object, memberName))};
  auto buffer = llvm::writeArchiveToBuffer(
      members, llvm::SymtabWritingMode::NormalSymtab,
      llvm::object::Archive::K_GNU, /*Deterministic=*/true, /*Thin=*/false);
  if (!buffer)
    return emitError(loc) << "cannot build the archive: "
                          << llvm::toString(buffer.takeError());
  return writeAtomically(loc, path, (*buffer)->getBuffer());
}

/// Links `object` with the runtime into the shared library `path`.
static LogicalResult writeSharedLibrary(Location loc, StringRef path,
                                        StringRef object,
                                        StringRef runtimeLibrary,
                                        StringRef linker, StringRef triple) {
  llvm::SmallString<256> objectPath;
  int fd;
  if (std::error_code ec = llvm::sys::fs::createTemporaryFile(
          "quantc-model", "o", fd, objectPath))
    return emitError(loc) << "cannot create a temporary object file: "
                          << ec.message();
  llvm::FileRemover removeObject(objectPath);
  {
    llvm::raw_fd_ostream os(fd, /*shouldClose=*/true);
    os << object;
    if (os.has_error())
      return emitError(loc) << "cannot write '" << objectPath << "'";
  }
  if (llvm::Error err = cpu::linkSharedLibrary(linker, objectPath,
                                               runtimeLibrary, triple, path))
    return emitError(loc) << llvm::toString(std::move(err));
  return success();
}

LogicalResult compileModuleForCPU(ModuleOp module,
                                  const CPUCompileOptions &options,
                                  StringRef outputPath, EmitKind kind) {
  MLIRContext *ctx = module.getContext();
  Location loc = module.getLoc();
  {
    DialectRegistry registry;
    registerCPUDialects(registry);
    ctx->appendDialectRegistry(registry);
  }
  std::string modelName =
      options.modelName.empty() ? "model" : options.modelName;
  if (!isCIdentifier(modelName))
    return emitError(loc) << "model name '" << modelName
                          << "' is not a C identifier";
  std::optional<CPUTargetSpec> spec = lookupCPUTargetSpec(options.target);
  if (!spec) {
    InFlightDiagnostic diag = emitError(loc) << "unknown CPU target '"
                                             << options.target
                                             << "'; expected one of:";
    for (const CPUTargetSpec &known : getCPUTargetSpecs())
      diag << " " << known.name;
    return diag;
  }
  FailureOr<cpu::ModelSignature> signature =
      cpu::extractModelSignature(module);
  if (failed(signature))
    return failure();

  // Find the runtime and the linker before spending time on code.
  std::string runtimeLibrary, linker;
  if (kind == EmitKind::SharedLib) {
    auto runtime = cpu::locateRuntimeLibrary(options.runtimeLibrary);
    if (!runtime)
      return emitError(loc) << llvm::toString(runtime.takeError());
    auto found = cpu::locateLinker(options.linker);
    if (!found)
      return emitError(loc) << llvm::toString(found.takeError());
    runtimeLibrary = *runtime;
    linker = *found;
  }

  // The entries get names that cannot collide with the exported symbols.
  {
    SymbolTable symbols(module);
    for (auto [e, entry] : llvm::enumerate(signature->entries)) {
      std::string funcName =
          modelName + "_entry" + (e == 0 ? std::string() : std::to_string(e));
      if (funcName == entry.funcName)
        continue;
      if (module.lookupSymbol(funcName))
        return emitError(loc) << "the model already has a symbol @" << funcName;
      auto func = module.lookupSymbol<func::FuncOp>(entry.funcName);
      if (failed(symbols.rename(func, funcName)))
        return emitError(loc) << "cannot rename the entry to @" << funcName;
      entry.funcName = funcName;
    }
  }

  bool externalWeights =
      options.weights == WeightBinding::External ||
      (options.weights == WeightBinding::Auto &&
       module->hasAttr(qc::QCDialect::kWeightFilesAttrName));
  PassManager pm(ctx, ModuleOp::getOperationName());
  buildCPULoweringPipeline(
      pm, options.minParallelIterations,
      stringifyKernelISA(selectKernelISA(spec->triple, spec->features)),
      externalWeights);
  if (failed(pm.run(module)))
    return emitError(loc) << "lowering the model for the CPU failed";
  if (failed(cpu::addWeightInputs(module, *signature)))
    return failure();

  std::string header =
      cpu::renderModelHeader(*signature, modelName, spec->triple);
  if (!options.headerPath.empty() &&
      failed(writeAtomically(loc, options.headerPath, header)))
    return failure();
  if (kind == EmitKind::Header)
    return writeAtomically(loc, outputPath, header);
  if (kind == EmitKind::MLIR) {
    std::string text;
    llvm::raw_string_ostream os(text);
    module.print(os);
    return writeAtomically(loc, outputPath, text);
  }

  llvm::LLVMContext llvmContext;
  std::unique_ptr<llvm::Module> llvmModule =
      translateModuleToLLVMIR(module, llvmContext, modelName);
  if (!llvmModule)
    return emitError(loc) << "translating the model to LLVM IR failed";

  std::string error;
  std::unique_ptr<llvm::TargetMachine> machine =
      createCPUTargetMachine(*spec, options.optLevel, error);
  if (!machine)
    return emitError(loc) << error;
  llvmModule->setTargetTriple(machine->getTargetTriple());
  llvmModule->setDataLayout(machine->createDataLayout());
  for (llvm::Function &fn : *llvmModule) {
    if (fn.isDeclaration())
      continue;
    fn.addFnAttr("target-cpu", spec->cpu);
    if (!spec->features.empty())
      fn.addFnAttr("target-features", spec->features);
    fn.addFnAttr(llvm::Attribute::NoUnwind);
  }
  if (llvm::Error err =
          cpu::addModelABI(*llvmModule, *signature, modelName,
                           /*sharedAccessor=*/kind == EmitKind::SharedLib))
    return emitError(loc) << llvm::toString(std::move(err));
  {
    std::string message;
    llvm::raw_string_ostream os(message);
    if (llvm::verifyModule(*llvmModule, &os))
      return emitError(loc) << "invalid LLVM IR: " << message;
  }
  optimize(*llvmModule, *machine, options.optLevel);

  switch (kind) {
  case EmitKind::LLVMIR: {
    std::string text;
    llvm::raw_string_ostream os(text);
    llvmModule->print(os, nullptr);
    return writeAtomically(loc, outputPath, text);
  }
  case EmitKind::Assembly:
  case EmitKind::Object:
  case EmitKind::StaticLib:
  case EmitKind::SharedLib: {
    llvm::SmallString<0> code;
    auto type = kind == EmitKind::Assembly ? llvm::CodeGenFileType::AssemblyFile
                                           : llvm::CodeGenFileType::ObjectFile;
    if (failed(emitMachineCode(loc, *llvmModule, *machine, type, code)))
      return failure();
    if (kind == EmitKind::StaticLib)
      return writeArchive(loc, outputPath, modelName + ".o", code);
    if (kind == EmitKind::SharedLib)
      return writeSharedLibrary(loc, outputPath, code, runtimeLibrary, linker,
                                spec->triple);
    return writeAtomically(loc, outputPath, code);
  }
  case EmitKind::MLIR:
  case EmitKind::Header:
    break;
  }
  llvm_unreachable("handled above");
}

} // namespace quantc
