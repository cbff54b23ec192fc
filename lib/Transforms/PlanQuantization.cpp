//===- PlanQuantization.cpp - Choose weight types with a llama.cpp mix ----===//
//
// Part of quantc.
//
//===----------------------------------------------------------------------===//

#include "quantc/Dialect/QC/IR/QCOps.h"
#include "quantc/Transforms/Passes.h"
#include "quantc/Dialect/QC/IR/QCMetadata.h"

#include "mlir/IR/Builders.h"
#include "absl/status/statusor.h"
#include "llvm/ADT/STLExtras.h"

import quantc.recipes;

namespace quantc {
#define GEN_PASS_DEF_QCPLANQUANTIZATIONPASS
#include "quantc/Transforms/Passes.h.inc"
} // namespace quantc

using namespace mlir;
using namespace quantc;
namespace recipes = quantc::recipes;

namespace {

/// Parses a type option ("q6_K", "F16"); the empty string is no type.
LogicalResult parseTypeOption(ModuleOp module, StringRef option,
                              StringRef value, std::optional<uint32_t> &out) {
  if (value.empty())
    return success();
  out = qc::parseGGMLTypeName(value);
  if (!out)
    return module.emitError() << option << ": unknown type '" << value << "'";
  return success();
}

struct QCPlanQuantizationPass
    : public quantc::impl::QCPlanQuantizationPassBase<QCPlanQuantizationPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    std::optional<recipes::FileTypeInfo> fileTypeInfo =
        recipes::parseFileType(fileType.getValue());
    if (!fileTypeInfo) {
      InFlightDiagnostic diag = module.emitError()
                                << "unknown file type '" << fileType
                                << "'; expected one of";
      for (const recipes::FileTypeInfo &info : recipes::fileTypes())
        diag << " " << std::string_view(info.name);
      return signalPassFailure();
    }

    recipes::RecipeOptions options;
    options.fileType = fileTypeInfo->fileType;
    options.pure = pure;
    options.hasImatrix = withImatrix;
    for (StringRef spec : tensorTypes) {
      auto [pattern, typeName] = spec.rsplit('=');
      std::optional<uint32_t> type = qc::parseGGMLTypeName(typeName);
      if (pattern.empty() || !type) {
        module.emitError() << "tensor-type '" << spec
                           << "': expected REGEX=TYPE with a ggml type name";
        return signalPassFailure();
      }
      options.overrides.push_back({pattern.str(), *type});
    }
    if (failed(parseTypeOption(module, "output-tensor-type", outputTensorType,
                               options.outputType)) ||
        failed(parseTypeOption(module, "token-embedding-type",
                               tokenEmbeddingType, options.tokenEmbeddingType)))
      return signalPassFailure();

    // The model as the recipe sees it: tensors in ggml order (ne[0] first).
    SmallVector<qc::GlobalOp> globals(module.getOps<qc::GlobalOp>());
    std::vector<recipes::TensorDesc> tensors;
    for (qc::GlobalOp global : globals) {
      RankedTensorType type = global.getTensorType();
      std::optional<uint32_t> ggmlType = qc::getGGMLType(type.getElementType());
      if (!ggmlType) {
        global.emitError() << "cannot plan a weight of element type "
                           << type.getElementType();
        return signalPassFailure();
      }
      recipes::TensorDesc desc;
      desc.name = global.getSymName().str();
      desc.ne.assign(type.getShape().rbegin(), type.getShape().rend());
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
    params.headCountKV =
        metadata.getUInt(arch + ".attention.head_count_kv")
            .value_or(params.headCount);
    params.expertCount = metadata.getUInt(arch + ".expert_count").value_or(0);

    absl::StatusOr<std::vector<recipes::TensorPlan>> plans =
        recipes::planModel(params, tensors, options);
    if (!plans.ok()) {
      module.emitError() << plans.status().message();
      return signalPassFailure();
    }

    Builder b(module.getContext());
    for (auto [global, plan, desc] : llvm::zip(globals, *plans, tensors)) {
      global->removeAttr(qc::QCDialect::kQuantizeToAttrName);
      if (plan.type == desc.type)
        continue;
      RankedTensorType from = global.getTensorType();
      auto to = RankedTensorType::get(
          from.getShape(), qc::getTypeForGGMLType(b.getContext(), plan.type));
      global->setAttr(qc::QCDialect::kQuantizeToAttrName, TypeAttr::get(to));
    }

    // As llama-quantize: the new file type and the quantization version.
    metadata.set("general.quantization_version", b.getIntegerAttr(
        IntegerType::get(b.getContext(), 32, IntegerType::Unsigned), 2));
    metadata.set("general.file_type",
                 b.getIntegerAttr(IntegerType::get(b.getContext(), 32,
                                                   IntegerType::Unsigned),
                                  static_cast<uint32_t>(options.fileType)));
    metadata.commit();
  }
};
} // namespace
