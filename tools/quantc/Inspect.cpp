//===- Inspect.cpp - quantc inspect ---------------------------------------===//
//
// Part of quantc.
//
// `quantc inspect FILE`: a model's metadata, its tensors (name, shape, type,
// bytes, bits per weight), the totals, and the size the model would have at
// each llama-quantize type, planned with the same mixes `quantc quantize`
// uses.
//
//===----------------------------------------------------------------------===//

#include "Command.h"
#include "ModelIO.h"

#include "quantc/Dialect/QC/IR/QCMetadata.h"
#include "quantc/Dialect/QC/IR/QCOps.h"
#include "quantc/Transforms/QuantizationPlan.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

using namespace llvm;
using namespace mlir;
using namespace quantc;

static cl::SubCommand inspectCommand(
    "inspect", "Print a model's metadata, tensors and size at each quantization type");
static cl::opt<std::string> inspectInput(cl::Positional, cl::Required,
                                         cl::desc("<model.gguf | model.safetensors | model dir>"),
                                         cl::sub(inspectCommand));
static cl::opt<unsigned> inspectArrayItems(
    "array-items", cl::init(8), cl::sub(inspectCommand),
    cl::desc("Array elements to print per metadata entry (default 8)"));

/// Prints a metadata value, eliding long arrays.
static void printValue(raw_ostream &os, Attribute value, unsigned maxItems) {
  if (auto dense = dyn_cast<DenseElementsAttr>(value)) {
    os << "[" << dense.getElementType() << " x " << dense.getNumElements()
       << "]";
    unsigned shown = 0;
    os << " {";
    if (dense.getElementType().isIntOrIndex()) {
      for (APInt v : dense.getValues<APInt>()) {
        if (shown++ == maxItems) {
          os << ", ...";
          break;
        }
        os << (shown > 1 ? ", " : "")
           << (dense.getElementType().isSignedInteger() ? v.getSExtValue()
                                                        : (int64_t)v.getZExtValue());
      }
    } else {
      for (APFloat v : dense.getValues<APFloat>()) {
        if (shown++ == maxItems) {
          os << ", ...";
          break;
        }
        os << (shown > 1 ? ", " : "") << v.convertToDouble();
      }
    }
    os << "}";
    return;
  }
  if (auto array = dyn_cast<ArrayAttr>(value)) {
    os << "[" << array.size() << " items] [";
    for (auto [i, element] : llvm::enumerate(array)) {
      if (i == maxItems) {
        os << ", ...";
        break;
      }
      os << (i ? ", " : "");
      printValue(os, element, maxItems);
    }
    os << "]";
    return;
  }
  if (auto str = dyn_cast<StringAttr>(value)) {
    os << '"';
    os.write_escaped(str.getValue().size() > 120
                         ? str.getValue().take_front(120)
                         : str.getValue());
    os << (str.getValue().size() > 120 ? "...\"" : "\"");
    return;
  }
  value.print(os);
}

static std::string humanBytes(double bytes) {
  const char *units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int unit = 0;
  while (bytes >= 1024 && unit < 4) {
    bytes /= 1024;
    ++unit;
  }
  std::string out;
  raw_string_ostream(out) << format(unit ? "%.2f %s" : "%.0f %s", bytes,
                                    units[unit]);
  return out;
}

static int runInspect() {
  MLIRContext context;
  installDiagnosticPrinter(context);
  OwningOpRef<ModuleOp> module = importModel(inspectInput, &context);
  if (!module)
    return 1;
  raw_ostream &os = outs();

  os << "model: " << inspectInput << "\n";
  qc::MetadataView metadata(*module);
  if (auto version = (*module)->getAttrOfType<IntegerAttr>(
          qc::QCDialect::kGGUFVersionAttrName))
    os << "format: GGUF v" << version.getInt() << "\n";
  os << "\nmetadata (" << metadata.entries().size() << " entries):\n";
  for (const auto &[key, value] : metadata.entries()) {
    os << "  " << left_justify(key.getValue(), 40) << " ";
    printValue(os, value, inspectArrayItems);
    os << "\n";
  }

  SmallVector<qc::GlobalOp> globals((*module).getOps<qc::GlobalOp>());
  size_t nameWidth = 4;
  for (qc::GlobalOp global : globals)
    nameWidth = std::max(nameWidth, global.getSymName().size());
  os << "\ntensors (" << globals.size() << "):\n  "
     << left_justify("name", nameWidth) << "  " << left_justify("shape", 20)
     << "  " << left_justify("type", 8) << "  " << right_justify("bytes", 14)
     << "  " << right_justify("bpw", 7) << "\n";
  int64_t totalBytes = 0, totalElements = 0;
  for (qc::GlobalOp global : globals) {
    RankedTensorType type = global.getTensorType();
    int64_t bytes = *qc::getStorageSize(type);
    std::string shape;
    raw_string_ostream shapeOS(shape);
    llvm::interleave(type.getShape(), shapeOS, "x");
    std::optional<uint32_t> ggml = qc::getGGMLType(type.getElementType());
    std::string typeName;
    if (ggml)
      typeName = qc::getGGMLTypeName(*ggml);
    else
      raw_string_ostream(typeName) << type.getElementType();
    os << "  " << left_justify(global.getSymName(), nameWidth) << "  "
       << left_justify(shape, 20) << "  " << left_justify(typeName, 8) << "  "
       << format_decimal(bytes, 14) << "  "
       << format("%7.3f", 8.0 * bytes / std::max<int64_t>(1, type.getNumElements()))
       << "\n";
    totalBytes += bytes;
    totalElements += type.getNumElements();
  }
  os << "\ntotal: " << globals.size() << " tensors, " << totalElements
     << " weights, " << totalBytes << " bytes (" << humanBytes(totalBytes)
     << ")"
     << format(", %.3f bits per weight\n",
               8.0 * totalBytes / std::max<int64_t>(1, totalElements));

  // Footprints: the tensor bytes the model would have at each type.
  os << "\nsize at each quantization type (llama-quantize mixes):\n";
  ScopedDiagnosticHandler quiet(&context, [](Diagnostic &) { return success(); });
  for (const std::string &fileType : getFileTypeNames()) {
    PlanOptions options;
    options.fileType = fileType;
    FailureOr<SmallVector<WeightPlan>> plans =
        planWeightTypes(*module, options);
    os << "  " << left_justify(fileType, 8) << " ";
    if (failed(plans)) {
      os << "cannot be planned for this model\n";
      continue;
    }
    int64_t bytes = 0;
    for (const WeightPlan &plan : *plans)
      bytes += *qc::getStorageSize(plan.type);
    os << right_justify(humanBytes(bytes), 12)
       << format("  %6.3f bpw  %5.1f%% of the file's tensors\n",
                 8.0 * bytes / std::max<int64_t>(1, totalElements),
                 100.0 * bytes / std::max<int64_t>(1, totalBytes));
  }
  return 0;
}

static quantc::driver::Command inspectRegistration(inspectCommand, runInspect);
