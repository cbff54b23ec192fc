//===- QuantizeONNX.cpp - quantc compile/run --quantize -------------------===//
//
// Part of quantc.
//
// See QuantizeONNX.h. Calibration samples: a directory whose tensor files
// (.npy or .pb) are one sample, or whose subdirectories (in name order) are
// one sample each. A file feeds the model input whose name is the
// TensorProto's name, or the file's stem (the input name, or it with every
// character outside [A-Za-z0-9_] made '_', or input_<i>, or <i>); a model
// with one input takes a sample's only file whatever its name.
//
//===----------------------------------------------------------------------===//

#include "QuantizeONNX.h"
#include "ModelIO.h"

#include "quantc/Dialect/QC/IR/QCDialect.h"
#include "quantc/Dialect/QC/IR/QCOps.h"
#include "quantc/Target/CPU/CPUTarget.h"
#include "quantc/Transforms/Passes.h"
#include "quantc/Transforms/QuantizableOps.h"
#include "quantc/runtime.h"

#include "mlir/Pass/PassManager.h"
#include "llvm/ADT/ScopeExit.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/Path.h"

#include <absl/status/statusor.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <map>
#include <span>

import quantc.tensorio;

using namespace llvm;
using namespace mlir;
namespace tio = quantc::tensorio;

