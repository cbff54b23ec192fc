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
#include "llvm/ADT/StringMap.h"
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

/// Whether two tensors have the same type.
static bool sameType(const TensorSignature &a, const TensorSignature &b) {
  return a.dtype == b.dtype && a.elementType == b.elementType &&
         a.shape == b.shape;
}

FailureOr<ModelSignature> extractModelSignature(ModuleOp module) {
  SmallVector<func::FuncOp> funcs;
  for (auto func : module.getOps<func::FuncOp>())
    if (func.isPublic() && !func.isDeclaration())
      funcs.push_back(func);
  if (funcs.empty())
    return module.emitError("the model has no public func.func to compile");

  ModelSignature sig;
  llvm::StringMap<int32_t> states;
  for (func::FuncOp func : funcs) {
    EntrySignature entry;
    entry.name = func.getSymName().str();
    entry.funcName = entry.name;
    FunctionType type = func.getFunctionType();
    SmallVector<bool> isState(type.getNumInputs(), false);
    for (auto [i, input] : llvm::enumerate(type.getInputs())) {
      auto tensor = readTensor(input, func.getArgAttrDict(i), "input", i,
                               func.getLoc());
      if (failed(tensor))
        return failure();
      auto kind = func.getArgAttrOfType<StringAttr>(i, "qc.kind");
      if (kind && kind.getValue() != "state")
        return func.emitError("argument ")
               << i << ": unknown qc.kind '" << kind.getValue() << "'";
      if (!kind) {
        entry.inputs.push_back(sig.inputs.size());
        sig.inputs.push_back(std::move(*tensor));
        continue;
      }
      isState[i] = true;
      if (tensor->boundValue)
        return func.emitError("state argument ")
               << i << " ('" << tensor->name << "') has a qc.bound_value";
      tensor->kind = InputKind::State;
      // A state is shared by name across entries.
      auto [it, inserted] = states.try_emplace(tensor->name, sig.inputs.size());
      if (inserted) {
        sig.inputs.push_back(std::move(*tensor));
      } else if (!sameType(sig.inputs[it->second], *tensor)) {
        return func.emitError("state argument ")
               << i << " ('" << tensor->name << "') is " << input
               << ", but another entry's state of that name has another "
                  "type";
      }
      entry.inputs.push_back(it->second);
    }
    SmallVector<bool> updated(type.getNumInputs(), false);
    for (auto [i, result] : llvm::enumerate(type.getResults())) {
      if (auto state = func.getResultAttrOfType<IntegerAttr>(i, "qc.state")) {
        int64_t arg = state.getInt();
        if (arg < 0 || arg >= static_cast<int64_t>(isState.size()) ||
            !isState[arg])
          return func.emitError("result ")
                 << i << ": qc.state = " << arg
                 << " is not a qc.kind = \"state\" argument";
        if (type.getInput(arg) != result)
          return func.emitError("result ")
                 << i << " (" << result << ") is the new value of state "
                 << "argument " << arg << ", which is " << type.getInput(arg);
        if (updated[arg])
          return func.emitError("state argument ")
                 << arg << " gets a new value from two results";
        updated[arg] = true;
        continue;
      }
      auto tensor = readTensor(result, func.getResultAttrDict(i), "output", i,
                               func.getLoc());
      if (failed(tensor))
        return failure();
      if (tensor->boundValue)
        return func.emitError("output ") << i << " has a qc.bound_value";
      entry.outputs.push_back(sig.outputs.size());
      sig.outputs.push_back(std::move(*tensor));
    }
    if (entry.outputs.empty() && !llvm::is_contained(updated, true))
      return func.emitError(funcs.size() > 1 ? "entry @" + entry.name + " has"
                                             : std::string("the model has"))
             << " no outputs";
    sig.entries.push_back(std::move(entry));
  }
  return sig;
}

