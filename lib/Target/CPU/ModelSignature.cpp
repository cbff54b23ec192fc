//===- ModelSignature.cpp - A model's inputs and outputs ------------------===//
//
// Part of quantc.
//
//===----------------------------------------------------------------------===//

#include "ModelSignature.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/BuiltinTypes.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;
using namespace llvm;

namespace quantc::cpu {

StringRef dtypeName(int32_t dtype) {
  switch (dtype) {
  case 1:
    return "float32";
  case 2:
    return "uint8";
  case 3:
    return "int8";
  case 4:
    return "uint16";
  case 5:
    return "int16";
  case 6:
    return "int32";
  case 7:
    return "int64";
  case 9:
    return "bool";
  case 10:
    return "float16";
  case 11:
    return "float64";
  case 12:
    return "uint32";
  case 13:
    return "uint64";
  case 16:
    return "bfloat16";
  default:
    return "unknown";
  }
}

/// Bytes per element of a dtype; 0 when unknown.
static unsigned dtypeSize(int32_t dtype) {
  switch (dtype) {
  case 1:
  case 6:
  case 12:
    return 4;
  case 2:
  case 3:
  case 9:
    return 1;
  case 4:
  case 5:
  case 10:
  case 16:
    return 2;
  case 7:
  case 11:
  case 13:
    return 8;
  default:
    return 0;
  }
}

/// The dtype an element type has when no `qc.dtype` says otherwise.
static std::optional<int32_t> defaultDtype(Type type) {
  if (type.isF32())
    return 1;
  if (type.isF16())
    return 10;
  if (type.isBF16())
    return 16;
  if (type.isF64())
    return 11;
  if (type.isSignlessInteger(1))
    return 9;
  if (type.isSignlessInteger(8))
    return 3;
  if (type.isSignlessInteger(16))
    return 5;
  if (type.isSignlessInteger(32))
    return 6;
  if (type.isSignlessInteger(64))
    return 7;
  return std::nullopt;
}

/// The value's bytes, little-endian, one byte per i1.
static FailureOr<std::string> elementsBytes(ElementsAttr attr,
                                            Location loc) {
  if (auto resource = dyn_cast<DenseResourceElementsAttr>(attr)) {
    AsmResourceBlob *blob = resource.getRawHandle().getBlob();
    if (!blob)
      return emitError(loc) << "bound value resource has no data";
    ArrayRef<char> data = blob->getData();
    return std::string(data.begin(), data.end());
  }
  auto dense = dyn_cast<DenseElementsAttr>(attr);
  if (!dense)
    return emitError(loc) << "unsupported bound value attribute " << attr;
  std::string bytes;
  auto append = [&](const APInt &value, unsigned width) {
    for (unsigned byte = 0; byte < width; ++byte)
      bytes.push_back(static_cast<char>(
          value.extractBitsAsZExtValue(8, byte * 8)));
  };
  Type element = dense.getElementType();
  if (element.isInteger(1)) {
    for (bool b : dense.getValues<bool>())
      bytes.push_back(b ? 1 : 0);
  } else if (element.isIntOrIndex()) {
    for (const APInt &v : dense.getValues<APInt>())
      append(v, v.getBitWidth() / 8);
  } else if (isa<FloatType>(element)) {
    for (const APFloat &v : dense.getValues<APFloat>()) {
      APInt bits = v.bitcastToAPInt();
      append(bits, bits.getBitWidth() / 8);
    }
  } else {
    return emitError(loc) << "unsupported bound value element type "
                          << element;
  }
  return bytes;
}

static FailureOr<TensorSignature>
readTensor(Type type, DictionaryAttr attrs, StringRef what, unsigned index,
           Location loc) {
  auto tensor = dyn_cast<RankedTensorType>(type);
  if (!tensor || !tensor.hasStaticShape())
    return emitError(loc) << what << " " << index
                          << " is not a statically shaped tensor: " << type;
  TensorSignature sig;
  sig.elementType = tensor.getElementType();
  sig.shape.assign(tensor.getShape().begin(), tensor.getShape().end());
  std::optional<int32_t> dtype = defaultDtype(sig.elementType);
  if (!dtype)
    return emitError(loc) << what << " " << index
                          << " has an unsupported element type "
                          << sig.elementType;
  sig.dtype = *dtype;
  auto name = attrs ? attrs.getAs<StringAttr>("qc.name") : StringAttr();
  sig.name = name ? name.str() : (what + Twine(index)).str();
  if (auto given = attrs ? attrs.getAs<IntegerAttr>("qc.dtype")
                         : IntegerAttr()) {
    int32_t value = given.getInt();
    unsigned width = sig.elementType.isInteger(1)
                         ? 1
                         : sig.elementType.getIntOrFloatBitWidth() / 8;
    if (dtypeSize(value) != width)
      return emitError(loc) << what << " " << index << " ('" << sig.name
                            << "'): qc.dtype " << value << " does not fit "
                            << sig.elementType;
    sig.dtype = value;
  }
  if (auto bound = attrs ? attrs.getAs<ElementsAttr>("qc.bound_value")
                         : ElementsAttr()) {
    if (bound.getShapedType().getShape() != tensor.getShape() ||
        bound.getElementType() != sig.elementType)
      return emitError(loc) << what << " " << index << " ('" << sig.name
                            << "'): qc.bound_value does not match " << type;
    FailureOr<std::string> bytes = elementsBytes(bound, loc);
    if (failed(bytes))
      return failure();
    sig.boundValue = std::move(*bytes);
  }
  return sig;
}

FailureOr<ModelSignature> extractModelSignature(ModuleOp module) {
  func::FuncOp entry;
  for (auto func : module.getOps<func::FuncOp>()) {
    if (!func.isPublic() || func.isDeclaration())
      continue;
    if (entry)
      return module.emitError("the model has more than one public function: @")
             << entry.getSymName() << " and @" << func.getSymName();
    entry = func;
  }
  if (!entry)
    return module.emitError("the model has no public func.func to compile");

  ModelSignature sig;
  sig.entryName = entry.getSymName().str();
  FunctionType type = entry.getFunctionType();
  for (auto [i, input] : llvm::enumerate(type.getInputs())) {
    auto tensor = readTensor(input, entry.getArgAttrDict(i), "input", i,
                             entry.getLoc());
    if (failed(tensor))
      return failure();
    sig.inputs.push_back(std::move(*tensor));
  }
  for (auto [i, result] : llvm::enumerate(type.getResults())) {
    auto tensor = readTensor(result, entry.getResultAttrDict(i), "output", i,
                             entry.getLoc());
    if (failed(tensor))
      return failure();
    if (tensor->boundValue)
      return entry.emitError("output ") << i << " has a qc.bound_value";
    sig.outputs.push_back(std::move(*tensor));
  }
  if (sig.outputs.empty())
    return entry.emitError("the model has no outputs");
  return sig;
}

std::string renderModelHeader(const ModelSignature &signature,
                              StringRef modelName, StringRef triple) {
  std::string text;
  raw_string_ostream os(text);
  std::string guard = ("QUANTC_MODEL_" + modelName.upper() + "_H");
  auto describe = [&](const TensorSignature &t, unsigned i) {
    os << " *   [" << i << "] \"" << t.name << "\" " << dtypeName(t.dtype)
       << " [";
    llvm::interleave(t.shape, os, "x");
    os << "]" << (t.boundValue ? " (bound at compile time)" : "") << "\n";
  };
  os << "/* " << modelName << ".h: generated by `quantc compile`; do not edit.\n"
     << " *\n"
     << " * Compiled for " << triple << ". Run it with libquantc_runtime\n"
     << " * (quantc/runtime.h):\n"
     << " *\n"
     << " *   qc_context *ctx;\n"
     << " *   qc_context_create(" << modelName << "(), NULL, &ctx);\n"
     << " *\n"
     << " * Inputs (dense, row-major):\n";
  for (auto [i, t] : llvm::enumerate(signature.inputs))
    describe(t, i);
  os << " * Outputs:\n";
  for (auto [i, t] : llvm::enumerate(signature.outputs))
    describe(t, i);
  os << " */\n\n"
     << "#ifndef " << guard << "\n#define " << guard << "\n\n"
     << "#include \"quantc/runtime.h\"\n\n"
     << "#ifdef __cplusplus\nextern \"C\" {\n#endif\n\n"
     << "/* The model's descriptor. */\n"
     << "const qc_model *" << modelName << "(void);\n\n"
     << "/* Runs the model directly: `buffers` holds the " 
     << signature.inputs.size() << " input(s) then the "
     << signature.outputs.size() << " output(s). */\n"
     << "int32_t " << modelName << "_run(void **buffers, qc_rt *rt);\n\n"
     << "#ifdef __cplusplus\n} /* extern \"C\" */\n#endif\n\n"
     << "#endif /* " << guard << " */\n";
  return text;
}

} // namespace quantc::cpu
