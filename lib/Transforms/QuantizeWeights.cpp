//===- QuantizeWeights.cpp - Re-encode weights as a plan says -------------===//
//
// Part of quantc.
//
//===----------------------------------------------------------------------===//

#include "quantc/Dialect/QC/IR/QCOps.h"
#include "quantc/Transforms/Imatrix.h"
#include "quantc/Transforms/Passes.h"
#include "quantc/Transforms/WeightEncoder.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinDialect.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"
#include "absl/status/status.h"

#include <algorithm>
#include <sys/mman.h>
#include <span>
#include <atomic>
#include <cstring>
#include <mutex>
#include <thread>

import quantc.numerics;

namespace quantc {
#define GEN_PASS_DEF_QCQUANTIZEWEIGHTSPASS
#include "quantc/Transforms/Passes.h.inc"
} // namespace quantc

using namespace mlir;
using namespace quantc;
namespace num = quantc::numerics;

namespace {

/// A mutable blob of `size` bytes. Large ones are mapped with transparent
/// huge pages where the kernel offers them: writing hundreds of megabytes of
/// quantized weights then costs a few hundred page faults, not a hundred
/// thousand.
AsmResourceBlob allocateBlob(size_t size) {
  constexpr size_t kHugePage = size_t(2) << 20;
  if (size < kHugePage)
    return HeapAsmResourceBlob::allocate(size, alignof(uint64_t));
  size_t mapped = (size + kHugePage - 1) & ~(kHugePage - 1);
  void *data = mmap(nullptr, mapped, PROT_READ | PROT_WRITE,
                    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (data == MAP_FAILED)
    return HeapAsmResourceBlob::allocate(size, alignof(uint64_t));
  madvise(data, mapped, MADV_HUGEPAGE);
  return UnmanagedAsmResourceBlob::allocateWithAlign(
      ArrayRef<char>(static_cast<char *>(data), size), alignof(uint64_t),
      [mapped](void *data, size_t, size_t) { munmap(data, mapped); },
      /*dataIsMutable=*/true);
}

/// The codec format of an element type, if it is a block type with a codec.
std::optional<num::BlockFormat> codecFormat(Type elementType) {
  auto block = dyn_cast<qc::BlockType>(elementType);
  if (!block)
    return std::nullopt;
  auto format = static_cast<num::BlockFormat>(block.getFormat());
  if (!num::hasCodec(format))
    return std::nullopt;
  return format;
}

/// Converts `count` weights of `elementType` at `src` to f32.
LogicalResult toF32(Type elementType, const char *src, size_t count,
                    float *dst, std::string &error) {
  if (elementType.isF32()) {
    std::memcpy(dst, src, count * sizeof(float));
    return success();
  }
  if (elementType.isF16() || elementType.isBF16()) {
    bool isHalf = elementType.isF16();
    for (size_t i = 0; i < count; ++i) {
      uint16_t bits;
      std::memcpy(&bits, src + 2 * i, 2);
      dst[i] = isHalf ? num::halfToFloat(bits) : num::bfloat16ToFloat(bits);
    }
    return success();
  }
  if (isa<Float8E4M3FNType, Float8E5M2Type>(elementType)) {
    // safetensors F8_E4M3 / F8_E5M2 weights.
    bool e4m3 = isa<Float8E4M3FNType>(elementType);
    for (size_t i = 0; i < count; ++i) {
      auto bits = static_cast<uint8_t>(src[i]);
      dst[i] = e4m3 ? num::f8E4M3FNToFloat(bits) : num::f8E5M2ToFloat(bits);
    }
    return success();
  }
  if (std::optional<num::BlockFormat> format = codecFormat(elementType)) {
    size_t bytes = count / num::getBlockFormatInfo(*format).blockSize *
                   num::getBlockFormatInfo(*format).bytesPerBlock;
    absl::Status status = num::dequantizeRow(
        *format, std::span(reinterpret_cast<const std::byte *>(src), bytes),
        std::span(dst, count));
    if (!status.ok()) {
      error = std::string(status.message());
      return failure();
    }
    return success();
  }
  llvm::raw_string_ostream(error) << "cannot convert " << elementType
                                  << " to f32";
  return failure();
}

/// Encodes `rows` rows of `rowLength` f32 weights as `elementType`.
LogicalResult fromF32(Type elementType, const float *src, int64_t rows,
                      int64_t rowLength, char *dst,
                      llvm::ArrayRef<float> importance, std::string &error) {
  size_t count = static_cast<size_t>(rows * rowLength);
  if (elementType.isF32()) {
    std::memcpy(dst, src, count * sizeof(float));
    return success();
  }
  if (elementType.isF16() || elementType.isBF16()) {
    bool isHalf = elementType.isF16();
    for (size_t i = 0; i < count; ++i) {
      uint16_t bits = isHalf ? num::floatToHalf(src[i])
                             : num::floatToBFloat16(src[i]);
      std::memcpy(dst + 2 * i, &bits, 2);
    }
    return success();
  }
  if (std::optional<num::BlockFormat> format = codecFormat(elementType)) {
    const num::BlockFormatInfo &info = num::getBlockFormatInfo(*format);
    size_t bytes = count / info.blockSize * info.bytesPerBlock;
    absl::Status status = num::quantizeRows(
        *format, std::span(src, count), rows, rowLength,
        std::span(reinterpret_cast<std::byte *>(dst), bytes),
        std::span(importance.data(), importance.size()));
    if (!status.ok()) {
      error = std::string(status.message());
      return failure();
    }
    return success();
  }
  llvm::raw_string_ostream(error) << "no codec encodes " << elementType;
  return failure();
}

} // namespace

LogicalResult quantc::decodeToF32(Type elementType, const char *src,
                                  size_t count, float *dst,
                                  std::string &error) {
  return toF32(elementType, src, count, dst, error);
}

struct quantc::WeightEncoder::Impl {
  WeightEncoderOptions options;
  std::optional<ImportanceMatrix> imatrixData;
  size_t total = 0;
  size_t index = 0;

