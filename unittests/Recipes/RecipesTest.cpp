//===- RecipesTest.cpp - llama.cpp quantization mixes ---------------------===//
//
// Part of quantc.
//
// The tensor-type counts below are the ones llama.cpp's loader prints for
// Llama-2-7B (32 layers, 291 tensors) quantized by llama-quantize, e.g.
// "type q4_K: 193 tensors, type q6_K: 33 tensors" for Q4_K_M.
//
//===----------------------------------------------------------------------===//

#include "absl/status/statusor.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

import quantc.recipes;

using namespace quantc::recipes;

namespace {

constexpr uint32_t F32 = 0, Q4_0 = 2, Q4_1 = 3, Q5_0 = 6, Q8_0 = 8, Q3_K = 11,
                   Q4_K = 12, Q5_K = 13, Q6_K = 14;

/// The tensors of a llama model in GGUF naming and order.
std::vector<TensorDesc> llamaTensors(int layers, int64_t embd, int64_t ff,
                                     int64_t vocab, bool tiedOutput = false) {
  std::vector<TensorDesc> t;
  t.push_back({"token_embd.weight", {embd, vocab}, F32});
  for (int i = 0; i < layers; ++i) {
    std::string p = "blk." + std::to_string(i) + ".";
    t.push_back({p + "attn_norm.weight", {embd}, F32});
    t.push_back({p + "attn_q.weight", {embd, embd}, F32});
    t.push_back({p + "attn_k.weight", {embd, embd}, F32});
    t.push_back({p + "attn_v.weight", {embd, embd}, F32});
    t.push_back({p + "attn_output.weight", {embd, embd}, F32});
    t.push_back({p + "ffn_norm.weight", {embd}, F32});
    t.push_back({p + "ffn_gate.weight", {embd, ff}, F32});
    t.push_back({p + "ffn_up.weight", {embd, ff}, F32});
    t.push_back({p + "ffn_down.weight", {ff, embd}, F32});
  }
  t.push_back({"output_norm.weight", {embd}, F32});
  if (!tiedOutput)
    t.push_back({"output.weight", {embd, vocab}, F32});
  return t;
}

ModelParams llama7B() { return {"llama", 32, 32, 32, 0}; }

std::map<uint32_t, int> histogram(const std::vector<TensorPlan> &plans) {
  std::map<uint32_t, int> counts;
  for (const TensorPlan &p : plans)
    ++counts[p.type];
  return counts;
}

std::map<uint32_t, int> plan(FileType ft, const std::vector<TensorDesc> &t,
                             ModelParams model = llama7B()) {
  RecipeOptions options;
  options.fileType = ft;
  absl::StatusOr<std::vector<TensorPlan>> plans = planModel(model, t, options);
  EXPECT_TRUE(plans.ok()) << plans.status().ToString();
  return plans.ok() ? histogram(*plans) : std::map<uint32_t, int>{};
}

TEST(RecipesTest, Llama2_7B_Q4_K_M) {
  auto t = llamaTensors(32, 4096, 11008, 32000);
  ASSERT_EQ(t.size(), 291u);
  EXPECT_EQ(plan(FileType::Q4_K_M, t),
            (std::map<uint32_t, int>{{F32, 65}, {Q4_K, 193}, {Q6_K, 33}}));
}

TEST(RecipesTest, Llama2_7B_Q4_K_S) {
  auto t = llamaTensors(32, 4096, 11008, 32000);
  EXPECT_EQ(plan(FileType::Q4_K_S, t),
            (std::map<uint32_t, int>{{F32, 65}, {Q4_K, 217}, {Q5_K, 8}, {Q6_K, 1}}));
}

TEST(RecipesTest, Llama2_7B_Q3_K_M) {
  auto t = llamaTensors(32, 4096, 11008, 32000);
  EXPECT_EQ(plan(FileType::Q3_K_M, t),
            (std::map<uint32_t, int>{
                {F32, 65}, {Q3_K, 129}, {Q4_K, 92}, {Q5_K, 4}, {Q6_K, 1}}));
}

TEST(RecipesTest, Llama2_7B_Q4_0_KeepsNormsAndGivesOutputQ6_K) {
  auto t = llamaTensors(32, 4096, 11008, 32000);
  EXPECT_EQ(plan(FileType::Q4_0, t),
            (std::map<uint32_t, int>{{F32, 65}, {Q4_0, 225}, {Q6_K, 1}}));
}

TEST(RecipesTest, Q8_0OutputStaysQ8_0) {
  auto t = llamaTensors(2, 256, 512, 1000);
  EXPECT_EQ(plan(FileType::Q8_0, t),
            (std::map<uint32_t, int>{{F32, 5}, {Q8_0, 16}}));
}

TEST(RecipesTest, TiedEmbeddingsGetTheOutputType) {
  auto t = llamaTensors(2, 256, 512, 1000, /*tiedOutput=*/true);
  RecipeOptions options;
  options.fileType = FileType::Q4_K_M;
  auto plans = planModel({"llama", 2, 4, 4, 0}, t, options);
  ASSERT_TRUE(plans.ok());
  EXPECT_EQ((*plans)[0].type, Q6_K) << "token_embd.weight";
}

TEST(RecipesTest, GroupedQueryAttentionRaisesAttnVForQ2_K) {
  auto t = llamaTensors(8, 256, 512, 1000);
  RecipeOptions options;
  options.fileType = FileType::Q2_K;
  auto gqa = planModel({"llama", 8, 32, 8, 0}, t, options);
  auto mha = planModel({"llama", 8, 32, 32, 0}, t, options);
  ASSERT_TRUE(gqa.ok() && mha.ok());
  EXPECT_EQ((*gqa)[4].type, Q4_K) << t[4].name;
  EXPECT_EQ((*mha)[4].type, Q3_K) << t[4].name;
}

TEST(RecipesTest, PureGivesEveryMatrixTheDefaultType) {
  auto t = llamaTensors(4, 256, 512, 1000);
  RecipeOptions options;
  options.fileType = FileType::Q4_K_M;
  options.pure = true;
  auto plans = planModel({"llama", 4, 4, 4, 0}, t, options);
  ASSERT_TRUE(plans.ok());
  EXPECT_EQ(histogram(*plans),
            (std::map<uint32_t, int>{{F32, 9}, {Q4_K, 30}}));
}

TEST(RecipesTest, TensorTypeOverridesWinAndBadRegexIsAnError) {
  auto t = llamaTensors(2, 256, 512, 1000);
  RecipeOptions options;
  options.fileType = FileType::Q4_K_M;
  options.overrides = {{"attn_q", Q8_0}, {"ffn_.*", Q5_K}};
  auto plans = planModel({"llama", 2, 4, 4, 0}, t, options);
  ASSERT_TRUE(plans.ok());
  for (size_t i = 0; i < t.size(); ++i) {
    if (t[i].name.find("attn_q") != std::string::npos)
      EXPECT_EQ((*plans)[i].type, Q8_0) << t[i].name;
    if (t[i].name.find("ffn_up") != std::string::npos ||
        t[i].name.find("ffn_down") != std::string::npos)
      EXPECT_EQ((*plans)[i].type, Q5_K) << t[i].name;
  }
  options.overrides = {{"attn_(q", Q8_0}};
  auto bad = planModel({"llama", 2, 4, 4, 0}, t, options);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("invalid regular expression"),
            std::string::npos);
}

