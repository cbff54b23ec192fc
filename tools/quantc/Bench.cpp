//===- Bench.cpp - quantc bench matmul ------------------------------------===//
//
// Part of quantc.
//
//   quantc bench matmul --type T --m M --k K --n N --threads P [--iters I]
//       [--ggml-dir DIR] [--ggml-repack=false] [--min-bytes B]
//
// Times quantc's generated kernel for a weight of M rows x K columns of type
// T (the GGUF layout) times N activation columns, and in the same run the
// same multiplication by ggml's CPU backend: the prebuilt llama.cpp
// libraries of node-llama-cpp, loaded with dlopen (the best libggml-cpu-*.so
// variant for this CPU by its own ggml_backend_score), the weights in the
// CPU backend's extra buffer type for them (CPU_REPACK) as llama.cpp loads a
// model. It checks that the two outputs agree and measures the machine's
// read bandwidth with P threads, so that a GEMV shows as a fraction of it.
// The weights are not in cache: both sides cycle through copies whose total
// is at least 512 MiB.
//
//===----------------------------------------------------------------------===//

#include "Command.h"
#include "ModelIO.h"

#include "quantc/Conversion/QCToVector/Kernels.h"
#include "quantc/InitAllDialects.h"
#include "quantc/Target/CPU/CPUTarget.h"
#include "quantc/runtime.h"

#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "llvm/ADT/ScopeExit.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include "absl/status/status.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstring>
#include <dlfcn.h>
#include <immintrin.h>
#include <random>
#include <span>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

import quantc.numerics;

using namespace llvm;
using namespace mlir;
namespace num = quantc::numerics;

static cl::SubCommand benchCmd("bench",
                               "Benchmarks: `quantc bench matmul ...`");
static cl::opt<std::string> benchWhat(cl::Positional, cl::sub(benchCmd),
                                      cl::Required, cl::desc("<matmul>"));
static cl::opt<std::string> benchType("type", cl::sub(benchCmd),
                                      cl::init("q4_0"),
                                      cl::desc("Weight type: q4_0, q4_1, "
                                               "q5_0, q5_1, q8_0, q2_K..q6_K, "
                                               "f16, f32"));
static cl::opt<int64_t> benchM("m", cl::sub(benchCmd), cl::init(4096),
                               cl::desc("Weight rows (output features)"));
static cl::opt<int64_t> benchK("k", cl::sub(benchCmd), cl::init(4096),
                               cl::desc("Weight columns (input features)"));
static cl::opt<int64_t> benchN("n", cl::sub(benchCmd), cl::init(1),
                               cl::desc("Activation columns (tokens)"));
static cl::opt<int> benchThreads("threads", cl::sub(benchCmd), cl::init(2),
                                 cl::desc("Threads for both sides"));
static cl::opt<int> benchIters("iters", cl::sub(benchCmd), cl::init(10),
                               cl::desc("Timed passes over the weight copies"));
static cl::opt<std::string> benchGgmlDir(
    "ggml-dir", cl::sub(benchCmd),
    cl::desc("Directory of libggml-base.so and libggml-cpu-*.so (default: "
             "$QUANTC_GGML_DIR, else the node-llama-cpp that "
             "scripts/setup.sh installs)"));
static cl::opt<bool> benchGgmlRepack(
    "ggml-repack", cl::sub(benchCmd), cl::init(true),
    cl::desc("Give ggml the weights in the CPU backend's extra buffer type "
             "for them (CPU_REPACK: rows interleaved at load), as llama.cpp "
             "does; =false for ggml's plain row layout"));
static cl::opt<int64_t> benchMinBytes(
    "min-bytes", cl::sub(benchCmd), cl::init(int64_t(512) << 20),
    cl::desc("Cycle through weight copies totalling at least this many "
             "bytes (default 512 MiB)"));

