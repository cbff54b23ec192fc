//===- AssignPrecision.cpp - Mixed precision from measured errors ---------===//
//
// Part of quantc.
//
// qc-assign-precision: each quantizable weight is quantized and dequantized
// with every allowed type (on a row sample), the errors are measured, and the
// types are chosen to minimize the total error within a storage budget.
//
//===----------------------------------------------------------------------===//

#include "quantc/Dialect/QC/IR/QCMetadata.h"
#include "quantc/Dialect/QC/IR/QCOps.h"
#include "quantc/Transforms/Imatrix.h"
#include "quantc/Transforms/Passes.h"
#include "quantc/Transforms/QuantizationPlan.h"
#include "quantc/Transforms/WeightEncoder.h"

#include "mlir/IR/Builders.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/Regex.h"
#include "llvm/Support/raw_ostream.h"

#include "absl/status/status.h"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <queue>
#include <span>
#include <thread>

import quantc.numerics;

namespace quantc {
#define GEN_PASS_DEF_QCASSIGNPRECISIONPASS
#include "quantc/Transforms/Passes.h.inc"
} // namespace quantc

using namespace mlir;
using namespace quantc;
namespace num = quantc::numerics;

namespace {

/// One type a weight may get, and what it costs.
struct Candidate {
  Type element;
  int64_t bytes = 0;
  /// Weighted squared error of the whole tensor (the sample's, scaled).
  double error = 0;
  /// The same error relative to the weighted sum of squares.
  double relative = 0;
};

/// A `qc.global` as the planner sees it.
struct Weight {
  qc::GlobalOp global;
  /// Storage now, for weights that keep their type.
  int64_t fixedBytes = 0;
  /// Empty for weights left as they are.
  SmallVector<Candidate> candidates;
  /// Role factor the errors are scaled by.
  double factor = 1;
  /// Index into `candidates` of the choice.
  unsigned chosen = 0;
  /// Indices of `candidates` on the lower convex hull of (bytes, error).
  SmallVector<unsigned> hull;
  unsigned hullPos = 0;
};

/// Default role factors. The error measured is that of one matrix product;
/// what it does to the model's output depends on where the product sits.
/// llama.cpp's mixes encode that experience: `output.weight` gets q6_K in
/// every K mix (its error lands on the logits directly), `attn_v` and
/// `ffn_down` get more bits than the rest (their outputs enter the residual
/// stream unfiltered by a softmax or a gate). The factors mirror those
/// choices; token_embd is treated as any matrix (llama.cpp gives it the base
/// type).
double defaultRoleFactor(StringRef name) {
  if (name == "output.weight")
    return 4;
  if (name.contains("attn_v.") || name.contains("ffn_down"))
    return 2;
  return 1;
}

/// The types allowed by default.
constexpr const char *kDefaultTypes[] = {"q2_K", "q3_K", "q4_K",
                                         "q5_K", "q6_K", "q8_0"};

/// Rounds `src` through element type `element` (a block format with a codec
/// or f16) into `dst`, one row of `src.size()` weights.
LogicalResult roundTrip(Type element, std::span<const float> src,
                        std::span<float> dst, std::span<const float> importance,
                        std::vector<std::byte> &scratch, std::string &error) {
  if (element.isF16() || element.isBF16()) {
    bool half = element.isF16();
    for (size_t i = 0; i < src.size(); ++i)
      dst[i] = half ? num::halfToFloat(num::floatToHalf(src[i]))
                    : num::bfloat16ToFloat(num::floatToBFloat16(src[i]));
    return success();
  }
  auto format =
      static_cast<num::BlockFormat>(cast<qc::BlockType>(element).getFormat());
  const num::BlockFormatInfo &info = num::getBlockFormatInfo(format);
  scratch.resize(src.size() / info.blockSize * info.bytesPerBlock);
  absl::Status status =
      num::quantizeRows(format, src, 1, static_cast<int64_t>(src.size()),
                        scratch, importance);
  if (status.ok())
    status = num::dequantizeRow(format, scratch, dst);
  if (!status.ok()) {
    error = std::string(status.message());
    return failure();
  }
  return success();
}

struct QCAssignPrecisionPass
    : public quantc::impl::QCAssignPrecisionPassBase<QCAssignPrecisionPass> {
  using Base::Base;

  void runOnOperation() override;

  LogicalResult collect(ModuleOp module, SmallVectorImpl<Weight> &weights);
  LogicalResult measure(ModuleOp module, MutableArrayRef<Weight> weights);
  LogicalResult solve(ModuleOp module, MutableArrayRef<Weight> weights,
                      int64_t budget);
  void print(MutableArrayRef<Weight> weights, int64_t budget,
             int64_t elements);

  std::optional<ImportanceMatrix> importance;
  /// The role-weight option, parsed: REGEX and FACTOR.
  SmallVector<std::pair<std::string, double>> roles;
};

} // namespace