TEST(RecipesTest, RowsThatAreNotWholeBlocksFallBack) {
  // A 288-wide model: not a multiple of 256, so K-quants fall back.
  std::vector<TensorDesc> t = {{"blk.0.attn_q.weight", {288, 288}, F32},
                               {"blk.0.ffn_down.weight", {100, 288}, F32}};
  RecipeOptions options;
  options.fileType = FileType::Q4_K_S;
  auto plans = planModel({"llama", 1, 4, 4, 0}, t, options);
  ASSERT_TRUE(plans.ok());
  EXPECT_EQ((*plans)[0].type, Q5_0);
  EXPECT_TRUE((*plans)[0].fellBack);
  // ffn_down in layer 0 of Q4_K_S wants Q5_K -> Q5_1, but 100 is not a
  // multiple of 32 either: F16.
  EXPECT_EQ((*plans)[1].type, 1u);
}

TEST(RecipesTest, ParseFileTypeNamesAndAliases) {
  EXPECT_EQ(parseFileType("q4_k_m")->fileType, FileType::Q4_K_M);
  EXPECT_EQ(parseFileType("Q4_K")->fileType, FileType::Q4_K_M);
  EXPECT_EQ(parseFileType("BF16")->defaultType, 30u);
  EXPECT_EQ(parseFileType("Q5_1")->defaultType, 7u);
  EXPECT_FALSE(parseFileType("Q7_K").has_value());
  EXPECT_EQ(static_cast<uint32_t>(parseFileType("Q4_K_M")->fileType), 15u);
}

TEST(RecipesTest, Q4_0WithImatrixProtectsTheFirstFFNDownLayers) {
  auto t = llamaTensors(16, 256, 512, 1000);
  RecipeOptions options;
  options.fileType = FileType::Q4_0;
  options.hasImatrix = true;
  auto plans = planModel({"llama", 16, 4, 4, 0}, t, options);
  ASSERT_TRUE(plans.ok());
  EXPECT_EQ(histogram(*plans)[Q4_1], 2);
}

} // namespace
