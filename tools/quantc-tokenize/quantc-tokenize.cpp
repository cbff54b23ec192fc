//===- quantc-tokenize.cpp - Token ids of text with a GGUF vocabulary -----===//
//
// Part of quantc.
//
//   quantc-tokenize MODEL.gguf --text TEXT
//   quantc-tokenize MODEL.gguf --file TEXTS.txt [--escaped-lines]
//
// Prints the token ids of TEXT, or of each line of TEXTS.txt, one line of
// space-separated ids per text, as llama_tokenize gives them with special
// tokens parsed and no BOS/EOS added (--add-special adds them,
// --no-parse-special leaves special-token text as text). --escaped-lines
// decodes \n, \t, \r and \\ in each line, so a line can hold any text.
//
//===----------------------------------------------------------------------===//

#include "absl/status/statusor.h"

#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

import quantc.gguf;
import quantc.tokenizer;
import quantc.tokenizer.gguf;

namespace {

int usage() {
  std::cerr << "usage: quantc-tokenize MODEL.gguf (--text TEXT | --file FILE [--escaped-lines])\n"
               "                       [--add-special] [--no-parse-special]\n";
  return 2;
}

std::string unescape(std::string_view line) {
  std::string out;
  for (size_t i = 0; i < line.size(); ++i) {
    if (line[i] != '\\' || i + 1 == line.size()) {
      out += line[i];
      continue;
    }
    char c = line[++i];
    switch (c) {
    case 'n': out += '\n'; break;
    case 't': out += '\t'; break;
    case 'r': out += '\r'; break;
    case '\\': out += '\\'; break;
    default: out += '\\'; out += c; break;
    }
  }
  return out;
}

} // namespace

int main(int argc, char **argv) {
  std::string model, text, file;
  bool haveText = false, escaped = false, addSpecial = false, parseSpecial = true;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--text" && i + 1 < argc) {
      text = argv[++i];
      haveText = true;
    } else if (arg == "--file" && i + 1 < argc) {
      file = argv[++i];
    } else if (arg == "--escaped-lines") {
      escaped = true;
    } else if (arg == "--add-special") {
      addSpecial = true;
    } else if (arg == "--no-parse-special") {
      parseSpecial = false;
    } else if (!arg.starts_with("--") && model.empty()) {
      model = arg;
    } else {
      return usage();
    }
  }
  if (model.empty() || haveText == !file.empty())
    return usage();

  absl::StatusOr<quantc::gguf::File> gguf = quantc::gguf::File::open(model);
  if (!gguf.ok()) {
    std::cerr << "quantc-tokenize: " << gguf.status().message() << "\n";
    return 1;
  }
  absl::StatusOr<quantc::tokenizer::Vocabulary> vocab = quantc::tokenizer::readVocabulary(*gguf);
  if (!vocab.ok()) {
    std::cerr << "quantc-tokenize: " << vocab.status().message() << "\n";
    return 1;
  }
  std::string error;
  std::unique_ptr<quantc::tokenizer::Tokenizer> tokenizer =
      quantc::tokenizer::Tokenizer::create(std::move(*vocab), error);
  if (!tokenizer) {
    std::cerr << "quantc-tokenize: " << model << ": " << error << "\n";
    return 1;
  }

  auto print = [&](std::string_view t) {
    std::vector<int32_t> ids = tokenizer->encode(t, addSpecial, parseSpecial);
    std::string line;
    for (size_t i = 0; i < ids.size(); ++i) {
      if (i)
        line += ' ';
      line += std::to_string(ids[i]);
    }
    std::cout << line << '\n';
  };
  if (haveText) {
    print(text);
    return 0;
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    std::cerr << "quantc-tokenize: cannot read " << file << "\n";
    return 1;
  }
  for (std::string line; std::getline(in, line);)
    print(escaped ? unescape(line) : line);
  return 0;
}
