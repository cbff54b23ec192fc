//===- Quantize.cpp - quantc quantize -------------------------------------===//
//
// Part of quantc.
//
// `quantc quantize IN OUT TYPE`: llama-quantize through the compiler. The
// model is imported as IR (weights stay memory-mapped) and planned with
// qc-plan-quantization (or, given `--bpw` or `--size` instead of TYPE, with
// qc-assign-precision's measured mixed precision); then the GGUF writer streams the file while each
// weight is re-encoded just before it is written (qc-quantize-weights' own
// WeightEncoder), through a temporary file (no partial OUT on failure). The
// same steps run by hand through quantc-opt give the same bytes.
//
//===----------------------------------------------------------------------===//

#include "Command.h"
#include "ModelIO.h"

#include "quantc/Dialect/QC/IR/QCOps.h"
#include "quantc/Target/GGUF/GGUF.h"
#include "quantc/Transforms/Passes.h"
#include "quantc/Transforms/QuantizationPlan.h"
#include "quantc/Transforms/WeightEncoder.h"

#include "mlir/IR/BuiltinDialect.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>

using namespace llvm;
using namespace mlir;
using namespace quantc;

static cl::SubCommand quantizeCommand(
    "quantize",
    "Quantize a GGUF or safetensors model to a GGUF file (llama-quantize's types)");
static cl::opt<std::string> qInput(cl::Positional, cl::Required,
                                   cl::desc("<input model>"),
                                   cl::sub(quantizeCommand));
static cl::opt<std::string> qOutput(cl::Positional, cl::Required,
                                    cl::desc("<output.gguf>"),
                                    cl::sub(quantizeCommand));
static cl::opt<std::string> qType(cl::Positional, cl::Optional,
                                  cl::desc("<type: Q4_K_M, Q8_0, ...>"),
                                  cl::sub(quantizeCommand));
static cl::opt<unsigned> qThreadsPositional(cl::Positional, cl::Optional,
                                            cl::desc("[nthreads]"),
                                            cl::sub(quantizeCommand));
static cl::opt<unsigned> qThreads("threads", cl::sub(quantizeCommand),
                                  cl::desc("Threads to quantize with (default: all cores)"));
static cl::opt<bool> qPure("pure", cl::sub(quantizeCommand),
                           cl::desc("Quantize every matrix to TYPE (no mix)"));
static cl::list<std::string>
    qTensorTypes("tensor-type", cl::sub(quantizeCommand),
                 cl::desc("REGEX=TYPE: tensors whose name matches get TYPE"));
static cl::opt<std::string>
    qOutputTensorType("output-tensor-type", cl::sub(quantizeCommand),
                      cl::desc("Type of output.weight"));
static cl::opt<std::string>
    qTokenEmbeddingType("token-embedding-type", cl::sub(quantizeCommand),
                        cl::desc("Type of token_embd.weight"));
static cl::opt<std::string> qImatrix("imatrix", cl::sub(quantizeCommand),
                                     cl::desc("llama.cpp importance matrix (GGUF)"));
static cl::opt<bool> qAllowRequantize(
    "allow-requantize", cl::sub(quantizeCommand),
    cl::desc("Allow re-quantizing tensors that are already quantized"));
static cl::opt<bool> qDumpPlan(
    "dump-plan", cl::sub(quantizeCommand),
    cl::desc("Print the plan (with --bpw/--size its table, then the IR with "
             "qc.quantize_to) and stop"));
static cl::opt<double> qBpw(
    "bpw", cl::sub(quantizeCommand),
    cl::desc("Mixed precision: choose each weight's type from measured errors "
             "to fit this many bits per weight (instead of TYPE)"));
static cl::opt<int64_t> qSize(
    "size", cl::sub(quantizeCommand),
    cl::desc("Mixed precision: as --bpw, with the weights' total bytes"));
static cl::list<std::string> qAllowedTypes(
    "allowed-types", cl::sub(quantizeCommand), cl::CommaSeparated,
    cl::desc("Types --bpw/--size may choose (default: "
             "q2_K,q3_K,q4_K,q5_K,q6_K,q8_0)"));

static int64_t totalBytes(ModuleOp module, int64_t *elements = nullptr) {
  int64_t bytes = 0, count = 0;
  for (qc::GlobalOp global : module.getOps<qc::GlobalOp>()) {
    bytes += *qc::getStorageSize(global.getTensorType());
    count += global.getTensorType().getNumElements();
  }
  if (elements)
    *elements = count;
  return bytes;
}

