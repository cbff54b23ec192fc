//===- ContextTest.cpp - qc_context through the C ABI ---------------------===//
//
// Part of quantc.
//
// A hand-written qc_model, as compiled code would define it, whose run adds
// two float vectors in parallel chunks; then every way a context can be
// misused, each with its status and a message that names the culprit.
//
//===----------------------------------------------------------------------===//

#include "quantc/runtime.h"

#include <cstdint>
#include <cstring>
#include <numeric>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace {

constexpr int64_t kN = 4099;
const int64_t kDims[1] = {kN};
const float kBound[4] = {1, 2, 3, 4};
const int64_t kBoundDims[1] = {4};

struct AddEnv {
  const float *a;
  const float *b;
  float *c;
};

void addChunk(void *env, int64_t begin, int64_t end) {
  auto *e = static_cast<AddEnv *>(env);
  for (int64_t i = begin; i < end; ++i)
    e->c[i] = e->a[i] + e->b[i];
}

/// c = a + b; returns 7 when a buffer is misaligned.
int32_t addRun(void **buffers, qc_rt *rt) {
  for (int i = 0; i < 3; ++i)
    if (reinterpret_cast<uintptr_t>(buffers[i]) % 64 != 0)
      return 7;
  AddEnv env{static_cast<const float *>(buffers[0]), static_cast<const float *>(buffers[1]),
             static_cast<float *>(buffers[2])};
  qc_rt_parallel_for(rt, kN, addChunk, &env);
  return 0;
}

/// c[0:4] = a[0:4] + b; b is bound to {1, 2, 3, 4}.
int32_t addBoundRun(void **buffers, qc_rt *rt) {
  auto *a = static_cast<const float *>(buffers[0]);
  auto *b = static_cast<const float *>(buffers[1]);
  auto *c = static_cast<float *>(buffers[2]);
  for (int i = 0; i < 4; ++i)
    c[i] = a[i] + b[i];
  return 0;
}

int32_t failingRun(void **, qc_rt *) { return 3; }

const qc_tensor_desc kAddInputs[2] = {{"a", QC_DTYPE_FLOAT32, 1, kDims, nullptr},
                                      {"b", QC_DTYPE_FLOAT32, 1, kDims, nullptr}};
const qc_tensor_desc kAddOutputs[1] = {{"c", QC_DTYPE_FLOAT32, 1, kDims, nullptr}};
const qc_model kAddModel = {QC_ABI_VERSION, "add", 2, 1, kAddInputs, kAddOutputs, addRun};

const qc_tensor_desc kBoundInputs[2] = {{"a", QC_DTYPE_FLOAT32, 1, kBoundDims, nullptr},
                                        {"b", QC_DTYPE_FLOAT32, 1, kBoundDims, kBound}};
const qc_tensor_desc kBoundOutputs[1] = {{"c", QC_DTYPE_FLOAT32, 1, kBoundDims, nullptr}};
const qc_model kBoundModel = {QC_ABI_VERSION, "add_bound", 2,          1,
                              kBoundInputs,   kBoundOutputs, addBoundRun};

/// Frees the context at scope exit.
struct Ctx {
  ~Ctx() { qc_context_free(ctx); }
  qc_context *ctx = nullptr;
};

std::vector<float> iota(float start) {
  std::vector<float> v(kN);
  std::iota(v.begin(), v.end(), start);
  return v;
}

bool contains(const char *text, const std::string &part) {
  return std::string(text).find(part) != std::string::npos;
}

TEST(RuntimeContext, AddsVectorsWithAnyThreadCount) {
  std::vector<float> a = iota(0), b = iota(0.5f);
  for (int32_t threads : {0, 1, 2, 3, 8}) {
    Ctx c;
    qc_options options{threads};
    ASSERT_EQ(qc_context_create(&kAddModel, &options, &c.ctx), QC_OK) << qc_last_error();
    ASSERT_EQ(qc_context_set_input(c.ctx, 0, a.data(), a.size() * 4), QC_OK);
    ASSERT_EQ(qc_context_set_input(c.ctx, 1, b.data(), b.size() * 4), QC_OK);
    // Twice: the inputs stay set, the outputs are rewritten.
    for (int run = 0; run < 2; ++run) {
      ASSERT_EQ(qc_context_run(c.ctx), QC_OK) << qc_context_error(c.ctx);
      size_t bytes = 0;
      const auto *out = static_cast<const float *>(qc_context_output(c.ctx, 0, &bytes));
      ASSERT_NE(out, nullptr);
      ASSERT_EQ(bytes, kN * sizeof(float));
      for (int64_t i = 0; i < kN; ++i)
        ASSERT_EQ(out[i], a[i] + b[i]) << i;
    }
    EXPECT_STREQ(qc_context_error(c.ctx), "");
  }
}

