//===- GGMLOracle.h - llama.cpp's ggml, loaded at run time ------*- C++ -*-===//
//
// Loads the prebuilt libggml-base.so that the npm package
// @node-llama-cpp/linux-x64 ships (scripts/setup.sh installs it) and exposes
// ggml's reference quantizers and dequantizers, the oracle of the
// quantc.numerics block codecs. Shared by the codec tests and benchmarks.
//
// The library comes from $QUANTC_GGML_BASE_LIB when set, else from the path
// CMake compiled in (the QUANTC_GGML_BASE_LIB cache variable).
//
// Include after the standard headers and before `import quantc.numerics;`.
//
//===----------------------------------------------------------------------===//

#ifndef QUANTC_UNITTESTS_NUMERICS_GGMLORACLE_H
#define QUANTC_UNITTESTS_NUMERICS_GGMLORACLE_H

#include <dlfcn.h>

#include <cctype>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

namespace quantc::testing {

/// ggml's C entry points, resolved with dlsym. `type` is an `enum ggml_type`
/// value (BlockFormatInfo::ggmlType).
class GGMLOracle {
public:
  using QuantizeChunkFn = size_t (*)(int type, const float *src, void *dst, int64_t start,
                                     int64_t nRows, int64_t nPerRow, const float *imatrix);
  using QuantizeRowRefFn = void (*)(const float *x, void *y, int64_t k);
  using DequantizeRowFn = void (*)(const void *x, float *y, int64_t k);
  using TypeSizeFn = size_t (*)(int type);
  using BlockSizeFn = int64_t (*)(int type);

  /// The process-wide oracle, loaded on first use.
  static const GGMLOracle &get() {
    static const GGMLOracle oracle;
    return oracle;
  }

  bool ok() const { return error_.empty(); }
  /// Why the library or one of its symbols could not be loaded.
  const std::string &error() const { return error_; }
  const std::string &path() const { return path_; }

  QuantizeChunkFn quantizeChunk = nullptr;
  QuantizeRowRefFn quantizeRowQ8_1 = nullptr;
  QuantizeRowRefFn quantizeRowQ8_K = nullptr;
  TypeSizeFn typeSize = nullptr;
  BlockSizeFn blockSize = nullptr;

  /// dequantize_row_<name> for ggml's spelling of a format ("Q4_K" looks up
  /// dequantize_row_q4_K), or nullptr when ggml has none (Q8_1).
  DequantizeRowFn dequantizer(const std::string &ggmlName) const {
    if (!handle_ || ggmlName.empty())
      return nullptr;
    std::string name = ggmlName;
    name[0] = char(std::tolower(static_cast<unsigned char>(name[0])));
    return reinterpret_cast<DequantizeRowFn>(dlsym(handle_, ("dequantize_row_" + name).c_str()));
  }

  /// Quantizes as quantc::numerics::quantizeRows promises to: through
  /// ggml_quantize_chunk, or the activation formats' reference quantizers
  /// (which take no importance matrix). `ggmlType` 9 is Q8_1, 15 Q8_K.
  void quantize(int ggmlType, const float *src, void *dst, int64_t nRows, int64_t nPerRow,
                const float *imatrix) const {
    if (ggmlType == kQ8_1)
      quantizeRowQ8_1(src, dst, nRows * nPerRow);
    else if (ggmlType == kQ8_K)
      quantizeRowQ8_K(src, dst, nRows * nPerRow);
    else
      quantizeChunk(ggmlType, src, dst, 0, nRows, nPerRow, imatrix);
  }

private:
  static constexpr int kQ8_1 = 9;
  static constexpr int kQ8_K = 15;

  GGMLOracle() {
    const char *env = std::getenv("QUANTC_GGML_BASE_LIB");
#ifdef QUANTC_GGML_BASE_LIB
    path_ = env && *env ? env : QUANTC_GGML_BASE_LIB;
#else
    path_ = env && *env ? env : "";
#endif
    if (path_.empty()) {
      error_ = "no libggml-base.so: set QUANTC_GGML_BASE_LIB";
      return;
    }
    handle_ = dlopen(path_.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!handle_) {
      const char *why = dlerror();
      error_ = "cannot load ggml's libggml-base.so (the codec oracle; ./scripts/setup.sh "
               "installs it) from " +
               path_ + ": " + (why ? why : "unknown error");
      return;
    }
    resolve(quantizeChunk, "ggml_quantize_chunk");
    resolve(quantizeRowQ8_1, "quantize_row_q8_1_ref");
    resolve(quantizeRowQ8_K, "quantize_row_q8_K_ref");
    resolve(typeSize, "ggml_type_size");
    resolve(blockSize, "ggml_blck_size");
  }

  template <typename FnT> void resolve(FnT &fn, const char *name) {
    fn = reinterpret_cast<FnT>(dlsym(handle_, name));
    if (!fn && error_.empty())
      error_ = path_ + " does not export " + name;
  }

  void *handle_ = nullptr;
  std::string path_;
  std::string error_;
};

} // namespace quantc::testing

#endif // QUANTC_UNITTESTS_NUMERICS_GGMLORACLE_H