static int runQuantize() {
  auto start = std::chrono::steady_clock::now();
  MLIRContext context;
  installDiagnosticPrinter(context);
  context.disableMultithreading();
  OwningOpRef<ModuleOp> module = importModel(qInput, &context);
  if (!module)
    return 1;
  int64_t elements = 0;
  int64_t before = totalBytes(*module, &elements);

  bool budgeted = qBpw > 0 || qSize > 0;
  unsigned positionalThreads = qThreadsPositional;
  if (budgeted && !qType.empty()) {
    // `quantc quantize IN OUT --bpw 4.5 8`: the number is the thread count.
    if (!to_integer(qType, positionalThreads)) {
      errs() << "quantc: error: give TYPE or --bpw/--size, not both\n";
      return 1;
    }
  } else if (!budgeted && qType.empty()) {
    errs() << "quantc: error: expected a TYPE, --bpw or --size\n";
    return 1;
  }
  if (qBpw > 0 && qSize > 0) {
    errs() << "quantc: error: --bpw and --size are exclusive\n";
    return 1;
  }

  QCPlanQuantizationPassOptions plan;
  plan.fileType = qType;
  plan.pure = qPure;
  plan.tensorTypes.assign(qTensorTypes.begin(), qTensorTypes.end());
  plan.outputTensorType = qOutputTensorType;
  plan.tokenEmbeddingType = qTokenEmbeddingType;
  plan.withImatrix = !qImatrix.empty();

  WeightEncoderOptions encode;
  encode.threads = qThreads ? qThreads : positionalThreads;
  encode.allowRequantize = qAllowRequantize;
  encode.progress = true;
  encode.imatrix = qImatrix;

  PassManager pm(&context);
  if (budgeted) {
    QCAssignPrecisionPassOptions assign;
    assign.bpw = qBpw;
    assign.size = qSize;
    assign.types.assign(qAllowedTypes.begin(), qAllowedTypes.end());
    assign.imatrix = qImatrix;
    assign.threads = encode.threads;
    assign.dump = qDumpPlan;
    pm.addPass(createQCAssignPrecisionPass(assign));
    outs() << "quantc quantize: " << qInput << " -> " << qOutput << " at ";
    if (qBpw > 0)
      outs() << format("%g bits per weight\n", qBpw.getValue());
    else
      outs() << qSize << " bytes\n";
  } else {
    pm.addPass(createQCPlanQuantizationPass(plan));
    outs() << "quantc quantize: " << qInput << " -> " << qOutput << " as "
           << qType << "\n";
  }
  if (failed(pm.run(*module)))
    return 1;
  if (qDumpPlan) {
    OpPrintingFlags flags;
    flags.elideLargeElementsAttrs().elideLargeResourceString();
    (*module)->print(outs(), flags);
    outs() << "\n";
    return 0;
  }
  // qc-quantize-weights, one weight at a time while the writer streams the
  // file: the write-back of each weight overlaps the encoding of the next.
  WeightEncoder encoder(encode);
  if (failed(encoder.initialize(*module)) ||
      failed(exportGGUFFile(
          *module, qOutput,
          [&](qc::GlobalOp global) { return encoder.encode(global); },
          [&](qc::GlobalOp global) {
            // Written: give the re-encoded bytes back now, as llama-quantize
            // does, so that memory holds one weight at a time. Only the
            // types are used after this.
            if (auto data = dyn_cast<DenseResourceElementsAttr>(global.getData()))
              data.getRawHandle().getResource()->setBlob(AsmResourceBlob());
          })))
    return 1;

  int64_t after = totalBytes(*module);
  double seconds = std::chrono::duration<double>(
                       std::chrono::steady_clock::now() - start)
                       .count();
  outs() << format("model size  = %10.2f MiB (%.2f BPW)\n",
                   before / 1048576.0, 8.0 * before / std::max<int64_t>(1, elements))
         << format("quant size  = %10.2f MiB (%.2f BPW)\n",
                   after / 1048576.0, 8.0 * after / std::max<int64_t>(1, elements))
         << format("wrote %s in %.2f s\n", qOutput.c_str(), seconds);
  return 0;
}

static quantc::driver::Command quantizeRegistration(quantizeCommand, runQuantize);