TEST(RuntimeContext, NullOptionsUseEveryCore) {
  Ctx c;
  ASSERT_EQ(qc_context_create(&kAddModel, nullptr, &c.ctx), QC_OK);
  std::vector<float> a = iota(1), b = iota(2);
  qc_context_set_input(c.ctx, 0, a.data(), a.size() * 4);
  qc_context_set_input(c.ctx, 1, b.data(), b.size() * 4);
  EXPECT_EQ(qc_context_run(c.ctx), QC_OK);
}

TEST(RuntimeContext, MissingInput) {
  Ctx c;
  ASSERT_EQ(qc_context_create(&kAddModel, nullptr, &c.ctx), QC_OK);
  std::vector<float> a = iota(0);
  ASSERT_EQ(qc_context_set_input(c.ctx, 0, a.data(), a.size() * 4), QC_OK);
  EXPECT_EQ(qc_context_run(c.ctx), QC_ERROR_MISSING_INPUT);
  EXPECT_TRUE(contains(qc_context_error(c.ctx), "input 'b' (index 1)")) << qc_context_error(c.ctx);
  EXPECT_STREQ(qc_last_error(), qc_context_error(c.ctx));
}

TEST(RuntimeContext, WrongInputSize) {
  Ctx c;
  ASSERT_EQ(qc_context_create(&kAddModel, nullptr, &c.ctx), QC_OK);
  std::vector<float> a = iota(0);
  EXPECT_EQ(qc_context_set_input(c.ctx, 0, a.data(), 12), QC_ERROR_INVALID_ARGUMENT);
  EXPECT_TRUE(contains(qc_context_error(c.ctx), "takes 16396 bytes, got 12"))
      << qc_context_error(c.ctx);
  EXPECT_EQ(qc_context_set_input(c.ctx, 0, a.data(), a.size() * 4 + 4), QC_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(qc_context_set_input(c.ctx, 0, nullptr, a.size() * 4), QC_ERROR_INVALID_ARGUMENT);
  EXPECT_TRUE(contains(qc_context_error(c.ctx), "null data")) << qc_context_error(c.ctx);
  // None of these set the input.
  std::vector<float> b = iota(0);
  qc_context_set_input(c.ctx, 1, b.data(), b.size() * 4);
  EXPECT_EQ(qc_context_run(c.ctx), QC_ERROR_MISSING_INPUT);
}

TEST(RuntimeContext, BadIndices) {
  Ctx c;
  ASSERT_EQ(qc_context_create(&kAddModel, nullptr, &c.ctx), QC_OK);
  float x = 0;
  EXPECT_EQ(qc_context_set_input(c.ctx, -1, &x, 4), QC_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(qc_context_set_input(c.ctx, 2, &x, 4), QC_ERROR_INVALID_ARGUMENT);
  EXPECT_TRUE(contains(qc_context_error(c.ctx), "input index 2 is out of range"));
  size_t bytes = 99;
  EXPECT_EQ(qc_context_output(c.ctx, 1, &bytes), nullptr);
  EXPECT_EQ(bytes, 0u);
  EXPECT_EQ(qc_context_output(c.ctx, -1, nullptr), nullptr);
  EXPECT_EQ(qc_context_output(nullptr, 0, &bytes), nullptr);
  EXPECT_EQ(qc_context_set_input(nullptr, 0, &x, 4), QC_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(qc_context_run(nullptr), QC_ERROR_INVALID_ARGUMENT);
  EXPECT_STREQ(qc_context_error(nullptr), "");
  qc_context_free(nullptr);
}

TEST(RuntimeContext, BoundInput) {
  Ctx c;
  ASSERT_EQ(qc_context_create(&kBoundModel, nullptr, &c.ctx), QC_OK);
  float a[4] = {10, 20, 30, 40};
  float wrong[4] = {1, 2, 3, 5}; // 4.0f and 5.0f differ in their third byte
  ASSERT_EQ(qc_context_set_input(c.ctx, 0, a, sizeof a), QC_OK);
  ASSERT_EQ(qc_context_set_input(c.ctx, 1, wrong, sizeof wrong), QC_OK);
  EXPECT_EQ(qc_context_run(c.ctx), QC_ERROR_BOUND_INPUT);
  EXPECT_TRUE(contains(qc_context_error(c.ctx), "input 'b' (index 1)")) << qc_context_error(c.ctx);
  EXPECT_TRUE(contains(qc_context_error(c.ctx), "first difference at byte 14"))
      << qc_context_error(c.ctx);
  EXPECT_STREQ(qc_last_error(), qc_context_error(c.ctx));

  ASSERT_EQ(qc_context_set_input(c.ctx, 1, kBound, sizeof kBound), QC_OK);
  ASSERT_EQ(qc_context_run(c.ctx), QC_OK);
  const auto *out = static_cast<const float *>(qc_context_output(c.ctx, 0, nullptr));
  EXPECT_EQ(out[3], 44.0f);
}

TEST(RuntimeContext, AbiMismatch) {
  qc_model model = kAddModel;
  model.abi_version = QC_ABI_VERSION + 1;
  qc_context *ctx = reinterpret_cast<qc_context *>(&model);
  EXPECT_EQ(qc_context_create(&model, nullptr, &ctx), QC_ERROR_ABI_MISMATCH);
  EXPECT_EQ(ctx, nullptr);
  EXPECT_TRUE(contains(qc_last_error(), "model 'add' was compiled for runtime ABI version 3"))
      << qc_last_error();
}

TEST(RuntimeContext, ExecutionFailure) {
  qc_model model = kAddModel;
  model.run = failingRun;
  Ctx c;
  ASSERT_EQ(qc_context_create(&model, nullptr, &c.ctx), QC_OK);
  std::vector<float> a = iota(0);
  qc_context_set_input(c.ctx, 0, a.data(), a.size() * 4);
  qc_context_set_input(c.ctx, 1, a.data(), a.size() * 4);
  EXPECT_EQ(qc_context_run(c.ctx), QC_ERROR_EXECUTION);
  EXPECT_TRUE(contains(qc_context_error(c.ctx), "failed with code 3")) << qc_context_error(c.ctx);
}

TEST(RuntimeContext, InvalidDescriptors) {
  qc_context *ctx = nullptr;
  EXPECT_EQ(qc_context_create(nullptr, nullptr, &ctx), QC_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(qc_context_create(&kAddModel, nullptr, nullptr), QC_ERROR_INVALID_ARGUMENT);
  qc_options negative{-2};
  EXPECT_EQ(qc_context_create(&kAddModel, &negative, &ctx), QC_ERROR_INVALID_ARGUMENT);
  EXPECT_TRUE(contains(qc_last_error(), "num_threads"));

  auto expectRejected = [&](const qc_model &model, const std::string &part) {
    qc_context *out = nullptr;
    EXPECT_EQ(qc_context_create(&model, nullptr, &out), QC_ERROR_INVALID_ARGUMENT) << part;
    EXPECT_EQ(out, nullptr);
    EXPECT_TRUE(contains(qc_last_error(), part)) << qc_last_error();
  };
  qc_model noRun = kAddModel;
  noRun.run = nullptr;
  expectRejected(noRun, "no run function");

  qc_model negativeCount = kAddModel;
  negativeCount.num_inputs = -1;
  expectRejected(negativeCount, "invalid descriptor");

  qc_tensor_desc badType[2] = {kAddInputs[0], kAddInputs[1]};
  badType[1].dtype = 8; // STRING
  qc_model badTypeModel = kAddModel;
  badTypeModel.inputs = badType;
  expectRejected(badTypeModel, "input 'b' (index 1) has unknown element type 8");

  const int64_t negativeDims[2] = {3, -1};
  qc_tensor_desc badDims[1] = {{"c", QC_DTYPE_FLOAT32, 2, negativeDims, nullptr}};
  qc_model badDimsModel = kAddModel;
  badDimsModel.outputs = badDims;
  expectRejected(badDimsModel, "output 'c' (index 0) has negative dimension -1");

  const int64_t hugeDims[3] = {int64_t(1) << 40, int64_t(1) << 40, 16};
  qc_tensor_desc huge[1] = {{"c", QC_DTYPE_FLOAT32, 3, hugeDims, nullptr}};
  qc_model hugeModel = kAddModel;
  hugeModel.outputs = huge;
  expectRejected(hugeModel, "too large");
}

TEST(RuntimeContext, ZeroSizedTensors) {
  static const int64_t dims[2] = {0, 5};
  static const qc_tensor_desc inputs[1] = {{"e", QC_DTYPE_INT64, 2, dims, nullptr}};
  static const qc_tensor_desc outputs[1] = {{"s", QC_DTYPE_INT64, 0, nullptr, nullptr}};
  qc_model model = {QC_ABI_VERSION, "empty", 1, 1, inputs, outputs,
                    [](void **buffers, qc_rt *) -> int32_t {
                      *static_cast<int64_t *>(buffers[1]) = 42;
                      return 0;
                    }};
  Ctx c;
  ASSERT_EQ(qc_context_create(&model, nullptr, &c.ctx), QC_OK) << qc_last_error();
  EXPECT_EQ(qc_context_set_input(c.ctx, 0, nullptr, 0), QC_OK);
  ASSERT_EQ(qc_context_run(c.ctx), QC_OK);
  size_t bytes = 0;
  const auto *s = static_cast<const int64_t *>(qc_context_output(c.ctx, 0, &bytes));
  EXPECT_EQ(bytes, 8u);
  EXPECT_EQ(*s, 42);
}

TEST(RuntimeContext, DTypeHelpers) {
  struct {
    int32_t dtype;
    size_t size;
    const char *name;
  } expected[] = {{QC_DTYPE_FLOAT32, 4, "float32"}, {QC_DTYPE_UINT8, 1, "uint8"},
                  {QC_DTYPE_INT8, 1, "int8"},       {QC_DTYPE_UINT16, 2, "uint16"},
                  {QC_DTYPE_INT16, 2, "int16"},     {QC_DTYPE_INT32, 4, "int32"},
                  {QC_DTYPE_INT64, 8, "int64"},     {QC_DTYPE_BOOL, 1, "bool"},
                  {QC_DTYPE_FLOAT16, 2, "float16"}, {QC_DTYPE_FLOAT64, 8, "float64"},
                  {QC_DTYPE_UINT32, 4, "uint32"},   {QC_DTYPE_UINT64, 8, "uint64"},
                  {QC_DTYPE_BFLOAT16, 2, "bfloat16"}};
  for (const auto &e : expected) {
    EXPECT_EQ(qc_dtype_size(e.dtype), e.size) << e.name;
    EXPECT_STREQ(qc_dtype_name(e.dtype), e.name);
  }
  for (int32_t unknown : {0, 8, 14, 15, 17, 100, -1}) {
    EXPECT_EQ(qc_dtype_size(unknown), 0u) << unknown;
    EXPECT_STREQ(qc_dtype_name(unknown), "unknown");
  }
  EXPECT_EQ(qc_tensor_bytes(&kAddInputs[0]), kN * 4u);
  EXPECT_EQ(qc_tensor_bytes(nullptr), 0u);
  const int64_t dims[2] = {3, 5};
  qc_tensor_desc d = {"x", QC_DTYPE_FLOAT16, 2, dims, nullptr};
  EXPECT_EQ(qc_tensor_bytes(&d), 30u);
  d.rank = 0;
  EXPECT_EQ(qc_tensor_bytes(&d), 2u);
}

/// Stores qc_rt_num_threads in its int32 output.
int32_t threadsRun(void **buffers, qc_rt *rt) {
  *static_cast<int32_t *>(buffers[0]) = qc_rt_num_threads(rt);
  return 0;
}

TEST(RuntimeContext, RtReportsItsThreads) {
  static const qc_tensor_desc outputs[1] = {{"n", QC_DTYPE_INT32, 0, nullptr, nullptr}};
  qc_model model = {QC_ABI_VERSION, "threads", 0, 1, nullptr, outputs, threadsRun};
  for (int32_t threads : {1, 3, 5}) {
    Ctx c;
    qc_options options{threads};
    ASSERT_EQ(qc_context_create(&model, &options, &c.ctx), QC_OK);
    ASSERT_EQ(qc_context_run(c.ctx), QC_OK);
    EXPECT_EQ(*static_cast<const int32_t *>(qc_context_output(c.ctx, 0, nullptr)), threads);
  }
}

TEST(RuntimeContext, ManyContextsAtOnce) {
  std::vector<Ctx> contexts(8);
  std::vector<float> a = iota(3), b = iota(-1);
  for (Ctx &c : contexts) {
    qc_options options{2};
    ASSERT_EQ(qc_context_create(&kAddModel, &options, &c.ctx), QC_OK);
    qc_context_set_input(c.ctx, 0, a.data(), a.size() * 4);
    qc_context_set_input(c.ctx, 1, b.data(), b.size() * 4);
  }
  for (Ctx &c : contexts)
    ASSERT_EQ(qc_context_run(c.ctx), QC_OK);
}

} // namespace