namespace {

bool fail(const Twine &message) {
  errs() << "quantc: error: " << message << "\n";
  return false;
}

/// One sample: its tensors and the names they go by (file stems).
struct Sample {
  std::string where;
  std::vector<tio::Tensor> tensors;
  std::vector<std::string> stems;
};

bool isTensorFile(StringRef path) {
  return path.ends_with(".npy") || path.ends_with(".pb");
}

bool readSampleFiles(ArrayRef<std::string> files, StringRef where,
                     std::vector<Sample> &samples) {
  Sample s;
  s.where = where.str();
  for (const std::string &file : files) {
    absl::StatusOr<tio::Tensor> t = tio::readTensorFile(file);
    if (!t.ok())
      return fail(std::string(t.status().message()));
    s.tensors.push_back(std::move(*t));
    s.stems.push_back(sys::path::stem(file).str());
  }
  samples.push_back(std::move(s));
  return true;
}

/// The samples of `options`: its directory's, else its files.
bool loadSamples(const quantc::ONNXQuantizeOptions &options,
                 std::vector<Sample> &samples) {
  if (options.calibrationDir.empty())
    return options.calibrationFiles.empty() ||
           readSampleFiles(options.calibrationFiles, "--input", samples);
  StringRef dir = options.calibrationDir;
  if (!sys::fs::is_directory(dir))
    return fail("--calibration '" + dir + "' is not a directory");
  std::vector<std::string> files, subdirs;
  std::error_code ec;
  for (sys::fs::directory_iterator it(dir, ec), end; it != end && !ec;
       it.increment(ec)) {
    if (sys::fs::is_directory(it->path()))
      subdirs.push_back(it->path());
    else if (isTensorFile(it->path()))
      files.push_back(it->path());
  }
  if (ec)
    return fail("cannot read '" + dir + "': " + ec.message());
  std::sort(files.begin(), files.end());
  std::sort(subdirs.begin(), subdirs.end());
  if (!files.empty())
    return readSampleFiles(files, dir, samples);
  for (const std::string &sub : subdirs) {
    std::vector<std::string> subFiles;
    for (sys::fs::directory_iterator it(sub, ec), end; it != end && !ec;
         it.increment(ec))
      if (!sys::fs::is_directory(it->path()) && isTensorFile(it->path()))
        subFiles.push_back(it->path());
    if (subFiles.empty())
      continue;
    std::sort(subFiles.begin(), subFiles.end());
    if (!readSampleFiles(subFiles, sub, samples))
      return false;
  }
  if (samples.empty())
    return fail("--calibration '" + dir +
                "' holds no .npy or .pb files (directly or in "
                "subdirectories)");
  return true;
}

std::string sanitize(StringRef name) {
  std::string out = name.str();
  for (char &c : out)
    if (!isAlnum(c) && c != '_')
      c = '_';
  return out;
}

/// Sets the sample's tensors as the context's inputs.
bool setInputs(const qc_model *model, qc_context *ctx, const Sample &s) {
  for (int32_t i = 0; i < model->num_inputs; ++i) {
    const qc_tensor_desc &desc = model->inputs[i];
    std::string name = desc.name ? desc.name : "";
    int found = -1;
    for (size_t k = 0; k < s.tensors.size() && found < 0; ++k) {
      StringRef stem = s.stems[k];
      if ((!s.tensors[k].name.empty() && s.tensors[k].name == name) ||
          stem == name || stem == sanitize(name) ||
          stem == "input_" + std::to_string(i) || stem == std::to_string(i))
        found = k;
    }
    if (found < 0 && model->num_inputs == 1 && s.tensors.size() == 1)
      found = 0;
    if (found < 0)
      return fail("sample '" + s.where + "' has no file for input " +
                  Twine(i) + " ('" + name + "'): name it " +
                  sanitize(name) + ".npy (or .pb), or input_" + Twine(i) +
                  ".npy");
    const tio::Tensor &t = s.tensors[found];
    bool same = t.dtype == desc.dtype && t.dims.size() == size_t(desc.rank) &&
                std::equal(t.dims.begin(), t.dims.end(), desc.dims);
    if (!same)
      return fail("sample '" + s.where + "': the tensor for input '" + name +
                  "' is " + qc_dtype_name(t.dtype) +
                  tio::formatDims(t.dims) + ", the model takes " +
                  qc_dtype_name(desc.dtype) +
                  tio::formatDims(std::span<const int64_t>(desc.dims,
                                                           desc.rank)));
    if (qc_context_set_input(ctx, i, t.data.data(), t.data.size()) != QC_OK)
      return fail(qc_context_error(ctx));
  }
  return true;
}

/// Compiles `module` (lowered in place) into a temporary shared library,
/// loads it, and removes the file.
bool buildAndLoad(ModuleOp module, const quantc::ONNXQuantizeOptions &options,
                  quantc::LoadedModel &loaded, uint64_t *bytes = nullptr) {
  SmallString<128> library;
  if (std::error_code ec =
          sys::fs::createTemporaryFile("quantc-quantize", "so", library))
    return fail("cannot create a temporary file: " + ec.message());
  llvm::scope_exit remove([&] { sys::fs::remove(library); });
  quantc::CPUCompileOptions compile;
  compile.target = options.target;
  compile.modelName = "calibration";
  if (failed(quantc::compileModuleForCPU(module, compile, library,
                                         quantc::EmitKind::SharedLib)))
    return false;
  if (bytes)
    sys::fs::file_size(library, *bytes);
  std::string error;
  if (!quantc::loadModelLibrary(library, loaded, error))
    return fail(error);
  return true;
}

/// Runs the float model instrumented by qc-instrument-activations on the
/// samples and records each activation's range on its op.
bool calibrate(ModuleOp module, const quantc::ONNXQuantizeOptions &options) {
  std::vector<Sample> samples;
  if (!loadSamples(options, samples))
    return false;
  if (samples.empty())
    return fail("--quantize static-int8 needs calibration inputs: "
                "--calibration DIR (or, for quantc run, --input)");
  OwningOpRef<ModuleOp> instrumented = module.clone();
  PassManager pm(module.getContext(), ModuleOp::getOperationName());
  pm.addPass(quantc::createQCInstrumentActivationsPass());
  if (failed(pm.run(*instrumented)))
    return false;
  quantc::LoadedModel loaded;
  if (!buildAndLoad(*instrumented, options, loaded))
    return false;
  const qc_model *model = loaded.model;
  qc_options opts{options.threads};
  qc_context *ctx = nullptr;
  if (qc_context_create(model, &opts, &ctx) != QC_OK)
    return fail(Twine("cannot create a context: ") + qc_last_error());
  llvm::scope_exit freeContext([&] { qc_context_free(ctx); });
  std::map<int64_t, std::pair<float, float>> ranges;
  for (const Sample &s : samples) {
    if (!setInputs(model, ctx, s))
      return false;
    if (qc_context_run(ctx) != QC_OK)
      return fail(Twine("running the calibration build failed: ") +
                  qc_context_error(ctx));
    for (int32_t i = 0; i < model->num_outputs; ++i) {
      StringRef name = model->outputs[i].name ? model->outputs[i].name : "";
      int64_t index;
      if (!name.consume_front("qc.activation.") || name.getAsInteger(10, index))
        continue;
      size_t bytes = 0;
      const float *v =
          static_cast<const float *>(qc_context_output(ctx, i, &bytes));
      auto [it, inserted] = ranges.try_emplace(
          index, std::numeric_limits<float>::infinity(),
          -std::numeric_limits<float>::infinity());
      for (size_t k = 0; k < bytes / 4; ++k) {
        if (!std::isfinite(v[k]))
          continue;
        it->second.first = std::min(it->second.first, v[k]);
        it->second.second = std::max(it->second.second, v[k]);
      }
    }
  }
  SmallVector<quantc::weightquant::QuantizableOp> ops =
      quantc::weightquant::collectQuantizable(module);
  Builder b(module.getContext());
  for (auto [index, range] : ranges) {
    if (index >= int64_t(ops.size()) || !(range.first <= range.second))
      continue;
    ops[index].op->setAttr(quantc::qc::QCDialect::kActivationRangeAttrName,
                           b.getDenseF32ArrayAttr({range.first, range.second}));
  }
  return true;
}

} // namespace