LogicalResult addWeightInputs(ModuleOp module, ModelSignature &sig) {
  auto weights = module->getAttrOfType<DictionaryAttr>("qc_cpu.weights");
  if (!weights)
    return success();
  module->removeAttr("qc_cpu.weights");
  auto malformed = [&] {
    return module.emitError("malformed qc_cpu.weights attribute: ") << weights;
  };
  auto files = weights.getAs<ArrayAttr>("files");
  auto entries = weights.getAs<ArrayAttr>("entries");
  if (!files || !entries)
    return malformed();
  for (Attribute attr : files) {
    auto file = dyn_cast<DictionaryAttr>(attr);
    auto path = file ? file.getAs<StringAttr>("path") : StringAttr();
    auto size = file ? file.getAs<IntegerAttr>("size") : IntegerAttr();
    auto header = file ? file.getAs<IntegerAttr>("header_bytes") : IntegerAttr();
    auto hash = file ? file.getAs<IntegerAttr>("header_hash") : IntegerAttr();
    if (!path || !size || !header || !hash)
      return malformed();
    sig.weightFiles.push_back({path.str(), size.getValue().getZExtValue(),
                               header.getValue().getZExtValue(),
                               hash.getValue().getZExtValue()});
  }
  llvm::StringMap<int32_t> byName;
  for (Attribute attr : entries) {
    auto desc = dyn_cast<DictionaryAttr>(attr);
    auto name = desc ? desc.getAs<StringAttr>("entry") : StringAttr();
    auto args = desc ? desc.getAs<ArrayAttr>("args") : ArrayAttr();
    if (!name || !args)
      return malformed();
    auto entry = llvm::find_if(sig.entries, [&](const EntrySignature &e) {
      return e.funcName == name.getValue();
    });
    if (entry == sig.entries.end())
      return module.emitError("qc_cpu.weights names no entry @") << name;
    for (Attribute argAttr : args) {
      auto arg = dyn_cast<DictionaryAttr>(argAttr);
      auto weight = arg ? arg.getAs<StringAttr>("name") : StringAttr();
      auto type = arg ? arg.getAs<TypeAttr>("type") : TypeAttr();
      auto file = arg ? arg.getAs<IntegerAttr>("file") : IntegerAttr();
      auto offset = arg ? arg.getAs<IntegerAttr>("offset") : IntegerAttr();
      if (!weight || !type || !file || !offset ||
          file.getInt() >= static_cast<int64_t>(sig.weightFiles.size()))
        return malformed();
      FailureOr<TensorSignature> tensor = readTensor(
          type.getValue(), DictionaryAttr(), "weight", 0, module.getLoc());
      if (failed(tensor))
        return failure();
      tensor->name = weight.str();
      tensor->kind = InputKind::Weight;
      tensor->weightFile = file.getInt();
      tensor->fileOffset = offset.getInt();
      auto [it, inserted] = byName.try_emplace(weight, sig.inputs.size());
      if (inserted)
        sig.inputs.push_back(std::move(*tensor));
      else if (!sameType(sig.inputs[it->second], *tensor))
        return module.emitError("weight '")
               << weight.getValue() << "' is read with two types";
      entry->inputs.push_back(it->second);
    }
  }
  return success();
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
    os << "]";
    if (t.boundValue)
      os << " (bound at compile time)";
    if (t.kind == InputKind::State)
      os << " (state)";
    if (t.kind == InputKind::Weight)
      os << " (weight, file " << t.weightFile << " at " << t.fileOffset
         << ")";
    os << "\n";
  };
  bool anyWeight = llvm::any_of(signature.inputs, [](const auto &t) {
    return t.kind == InputKind::Weight;
  });
  os << "/* " << modelName << ".h: generated by `quantc compile`; do not edit.\n"
     << " *\n"
     << " * Compiled for " << triple << ". Run it with libquantc_runtime\n"
     << " * (quantc/runtime.h):\n"
     << " *\n"
     << " *   qc_context *ctx;\n"
     << " *   qc_context_create(" << modelName << "(), NULL, &ctx);\n";
  if (anyWeight)
    os << " *   qc_context_map_weights(ctx, NULL);\n";
  os << " *\n"
     << " * Inputs (dense, row-major; qc_context_set_input indices):\n";
  for (auto [i, t] : llvm::enumerate(signature.inputs))
    describe(t, i);
  os << " * Outputs:\n";
  for (auto [i, t] : llvm::enumerate(signature.outputs))
    describe(t, i);
  if (signature.entries.size() > 1) {
    os << " * Entries (qc_context_run_entry; inputs, outputs):\n";
    for (auto [e, entry] : llvm::enumerate(signature.entries)) {
      os << " *   [" << e << "] \"" << entry.name << "\": inputs ";
      llvm::interleaveComma(entry.inputs, os);
      os << "; outputs ";
      llvm::interleaveComma(entry.outputs, os);
      os << "\n";
    }
  }
  for (auto [f, file] : llvm::enumerate(signature.weightFiles))
    os << " * Weight file " << f << ": " << file.path << " (" << file.size
       << " bytes)\n";
  const EntrySignature &first = signature.entries.front();
  os << " */\n\n"
     << "#ifndef " << guard << "\n#define " << guard << "\n\n"
     << "#include \"quantc/runtime.h\"\n\n"
     << "#ifdef __cplusplus\nextern \"C\" {\n#endif\n\n"
     << "/* The model's descriptor. */\n"
     << "const qc_model *" << modelName << "(void);\n\n"
     << "/* Runs " << (signature.entries.size() > 1 ? "entry 0" : "the model")
     << " directly: `buffers` holds the " << first.inputs.size()
     << " input(s) then the " << first.outputs.size() << " output(s). */\n"
     << "int32_t " << modelName << "_run(void **buffers, qc_rt *rt);\n\n"
     << "#ifdef __cplusplus\n} /* extern \"C\" */\n#endif\n\n"
     << "#endif /* " << guard << " */\n";
  return text;
}

} // namespace quantc::cpu
