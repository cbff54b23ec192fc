//===- PlanQuantization.cpp - Choose weight types with a llama.cpp mix ----===//
//
// Part of quantc.
//
//===----------------------------------------------------------------------===//

#include "quantc/Dialect/QC/IR/QCMetadata.h"
#include "quantc/Dialect/QC/IR/QCOps.h"
#include "quantc/Transforms/Passes.h"
#include "quantc/Transforms/QuantizationPlan.h"

#include "mlir/IR/Builders.h"
#include "llvm/ADT/STLExtras.h"

#include "absl/status/statusor.h"

import quantc.recipes;

namespace quantc {
#define GEN_PASS_DEF_QCPLANQUANTIZATIONPASS
#include "quantc/Transforms/Passes.h.inc"
} // namespace quantc

using namespace mlir;
using namespace quantc;
namespace recipes = quantc::recipes;

/// Parses a type option ("q6_K", "F16"); the empty string is no type.
static LogicalResult parseTypeOption(ModuleOp module, StringRef option,
                                     StringRef value,
                                     std::optional<uint32_t> &out) {
  if (value.empty())
    return success();
  out = qc::parseGGMLTypeName(value);
  if (!out)
    return module.emitError() << option << ": unknown type '" << value << "'";
  return success();
}

std::optional<uint32_t> quantc::getFileTypeId(StringRef name) {
  std::optional<recipes::FileTypeInfo> info =
      recipes::parseFileType(std::string_view(name.data(), name.size()));
  if (!info)
    return std::nullopt;
  return static_cast<uint32_t>(info->fileType);
}

SmallVector<std::string> quantc::getFileTypeNames() {
  SmallVector<std::string> names;
  for (const recipes::FileTypeInfo &info : recipes::fileTypes())
    names.emplace_back(info.name);
  return names;
}

FailureOr<SmallVector<WeightPlan>>
quantc::planWeightTypes(ModuleOp module, const PlanOptions &planOptions) {
  std::optional<recipes::FileTypeInfo> fileTypeInfo =
      recipes::parseFileType(planOptions.fileType);
  if (!fileTypeInfo) {
    InFlightDiagnostic diag = module.emitError()
                              << "unknown file type '" << planOptions.fileType
                              << "'; expected one of";
    for (const recipes::FileTypeInfo &info : recipes::fileTypes())
      diag << " " << std::string_view(info.name);
    return failure();
  }

  recipes::RecipeOptions options;
  options.fileType = fileTypeInfo->fileType;
  options.pure = planOptions.pure;
  options.hasImatrix = planOptions.withImatrix;
  for (StringRef spec : planOptions.tensorTypes) {
    auto [pattern, typeName] = spec.rsplit('=');
    std::optional<uint32_t> type = qc::parseGGMLTypeName(typeName);
    if (pattern.empty() || !type)
      return module.emitError()
             << "tensor-type '" << spec
             << "': expected REGEX=TYPE with a ggml type name";
    options.overrides.push_back({pattern.str(), *type});
  }
  if (failed(parseTypeOption(module, "output-tensor-type",
                             planOptions.outputTensorType,
                             options.outputType)) ||
      failed(parseTypeOption(module, "token-embedding-type",
                             planOptions.tokenEmbeddingType,
                             options.tokenEmbeddingType)))
    return failure();

  // The model as the recipe sees it: tensors in ggml order (ne[0] first).
  SmallVector<qc::GlobalOp> globals(module.getOps<qc::GlobalOp>());
  std::vector<recipes::TensorDesc> tensors;
  for (qc::GlobalOp global : globals) {
    RankedTensorType type = global.getTensorType();
    std::optional<uint32_t> ggmlType = qc::getGGMLType(type.getElementType());
    // Floats GGUF cannot store (f8 from safetensors) are planned as if they
    // were f32: kept tensors become f32, the rest are quantized from them.
    if (!ggmlType && isa<FloatType>(type.getElementType()))
      ggmlType = 0;
    if (!ggmlType)
      return global.emitError() << "cannot plan a weight of element type "
                                << type.getElementType();
    recipes::TensorDesc desc;
    desc.name = global.getSymName().str();
    desc.ne.assign(type.getShape().rbegin(), type.getShape().rend());
    if (desc.ne.empty())
      desc.ne.push_back(1);
    desc.type = *ggmlType;
    tensors.push_back(std::move(desc));
  }

  qc::MetadataView metadata(module);
  recipes::ModelParams params;
  params.architecture = metadata.getString("general.architecture").str();
  std::string arch = params.architecture;
  params.blockCount = metadata.getUInt(arch + ".block_count").value_or(0);
  params.headCount =
      metadata.getUInt(arch + ".attention.head_count").value_or(0);
  params.headCountKV = metadata.getUInt(arch + ".attention.head_count_kv")
                           .value_or(params.headCount);
  params.expertCount = metadata.getUInt(arch + ".expert_count").value_or(0);

  absl::StatusOr<std::vector<recipes::TensorPlan>> plans =
      recipes::planModel(params, tensors, options);
  if (!plans.ok())
    return module.emitError() << std::string(plans.status().message());

  SmallVector<WeightPlan> result;
  for (auto [global, plan] : llvm::zip(globals, *plans)) {
    WeightPlan weightPlan;
    weightPlan.type = RankedTensorType::get(
        global.getTensorType().getShape(),
        qc::getTypeForGGMLType(module.getContext(), plan.type));
    weightPlan.fellBack = plan.fellBack;
    result.push_back(weightPlan);
  }
  return result;
}

namespace {
struct QCPlanQuantizationPass
    : public quantc::impl::QCPlanQuantizationPassBase<QCPlanQuantizationPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    PlanOptions options;
    options.fileType = fileType;
    options.pure = pure;
    options.tensorTypes.assign(tensorTypes.begin(), tensorTypes.end());
    options.outputTensorType = outputTensorType;
    options.tokenEmbeddingType = tokenEmbeddingType;
    options.withImatrix = withImatrix;
    FailureOr<SmallVector<WeightPlan>> plans = planWeightTypes(module, options);
    if (failed(plans))
      return signalPassFailure();

    for (auto [global, plan] :
         llvm::zip(module.getOps<qc::GlobalOp>(), *plans)) {
      global->removeAttr(qc::QCDialect::kQuantizeToAttrName);
      if (plan.type != global.getTensorType())
        global->setAttr(qc::QCDialect::kQuantizeToAttrName,
                        TypeAttr::get(plan.type));
    }

    // As llama-quantize: the new file type and the quantization version.
    Builder b(module.getContext());
    auto u32 = IntegerType::get(b.getContext(), 32, IntegerType::Unsigned);
    qc::MetadataView metadata(module);
    metadata.set("general.quantization_version", b.getIntegerAttr(u32, 2));
    metadata.set("general.file_type",
                 b.getIntegerAttr(u32, *getFileTypeId(fileType)));
    metadata.commit();
  }
};
} // namespace