namespace {

int fail(const Twine &message) {
  errs() << "quantc: error: " << message << "\n";
  return 1;
}

double seconds(std::chrono::steady_clock::time_point a,
               std::chrono::steady_clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

//===----------------------------------------------------------------------===//
// Read bandwidth
//===----------------------------------------------------------------------===//

__attribute__((target("avx2"))) uint64_t readAVX2(const char *p, size_t n) {
  __m256i a = _mm256_setzero_si256(), b = a, c = a, d = a;
  for (size_t i = 0; i + 128 <= n; i += 128) {
    a = _mm256_xor_si256(a, _mm256_load_si256((const __m256i *)(p + i)));
    b = _mm256_xor_si256(b, _mm256_load_si256((const __m256i *)(p + i + 32)));
    c = _mm256_xor_si256(c, _mm256_load_si256((const __m256i *)(p + i + 64)));
    d = _mm256_xor_si256(d, _mm256_load_si256((const __m256i *)(p + i + 96)));
  }
  __m256i x = _mm256_xor_si256(_mm256_xor_si256(a, b), _mm256_xor_si256(c, d));
  return _mm256_extract_epi64(x, 0);
}

uint64_t readPortable(const char *p, size_t n) {
  uint64_t acc = 0;
  for (size_t i = 0; i + 8 <= n; i += 8) {
    uint64_t v;
    std::memcpy(&v, p + i, 8);
    acc ^= v;
  }
  return acc;
}

/// GB/s of reading a 1 GiB buffer with `threads` threads (best of 5).
double readBandwidth(int threads) {
  const size_t bytes = size_t(1) << 30;
  char *buffer = static_cast<char *>(std::aligned_alloc(64, bytes));
  std::memset(buffer, 1, bytes);
  bool avx2 = __builtin_cpu_supports("avx2");
  std::atomic<uint64_t> sink{0};
  double best = 0;
  for (int rep = 0; rep < 5; ++rep) {
    auto start = std::chrono::steady_clock::now();
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t)
      pool.emplace_back([&, t] {
        size_t chunk = bytes / threads;
        const char *p = buffer + t * chunk;
        sink += avx2 ? readAVX2(p, chunk) : readPortable(p, chunk);
      });
    for (std::thread &t : pool)
      t.join();
    best = std::max(
        best, bytes / seconds(start, std::chrono::steady_clock::now()) / 1e9);
  }
  std::free(buffer);
  return best;
}

//===----------------------------------------------------------------------===//
// ggml through dlopen
//===----------------------------------------------------------------------===//

/// The entry points used, declared from ggml.h, ggml-backend.h, ggml-alloc.h
/// and ggml-cpu.h (the public C API; opaque handles are void *).
struct Ggml {
  struct InitParams {
    size_t memSize;
    void *memBuffer;
    bool noAlloc;
  };
  /// The head of `struct ggml_tensor` (ggml.h): its type, then the backend
  /// buffer holding its data.
  struct TensorHead {
    int32_t type;
    void *buffer;
  };
  void *base = nullptr, *cpu = nullptr;
  std::string variant;
  // libggml-base.so
  void *(*init)(InitParams) = nullptr;
  void (*free)(void *) = nullptr;
  size_t (*tensorOverhead)() = nullptr;
  size_t (*graphOverheadCustom)(size_t, bool) = nullptr;
  void *(*newTensor2d)(void *, int, int64_t, int64_t) = nullptr;
  void *(*mulMat)(void *, void *, void *) = nullptr;
  void *(*newGraphCustom)(void *, size_t, bool) = nullptr;
  void (*buildForward)(void *, void *) = nullptr;
  void *(*allocCtxTensorsFromBuft)(void *, void *) = nullptr;
  void *(*cpuBufferType)() = nullptr;
  void *(*buftAllocBuffer)(void *, size_t) = nullptr;
  const char *(*buftName)(void *) = nullptr;
  void (*bufferFree)(void *) = nullptr;
  void (*tensorSet)(void *, const void *, size_t, size_t) = nullptr;
  void (*tensorGet)(const void *, void *, size_t, size_t) = nullptr;
  int (*graphCompute)(void *, void *) = nullptr;
  void (*backendFree)(void *) = nullptr;
  void *(*regDevGet)(void *, size_t) = nullptr;
  void *(*regGetProcAddress)(void *, const char *) = nullptr;
  bool (*devSupportsOp)(void *, const void *) = nullptr;
  void (*logSet)(void (*)(int, const char *, void *), void *) = nullptr;
  // libggml-cpu-<variant>.so
  void *(*cpuInit)() = nullptr;
  void (*cpuSetNThreads)(void *, int) = nullptr;
  void *(*cpuReg)() = nullptr;