/// Finds the weights to plan and their candidate types. A weight is planned
/// when llama-quantize would quantize it (its pure Q8_0 recipe does), it is
/// not quantized already, and at least one allowed type fits its rows.
LogicalResult QCAssignPrecisionPass::collect(ModuleOp module,
                                             SmallVectorImpl<Weight> &weights) {
  SmallVector<Type> allowed;
  SmallVector<std::string> names(types.begin(), types.end());
  if (names.empty())
    names.assign(std::begin(kDefaultTypes), std::end(kDefaultTypes));
  for (StringRef name : names) {
    std::optional<uint32_t> id = qc::parseGGMLTypeName(name);
    Type element = id ? qc::getTypeForGGMLType(&getContext(), *id) : Type();
    auto block = dyn_cast_or_null<qc::BlockType>(element);
    bool usable =
        element && (element.isF16() || element.isBF16() ||
                    (block && num::hasCodec(static_cast<num::BlockFormat>(
                                  block.getFormat()))));
    if (!usable)
      return module.emitError()
             << "types: '" << name
             << "' is not a type quantc can encode (f16, bf16 or a block "
                "type with a codec)";
    allowed.push_back(element);
  }

  PlanOptions recipe;
  recipe.fileType = "Q8_0";
  recipe.pure = true;
  FailureOr<SmallVector<WeightPlan>> plans = planWeightTypes(module, recipe);
  if (failed(plans))
    return failure();

  for (auto [global, plan] :
       llvm::zip(module.getOps<qc::GlobalOp>(), *plans)) {
    Weight weight;
    weight.global = global;
    RankedTensorType type = global.getTensorType();
    weight.fixedBytes = *qc::getStorageSize(type);
    bool quantizable = qc::isQuantizedElementType(plan.type.getElementType()) &&
                       !qc::isQuantizedElementType(type.getElementType()) &&
                       type.getRank() >= 2;
    if (quantizable) {
      for (Type element : allowed) {
        auto candidateType = RankedTensorType::get(type.getShape(), element);
        FailureOr<int64_t> bytes = qc::getStorageSize(candidateType);
        if (succeeded(bytes))
          weight.candidates.push_back({element, *bytes});
      }
      llvm::sort(weight.candidates, [](const Candidate &a, const Candidate &b) {
        return a.bytes < b.bytes;
      });
    }
    weight.factor = defaultRoleFactor(global.getSymName());
    for (auto &[pattern, factor] : roles)
      if (llvm::Regex(pattern).match(global.getSymName())) {
        weight.factor = factor;
        break;
      }
    weights.push_back(std::move(weight));
  }
  return success();
}

