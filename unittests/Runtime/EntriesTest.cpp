//===- EntriesTest.cpp - ABI v2: entries, weights, states -----------------===//
//
// Part of quantc.
//
// A hand-written two-entry model, as `quantc compile` lays out a language
// model's: "step" adds its data input x and a weight w into a state acc
// (updated in place) and outputs it; "peek" outputs the state times 2. The
// weight stays in a file that qc_context_map_weights maps (its size and
// header hash checked), or is bound with qc_context_bind_input.
//
//===----------------------------------------------------------------------===//

#include "quantc/runtime.h"

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <unistd.h>

namespace {

// The state is large enough (64 KiB) to be an anonymous mapping.
constexpr int64_t kN = 16384;
const int64_t kDims[1] = {kN};
constexpr uint64_t kHeaderBytes = 64;
constexpr uint64_t kWeightOffset = 128;

// Inputs: 0 x (step), 1 acc (state, shared), 2 w (weight). Outputs: 0 y
// (step), 1 z (peek).
int32_t stepRun(void **buffers, qc_rt *) {
  auto *x = static_cast<const float *>(buffers[0]);
  auto *acc = static_cast<float *>(buffers[1]);
  auto *w = static_cast<const float *>(buffers[2]);
  auto *y = static_cast<float *>(buffers[3]);
  for (int64_t i = 0; i < kN; ++i)
    y[i] = acc[i] += x[i] + w[i];
  return 0;
}

int32_t peekRun(void **buffers, qc_rt *) {
  auto *acc = static_cast<const float *>(buffers[0]);
  auto *z = static_cast<float *>(buffers[1]);
  for (int64_t i = 0; i < kN; ++i)
    z[i] = 2 * acc[i];
  return 0;
}

const qc_tensor_desc kInputs[3] = {
    {"x", QC_DTYPE_FLOAT32, 1, kDims, nullptr, QC_INPUT_DATA, -1, 0},
    {"acc", QC_DTYPE_FLOAT32, 1, kDims, nullptr, QC_INPUT_STATE, -1, 0},
    {"w", QC_DTYPE_FLOAT32, 1, kDims, nullptr, QC_INPUT_WEIGHT, 0, kWeightOffset}};
const qc_tensor_desc kOutputs[2] = {
    {"y", QC_DTYPE_FLOAT32, 1, kDims, nullptr, QC_INPUT_DATA, -1, 0},
    {"z", QC_DTYPE_FLOAT32, 1, kDims, nullptr, QC_INPUT_DATA, -1, 0}};
const int32_t kStepInputs[3] = {0, 1, 2}, kStepOutputs[1] = {0};
const int32_t kPeekInputs[1] = {1}, kPeekOutputs[1] = {1};
const qc_entry kEntries[2] = {{"step", 3, 1, kStepInputs, kStepOutputs, stepRun},
                              {"peek", 1, 1, kPeekInputs, kPeekOutputs, peekRun}};

uint64_t fnv1a(const std::vector<char> &bytes, size_t n) {
  uint64_t h = 14695981039346656037ull;
  for (size_t i = 0; i < n; ++i)
    h = (h ^ static_cast<unsigned char>(bytes[i])) * 1099511628211ull;
  return h;
}

/// A weight file (a header, then w = 0.5 at kWeightOffset) and the model
/// that records it.
struct Fixture {
  explicit Fixture(const char *tag) {
    path = ::testing::TempDir() + "quantc-entries-" + tag + "-" +
           std::to_string(getpid()) + ".bin";
    bytes.assign(kWeightOffset + kN * sizeof(float), 0);
    for (uint64_t i = 0; i < kHeaderBytes; ++i)
      bytes[i] = static_cast<char>('a' + i % 26);
    std::vector<float> w(kN, 0.5f);
    std::memcpy(bytes.data() + kWeightOffset, w.data(), kN * sizeof(float));
    write();
    file = {path.c_str(), bytes.size(), kHeaderBytes, fnv1a(bytes, kHeaderBytes)};
    model = {QC_ABI_VERSION, "entries", 3, 2, kInputs, kOutputs, stepRun, 2, 1, kEntries, &file};
  }
  ~Fixture() {
    if (ctx)
      qc_context_free(ctx);
    std::remove(path.c_str());
  }
  void write() {
    FILE *f = std::fopen(path.c_str(), "wb");
    ASSERT_NE(f, nullptr);
    std::fwrite(bytes.data(), 1, bytes.size(), f);
    std::fclose(f);
  }
  std::string path;
  std::vector<char> bytes;
  qc_weight_file file;
  qc_model model;
  qc_context *ctx = nullptr;
};

bool contains(const char *text, const std::string &part) {
  return std::string(text).find(part) != std::string::npos;
}

TEST(RuntimeEntries, LookupsByName) {
  Fixture f("lookup");
  EXPECT_EQ(qc_model_entry_index(&f.model, "step"), 0);
  EXPECT_EQ(qc_model_entry_index(&f.model, "peek"), 1);
  EXPECT_EQ(qc_model_entry_index(&f.model, "decode"), -1);
  EXPECT_EQ(qc_model_input_index(&f.model, 0, "x"), 0);
  EXPECT_EQ(qc_model_input_index(&f.model, 1, "acc"), 1);
  EXPECT_EQ(qc_model_input_index(&f.model, 1, "x"), -1);
  EXPECT_EQ(qc_model_output_index(&f.model, 1, "z"), 1);
  EXPECT_EQ(qc_model_output_index(&f.model, 0, "z"), -1);
}

TEST(RuntimeEntries, MappedWeightAndStateAcrossEntries) {
  Fixture f("mapped");
  ASSERT_EQ(qc_context_create(&f.model, nullptr, &f.ctx), QC_OK);
  // The weight is not bound yet.
  std::vector<float> x(kN, 1.0f);
  ASSERT_EQ(qc_context_set_input(f.ctx, 0, x.data(), x.size() * 4), QC_OK);
  EXPECT_EQ(qc_context_run_entry(f.ctx, 0), QC_ERROR_MISSING_INPUT);
  EXPECT_TRUE(contains(qc_context_error(f.ctx), "'w'")) << qc_context_error(f.ctx);
  ASSERT_EQ(qc_context_map_weights(f.ctx, nullptr), QC_OK) << qc_context_error(f.ctx);
  // acc starts at zero and is updated in place by every step.
  for (int run = 1; run <= 3; ++run) {
    ASSERT_EQ(qc_context_run_entry(f.ctx, 0), QC_OK) << qc_context_error(f.ctx);
    auto *y = static_cast<const float *>(qc_context_output(f.ctx, 0, nullptr));
    EXPECT_EQ(y[0], 1.5f * run);
    EXPECT_EQ(y[kN - 1], 1.5f * run);
  }
  // The other entry reads the same state.
  ASSERT_EQ(qc_context_run_entry(f.ctx, 1), QC_OK);
  EXPECT_EQ(static_cast<const float *>(qc_context_output(f.ctx, 1, nullptr))[7], 9.0f);
  // qc_context_run is entry 0.
  ASSERT_EQ(qc_context_run(f.ctx), QC_OK);
  size_t bytes = 0;
  auto *acc = static_cast<float *>(qc_context_state(f.ctx, 1, &bytes));
  ASSERT_NE(acc, nullptr);
  EXPECT_EQ(bytes, size_t(kN) * 4);
  EXPECT_EQ(acc[kN / 2], 6.0f);
  // Written through qc_context_state; zeros again after a reset.
  acc[3] = 100.0f;
  ASSERT_EQ(qc_context_run_entry(f.ctx, 1), QC_OK);
  EXPECT_EQ(static_cast<const float *>(qc_context_output(f.ctx, 1, nullptr))[3], 200.0f);
  ASSERT_EQ(qc_context_reset_state(f.ctx), QC_OK);
  EXPECT_EQ(acc[3], 0.0f);
  EXPECT_EQ(acc[kN - 1], 0.0f);
  ASSERT_EQ(qc_context_run_entry(f.ctx, 0), QC_OK);
  EXPECT_EQ(static_cast<const float *>(qc_context_output(f.ctx, 0, nullptr))[3], 1.5f);
  // Not a state; out of range.
  EXPECT_EQ(qc_context_state(f.ctx, 0, nullptr), nullptr);
  EXPECT_EQ(qc_context_run_entry(f.ctx, 2), QC_ERROR_INVALID_ARGUMENT);
}

TEST(RuntimeEntries, MapAnotherPath) {
  Fixture f("paths");
  ASSERT_EQ(qc_context_create(&f.model, nullptr, &f.ctx), QC_OK);
  // The model's one weight file, given by path (moved, say).
  EXPECT_EQ(qc_context_map_weights(f.ctx, f.path.c_str()), QC_OK) << qc_context_error(f.ctx);
  // A directory is for models with several weight files.
  std::string dir = f.path.substr(0, f.path.rfind('/'));
  EXPECT_EQ(qc_context_map_weights(f.ctx, dir.c_str()), QC_ERROR_WEIGHTS);
  EXPECT_TRUE(contains(qc_context_error(f.ctx), "not a regular file")) << qc_context_error(f.ctx);
  // The earlier mapping stays bound.
  std::vector<float> x(kN, 1.0f);
  ASSERT_EQ(qc_context_set_input(f.ctx, 0, x.data(), x.size() * 4), QC_OK);
  EXPECT_EQ(qc_context_run_entry(f.ctx, 0), QC_OK) << qc_context_error(f.ctx);
}

TEST(RuntimeEntries, WrongWeightFiles) {
  Fixture f("wrong");
  ASSERT_EQ(qc_context_create(&f.model, nullptr, &f.ctx), QC_OK);
  // Another header (same size): refused, nothing bound.
  f.bytes[5] ^= 1;
  f.write();
  EXPECT_EQ(qc_context_map_weights(f.ctx, nullptr), QC_ERROR_WEIGHTS);
  EXPECT_TRUE(contains(qc_context_error(f.ctx), "header")) << qc_context_error(f.ctx);
  std::vector<float> x(kN, 1.0f);
  ASSERT_EQ(qc_context_set_input(f.ctx, 0, x.data(), x.size() * 4), QC_OK);
  EXPECT_EQ(qc_context_run_entry(f.ctx, 0), QC_ERROR_MISSING_INPUT);
  // Another size.
  f.bytes[5] ^= 1;
  f.bytes.push_back(0);
  f.write();
  EXPECT_EQ(qc_context_map_weights(f.ctx, nullptr), QC_ERROR_WEIGHTS);
  EXPECT_TRUE(contains(qc_context_error(f.ctx), "bytes")) << qc_context_error(f.ctx);
  // No file.
  std::remove(f.path.c_str());
  EXPECT_EQ(qc_context_map_weights(f.ctx, nullptr), QC_ERROR_WEIGHTS);
}

TEST(RuntimeEntries, BindInputs) {
  Fixture f("bind");
  ASSERT_EQ(qc_context_create(&f.model, nullptr, &f.ctx), QC_OK);
  std::vector<float> x(kN, 2.0f), w(kN, 0.25f);
  // The caller's memory, without a copy: later changes are seen.
  ASSERT_EQ(qc_context_bind_input(f.ctx, 0, x.data(), x.size() * 4), QC_OK);
  ASSERT_EQ(qc_context_bind_input(f.ctx, 2, w.data(), w.size() * 4), QC_OK);
  x[1] = 4.0f;
  ASSERT_EQ(qc_context_run_entry(f.ctx, 0), QC_OK) << qc_context_error(f.ctx);
  auto *y = static_cast<const float *>(qc_context_output(f.ctx, 0, nullptr));
  EXPECT_EQ(y[0], 2.25f);
  EXPECT_EQ(y[1], 4.25f);
  // set_input goes back to the context's copy.
  std::vector<float> ones(kN, 1.0f);
  ASSERT_EQ(qc_context_set_input(f.ctx, 0, ones.data(), ones.size() * 4), QC_OK);
  x[0] = 100.0f;
  ASSERT_EQ(qc_context_run_entry(f.ctx, 0), QC_OK);
  EXPECT_EQ(y[0], 2.25f + 1.25f);
  // Misuse: wrong size, misaligned, a state, a weight through set_input.
  EXPECT_EQ(qc_context_bind_input(f.ctx, 0, x.data(), 4), QC_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(qc_context_bind_input(f.ctx, 0, reinterpret_cast<char *>(x.data()) + 1, x.size() * 4),
            QC_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(qc_context_bind_input(f.ctx, 1, x.data(), x.size() * 4), QC_ERROR_INVALID_ARGUMENT);
  EXPECT_TRUE(contains(qc_context_error(f.ctx), "state")) << qc_context_error(f.ctx);
  EXPECT_EQ(qc_context_set_input(f.ctx, 2, w.data(), w.size() * 4), QC_ERROR_INVALID_ARGUMENT);
  EXPECT_TRUE(contains(qc_context_error(f.ctx), "weight")) << qc_context_error(f.ctx);
}

} // namespace
