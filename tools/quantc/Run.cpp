//===- Run.cpp - quantc run -----------------------------------------------===//
//
// Part of quantc.
//
// `quantc run MODEL --input FILE... [--output-dir DIR] [--expect FILE...]`
//
// MODEL is a compiled shared library (`quantc compile --emit so`), or a model
// quantc compiles first (ONNX, MLIR): for those, inputs fix the dynamic
// dimensions, and with --bind-shape-inputs the integer inputs whose values
// decide shapes are bound at compile time (the compiled model then refuses
// other values). The model runs through the C runtime exactly as a program
// linking it would; outputs are written as TensorProto (.pb) or .npy files
// and, with --expect, compared with reference tensors.
//
//===----------------------------------------------------------------------===//

#include "Command.h"
#include "ModelIO.h"
#include "QuantizeONNX.h"

#include "quantc/InitAllDialects.h"
#include "quantc/Target/CPU/CPUTarget.h"
#include "quantc/runtime.h"

#include "mlir/IR/MLIRContext.h"
#include "llvm/ADT/ScopeExit.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <absl/status/statusor.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <dlfcn.h>
#include <span>

import quantc.tensorio;

using namespace llvm;
using namespace mlir;
namespace tio = quantc::tensorio;

static cl::SubCommand runCmd("run",
                             "Compile (when needed) and run a model on input "
                             "tensors");
static cl::opt<std::string>
    modelPath(cl::Positional, cl::Required, cl::sub(runCmd),
              cl::desc("<model.onnx|model.mlir|model.so>"));
static cl::list<std::string>
    inputFiles("input", cl::sub(runCmd),
               cl::desc("An input tensor (.pb TensorProto or .npy), in the "
                        "model's input order (TensorProto names, when they "
                        "all match, assign them by name)"),
               cl::value_desc("file"));
static cl::opt<std::string>
    outputDir("output-dir", cl::sub(runCmd),
              cl::desc("Write the outputs here as output_<i>.pb (or .npy)"),
              cl::value_desc("dir"));
static cl::opt<std::string> outputFormat("output-format", cl::sub(runCmd),
                                         cl::desc("pb or npy"), cl::init("pb"));
static cl::list<std::string>
    expectFiles("expect", cl::sub(runCmd),
                cl::desc("Expected output tensors, in output order; a "
                         "mismatch fails the command"),
                cl::value_desc("file"));
static cl::opt<double> relTolerance("rtol", cl::sub(runCmd), cl::init(1e-3),
                                    cl::desc("Relative tolerance of --expect"));
static cl::opt<double> absTolerance("atol", cl::sub(runCmd), cl::init(1e-7),
                                    cl::desc("Absolute tolerance of --expect"));
static cl::opt<int> numThreads("threads", cl::sub(runCmd), cl::init(0),
                               cl::desc("Threads (0: one per core)"));
static cl::opt<unsigned>
    benchRuns("bench", cl::sub(runCmd), cl::init(0),
              cl::desc("Also time N runs after a warm-up and print the "
                       "median latency"));
static cl::opt<std::string> target("target", cl::sub(runCmd), cl::init("host"),
                                   cl::desc("CPU target when compiling"));
static cl::list<std::string>
    inputShapeArgs("input-shape", cl::sub(runCmd),
                   cl::desc("Shape of a dynamic input when compiling: "
                            "NAME=D0xD1x..."),
                   cl::value_desc("name=dims"));
static cl::list<std::string>
    bindInputArgs("bind-input", cl::sub(runCmd),
                  cl::desc("Bind an input to a tensor file's value at compile "
                           "time: NAME=FILE"),
                  cl::value_desc("name=file"));
static cl::opt<bool> bindShapeInputs(
    "bind-shape-inputs", cl::sub(runCmd),
    cl::desc("Bind integer inputs whose values decide shapes to the given "
             "input values at compile time"));