  LogicalResult encode(qc::GlobalOp global) {
    ++index;
    unsigned numThreads =
        options.threads ? options.threads
                        : std::max(1u, std::thread::hardware_concurrency());
    if (!global->hasAttr(qc::QCDialect::kQuantizeToAttrName)) {
      if (options.progress)
        printProgress(index, total, global, global.getTensorType(),
                      global.getTensorType(), /*usedImatrix=*/false);
      return success();
    }
    return quantizeGlobal(global, imatrixData ? &*imatrixData : nullptr,
                          numThreads, index, total);
  }

  void printProgress(size_t index, size_t total, qc::GlobalOp global,
                     RankedTensorType from, RankedTensorType to,
                     bool usedImatrix) {
    std::string shape;
    llvm::raw_string_ostream shapeOS(shape);
    llvm::interleave(from.getShape(), shapeOS, "x");
    int64_t inBytes = *qc::getStorageSize(from);
    int64_t outBytes = *qc::getStorageSize(to);
    llvm::raw_ostream &os = llvm::outs();
    os << llvm::format("[%4zu/%4zu] ", index, total)
       << llvm::left_justify(global.getSymName(), 32) << " "
       << llvm::left_justify(shape, 14) << " ";
    if (from == to)
      os << llvm::format("%-8s", describe(from.getElementType()).c_str())
         << llvm::format("            %10.2f KiB (kept)\n", inBytes / 1024.0);
    else
      os << llvm::format("%-8s -> %-8s %10.2f KiB -> %10.2f KiB%s\n",
                         describe(from.getElementType()).c_str(),
                         describe(to.getElementType()).c_str(),
                         inBytes / 1024.0, outBytes / 1024.0,
                         usedImatrix ? " (imatrix)" : "");
    os.flush();
  }

  static std::string describe(Type element) {
    if (std::optional<uint32_t> ggml = qc::getGGMLType(element))
      return qc::getGGMLTypeName(*ggml);
    std::string text;
    llvm::raw_string_ostream(text) << element;
    return text;
  }