/// Measures every candidate of every planned weight on an evenly spaced
/// sample of its rows (each row is quantized independently by every codec,
/// so a sampled row's error is the error it has in the whole tensor).
LogicalResult QCAssignPrecisionPass::measure(ModuleOp module,
                                             MutableArrayRef<Weight> weights) {
  // Resolve the bytes and importance on this thread; measure on many.
  struct Job {
    Weight *weight;
    std::vector<char> scratch;
    ArrayRef<char> bytes;
    ArrayRef<float> importance;
  };
  std::vector<Job> jobs;
  for (Weight &weight : weights) {
    if (weight.candidates.empty())
      continue;
    Job job{&weight, {}, {}, {}};
    std::optional<ArrayRef<char>> bytes =
        weight.global.getRawBytes(job.scratch);
    if (!bytes)
      return weight.global.emitError()
             << "the bytes of '" << weight.global.getSymName()
             << "' are not available";
    job.bytes = *bytes;
    RankedTensorType type = weight.global.getTensorType();
    int64_t matrices = type.getRank() >= 3 ? type.getShape()[0] : 1;
    if (importance) {
      auto it = importance->find(weight.global.getSymName());
      if (it != importance->end()) {
        if (static_cast<int64_t>(it->second.size()) !=
            type.getShape().back() * matrices)
          return weight.global.emitError()
                 << "the importance matrix has " << it->second.size()
                 << " values for '" << weight.global.getSymName()
                 << "', which needs " << type.getShape().back() * matrices;
        job.importance = it->second;
      }
    }
    jobs.push_back(std::move(job));
  }

  std::atomic<size_t> next{0};
  std::atomic<bool> failedAny{false};
  std::vector<std::string> errors(jobs.size());
  auto work = [&] {
    std::vector<float> row, rounded;
    std::vector<std::byte> scratch;
    for (size_t i = next++; i < jobs.size() && !failedAny; i = next++) {
      Job &job = jobs[i];
      RankedTensorType type = job.weight->global.getTensorType();
      int64_t rowLength = type.getShape().back();
      int64_t rows = type.getNumElements() / rowLength;
      int64_t rowsPerMatrix =
          type.getRank() >= 3 ? rows / type.getShape()[0] : rows;
      int64_t rowBytes = static_cast<int64_t>(job.bytes.size()) / rows;
      int64_t sampled =
          sampleRows && sampleRows < rows ? int64_t(sampleRows) : rows;
      row.resize(rowLength);
      rounded.resize(rowLength);
      SmallVector<double> error(job.weight->candidates.size(), 0);
      double norm = 0;
      for (int64_t s = 0; s < sampled && errors[i].empty(); ++s) {
        int64_t r = s * rows / sampled;
        if (failed(decodeToF32(type.getElementType(),
                               job.bytes.data() + r * rowBytes, rowLength,
                               row.data(), errors[i])))
          break;
        ArrayRef<float> rowImportance =
            job.importance.empty()
                ? ArrayRef<float>()
                : job.importance.slice(r / rowsPerMatrix * rowLength,
                                       rowLength);
        auto weightOf = [&](int64_t j) {
          return rowImportance.empty() ? 1.0 : double(rowImportance[j]);
        };
        for (int64_t j = 0; j < rowLength; ++j)
          norm += weightOf(j) * double(row[j]) * row[j];
        for (auto [c, candidate] : llvm::enumerate(job.weight->candidates)) {
          if (failed(roundTrip(candidate.element, row, rounded,
                               std::span(rowImportance.data(),
                                         rowImportance.size()),
                               scratch, errors[i])))
            break;
          for (int64_t j = 0; j < rowLength; ++j) {
            double d = double(row[j]) - rounded[j];
            error[c] += weightOf(j) * d * d;
          }
        }
      }
      if (!errors[i].empty()) {
        failedAny = true;
        continue;
      }
      double scale = double(rows) / double(sampled);
      for (auto [c, candidate] : llvm::enumerate(job.weight->candidates)) {
        candidate.error = error[c] * scale * job.weight->factor;
        candidate.relative = norm > 0 ? error[c] / norm : 0;
      }
    }
  };
  unsigned numThreads =
      threads ? unsigned(threads)
              : std::max(1u, std::thread::hardware_concurrency());
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < numThreads; ++t)
    pool.emplace_back(work);
  work();
  for (std::thread &t : pool)
    t.join();
  for (auto [job, error] : llvm::zip(jobs, errors))
    if (!error.empty())
      return job.weight->global.emitError()
             << "measuring '" << job.weight->global.getSymName()
             << "': " << error;
  return success();
}