static cl::opt<std::string>
    saveLibrary("save-library", cl::sub(runCmd),
                cl::desc("Keep the compiled shared library at this path"),
                cl::value_desc("path"));
static cl::opt<std::string> runQuantize(
    "quantize", cl::sub(runCmd),
    cl::desc("Quantize MatMul/Gemm/Conv weights: int8, int4-g32, int4-g64, "
             "int4-g128 (weight-only) or static-int8 (activations too, "
             "calibrated on --calibration or the --input tensors)"));
static cl::opt<double> runBpw(
    "bpw", cl::sub(runCmd), cl::init(0),
    cl::desc("With a weight-only --quantize: int8 or int4 per weight, to "
             "fit this many bits per weight"));
static cl::opt<std::string> runCalibration(
    "calibration", cl::sub(runCmd), cl::value_desc("dir"),
    cl::desc("Calibration inputs for static-int8 (.npy/.pb; one "
             "subdirectory per sample)"));
static cl::opt<bool> runReport(
    "report", cl::sub(runCmd),
    cl::desc("With --quantize: print the quantized weights, then build the "
             "float model too and compare outputs, latency and size"));
static cl::opt<bool> quiet("quiet", cl::sub(runCmd),
                           cl::desc("Print nothing but errors"));
static cl::list<std::string> entryNames(
    "entry", cl::sub(runCmd), cl::value_desc("name"),
    cl::desc("Run this entry of the model (default: its first); repeated, "
             "the runs follow one another on one context, so states carry "
             "over, and take their inputs from the --input files in turn"));
static cl::opt<std::string> weightsPath(
    "weights", cl::sub(runCmd), cl::value_desc("file"),
    cl::desc("The weight file (GGUF, safetensors; a directory for several) "
             "to map for a model compiled with its weights left in the file "
             "(default: the path recorded at compile time)"));
static cl::opt<bool> printValues(
    "print-values", cl::sub(runCmd),
    cl::desc("Print each run's outputs and, at the end, the states (up to 16 "
             "values each)"));

