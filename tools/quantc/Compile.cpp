//===- Compile.cpp - quantc compile ---------------------------------------===//
//
// Part of quantc.
//
// `quantc compile MODEL -o OUT [--target T] [--emit KIND] [--name N]
// [--header H]`: imports MODEL (.onnx, .mlir, ...) and writes native code
// following runtime/include/quantc/runtime.h through a target backend.
// The work is in the library (quantc::compileModuleForCPU and the
// TargetBackend registry) so that other commands can call it.
//
//===----------------------------------------------------------------------===//

#include "Command.h"
#include "ModelIO.h"
#include "QuantizeONNX.h"

#include "quantc/Target/CPU/CPUTarget.h"
#include "quantc/Target/TargetBackend.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

using namespace llvm;
using namespace mlir;
using namespace quantc;

static cl::SubCommand
    compileCommand("compile",
                   "Compile a model to an object, library, or shared library");
static cl::opt<std::string> compileInput(cl::Positional, cl::Required,
                                         cl::desc("<model.onnx | model.mlir>"),
                                         cl::sub(compileCommand));
static cl::opt<std::string> compileOutput("o", cl::Required,
                                          cl::desc("Output file"),
                                          cl::value_desc("path"),
                                          cl::sub(compileCommand));
static cl::opt<std::string> compileTarget(
    "target", cl::init("host"), cl::sub(compileCommand),
    cl::desc("Target: a backend (cpu), backend:sub-target, or a sub-target: "
             "host, x86_64-avx2, x86_64-avx512, aarch64-neon (default host)"));
static cl::opt<std::string> compileEmit(
    "emit", cl::sub(compileCommand),
    cl::desc("obj, lib, so, mlir, llvm, asm or header (default: from the "
             "output's extension: .o .a .so .mlir .ll .s .h)"));
static cl::opt<std::string> compileName(
    "name", cl::sub(compileCommand),
    cl::desc("Symbol of the model accessor, a C identifier (default: from "
             "the model's file name)"));
static cl::opt<std::string>
    compileHeader("header", cl::sub(compileCommand), cl::value_desc("path"),
                  cl::desc("Also write the C header declaring the accessor"));
static cl::opt<std::string> compileRuntimeLib(
    "runtime-lib", cl::sub(compileCommand), cl::value_desc("path"),
    cl::desc("libquantc_runtime.a to link into a shared library (default: "
             "$QUANTC_RUNTIME_LIB, else <bindir>/../lib/libquantc_runtime.a)"));
static cl::opt<std::string> compileLinker(
    "linker", cl::sub(compileCommand), cl::value_desc("program"),
    cl::desc("Linker driver for shared libraries (default: clang++-22)"));
static cl::opt<std::string> compileQuantize(
    "quantize", cl::sub(compileCommand),
    cl::desc("ONNX: quantize MatMul/Gemm/Conv weights: int8 (per channel), "
             "int4-g32, int4-g64, int4-g128 (per group), or static-int8 "
             "(weights and activations, needs --calibration). GGUF or "
             "safetensors language model: a llama.cpp type or recipe (Q8_0, "
             "Q4_0, Q4_K_M, ...)"));
static cl::opt<double> compileBpw(
    "bpw", cl::sub(compileCommand), cl::init(0),
    cl::desc("ONNX, with a weight-only --quantize: int8 or int4 per weight, "
             "to fit this many bits per weight. Language model: types per "
             "tensor chosen by measured error (qc-assign-precision) to fit "
             "this many bits per weight"));
static cl::opt<std::string> compileCalibration(
    "calibration", cl::sub(compileCommand), cl::value_desc("dir"),
    cl::desc("Sample inputs (.npy/.pb; one subdirectory per sample) for "
             "static-int8's activation ranges and --report's comparison"));
static cl::opt<bool> compileReport(
    "report", cl::sub(compileCommand),
    cl::desc("With --quantize: print each quantized weight's type, size and "
             "error; with --calibration, compare outputs, size and latency "
             "with the float build"));
static cl::opt<unsigned> compileReportRuns(
    "bench", cl::sub(compileCommand), cl::init(10),
    cl::desc("With --report: runs to take the median latency over"));
static cl::list<std::string> compileInputShapes(
    "input-shape", cl::sub(compileCommand), cl::value_desc("name=dims"),
    cl::desc("Shape of a dynamic ONNX input: NAME=D0xD1x... (repeatable)"));
static cl::opt<bool> compileEmbedWeights(
    "embed-weights", cl::sub(compileCommand),
    cl::desc("Put the weights of a GGUF or safetensors model in the output "
             "instead of leaving them in that file (bound at run time with "
             "qc_context_map_weights)"));
static cl::opt<unsigned> compileOptLevel(
    "O", cl::init(3), cl::Prefix, cl::sub(compileCommand),
    cl::desc("Optimization level of the generated code, 0-3 (default 3)"));