LogicalResult quantc::quantizeONNXModel(ModuleOp module,
                                        const ONNXQuantizeOptions &options) {
  StringRef scheme = options.scheme;
  bool weightOnly = scheme == "int8" || scheme == "int4-g32" ||
                    scheme == "int4-g64" || scheme == "int4-g128";
  if (!weightOnly && scheme != "static-int8") {
    fail("unknown scheme '" + scheme +
         "' (int8, int4-g32, int4-g64, int4-g128, static-int8)");
    return failure();
  }
  if (options.bpw != 0 && !weightOnly) {
    fail("--bpw goes with a weight-only scheme (int8, int4-g*), not " + scheme);
    return failure();
  }
  if (options.bpw != 0 && !(options.bpw > 0 && options.bpw <= 8.5)) {
    fail("--bpw must be in (0, 8.5]");
    return failure();
  }
  PassManager pm(module.getContext(), ModuleOp::getOperationName());
  if (scheme == "static-int8") {
    if (!calibrate(module, options))
      return failure();
    pm.addPass(createQCQuantizeActivationsPass());
  } else {
    if (options.bpw != 0) {
      QCPlanWeightPrecisionPassOptions plan;
      plan.bpw = options.bpw;
      plan.int4 = scheme == "int8" ? "int4-g32" : scheme.str();
      pm.addPass(createQCPlanWeightPrecisionPass(plan));
    }
    QCQuantizeMatmulWeightsPassOptions matmul;
    matmul.scheme = scheme.str();
    pm.addPass(createQCQuantizeMatmulWeightsPass(matmul));
    QCQuantizeConvWeightsPassOptions conv;
    conv.scheme = scheme.str();
    pm.addPass(createQCQuantizeConvWeightsPass(conv));
  }
  return pm.run(module);
}

void quantc::printWeightQuantizationTable(ModuleOp module, raw_ostream &os) {
  int64_t floatBytes = 0, quantBytes = 0, count = 0;
  os << llvm::format("%-40s %-14s %-26s %12s %12s %10s\n", "weight", "shape",
                     "type", "f32 bytes", "bytes", "rel. err");
  for (auto global : module.getOps<qc::GlobalOp>()) {
    auto error =
        global->getAttrOfType<FloatAttr>(qc::QCDialect::kQuantErrorAttrName);
    if (!error)
      continue;
    RankedTensorType type = global.getTensorType();
    std::string shape, element;
    llvm::raw_string_ostream ss(shape), es(element);
    int64_t f32, bytes;
    if (auto info = global->getAttrOfType<DictionaryAttr>(
            qc::QCDialect::kQuantizedAttrName)) {
      llvm::interleave(info.getAs<DenseI64ArrayAttr>("shape").asArrayRef(),
                       ss, "x");
      es << info.getAs<StringAttr>("scheme").getValue();
      f32 = info.getAs<IntegerAttr>("float_bytes").getInt();
      bytes = info.getAs<IntegerAttr>("bytes").getInt();
    } else {
      // qc-quantize-matmul-weights' N x K group weights.
      llvm::interleave(type.getShape(), ss, "x");
      type.getElementType().print(es);
      f32 = type.getNumElements() * 4;
      bytes = global.getData().getShapedType().getNumElements();
    }
    floatBytes += f32, quantBytes += bytes, ++count;
    os << llvm::format("%-40s %-14s %-26s %12lld %12lld %10.4f\n",
                       global.getSymName().str().c_str(), shape.c_str(),
                       element.c_str(), (long long)f32, (long long)bytes,
                       error.getValueAsDouble());
  }
  os << llvm::format("%d weights quantized: %.2f MiB -> %.2f MiB (%.2fx "
                     "smaller)\n",
                     (int)count, floatBytes / 1048576.0, quantBytes / 1048576.0,
                     quantBytes ? double(floatBytes) / quantBytes : 0.0);
}

