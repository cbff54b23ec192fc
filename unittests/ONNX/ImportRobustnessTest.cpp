//===- ImportRobustnessTest.cpp - ONNX import of damaged models -----------===//
//
// Part of quantc.
//
// Real models (the ONNX backend node tests) cut short at many lengths and
// with bytes overwritten at random: every import must end in either a
// module that verifies or an error diagnostic, never a crash, and an error
// must always come with a diagnostic.
//
//===----------------------------------------------------------------------===//

#include "quantc/Target/ONNX/ONNX.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "llvm/Support/MemoryBuffer.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <random>

using namespace mlir;

namespace {

struct Outcome {
  bool imported = false;
  bool verified = false;
  unsigned errors = 0;
};

Outcome importBytes(const std::string &bytes) {
  DialectRegistry registry;
  quantc::registerONNXImportDialects(registry);
  MLIRContext context(registry);
  Outcome outcome;
  ScopedDiagnosticHandler handler(&context, [&](Diagnostic &diag) {
    if (diag.getSeverity() == DiagnosticSeverity::Error)
      ++outcome.errors;
    return success();
  });
  auto buffer = llvm::MemoryBuffer::getMemBuffer(bytes, "model.onnx",
                                                 /*RequiresNullTerminator=*/false);
  OwningOpRef<ModuleOp> module = quantc::importONNXBuffer(
      buffer->getMemBufferRef(), "/nonexistent", &context);
  outcome.imported = static_cast<bool>(module);
  outcome.verified = module && succeeded(verify(*module));
  return outcome;
}

std::string readFile(const std::filesystem::path &path) {
  auto buffer = llvm::MemoryBuffer::getFile(path.string());
  return buffer ? (*buffer)->getBuffer().str() : std::string();
}

/// A spread of real models: elementwise, conv, control flow, quantized.
const char *kModels[] = {
    "test_add_bcast",       "test_conv_with_strides_padding",
    "test_if",              "test_lstm_defaults",
    "test_qlinearmatmul_2D", "test_reshape_negative_dim",
    "test_maxpool_2d_pads", "test_gather_0",
    "test_layer_normalization_2d_axis0", "test_scan9_sum",
};

TEST(ONNXImportRobustness, IntactModelsImport) {
  for (const char *name : kModels) {
    std::string bytes = readFile(std::filesystem::path(QUANTC_ONNX_NODE_TESTS) /
                                 name / "model.onnx");
    ASSERT_FALSE(bytes.empty()) << name << ": install libonnx-testdata";
    Outcome outcome = importBytes(bytes);
    EXPECT_TRUE(outcome.imported && outcome.verified) << name;
    EXPECT_EQ(outcome.errors, 0u) << name;
  }
}

TEST(ONNXImportRobustness, TruncatedModelsFailWithADiagnostic) {
  for (const char *name : kModels) {
    std::string bytes = readFile(std::filesystem::path(QUANTC_ONNX_NODE_TESTS) /
                                 name / "model.onnx");
    ASSERT_FALSE(bytes.empty());
    size_t step = std::max<size_t>(1, bytes.size() / 97);
    for (size_t n = 0; n < bytes.size(); n += step) {
      Outcome outcome = importBytes(bytes.substr(0, n));
      // A prefix can still be a valid message (protobuf has no length
      // header); then it must verify.
      if (outcome.imported)
        EXPECT_TRUE(outcome.verified) << name << " cut at " << n;
      else
        EXPECT_GT(outcome.errors, 0u) << name << " cut at " << n;
    }
  }
}

TEST(ONNXImportRobustness, CorruptedModelsNeverCrash) {
  std::mt19937 rng(20261122);
  for (const char *name : kModels) {
    std::string bytes = readFile(std::filesystem::path(QUANTC_ONNX_NODE_TESTS) /
                                 name / "model.onnx");
    ASSERT_FALSE(bytes.empty());
    for (int trial = 0; trial < 150; ++trial) {
      std::string mutated = bytes;
      int flips = 1 + rng() % 4;
      for (int f = 0; f < flips; ++f)
        mutated[rng() % mutated.size()] = static_cast<char>(rng());
      Outcome outcome = importBytes(mutated);
      if (outcome.imported)
        EXPECT_TRUE(outcome.verified) << name << " trial " << trial;
      else
        EXPECT_GT(outcome.errors, 0u) << name << " trial " << trial;
    }
  }
}

} // namespace
