//===- CodecsBench.cpp - Block codec throughput against ggml --------------===//
//
// Single-thread throughput of quantc.numerics' block codecs and of ggml's own
// functions on the same data, in the same run, interleaved iteration by
// iteration so that both see the same machine state:
//
//   quantize/<F>          quantizeRows          vs ggml_quantize_chunk
//                                                  (q8_1/q8_K: *_ref)
//   quantize_imatrix/<F>  quantizeRows + imatrix vs ggml_quantize_chunk + imatrix
//   dequantize/<F>        dequantizeRow         vs dequantize_row_<f>
//
// Throughput is GB/s of f32 data (4 bytes per weight) on either side.
// Counters: quantc_GBps, ggml_GBps, and vs_ggml = quantc_GBps / ggml_GBps
// (above 1: quantc is faster). The benchmark's own time is quantc's.
//
//===----------------------------------------------------------------------===//

#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <random>
#include <span>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "absl/status/status.h"

#include "GGMLOracle.h"

import quantc.numerics;

using namespace quantc::numerics;
using quantc::testing::GGMLOracle;

namespace {

constexpr int64_t kRows = 16;
constexpr int64_t kPerRow = 4096;

enum class Op { Quantize, QuantizeImatrix, Dequantize };

struct Data {
  std::vector<float> weights;
  std::vector<float> importance;
};

const Data &data() {
  static const Data d = [] {
    Data out;
    std::mt19937 rng(1234);
    std::normal_distribution<float> gauss(0.0f, 1.0f);
    out.weights.resize(size_t(kRows * kPerRow));
    for (float &w : out.weights)
      w = gauss(rng);
    out.importance.resize(size_t(kPerRow));
    for (float &w : out.importance)
      w = std::exp(gauss(rng));
    return out;
  }();
  return d;
}

double secondsOf(auto &&fn) {
  auto start = std::chrono::steady_clock::now();
  fn();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

void runCodec(benchmark::State &state, BlockFormat format, Op op) {
  const GGMLOracle &oracle = GGMLOracle::get();
  if (!oracle.ok()) {
    state.SkipWithError(oracle.error().c_str());
    return;
  }
  const BlockFormatInfo &info = getBlockFormatInfo(format);
  int type = int(info.ggmlType);
  const Data &in = data();
  const float *imatrix = op == Op::QuantizeImatrix ? in.importance.data() : nullptr;
  std::span<const float> importance;
  if (imatrix)
    importance = in.importance;
  std::vector<std::byte> ours(size_t(kRows) * *rowBytes(format, kPerRow));
  std::vector<std::byte> theirs(ours.size());
  std::vector<float> decoded(in.weights.size());
  GGMLOracle::DequantizeRowFn ggmlDequantize = nullptr;
  if (op == Op::Dequantize) {
    oracle.quantize(type, in.weights.data(), theirs.data(), kRows, kPerRow, nullptr);
    ggmlDequantize = oracle.dequantizer(std::string(info.ggmlName));
    if (!ggmlDequantize) {
      state.SkipWithError("ggml has no dequantizer for this format");
      return;
    }
  }

  double oursTotal = 0, ggmlTotal = 0;
  bool failed = false;
  for (auto _ : state) {
    double oursSeconds = 0, ggmlSeconds = 0;
    if (op == Op::Dequantize) {
      oursSeconds = secondsOf([&] { failed |= !dequantizeRow(format, theirs, decoded).ok(); });
      benchmark::DoNotOptimize(decoded.data());
      ggmlSeconds = secondsOf(
          [&] { ggmlDequantize(theirs.data(), decoded.data(), int64_t(decoded.size())); });
      benchmark::DoNotOptimize(decoded.data());
    } else {
      oursSeconds = secondsOf([&] {
        failed |= !quantizeRows(format, in.weights, kRows, kPerRow, ours, importance).ok();
      });
      benchmark::DoNotOptimize(ours.data());
      ggmlSeconds = secondsOf([&] {
        oracle.quantize(type, in.weights.data(), theirs.data(), kRows, kPerRow, imatrix);
      });
      benchmark::DoNotOptimize(theirs.data());
    }
    state.SetIterationTime(oursSeconds);
    oursTotal += oursSeconds;
    ggmlTotal += ggmlSeconds;
  }
  if (failed) {
    state.SkipWithError("quantc codec returned an error");
    return;
  }
  double bytes = double(state.iterations()) * double(in.weights.size()) * sizeof(float);
  state.SetBytesProcessed(int64_t(bytes));
  double oursGBps = bytes / oursTotal / 1e9;
  double ggmlGBps = bytes / ggmlTotal / 1e9;
  state.counters["quantc_GBps"] = oursGBps;
  state.counters["ggml_GBps"] = ggmlGBps;
  state.counters["vs_ggml"] = oursGBps / ggmlGBps;
}

} // namespace

int main(int argc, char **argv) {
  for (const BlockFormatInfo &info : kBlockFormats) {
    if (!hasCodec(info.format))
      continue;
    std::string name(info.ggmlName);
    BlockFormat format = info.format;
    benchmark::RegisterBenchmark(("quantize/" + name).c_str(), runCodec, format, Op::Quantize)
        ->UseManualTime();
    bool usesImatrix =
        format != BlockFormat::Q8_0 && format != BlockFormat::Q8_1 && format != BlockFormat::Q8_K;
    if (usesImatrix)
      benchmark::RegisterBenchmark(("quantize_imatrix/" + name).c_str(), runCodec, format,
                                   Op::QuantizeImatrix)
          ->UseManualTime();
    // ggml has no dequantize_row_q8_1.
    if (format != BlockFormat::Q8_1)
      benchmark::RegisterBenchmark(("dequantize/" + name).c_str(), runCodec, format, Op::Dequantize)
          ->UseManualTime();
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv))
    return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