/// Chooses the types: greedy by error reduction per extra byte along each
/// weight's lower convex hull (optimal for the continuous relaxation of the
/// budgeted problem), then a fill of the remainder with the best upgrades
/// that still fit.
LogicalResult QCAssignPrecisionPass::solve(ModuleOp module,
                                           MutableArrayRef<Weight> weights,
                                           int64_t budget) {
  int64_t total = 0;
  for (Weight &weight : weights) {
    if (weight.candidates.empty()) {
      total += weight.fixedBytes;
      continue;
    }
    // Lower convex hull of (bytes, error), from the cheapest candidate.
    // Candidates are sorted by bytes; a candidate that is not cheaper and
    // not better than another never enters.
    SmallVector<unsigned> &hull = weight.hull;
    for (unsigned c = 0; c < weight.candidates.size(); ++c) {
      const Candidate &p = weight.candidates[c];
      if (!hull.empty() &&
          (p.error >= weight.candidates[hull.back()].error ||
           p.bytes == weight.candidates[hull.back()].bytes)) {
        if (p.bytes == weight.candidates[hull.back()].bytes &&
            p.error < weight.candidates[hull.back()].error)
          hull.back() = c;
        continue;
      }
      while (hull.size() >= 2) {
        const Candidate &a = weight.candidates[hull[hull.size() - 2]];
        const Candidate &b = weight.candidates[hull.back()];
        // b is above the segment a-p: drop it.
        double cross = (b.bytes - a.bytes) * (p.error - a.error) -
                       (b.error - a.error) * (p.bytes - a.bytes);
        if (cross > 0)
          break;
        hull.pop_back();
      }
      hull.push_back(c);
    }
    weight.chosen = hull.front();
    weight.hullPos = 0;
    total += weight.candidates[weight.chosen].bytes;
  }
  if (total > budget)
    return module.emitError()
           << "the budget of " << budget
           << " bytes is below the smallest plan the allowed types give ("
           << total << " bytes)";

  auto gain = [](const Weight &w) {
    const Candidate &from = w.candidates[w.hull[w.hullPos]];
    const Candidate &to = w.candidates[w.hull[w.hullPos + 1]];
    return (from.error - to.error) / double(to.bytes - from.bytes);
  };
  using Entry = std::pair<double, unsigned>;
  std::priority_queue<Entry> queue;
  auto push = [&](unsigned i) {
    if (weights[i].hullPos + 1 < weights[i].hull.size())
      queue.push({gain(weights[i]), i});
  };
  for (unsigned i = 0; i < weights.size(); ++i)
    if (!weights[i].candidates.empty())
      push(i);
  while (!queue.empty()) {
    unsigned i = queue.top().second;
    queue.pop();
    Weight &w = weights[i];
    int64_t extra = w.candidates[w.hull[w.hullPos + 1]].bytes -
                    w.candidates[w.chosen].bytes;
    if (total + extra > budget)
      continue; // This weight's later steps cost more still.
    total += extra;
    w.chosen = w.hull[++w.hullPos];
    push(i);
  }

  // Fill: any upgrade that fits, best reduction per byte first.
  for (;;) {
    double bestGain = 0;
    Weight *best = nullptr;
    unsigned bestCandidate = 0;
    for (Weight &w : weights)
      for (auto [c, candidate] : llvm::enumerate(w.candidates)) {
        const Candidate &now = w.candidates[w.chosen];
        int64_t extra = candidate.bytes - now.bytes;
        if (extra <= 0 || total + extra > budget || candidate.error >= now.error)
          continue;
        double g = (now.error - candidate.error) / double(extra);
        if (g > bestGain) {
          bestGain = g;
          best = &w;
          bestCandidate = c;
        }
      }
    if (!best)
      break;
    total += best->candidates[bestCandidate].bytes -
             best->candidates[best->chosen].bytes;
    best->chosen = bestCandidate;
  }
  return success();
}

void QCAssignPrecisionPass::print(MutableArrayRef<Weight> weights,
                                  int64_t budget, int64_t elements) {
  llvm::raw_ostream &os = llvm::outs();
  os << llvm::format("%-32s %-14s %-8s %12s %7s %12s %12s\n", "weight",
                     "shape", "type", "bytes", "bpw", "rel. error",
                     "error");
  int64_t total = 0;
  double error = 0;
  for (Weight &w : weights) {
    RankedTensorType type = w.global.getTensorType();
    std::string shape;
    llvm::raw_string_ostream shapeOS(shape);
    llvm::interleave(type.getShape(), shapeOS, "x");
    Type element = type.getElementType();
    int64_t bytes = w.fixedBytes;
    if (!w.candidates.empty()) {
      element = w.candidates[w.chosen].element;
      bytes = w.candidates[w.chosen].bytes;
    }
    std::string name;
    if (std::optional<uint32_t> id = qc::getGGMLType(element))
      name = qc::getGGMLTypeName(*id);
    else
      llvm::raw_string_ostream(name) << element;
    total += bytes;
    os << llvm::format("%-32s %-14s %-8s %12lld %7.3f ",
                       w.global.getSymName().str().c_str(), shape.c_str(),
                       name.c_str(), static_cast<long long>(bytes),
                       8.0 * bytes / double(type.getNumElements()));
    if (w.candidates.empty()) {
      os << llvm::format("%12s %12s\n", "(kept)", "-");
      continue;
    }
    const Candidate &c = w.candidates[w.chosen];
    error += c.error;
    os << llvm::format("%12.4e %12.4e\n", c.relative, c.error);
  }
  os << llvm::format("total: %lld bytes, %.4f bpw (budget %lld bytes, %.4f "
                     "bpw), error %.4e\n",
                     static_cast<long long>(total), 8.0 * total / elements,
                     static_cast<long long>(budget), 8.0 * budget / elements,
                     error);
  os.flush();
}