  /// Loads libggml-base.so and the best-scoring libggml-cpu-*.so of `dir`
  /// (ggml_backend_score: 0 when the variant cannot run on this CPU, else
  /// higher for more of its features, as ggml_backend_load_best picks).
  bool load(const std::string &dir, std::string &why) {
    std::string basePath = dir + "/libggml-base.so";
    if (!sys::fs::exists(basePath)) {
      why = "not found at " + dir;
      return false;
    }
    base = dlopen(basePath.c_str(), RTLD_NOW | RTLD_GLOBAL);
    if (!base) {
      why = dlerror();
      return false;
    }
    int bestScore = 0;
    std::error_code ec;
    for (sys::fs::directory_iterator it(dir, ec), end; !ec && it != end;
         it.increment(ec)) {
      StringRef name = sys::path::filename(it->path());
      if (!name.starts_with("libggml-cpu-") || !name.ends_with(".so"))
        continue;
      void *lib = dlopen(it->path().c_str(), RTLD_NOW | RTLD_LOCAL);
      if (!lib)
        continue;
      auto score =
          reinterpret_cast<int (*)()>(dlsym(lib, "ggml_backend_score"));
      int s = score ? score() : 0;
      if (s > bestScore) {
        if (cpu)
          dlclose(cpu);
        cpu = lib, bestScore = s, variant = name.str();
      } else {
        dlclose(lib);
      }
    }
    if (!cpu) {
      why = "no libggml-cpu-*.so in " + dir + " runs on this CPU";
      return false;
    }
    bool ok = true;
    auto bind = [&](void *lib, auto &fn, const char *name) {
      fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(
          dlsym(lib, name));
      if (!fn && ok) {
        why = std::string("the ggml libraries lack ") + name;
        ok = false;
      }
    };
    bind(base, init, "ggml_init");
    bind(base, free, "ggml_free");
    bind(base, tensorOverhead, "ggml_tensor_overhead");
    bind(base, graphOverheadCustom, "ggml_graph_overhead_custom");
    bind(base, newTensor2d, "ggml_new_tensor_2d");
    bind(base, mulMat, "ggml_mul_mat");
    bind(base, newGraphCustom, "ggml_new_graph_custom");
    bind(base, buildForward, "ggml_build_forward_expand");
    bind(base, allocCtxTensorsFromBuft,
         "ggml_backend_alloc_ctx_tensors_from_buft");
    bind(base, cpuBufferType, "ggml_backend_cpu_buffer_type");
    bind(base, buftAllocBuffer, "ggml_backend_buft_alloc_buffer");
    bind(base, buftName, "ggml_backend_buft_name");
    bind(base, bufferFree, "ggml_backend_buffer_free");
    bind(base, tensorSet, "ggml_backend_tensor_set");
    bind(base, tensorGet, "ggml_backend_tensor_get");
    bind(base, graphCompute, "ggml_backend_graph_compute");
    bind(base, backendFree, "ggml_backend_free");
    bind(base, regDevGet, "ggml_backend_reg_dev_get");
    bind(base, regGetProcAddress, "ggml_backend_reg_get_proc_address");
    bind(base, devSupportsOp, "ggml_backend_dev_supports_op");
    bind(base, logSet, "ggml_log_set");
    bind(cpu, cpuInit, "ggml_backend_cpu_init");
    bind(cpu, cpuSetNThreads, "ggml_backend_cpu_set_n_threads");
    bind(cpu, cpuReg, "ggml_backend_cpu_reg");
    if (ok) // keep ggml's warnings and errors, not its notes on each tensor
      logSet(&Ggml::log, nullptr);
    return ok;
  }