namespace {

int fail(const Twine &message) {
  errs() << "quantc: error: " << message << "\n";
  return 1;
}

/// Parses "D0xD1x..." ("" or "scalar" for rank 0).
std::optional<std::vector<int64_t>> parseDims(StringRef text) {
  std::vector<int64_t> dims;
  if (text.empty() || text == "scalar")
    return dims;
  SmallVector<StringRef> parts;
  text.split(parts, 'x');
  for (StringRef p : parts) {
    int64_t d;
    if (p.getAsInteger(10, d) || d < 0)
      return std::nullopt;
    dims.push_back(d);
  }
  return dims;
}

/// The MLIR attribute holding an integer tensor's value (for binding).
DenseElementsAttr toAttr(MLIRContext *ctx, const tio::Tensor &t) {
  Type element;
  switch (t.dtype) {
  case QC_DTYPE_INT8:
  case QC_DTYPE_UINT8:
    element = IntegerType::get(ctx, 8);
    break;
  case QC_DTYPE_INT16:
  case QC_DTYPE_UINT16:
    element = IntegerType::get(ctx, 16);
    break;
  case QC_DTYPE_INT32:
  case QC_DTYPE_UINT32:
    element = IntegerType::get(ctx, 32);
    break;
  case QC_DTYPE_INT64:
  case QC_DTYPE_UINT64:
    element = IntegerType::get(ctx, 64);
    break;
  case QC_DTYPE_FLOAT32:
    element = Float32Type::get(ctx);
    break;
  case QC_DTYPE_BOOL: {
    SmallVector<bool> values;
    for (std::byte b : t.data)
      values.push_back(b != std::byte{0});
    return DenseElementsAttr::get(
        RankedTensorType::get(t.dims, IntegerType::get(ctx, 1)), values);
  }
  default:
    return {};
  }
  auto type = RankedTensorType::get(t.dims, element);
  ArrayRef<char> raw(reinterpret_cast<const char *>(t.data.data()),
                     t.data.size());
  bool splat = false;
  if (!DenseElementsAttr::isValidRawBuffer(type, raw, splat))
    return {};
  return DenseElementsAttr::getFromRawBuffer(type, raw);
}

bool openSharedModel(StringRef path, quantc::LoadedModel &loaded) {
  std::string error;
  if (!quantc::loadModelLibrary(path, loaded, error)) {
    fail(error);
    return false;
  }
  return true;
}

/// Imports and compiles `path` into a temporary shared library and loads it.
bool compileAndLoad(StringRef path, ArrayRef<tio::Tensor> inputs,
                    quantc::LoadedModel &loaded, double &compileSeconds,
                    StringRef quantize = "", uint64_t *libraryBytes = nullptr,
                    bool report = false) {
  auto start = std::chrono::steady_clock::now();
  DialectRegistry registry;
  quantc::registerAllDialects(registry);
  MLIRContext context(registry);
  quantc::installDiagnosticPrinter(context);

  quantc::ONNXImportOptions options;
  for (const tio::Tensor &t : inputs) {
    options.positionalShapes.push_back(t.dims);
    options.positionalValues.push_back(toAttr(&context, t));
  }
  options.bindShapeInputs = bindShapeInputs;
  for (const std::string &arg : inputShapeArgs) {
    auto [name, dims] = StringRef(arg).rsplit('=');
    std::optional<std::vector<int64_t>> parsed = parseDims(dims);
    if (name.empty() || !parsed) {
      fail("--input-shape expects NAME=D0xD1x..., got '" + arg + "'");
      return false;
    }
    options.inputShapes[name] = *parsed;
  }
  for (const std::string &arg : bindInputArgs) {
    auto [name, file] = StringRef(arg).split('=');
    absl::StatusOr<tio::Tensor> t = tio::readTensorFile(file.str());
    if (!t.ok()) {
      fail(std::string(t.status().message()));
      return false;
    }
    DenseElementsAttr attr = toAttr(&context, *t);
    if (!attr) {
      fail("--bind-input '" + arg + "': only integer and float tensors bind");
      return false;
    }
    options.boundInputs[name] = attr;
    options.inputShapes[name] = t->dims;
  }

  OwningOpRef<ModuleOp> module =
      quantc::importModel(path, &context, options, /*buildGraph=*/true);
  if (!module)
    return false;
  if (!quantize.empty()) {
    quantc::ONNXQuantizeOptions q;
    q.scheme = quantize.str();
    q.bpw = runBpw;
    q.calibrationDir = runCalibration;
    if (runCalibration.empty())
      q.calibrationFiles = inputFiles;
    q.target = target;
    q.threads = numThreads;
    if (failed(quantc::quantizeONNXModel(*module, q)))
      return false;
    if (report)
      quantc::printWeightQuantizationTable(*module, outs());
  }

  SmallString<128> library;
  if (!saveLibrary.empty()) {
    library = saveLibrary;
  } else if (std::error_code ec =
                 sys::fs::createTemporaryFile("quantc-run", "so", library)) {
    fail("cannot create a temporary file: " + ec.message());
    return false;
  }
  llvm::scope_exit removeTemp([&] {
    if (saveLibrary.empty())
      sys::fs::remove(library);
  });
  quantc::CPUCompileOptions compile;
  compile.target = target;
  // A GGUF or safetensors model's weights stay in its file (mapped below).
  compile.weights = quantc::WeightBinding::Auto;
  compile.modelName = quantc::deriveModelName(path);
  if (failed(quantc::compileModuleForCPU(*module, compile, library,
                                         quantc::EmitKind::SharedLib)))
    return false;
  compileSeconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  if (libraryBytes)
    sys::fs::file_size(library, *libraryBytes);
  return openSharedModel(library, loaded);
}

std::string describe(const qc_tensor_desc &d) {
  std::string s = qc_dtype_name(d.dtype);
  s += tio::formatDims(std::span<const int64_t>(d.dims, d.rank));
  return s;
}

/// "[1, 2.5, ...] (N values)" for the first values of a tensor.
std::string formatValues(const qc_tensor_desc &d, const void *data,
                         size_t bytes) {
  size_t size = qc_dtype_size(d.dtype), count = size ? bytes / size : 0;
  std::string text = "[";
  llvm::raw_string_ostream os(text);
  for (size_t i = 0; i < std::min<size_t>(count, 16); ++i) {
    const char *p = static_cast<const char *>(data) + i * size;
    auto read = [&](auto value) {
      std::memcpy(&value, p, sizeof value);
      return value;
    };
    os << (i ? ", " : "");
    switch (d.dtype) {
    case QC_DTYPE_FLOAT32:
      os << format("%g", read(float()));
      break;
    case QC_DTYPE_FLOAT64:
      os << format("%g", read(double()));
      break;
    case QC_DTYPE_INT8:
      os << int(read(int8_t()));
      break;
    case QC_DTYPE_UINT8:
    case QC_DTYPE_BOOL:
      os << unsigned(read(uint8_t()));
      break;
    case QC_DTYPE_INT16:
      os << read(int16_t());
      break;
    case QC_DTYPE_INT32:
      os << read(int32_t());
      break;
    case QC_DTYPE_INT64:
      os << read(int64_t());
      break;
    case QC_DTYPE_UINT32:
      os << read(uint32_t());
      break;
    case QC_DTYPE_UINT64:
      os << read(uint64_t());
      break;
    default:
      os << format("0x%0*llx", int(2 * size),
                   (unsigned long long)(size == 2 ? read(uint16_t()) : 0));
    }
  }
  os << (count > 16 ? ", ...]" : "]");
  return text;
}

std::string describe(const tio::Tensor &t) {
  return std::string(qc_dtype_name(t.dtype)) + tio::formatDims(t.dims);
}

int runCommand() {
  std::vector<tio::Tensor> inputs;
  for (const std::string &file : inputFiles) {
    absl::StatusOr<tio::Tensor> t = tio::readTensorFile(file);
    if (!t.ok())
      return fail(std::string(t.status().message()));
    inputs.push_back(std::move(*t));
  }
  std::vector<tio::Tensor> expected;
  for (const std::string &file : expectFiles) {
    absl::StatusOr<tio::Tensor> t = tio::readTensorFile(file);
    if (!t.ok())
      return fail(std::string(t.status().message()));
    expected.push_back(std::move(*t));
  }
  if (outputFormat != "pb" && outputFormat != "npy")
    return fail("--output-format must be pb or npy");

  quantc::LoadedModel loaded;
  double compileSeconds = 0;
  bool isLibrary = StringRef(modelPath).ends_with(".so");
  uint64_t libraryBytes = 0;
  if (isLibrary ? !openSharedModel(modelPath, loaded)
                : !compileAndLoad(modelPath, inputs, loaded, compileSeconds,
                                  runQuantize, &libraryBytes, runReport))
    return 1;
  const qc_model *model = loaded.model;
  if (model->abi_version != QC_ABI_VERSION)
    return fail(Twine("'") + modelPath + "' was built for ABI version " +
                Twine(model->abi_version) + ", this quantc runs version " +
                Twine(QC_ABI_VERSION));

  // The entries to run, in order, on one context (states carry over).
  std::vector<int32_t> runs;
  for (const std::string &name : entryNames) {
    int32_t e = qc_model_entry_index(model, name.c_str());
    if (e < 0) {
      std::string known;
      for (int32_t k = 0; k < std::max(model->num_entries, 1); ++k)
        known += std::string(k ? ", " : "") +
                 (model->num_entries ? model->entries[k].name : model->name);
      return fail("the model has no entry '" + name + "' (entries: " + known +
                  ")");
    }
    runs.push_back(e);
  }
  if (runs.empty())
    runs.push_back(0);
  auto entryInputs = [&](int32_t e) {
    std::vector<int32_t> list;
    if (model->num_entries == 0)
      for (int32_t i = 0; i < model->num_inputs; ++i)
        list.push_back(i);
    else
      list.assign(model->entries[e].inputs,
                  model->entries[e].inputs + model->entries[e].num_inputs);
    return list;
  };
  auto entryOutputs = [&](int32_t e) {
    std::vector<int32_t> list;
    if (model->num_entries == 0)
      for (int32_t i = 0; i < model->num_outputs; ++i)
        list.push_back(i);
    else
      list.assign(model->entries[e].outputs,
                  model->entries[e].outputs + model->entries[e].num_outputs);
    return list;
  };
  // Each run's data inputs (weights are mapped, states are the context's),
  // taken from the --input files in order.
  std::vector<std::vector<int32_t>> runInputs;
  size_t wanted = 0;
  for (int32_t e : runs) {
    std::vector<int32_t> data;
    for (int32_t i : entryInputs(e))
      if (model->inputs[i].kind == QC_INPUT_DATA)
        data.push_back(i);
    wanted += data.size();
    runInputs.push_back(std::move(data));
  }
  if (inputs.size() != wanted)
    return fail(Twine(runs.size() > 1 ? "the runs take " : "the model has ") +
                Twine(wanted) + " inputs; --input was given " +
                Twine(inputs.size()) + " times");
  // With one run, inputs by name when every file names one of its inputs.
  int32_t numInputs = runInputs.front().size();
  std::vector<int32_t> order(wanted);
  bool byName = runs.size() == 1;
  for (int32_t i = 0; i < numInputs && byName; ++i) {
    auto it = std::find_if(inputs.begin(), inputs.end(), [&](const auto &t) {
      return t.name == model->inputs[runInputs[0][i]].name;
    });
    byName = it != inputs.end();
    if (byName)
      order[i] = it - inputs.begin();
  }
  for (size_t i = 0; i < wanted; ++i)
    if (!byName)
      order[i] = i;

  qc_options opts{numThreads};
  qc_context *ctx = nullptr;
  if (qc_context_create(model, &opts, &ctx) != QC_OK)
    return fail(Twine("cannot create a context: ") + qc_last_error());
  llvm::scope_exit freeContext([&] { qc_context_free(ctx); });
  // Weights left in the model's file: mapped from the recorded path unless
  // --weights names another copy.
  if (model->num_weight_files > 0 &&
      qc_context_map_weights(ctx, weightsPath.empty() ? nullptr
                                                      : weightsPath.c_str()) !=
          QC_OK)
    return fail(qc_context_error(ctx));

  double firstMs = 0;
  size_t next = 0;
  for (size_t r = 0; r < runs.size(); ++r) {
    for (int32_t i : runInputs[r]) {
      const qc_tensor_desc &desc = model->inputs[i];
      size_t file = order[next++];
      tio::Tensor &t = inputs[file];
      // numpy has no bfloat16: such tensors travel as their uint16 bits (as
      // in ONNX's own test data).
      if (desc.dtype == QC_DTYPE_BFLOAT16 && t.dtype == QC_DTYPE_UINT16)
        t.dtype = QC_DTYPE_BFLOAT16;
      bool sameShape = t.dims.size() == (size_t)desc.rank &&
                       std::equal(t.dims.begin(), t.dims.end(), desc.dims);
      if (t.dtype != desc.dtype || !sameShape)
        return fail(Twine("input ") + Twine(i) + " ('" + desc.name +
                    "') of the model is " + describe(desc) + ", but '" +
                    inputFiles[file] + "' holds " + describe(t));
      if (qc_context_set_input(ctx, i, t.data.data(), t.data.size()) != QC_OK)
        return fail(qc_context_error(ctx));
    }
    auto start = std::chrono::steady_clock::now();
    if (qc_context_run_entry(ctx, runs[r]) != QC_OK)
      return fail(Twine("running the model failed: ") + qc_context_error(ctx));
    if (r == 0)
      firstMs = std::chrono::duration<double, std::milli>(
                    std::chrono::steady_clock::now() - start)
                    .count();
    if (printValues)
      for (int32_t o : entryOutputs(runs[r])) {
        size_t bytes = 0;
        const void *data = qc_context_output(ctx, o, &bytes);
        outs() << "  run " << r << " output " << o << " '"
               << model->outputs[o].name
               << "': " << formatValues(model->outputs[o], data, bytes) << "\n";
      }
  }
  std::vector<double> times;
  for (unsigned r = 0; r < benchRuns; ++r) {
    auto t0 = std::chrono::steady_clock::now();
    if (qc_context_run_entry(ctx, runs.back()) != QC_OK)
      return fail(Twine("running the model failed: ") + qc_context_error(ctx));
    times.push_back(std::chrono::duration<double, std::milli>(
                        std::chrono::steady_clock::now() - t0)
                        .count());
  }
  if (printValues)
    for (int32_t i = 0; i < model->num_inputs; ++i)
      if (model->inputs[i].kind == QC_INPUT_STATE) {
        size_t bytes = 0;
        const void *data = qc_context_state(ctx, i, &bytes);
        outs() << "  state " << i << " '" << model->inputs[i].name
               << "': " << formatValues(model->inputs[i], data, bytes) << "\n";
      }

  std::vector<tio::Tensor> outputs;
  for (int32_t i : entryOutputs(runs.back())) {
    const qc_tensor_desc &desc = model->outputs[i];
    size_t bytes = 0;
    const void *data = qc_context_output(ctx, i, &bytes);
    tio::Tensor t;
    t.name = desc.name;
    t.dtype = desc.dtype;
    t.dims.assign(desc.dims, desc.dims + desc.rank);
    const auto *p = static_cast<const std::byte *>(data);
    t.data.assign(p, p + bytes);
    outputs.push_back(std::move(t));
  }

  if (!outputDir.empty()) {
    if (std::error_code ec = sys::fs::create_directories(outputDir))
      return fail("cannot create '" + outputDir + "': " + ec.message());
    for (size_t i = 0; i < outputs.size(); ++i) {
      SmallString<256> path(outputDir);
      sys::path::append(path, "output_" + std::to_string(i) + "." +
                                  outputFormat.getValue());
      absl::Status status =
          outputFormat == "npy"
              ? tio::writeNpy(outputs[i], path.str().str())
              : tio::writeTensorPb(outputs[i], path.str().str());
      if (!status.ok())
        return fail(std::string(status.message()));
    }
  }

  if (!quiet) {
    outs() << "quantc: " << model->name << ": " << numInputs << " inputs, "
           << outputs.size() << " outputs";
    if (!isLibrary)
      outs() << "; compiled for " << target << " in "
             << format("%.2f", compileSeconds) << " s";
    outs() << "; first run " << format("%.3f", firstMs) << " ms\n";
    for (int32_t i = 0; i < numInputs; ++i)
      if (model->inputs[i].bound_value)
        outs() << "  input " << i << " '" << model->inputs[i].name
               << "' was bound to its value at compile time (it decides a "
                  "shape)\n";
    for (size_t i = 0; i < outputs.size(); ++i)
      outs() << "  output " << i << " '" << outputs[i].name
             << "': " << describe(outputs[i]) << "\n";
    if (!times.empty()) {
      std::sort(times.begin(), times.end());
      outs() << "  latency over " << times.size() << " runs: median "
             << format("%.3f", times[times.size() / 2]) << " ms, min "
             << format("%.3f", times.front()) << " ms\n";
    }
  }

  if (runReport && !runQuantize.empty() && !isLibrary) {
    // The float build of the same model on the same inputs.
    quantc::LoadedModel floatLoaded;
    double floatCompile = 0;
    uint64_t floatBytes = 0;
    if (!compileAndLoad(modelPath, inputs, floatLoaded, floatCompile, "",
                        &floatBytes))
      return 1;
    qc_context *fctx = nullptr;
    if (qc_context_create(floatLoaded.model, &opts, &fctx) != QC_OK)
      return fail(Twine("cannot create a context: ") + qc_last_error());
    llvm::scope_exit freeFloat([&] { qc_context_free(fctx); });
    for (int32_t i = 0; i < numInputs; ++i) {
      const tio::Tensor &t = inputs[order[i]];
      if (qc_context_set_input(fctx, i, t.data.data(), t.data.size()) != QC_OK)
        return fail(qc_context_error(fctx));
    }
    std::vector<double> floatTimes;
    for (unsigned r = 0; r < std::max(1u, benchRuns.getValue()) + 1; ++r) {
      auto t0 = std::chrono::steady_clock::now();
      if (qc_context_run(fctx) != QC_OK)
        return fail(qc_context_error(fctx));
      if (r)
        floatTimes.push_back(std::chrono::duration<double, std::milli>(
                                 std::chrono::steady_clock::now() - t0)
                                 .count());
    }
    std::sort(floatTimes.begin(), floatTimes.end());
    outs() << "quantized (" << runQuantize << ") against float:\n";
    for (int32_t i = 0; i < model->num_outputs; ++i) {
      if (model->outputs[i].dtype != QC_DTYPE_FLOAT32)
        continue;
      size_t bytes = 0;
      const float *f =
          static_cast<const float *>(qc_context_output(fctx, i, &bytes));
      const float *q = reinterpret_cast<const float *>(outputs[i].data.data());
      double num = 0, den = 0, maxAbs = 0;
      for (size_t k = 0; k < bytes / 4; ++k) {
        double d = double(q[k]) - f[k];
        num += d * d, den += double(f[k]) * f[k];
        maxAbs = std::max(maxAbs, std::fabs(d));
      }
      outs() << format("  output %d '%s': relative L2 error %.3e, max abs "
                       "error %.3g\n",
                       i, outputs[i].name.c_str(),
                       std::sqrt(num / std::max(den, 1e-300)), maxAbs);
    }
    outs() << format("  library: %.2f MiB quantized, %.2f MiB float (%.2fx)\n",
                     libraryBytes / 1048576.0, floatBytes / 1048576.0,
                     double(floatBytes) / std::max<uint64_t>(libraryBytes, 1));
    std::sort(times.begin(), times.end());
    if (!times.empty())
      outs() << format("  latency (median of %zu): %.3f ms quantized, %.3f ms "
                       "float (%.2fx)\n",
                       times.size(), times[times.size() / 2],
                       floatTimes[floatTimes.size() / 2],
                       floatTimes[floatTimes.size() / 2] /
                           times[times.size() / 2]);
  }

  if (!expected.empty()) {
    if (expected.size() != outputs.size())
      return fail(Twine("the model has ") + Twine(outputs.size()) +
                  " outputs; --expect was given " + Twine(expected.size()) +
                  " times");
    bool ok = true;
    for (size_t i = 0; i < outputs.size(); ++i) {
      if (outputs[i].dtype == QC_DTYPE_BFLOAT16 &&
          expected[i].dtype == QC_DTYPE_UINT16)
        expected[i].dtype = QC_DTYPE_BFLOAT16;
      tio::Comparison c = tio::compareTensors(expected[i], outputs[i],
                                              relTolerance, absTolerance);
      if (!c.equal) {
        errs() << "quantc: error: output " << i << " ('" << outputs[i].name
               << "') mismatch: " << c.message << "\n";
        ok = false;
      } else if (!quiet) {
        outs() << "  output " << i << " matches (max abs error "
               << format("%.3g", c.maxAbsError) << ", max rel error "
               << format("%.3g", c.maxRelError) << ")\n";
      }
    }
    if (!ok)
      return 1;
  }
  return 0;
}

quantc::driver::Command reg(runCmd, runCommand);

} // namespace