LogicalResult quantc::reportAgainstFloat(ModuleOp floatModule,
                                         StringRef quantizedLibrary,
                                         const ONNXQuantizeOptions &options,
                                         unsigned runs, raw_ostream &os) {
  std::vector<Sample> samples;
  if (!loadSamples(options, samples))
    return failure();
  if (samples.empty()) {
    os << "(no sample inputs: give --calibration DIR to compare with the "
          "float build)\n";
    return success();
  }
  LoadedModel quantized, reference;
  std::string error;
  uint64_t quantBytes = 0, floatBytes = 0;
  sys::fs::file_size(quantizedLibrary, quantBytes);
  if (!loadModelLibrary(quantizedLibrary, quantized, error)) {
    fail(error);
    return failure();
  }
  if (!buildAndLoad(floatModule, options, reference, &floatBytes))
    return failure();
  qc_options opts{options.threads};
  qc_context *qctx = nullptr, *fctx = nullptr;
  if (qc_context_create(quantized.model, &opts, &qctx) != QC_OK ||
      qc_context_create(reference.model, &opts, &fctx) != QC_OK) {
    fail(Twine("cannot create a context: ") + qc_last_error());
    return failure();
  }
  llvm::scope_exit freeContexts([&] {
    qc_context_free(qctx);
    qc_context_free(fctx);
  });
  int32_t numOutputs = quantized.model->num_outputs;
  std::vector<double> num(numOutputs), den(numOutputs), maxAbs(numOutputs);
  for (const Sample &s : samples) {
    if (!setInputs(quantized.model, qctx, s) ||
        !setInputs(reference.model, fctx, s))
      return failure();
    if (qc_context_run(qctx) != QC_OK || qc_context_run(fctx) != QC_OK) {
      fail("running a model failed");
      return failure();
    }
    for (int32_t i = 0; i < numOutputs; ++i) {
      if (quantized.model->outputs[i].dtype != QC_DTYPE_FLOAT32)
        continue;
      size_t bytes = 0, fbytes = 0;
      const float *q =
          static_cast<const float *>(qc_context_output(qctx, i, &bytes));
      const float *f =
          static_cast<const float *>(qc_context_output(fctx, i, &fbytes));
      for (size_t k = 0; k < std::min(bytes, fbytes) / 4; ++k) {
        double d = double(q[k]) - f[k];
        num[i] += d * d, den[i] += double(f[k]) * f[k];
        maxAbs[i] = std::max(maxAbs[i], std::fabs(d));
      }
    }
  }
  os << "quantized (" << options.scheme << ") against float on "
     << samples.size() << " sample" << (samples.size() == 1 ? "" : "s")
     << ":\n";
  for (int32_t i = 0; i < numOutputs; ++i) {
    if (quantized.model->outputs[i].dtype != QC_DTYPE_FLOAT32)
      continue;
    os << llvm::format("  output %d '%s': relative L2 error %.3e, max abs "
                       "error %.3g\n",
                       i, quantized.model->outputs[i].name,
                       std::sqrt(num[i] / std::max(den[i], 1e-300)),
                       maxAbs[i]);
  }
  os << llvm::format("  library: %.2f MiB quantized, %.2f MiB float (%.2fx "
                     "smaller)\n",
                     quantBytes / 1048576.0, floatBytes / 1048576.0,
                     double(floatBytes) / std::max<uint64_t>(quantBytes, 1));
  // Latency on the first sample, median of `runs` after one warm-up run.
  auto median = [&](const qc_model *model, qc_context *ctx) {
    std::vector<double> times;
    setInputs(model, ctx, samples.front());
    qc_context_run(ctx);
    for (unsigned r = 0; r < std::max(1u, runs); ++r) {
      auto t0 = std::chrono::steady_clock::now();
      qc_context_run(ctx);
      times.push_back(std::chrono::duration<double, std::milli>(
                          std::chrono::steady_clock::now() - t0)
                          .count());
    }
    std::sort(times.begin(), times.end());
    return times[times.size() / 2];
  };
  double qms = median(quantized.model, qctx);
  double fms = median(reference.model, fctx);
  os << llvm::format("  latency (median of %u): %.3f ms quantized, %.3f ms "
                     "float (%.2fx)\n",
                     std::max(1u, runs), qms, fms, fms / qms);
  return success();
}