  /// ggml's log callback (enum ggml_log_level: 3 WARN, 4 ERROR, 5 CONT for
  /// the continuation of the previous message).
  static void log(int level, const char *text, void *) {
    static int last = 0;
    if (level != 5)
      last = level;
    if (last == 3 || last == 4)
      errs() << text;
  }

  /// The extra buffer type llama.cpp would put this weight in (the CPU
  /// device's "extra" types, e.g. CPU_REPACK, which interleaves rows at
  /// upload): the first whose device accepts the matmul with the weight in
  /// it, as llama.cpp's model loader checks. Null when none does.
  void *extraBufferType(int type, int64_t K, int64_t M, int64_t N) {
    void *reg = cpuReg();
    void *dev = regDevGet(reg, 0);
    using GetExtra = void **(*)(void *);
    auto getExtra = reinterpret_cast<GetExtra>(
        regGetProcAddress(reg, "ggml_backend_dev_get_extra_bufts"));
    if (!dev || !getExtra)
      return nullptr;
    void *ctx = init({8 * tensorOverhead(), nullptr, true});
    void *w = newTensor2d(ctx, type, K, M);
    void *x = newTensor2d(ctx, 0, K, N);
    void *op = mulMat(ctx, w, x);
    void *found = nullptr;
    for (void **buft = getExtra(dev); buft && *buft && !found; ++buft) {
      void *dummy = buftAllocBuffer(*buft, 0);
      static_cast<TensorHead *>(w)->buffer = dummy;
      if (devSupportsOp(dev, op))
        found = *buft;
      static_cast<TensorHead *>(w)->buffer = nullptr;
      bufferFree(dummy);
    }
    free(ctx);
    return found;
  }
};

std::string defaultGgmlDir() {
  if (!benchGgmlDir.empty())
    return benchGgmlDir;
  if (const char *env = std::getenv("QUANTC_GGML_DIR"))
    return env;
  return QUANTC_DEFAULT_GGML_DIR;
}

//===----------------------------------------------------------------------===//
// The benchmark
//===----------------------------------------------------------------------===//

struct WeightType {
  std::string qcName; ///< element type in MLIR
  uint32_t ggmlType;
  int64_t blockSize, blockBytes;
  std::optional<num::BlockFormat> format; ///< none for f16/f32
};

std::optional<WeightType> lookupType(StringRef name) {
  std::string lower = name.lower();
  if (lower == "f32")
    return WeightType{"f32", 0, 1, 4, std::nullopt};
  if (lower == "f16")
    return WeightType{"f16", 1, 1, 2, std::nullopt};
  for (const num::BlockFormatInfo &info : num::kBlockFormats)
    if (StringRef(info.name).lower() == lower && num::hasCodec(info.format) &&
        info.format != num::BlockFormat::Q8_1 &&
        info.format != num::BlockFormat::Q8_K) {
      std::string qc(info.name);
      if (qc.size() == 4 && qc[3] == 'k')
        qc[3] = 'K';
      return WeightType{"!qc.block<" + qc + ">", info.ggmlType, info.blockSize,
                        info.bytesPerBlock, info.format};
    }
  return std::nullopt;
}

/// How far quantc's output may be from ggml's (largest difference over the
/// largest output). Both read the same weights; the difference comes from
/// the activations: 8-bit blocks of 32 on both sides for the 32-weight
/// formats (equal roundings, so only the summation order differs), 8-bit
/// blocks of 32 against ggml's Q8_K blocks of 256 for the K-quants, f32
/// against ggml's f16 activations for F16 weights.
double agreementTolerance(const WeightType &type) {
  if (!type.format)
    return type.ggmlType == 0 ? 1e-4 : 1e-2;
  return type.blockSize == 32 ? 1e-3 : 3e-2;
}

int runMatmul() {
  std::optional<WeightType> type = lookupType(benchType);
  if (!type)
    return fail(
        "--type " + benchType +
        ": not a type with a kernel (q4_0, "
        "q4_1, q5_0, q5_1, q8_0, q2_K, q3_K, q4_K, q5_K, q6_K, f16, f32)");
  const int64_t M = benchM, K = benchK, N = benchN;
  if (M <= 0 || N <= 0 || K <= 0 || K % type->blockSize != 0)
    return fail(formatv("--k {0} must be a positive multiple of {1}", K,
                        type->blockSize));
  const int64_t weightBytes = M * (K / type->blockSize) * type->blockBytes;
  const int64_t copies = std::clamp<int64_t>(
      (benchMinBytes + weightBytes - 1) / weightBytes, 1, 256);
  const double flops = 2.0 * M * K * N;

  // The weights: random Gaussian rows quantized by quantc's codecs (ggml's
  // own quantizer), and the activations.
  std::mt19937 rng(1);
  std::normal_distribution<float> gauss(0.0f, 1.0f);
  std::vector<float> w(M * K), x(N * K);
  for (float &v : w)
    v = gauss(rng);
  for (float &v : x)
    v = gauss(rng);
  std::vector<std::byte> packed(weightBytes);
  if (type->format) {
    absl::Status st = num::quantizeRows(*type->format, w, M, K, packed);
    if (!st.ok())
      return fail(std::string(st.message()));
  } else if (type->ggmlType == 0) {
    std::memcpy(packed.data(), w.data(), weightBytes);
  } else {
    auto *h = reinterpret_cast<_Float16 *>(packed.data());
    for (int64_t i = 0; i < M * K; ++i)
      h[i] = static_cast<_Float16>(w[i]);
  }

  outs() << formatv("quantc bench matmul: {0} m={1} k={2} n={3}, {4} threads; "
                    "weights {5:f2} MiB x {6} copies (not in cache)\n",
                    benchType, M, K, N, benchThreads.getValue(),
                    weightBytes / 1048576.0, copies);
  double bandwidth = readBandwidth(benchThreads);
  outs() << formatv("read bandwidth ({0} threads, 1 GiB): {1:f1} GB/s\n",
                    benchThreads.getValue(), bandwidth);

  // quantc: one model with `copies` matmuls, each on its own weight input,
  // lowered as qc-lower-bitwidth does.
  quantc::initializeCPUTargets();
  std::optional<quantc::CPUTargetSpec> host =
      quantc::lookupCPUTargetSpec("host");
  quantc::KernelISA isa = quantc::selectKernelISA(host->triple, host->features);
  std::string isaName = quantc::stringifyKernelISA(isa).str();
  std::string elem = type->qcName;
  std::string kernel = "qc_kernel_matmul_bench";
  std::string src;
  raw_string_ostream os(src);
  os << "func.func @bench(%x: tensor<" << N << "x" << K << "xf32>";
  for (int64_t c = 0; c < copies; ++c)
    os << ", %w" << c << ": tensor<" << weightBytes << "xi8>";
  os << ") -> tensor<" << N << "x" << M << "xf32> {\n";
  os << "  %xb = bufferization.to_buffer %x read_only : tensor<" << N << "x"
     << K << "xf32> to memref<" << N << "x" << K << "xf32>\n";
  os << "  %xc = memref.cast %xb : memref<" << N << "x" << K
     << "xf32> to memref<?x?xf32>\n";
  os << "  %y = memref.alloc() {alignment = 64 : i64} : memref<" << N << "x"
     << M << "xf32>\n";
  os << "  %yc = memref.cast %y : memref<" << N << "x" << M
     << "xf32> to memref<?x?xf32>\n";
  for (int64_t c = 0; c < copies; ++c) {
    os << "  %wb" << c << " = bufferization.to_buffer %w" << c
       << " read_only : tensor<" << weightBytes << "xi8> to memref<"
       << weightBytes << "xi8>\n";
    os << "  %wc" << c << " = memref.cast %wb" << c << " : memref<"
       << weightBytes << "xi8> to memref<?xi8>\n";
    os << "  call @" << kernel << "(%xc, %wc" << c
       << ", %yc) : (memref<?x?xf32>, memref<?xi8>, memref<?x?xf32>) -> ()\n";
  }
  os << "  %t = bufferization.to_tensor %y restrict writable : memref<" << N
     << "x" << M << "xf32> to tensor<" << N << "x" << M << "xf32>\n";
  os << "  return %t : tensor<" << N << "x" << M << "xf32>\n}\n";
  os << "func.func private @" << kernel
     << "(memref<?x?xf32>, memref<?xi8>, memref<?x?xf32>) attributes "
        "{qc.kernel = {isa = \""
     << isaName << "\", kind = \"matmul\", type = " << elem << "}}\n";

  DialectRegistry registry;
  quantc::registerAllDialects(registry);
  MLIRContext context(registry);
  quantc::installDiagnosticPrinter(context);
  OwningOpRef<ModuleOp> module = parseSourceString<ModuleOp>(src, &context);
  if (!module)
    return fail("building the benchmark module failed");
  SmallString<128> library;
  if (std::error_code ec =
          sys::fs::createTemporaryFile("quantc-bench", "so", library))
    return fail("cannot create a temporary file: " + ec.message());
  llvm::scope_exit remove([&] { sys::fs::remove(library); });
  quantc::CPUCompileOptions compile;
  compile.modelName = "bench";
  if (failed(quantc::compileModuleForCPU(*module, compile, library,
                                         quantc::EmitKind::SharedLib)))
    return 1;
  quantc::LoadedModel loaded;
  std::string error;
  if (!quantc::loadModelLibrary(library, loaded, error))
    return fail(error);
  qc_options opts{benchThreads};
  qc_context *ctx = nullptr;
  if (qc_context_create(loaded.model, &opts, &ctx) != QC_OK)
    return fail(qc_last_error());
  llvm::scope_exit freeCtx([&] { qc_context_free(ctx); });
  qc_context_set_input(ctx, 0, x.data(), x.size() * 4);
  for (int64_t c = 0; c < copies; ++c)
    qc_context_set_input(ctx, 1 + c, packed.data(), weightBytes);
  std::vector<double> times;
  for (int i = 0; i <= benchIters; ++i) {
    auto start = std::chrono::steady_clock::now();
    if (qc_context_run(ctx) != QC_OK)
      return fail(qc_context_error(ctx));
    if (i) // the first pass warms up
      times.push_back(seconds(start, std::chrono::steady_clock::now()) /
                      copies);
  }
  std::sort(times.begin(), times.end());
  double ours = times[times.size() / 2];
  std::vector<float> ourY(
      static_cast<const float *>(qc_context_output(ctx, 0, nullptr)),
      static_cast<const float *>(qc_context_output(ctx, 0, nullptr)) + N * M);
  auto report = [&](StringRef who, double t) {
    outs() << formatv("{0,-7} {1,-30} {2,9:f4} ms {3,7:f1} GB/s {4,8:f1} "
                      "GFLOPS",
                      who.split(' ').first, who.split(' ').second, t * 1e3,
                      weightBytes / t / 1e9, flops / t / 1e9);
    if (N == 1)
      outs() << formatv("  ({0:f0}% of read bandwidth)",
                        100.0 * weightBytes / t / 1e9 / bandwidth);
    outs() << "\n";
  };
  report("quantc (" + isaName + " kernel)", ours);

  // ggml: the same bytes, `copies` mul_mat nodes in one graph, run by the
  // CPU backend with the weights in the buffer type llama.cpp would use.
  Ggml ggml;
  std::string dir = defaultGgmlDir(), why;
  if (!ggml.load(dir, why)) {
    outs() << "ggml: skipped (" << why << ")\n";
    return 0;
  }
  void *backend = ggml.cpuInit();
  if (!backend)
    return fail("ggml_backend_cpu_init failed");
  llvm::scope_exit freeBackend([&] { ggml.backendFree(backend); });
  ggml.cpuSetNThreads(backend, benchThreads);
  void *weightBuft =
      benchGgmlRepack ? ggml.extraBufferType(type->ggmlType, K, M, N) : nullptr;
  std::string layout =
      weightBuft ? std::string(", weights in ") + ggml.buftName(weightBuft)
                 : std::string();
  if (!weightBuft)
    weightBuft = ggml.cpuBufferType();

  void *wctx = ggml.init({size_t(copies + 1) * ggml.tensorOverhead(), nullptr,
                          /*noAlloc=*/true});
  size_t graphSize = 2 * copies + 16;
  void *gctx = ggml.init({size_t(copies + 8) * ggml.tensorOverhead() +
                              ggml.graphOverheadCustom(graphSize, false),
                          nullptr, /*noAlloc=*/true});
  if (!wctx || !gctx)
    return fail("ggml_init failed");
  llvm::scope_exit freeContexts([&] {
    ggml.free(wctx);
    ggml.free(gctx);
  });
  std::vector<void *> weights;
  for (int64_t c = 0; c < copies; ++c)
    weights.push_back(ggml.newTensor2d(wctx, type->ggmlType, K, M));
  void *b = ggml.newTensor2d(gctx, 0, K, N);
  void *graph = ggml.newGraphCustom(gctx, graphSize, false);
  void *last = nullptr;
  for (void *a : weights) {
    last = ggml.mulMat(gctx, a, b);
    ggml.buildForward(graph, last);
  }
  void *wbuf = ggml.allocCtxTensorsFromBuft(wctx, weightBuft);
  void *gbuf = ggml.allocCtxTensorsFromBuft(gctx, ggml.cpuBufferType());
  llvm::scope_exit freeBuffers([&] {
    if (wbuf)
      ggml.bufferFree(wbuf);
    if (gbuf)
      ggml.bufferFree(gbuf);
  });
  if (!wbuf || !gbuf)
    return fail("ggml could not allocate the benchmark's buffers");
  for (void *a : weights) // repacked here when in an extra buffer type
    ggml.tensorSet(a, packed.data(), 0, weightBytes);
  ggml.tensorSet(b, x.data(), 0, x.size() * 4);
  times.clear();
  for (int i = 0; i <= benchIters; ++i) {
    auto start = std::chrono::steady_clock::now();
    if (ggml.graphCompute(backend, graph) != 0)
      return fail("ggml_backend_graph_compute failed");
    if (i)
      times.push_back(seconds(start, std::chrono::steady_clock::now()) /
                      copies);
  }
  std::sort(times.begin(), times.end());
  double theirs = times[times.size() / 2];
  report("ggml (" + ggml.variant + layout + ")", theirs);
  outs() << formatv("quantc / ggml: {0:f2}x\n", theirs / ours);

  // Agreement. Both sides quantize the activations to 8 bits, each its own
  // way (quantc per 32 values, but per 256 as Q8_K for a q4_K/q5_K GEMV;
  // ggml per 32 for the 32-weight formats and per 256, Q8_K, for the
  // K-quants), so the outputs are close, not always equal: the largest
  // difference is measured against the largest output.
  std::vector<float> gy(N * M);
  ggml.tensorGet(last, gy.data(), 0, gy.size() * 4);
  double maxDiff = 0, maxOut = 0;
  for (int64_t i = 0; i < N * M; ++i) {
    maxDiff = std::max(maxDiff, std::fabs(double(ourY[i]) - gy[i]));
    maxOut = std::max(maxOut, std::fabs(double(gy[i])));
  }
  double rel = maxDiff / std::max(maxOut, 1e-30);
  double tolerance = agreementTolerance(*type);
  outs() << formatv("outputs agree: max difference {0:e2} of the largest "
                    "output (tolerance {1:e0})\n",
                    rel, tolerance);
  if (!(rel <= tolerance))
    return fail(formatv("quantc's and ggml's outputs differ: max difference "
                        "{0:e2} of the largest output, more than {1:e0}",
                        rel, tolerance));
  return 0;
}

int runBench() {
  if (benchWhat != "matmul")
    return fail("unknown benchmark '" + benchWhat + "' (known: matmul)");
  return runMatmul();
}

} // namespace

static quantc::driver::Command benchReg(benchCmd, runBench);