static int runCompile() {
  registerCPUTargetBackend();

  std::string subTarget;
  const TargetBackend *backend = resolveTarget(compileTarget, subTarget);
  if (!backend) {
    errs() << "quantc: error: unknown target '" << compileTarget
           << "'; known targets:";
    for (const TargetBackend *known : listTargetBackends()) {
      errs() << " " << known->getName() << " (";
      llvm::interleave(known->getSubTargets(), errs(), ", ");
      errs() << ")";
    }
    errs() << "\n";
    return 1;
  }

  std::optional<EmitKind> kind;
  if (!compileEmit.empty()) {
    kind = parseEmitKind(compileEmit);
    if (!kind) {
      errs() << "quantc: error: unknown --emit '" << compileEmit
             << "' (expected obj, lib, so, mlir, llvm, asm, header)\n";
      return 1;
    }
  } else {
    kind = emitKindFromPath(compileOutput);
    if (!kind) {
      errs() << "quantc: error: cannot tell what to emit from '"
             << compileOutput << "'; give --emit\n";
      return 1;
    }
  }
  if (!backend->supportsEmitKind(*kind)) {
    errs() << "quantc: error: target " << backend->getName() << " cannot emit "
           << stringifyEmitKind(*kind) << "\n";
    return 1;
  }
  if (compileOptLevel > 3) {
    errs() << "quantc: error: -O" << compileOptLevel << " is not 0-3\n";
    return 1;
  }

  ONNXImportOptions importOptions;
  for (StringRef arg : compileInputShapes) {
    auto [name, dims] = arg.rsplit('=');
    std::vector<int64_t> shape;
    SmallVector<StringRef> parts;
    dims.split(parts, 'x');
    bool ok = !name.empty() && !dims.empty();
    for (StringRef part : parts) {
      int64_t dim;
      ok = ok && !part.getAsInteger(10, dim) && dim >= 0;
      shape.push_back(ok ? dim : 0);
    }
    if (!ok) {
      errs() << "quantc: error: --input-shape expects NAME=D0xD1x..., got '"
             << arg << "'\n";
      return 1;
    }
    importOptions.inputShapes[name] = std::move(shape);
  }

  DialectRegistry registry;
  backend->getDependentDialects(registry);
  MLIRContext context(registry);
  installDiagnosticPrinter(context);
  // A language model (GGUF, safetensors) is quantized to a llama.cpp type
  // before its graph is built; an ONNX model by the ONNX schemes after
  // import.
  bool languageModel = isWeightsFile(compileInput);
  LanguageModelQuantization lmQuantize;
  if (languageModel) {
    if (!compileCalibration.empty()) {
      errs() << "quantc: error: --calibration is for ONNX models; a language "
                "model takes --quantize TYPE (Q8_0, Q4_0, Q4_K_M, ...) or "
                "--bpw X\n";
      return 1;
    }
    if (!compileQuantize.empty() && compileBpw != 0) {
      errs() << "quantc: error: give a language model --quantize TYPE or "
                "--bpw X, not both\n";
      return 1;
    }
    lmQuantize.type = compileQuantize;
    lmQuantize.bpw = compileBpw;
  }
  OwningOpRef<ModuleOp> module = importModel(
      compileInput, &context, importOptions, /*buildGraph=*/true, lmQuantize);
  if (!module)
    return 1;
  ONNXQuantizeOptions quantize;
  OwningOpRef<ModuleOp> floatModule;
  if (languageModel) {
    // Quantized (or not) above.
  } else if (!compileQuantize.empty()) {
    quantize.scheme = compileQuantize;
    quantize.bpw = compileBpw;
    quantize.calibrationDir = compileCalibration;
    quantize.target = "host"; // calibration runs here
    if (compileReport && !compileCalibration.empty())
      floatModule = module->clone();
    if (failed(quantizeONNXModel(*module, quantize)))
      return 1;
    if (compileReport)
      printWeightQuantizationTable(*module, outs());
  } else if (compileBpw != 0 || !compileCalibration.empty()) {
    errs() << "quantc: error: --bpw and --calibration go with --quantize\n";
    return 1;
  }

  TargetBackendOptions options;
  options.subTarget = subTarget;
  options.modelName = compileName.empty() ? deriveModelName(compileInput)
                                          : std::string(compileName);
  options.headerPath = compileHeader;
  options.runtimeLibrary = compileRuntimeLib;
  options.linker = compileLinker;
  options.optLevel = compileOptLevel;
  options.embedWeights = compileEmbedWeights;
  if (failed(backend->emit(*module, options, *kind, compileOutput)))
    return 1;
  if (floatModule) {
    if (*kind != EmitKind::SharedLib) {
      outs() << "(the comparison with the float build needs --emit so)\n";
      return 0;
    }
    if (failed(reportAgainstFloat(*floatModule, compileOutput, quantize,
                                  compileReportRuns, outs())))
      return 1;
  }
  return 0;
}

static quantc::driver::Command compileReg(compileCommand, runCompile);