void QCAssignPrecisionPass::runOnOperation() {
  ModuleOp module = getOperation();
  if ((bpw > 0) == (size > 0)) {
    module.emitError() << "qc-assign-precision needs one budget: bpw=X or "
                          "size=BYTES";
    return signalPassFailure();
  }
  for (StringRef spec : roleWeights) {
    auto [pattern, value] = spec.rsplit('=');
    double factor;
    llvm::Regex regex(pattern);
    if (pattern.empty() || !regex.isValid() || value.getAsDouble(factor) ||
        factor < 0) {
      module.emitError() << "role-weight '" << spec
                         << "': expected REGEX=FACTOR with a factor >= 0";
      return signalPassFailure();
    }
    roles.emplace_back(pattern.str(), factor);
  }
  if (!imatrix.empty()) {
    FailureOr<ImportanceMatrix> loaded =
        readImportanceMatrix(imatrix, [&] { return module.emitError(); });
    if (failed(loaded))
      return signalPassFailure();
    importance = std::move(*loaded);
  }

  SmallVector<Weight> weights;
  if (failed(collect(module, weights)) || failed(measure(module, weights)))
    return signalPassFailure();
  int64_t elements = 0;
  for (Weight &w : weights)
    elements += w.global.getTensorType().getNumElements();
  int64_t budget =
      size > 0 ? int64_t(size) : static_cast<int64_t>(bpw * elements / 8);
  if (failed(solve(module, weights, budget)))
    return signalPassFailure();
  if (dump)
    print(weights, budget, elements);

  // The plan, and the type with the most weights for general.file_type (as
  // llama.cpp's loader guesses a mixed file's type).
  Builder b(&getContext());
  llvm::DenseMap<Type, int64_t> counts;
  for (Weight &w : weights) {
    qc::GlobalOp global = w.global;
    global->removeAttr(qc::QCDialect::kQuantizeToAttrName);
    global->removeAttr(qc::QCDialect::kQuantErrorAttrName);
    if (w.candidates.empty())
      continue;
    const Candidate &c = w.candidates[w.chosen];
    counts[c.element] += global.getTensorType().getNumElements();
    global->setAttr(qc::QCDialect::kQuantizeToAttrName,
                    TypeAttr::get(RankedTensorType::get(
                        global.getTensorType().getShape(), c.element)));
    global->setAttr(qc::QCDialect::kQuantErrorAttrName,
                    b.getF64FloatAttr(c.relative));
  }
  Type common;
  for (Type element : llvm::map_range(weights, [](Weight &w) {
         return w.candidates.empty() ? Type()
                                     : w.candidates[w.chosen].element;
       }))
    if (element && (!common || counts[element] > counts[common]))
      common = element;
  auto u32 = IntegerType::get(&getContext(), 32, IntegerType::Unsigned);
  qc::MetadataView metadata(module);
  metadata.set("general.quantization_version", b.getIntegerAttr(u32, 2));
  if (common) {
    std::string name = qc::getGGMLTypeName(*qc::getGGMLType(common));
    std::string fileType = llvm::StringSwitch<std::string>(name)
                               .Case("q3_K", "Q3_K_M")
                               .Case("q4_K", "Q4_K_M")
                               .Case("q5_K", "Q5_K_M")
                               .Default(llvm::StringRef(name).upper());
    if (std::optional<uint32_t> id = getFileTypeId(fileType))
      metadata.set("general.file_type", b.getIntegerAttr(u32, *id));
  }
  metadata.commit();
}