  LogicalResult quantizeGlobal(qc::GlobalOp global,
                               const ImportanceMatrix *imatrixData,
                               unsigned numThreads, size_t index,
                               size_t total) {
    RankedTensorType from = global.getTensorType();
    auto to = cast<RankedTensorType>(
        cast<TypeAttr>(global->getAttr(qc::QCDialect::kQuantizeToAttrName))
            .getValue());
    global->removeAttr(qc::QCDialect::kQuantizeToAttrName);
    if (from == to)
      return success();

    Type fromElement = from.getElementType();
    Type toElement = to.getElementType();
    if (qc::isQuantizedElementType(fromElement) && !options.allowRequantize)
      return global.emitError()
             << "'" << global.getSymName() << "' is already "
             << describe(fromElement) << "; re-quantizing it to "
             << describe(toElement)
             << " loses accuracy (allow it with --allow-requantize)";
    std::vector<char> scratch;
    std::optional<ArrayRef<char>> bytes = global.getRawBytes(scratch);
    if (!bytes)
      return global.emitError() << "the bytes of '" << global.getSymName()
                                << "' are not available";

    int64_t rowLength = from.getRank() ? from.getShape().back() : 1;
    int64_t rows = from.getNumElements() / std::max<int64_t>(rowLength, 1);
    FailureOr<int64_t> outBytes = qc::getStorageSize(
        to, [&] { return global.emitError(); });
    FailureOr<int64_t> inBytes = qc::getStorageSize(from);
    if (failed(outBytes) || failed(inBytes))
      return failure();

    // Importance: one weight per column, for each 2-D matrix of the tensor
    // (llama.cpp keeps one per expert for 3-D tensors).
    ArrayRef<float> importance;
    if (imatrixData) {
      auto it = imatrixData->find(global.getSymName());
      int64_t matrices = from.getRank() >= 3 ? from.getShape()[0] : 1;
      if (it != imatrixData->end()) {
        if (static_cast<int64_t>(it->second.size()) != rowLength * matrices)
          return global.emitError()
                 << "the importance matrix has " << it->second.size()
                 << " values for '" << global.getSymName() << "', which needs "
                 << rowLength * matrices;
        importance = it->second;
      }
    }
    int64_t rowsPerMatrix =
        from.getRank() >= 3 ? rows / from.getShape()[0] : rows;

    // Quantized straight into the blob that will hold the weight.
    AsmResourceBlob blob = allocateBlob(*outBytes);
    char *out = blob.getMutableData().data();
    int64_t inRowBytes = *inBytes / std::max<int64_t>(rows, 1);
    int64_t outRowBytes = *outBytes / std::max<int64_t>(rows, 1);

    // Rows are split into chunks of at least 32 * 512 weights (as
    // llama-quantize) that never cross the matrices of a 3-D tensor (each
    // has its own importance), and handed out to the threads in order.
    int64_t chunkRows =
        std::max<int64_t>(1, (32 * 512 + rowLength - 1) / rowLength);
    struct Chunk {
      int64_t first, count, matrix;
    };
    std::vector<Chunk> chunks;
    for (int64_t first = 0; first < rows;) {
      int64_t matrix = first / rowsPerMatrix;
      int64_t count = std::min(chunkRows, (matrix + 1) * rowsPerMatrix - first);
      chunks.push_back({first, count, matrix});
      first += count;
    }
    std::atomic<size_t> next{0};
    std::atomic<bool> failedAny{false};
    std::mutex errorMutex;
    std::string error;
    auto work = [&] {
      std::vector<float> f32(static_cast<size_t>(chunkRows * rowLength));
      for (size_t i = next++; i < chunks.size() && !failedAny; i = next++) {
        const Chunk &c = chunks[i];
        ArrayRef<float> chunkImportance =
            importance.empty()
                ? ArrayRef<float>()
                : importance.slice(c.matrix * rowLength, rowLength);
        std::string chunkError;
        if (failed(toF32(fromElement, bytes->data() + c.first * inRowBytes,
                         c.count * rowLength, f32.data(), chunkError)) ||
            failed(fromF32(toElement, f32.data(), c.count, rowLength,
                           out + c.first * outRowBytes, chunkImportance,
                           chunkError))) {
          std::lock_guard<std::mutex> lock(errorMutex);
          error = chunkError;
          failedAny = true;
        }
      }
    };
    std::vector<std::thread> pool;
    for (unsigned i = 1; i < numThreads; ++i)
      pool.emplace_back(work);
    work();
    for (std::thread &t : pool)
      t.join();
    if (!error.empty())
      return global.emitError() << "quantizing '" << global.getSymName()
                                << "' to " << toElement << ": " << error;

    // The new bytes become a resource blob owned by the context. A weight
    // that already had a blob of its own gets the new one in its place, so
    // that the old bytes (often a view of the imported file) are released
    // now rather than when the context dies.
    auto dataType = RankedTensorType::get(
        {*outBytes}, IntegerType::get(global.getContext(), 8));
    DenseResourceElementsAttr data;
    if (auto old = dyn_cast<DenseResourceElementsAttr>(global.getData())) {
      DenseResourceElementsHandle handle = old.getRawHandle();
      handle.getResource()->setBlob(std::move(blob));
      data = DenseResourceElementsAttr::get(dataType, handle);
    } else {
      data = DenseResourceElementsAttr::get(dataType, global.getSymName(),
                                            std::move(blob));
    }
    global.setTypeAttr(TypeAttr::get(to));
    global.setDataAttr(data);
    // The bytes are not the source file's any more.
    global->removeAttr(qc::QCDialect::kFileOffsetAttrName);

    if (options.progress)
      printProgress(index, total, global, from, to, !importance.empty());
    return success();
  }
};

WeightEncoder::WeightEncoder(WeightEncoderOptions options)
    : impl(std::make_unique<Impl>()) {
  impl->options = std::move(options);
}

WeightEncoder::~WeightEncoder() = default;

LogicalResult WeightEncoder::initialize(ModuleOp module) {
  impl->total = llvm::range_size(module.getOps<qc::GlobalOp>());
  impl->index = 0;
  if (impl->options.imatrix.empty())
    return success();
  FailureOr<ImportanceMatrix> loaded = readImportanceMatrix(
      impl->options.imatrix, [&] { return module.emitError(); });
  if (failed(loaded))
    return failure();
  impl->imatrixData = std::move(*loaded);
  return success();
}

LogicalResult WeightEncoder::encode(qc::GlobalOp global) {
  return impl->encode(global);
}

namespace {
struct QCQuantizeWeightsPass
    : public quantc::impl::QCQuantizeWeightsPassBase<QCQuantizeWeightsPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    WeightEncoderOptions options;
    options.threads = threads;
    options.allowRequantize = allowRequantize;
    options.progress = progress;
    options.imatrix = imatrix;
    WeightEncoder encoder(options);
    if (failed(encoder.initialize(module)))
      return signalPassFailure();
    for (qc::GlobalOp global : module.getOps<qc::GlobalOp>())
      if (failed(encoder.encode(global)))
        return signalPassFailure();
  }
};
} // namespace
