//===- GGUFRealFilesTest.cpp - llama.cpp's own GGUF files -----------------===//
//
// Part of quantc.
//
// Reads the vocab-only GGUF files that ship with llama.cpp
// (models/ggml-vocab-*.gguf, written by gguf-py; versions 2 and 3) and
// writes each back: the copy must be byte-identical. The files are put in
// .tools/llama-vocab/ by unittests/GGUF/fetch-llama-vocab.sh (or name a
// directory in QUANTC_LLAMA_VOCAB_DIR); without them the test is skipped.
//
//===----------------------------------------------------------------------===//

#include "absl/status/statusor.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "GGUFTestUtil.h"

import quantc.gguf;

using namespace quantc::gguf;
using quantc::testing::readWholeFile;
using quantc::testing::ScratchDir;

namespace {

std::vector<std::filesystem::path> vocabFiles() {
  const char *env = std::getenv("QUANTC_LLAMA_VOCAB_DIR");
  std::filesystem::path dir = env ? env : QUANTC_LLAMA_VOCAB_DIR;
  std::vector<std::filesystem::path> files;
  std::error_code ec;
  for (const auto &entry : std::filesystem::directory_iterator(dir, ec)) {
    std::string name = entry.path().filename().string();
    if (name.starts_with("ggml-vocab-") && name.ends_with(".gguf"))
      files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

TEST(GGUFRealFilesTest, LlamaCppVocabFilesReadAndRewriteByteIdentical) {
  std::vector<std::filesystem::path> files = vocabFiles();
  // scripts/setup.sh installs them; without them this test cannot check
  // anything, which is a failure, not a skip.
  ASSERT_GE(files.size(), 10u)
      << "expected llama.cpp's ggml-vocab-*.gguf files in "
      << QUANTC_LLAMA_VOCAB_DIR << "; run scripts/setup.sh";
  ScratchDir dir;
  for (const std::filesystem::path &path : files) {
    SCOPED_TRACE(path.string());
    absl::StatusOr<File> file = File::open(path.string());
    ASSERT_TRUE(file.ok()) << file.status();
    EXPECT_TRUE(file->version() == 2 || file->version() == 3);
    EXPECT_TRUE(file->getString("general.architecture").ok());
    absl::StatusOr<std::span<const std::string>> tokens =
        file->getArrayOf<std::string>("tokenizer.ggml.tokens");
    ASSERT_TRUE(tokens.ok()) << tokens.status();
    EXPECT_GT(tokens->size(), 1000u);
    EXPECT_TRUE(file->getString("tokenizer.ggml.model").ok());

    std::string copy = dir.path("copy.gguf");
    ASSERT_TRUE(writeFile(*file, copy).ok());
    EXPECT_TRUE(readWholeFile(copy) == readWholeFile(path)) << "rewrite differs";
  }
}

} // namespace
