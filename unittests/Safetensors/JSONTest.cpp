//===- JSONTest.cpp - The strict JSON parser ------------------------------===//
//
// Part of quantc.
//
//===----------------------------------------------------------------------===//

#include "absl/status/statusor.h"

#include <cstdint>
#include <limits>
#include <string>

#include <gtest/gtest.h>

import quantc.json;

using namespace quantc::json;

namespace {

Value parseOrDie(const std::string &text) {
  absl::StatusOr<Value> value = parse(text, "test.json");
  EXPECT_TRUE(value.ok()) << value.status();
  return value.ok() ? *value : Value();
}

/// Expects `text` to be rejected with a message naming the source, the byte
/// offset and the problem.
void expectError(const std::string &text, size_t offset, const std::string &problem,
                 ParseOptions options = {}) {
  absl::StatusOr<Value> value = parse(text, "bad.json", options);
  ASSERT_FALSE(value.ok()) << "accepted: " << text;
  std::string message(value.status().message());
  std::string where = "bad.json: JSON error at byte offset " + std::to_string(offset) + ": ";
  EXPECT_EQ(message.rfind(where, 0), 0u) << message;
  EXPECT_NE(message.find(problem), std::string::npos) << message;
}

TEST(JSONTest, Scalars) {
  EXPECT_TRUE(parseOrDie("null").isNull());
  EXPECT_EQ(parseOrDie("true").getBool(), true);
  EXPECT_EQ(parseOrDie(" false ").getBool(), false);
  EXPECT_EQ(parseOrDie("0").getInt(), 0);
  EXPECT_EQ(parseOrDie("-42").getInt(), -42);
  EXPECT_EQ(parseOrDie("9223372036854775807").getInt(), std::numeric_limits<int64_t>::max());
  EXPECT_EQ(parseOrDie("-9223372036854775808").getInt(), std::numeric_limits<int64_t>::min());
  // Too large for int64: a double.
  Value big = parseOrDie("9223372036854775808");
  EXPECT_EQ(big.kind(), Kind::Double);
  EXPECT_EQ(big.getNumber(), 9223372036854775808.0);
  EXPECT_EQ(parseOrDie("1.5").kind(), Kind::Double);
  EXPECT_EQ(parseOrDie("1e3").getNumber(), 1000.0);
  EXPECT_EQ(parseOrDie("-2.5E-1").getNumber(), -0.25);
  EXPECT_EQ(parseOrDie("1.0").getInt(), std::nullopt); // a double stays a double
  EXPECT_EQ(parseOrDie("7").getNumber(), 7.0);
  EXPECT_EQ(*parseOrDie("\"hi\"").getString(), "hi");
}

TEST(JSONTest, ObjectsKeepKeyOrder) {
  Value value = parseOrDie(R"({"z": 1, "a": [1, 2.5, "x", null, {}], "m": {"k": true}})");
  const Object *object = value.getObject();
  ASSERT_NE(object, nullptr);
  ASSERT_EQ(object->size(), 3u);
  EXPECT_EQ(object->members()[0].key, "z");
  EXPECT_EQ(object->members()[1].key, "a");
  EXPECT_EQ(object->members()[2].key, "m");
  EXPECT_EQ(value.find("a")->getArray()->size(), 5u);
  EXPECT_EQ(value.find("m")->find("k")->getBool(), true);
  EXPECT_EQ(value.find("nope"), nullptr);
  EXPECT_EQ(parseOrDie("[]").getArray()->size(), 0u);
  EXPECT_TRUE(parseOrDie("{ }").getObject()->empty());
}

TEST(JSONTest, Escapes) {
  Value value = parseOrDie(R"("q\" b\\ s\/ \b\f\n\r\t é\u00e9 \u4e16 \ud83d\ude00 \u0000")");
  std::string expected = "q\" b\\ s/ \b\f\n\r\t \xC3\xA9\xC3\xA9 \xE4\xB8\x96 \xF0\x9F\x98\x80 ";
  expected += '\0';
  EXPECT_EQ(*value.getString(), expected);
}

TEST(JSONTest, SerializeRoundTrips) {
  std::string text =
      R"({"a":[1,-2,2.5,1e+300,"x\n\"\u0001",true,false,null],"b":{},"c":[],"d":"é"})";
  Value value = parseOrDie(text);
  std::string out = serialize(value);
  EXPECT_TRUE(parseOrDie(out) == value) << out;
  EXPECT_EQ(serialize(parseOrDie("[1.0, 3]")), "[1.0,3]");
}

TEST(JSONTest, SyntaxErrors) {
  expectError("", 0, "expected a value, found the end of the input");
  expectError("[1, 2,]", 6, "expected a value, found ']'");
  expectError(R"({"a": 1,})", 8, "expected a string key, found '}'");
  expectError(R"({"a" 1})", 5, "expected ':' after a key, found '1'");
  expectError("[1 2]", 3, "expected ',' or ']' in an array, found '2'");
  expectError(R"({"a": 1 "b": 2})", 8, "expected ',' or '}' in an object, found '\"'");
  expectError("{'a': 1}", 1, "expected a string key, found '''");
  expectError("[1] x", 4, "unexpected 'x' after the JSON value");
  expectError("tru", 0, "expected a value, found 't'");
  expectError("NaN", 0, "expected a value, found 'N'");
  expectError("// c\n1", 0, "expected a value, found '/'");
}

TEST(JSONTest, NumberErrors) {
  expectError("01", 0, "leading zero");
  expectError("-", 0, "no digits");
  expectError("1.", 0, "no digits after '.'");
  expectError("1e+", 0, "no digits in the exponent");
  expectError("+1", 0, "expected a value, found '+'");
  expectError("[1, 1e999]", 4, "out of the range of a double");
}

TEST(JSONTest, StringErrors) {
  expectError("\"abc", 0, "unterminated string");
  expectError("\"a\tb\"", 2, "unescaped control character 0x09");
  expectError(R"("\x")", 1, "invalid escape '\\x'");
  expectError(R"("\u12g4")", 5, "invalid hex digit");
  expectError(R"("\u12)", 3, "truncated \\u escape");
  expectError(R"(["\ud83d"])", 2, "high surrogate not followed by a low surrogate");
  expectError(R"("\ud83d\u0041")", 1, "high surrogate not followed by a low surrogate");
  expectError(R"("\ude00")", 1, "unpaired low surrogate");
}

TEST(JSONTest, InvalidUTF8) {
  expectError("\"ab\xFF\"", 3, "invalid UTF-8");
  expectError("[\"\xC0\xAF\"]", 2, "invalid UTF-8");          // overlong
  expectError("\"\xED\xA0\x80\"", 1, "invalid UTF-8");         // surrogate
  expectError("\"\xF4\x90\x80\x80\"", 1, "invalid UTF-8");     // > U+10FFFF
  expectError("\"\xE4\xB8\"", 1, "invalid UTF-8");             // truncated sequence
  expectError("\xEF\xBB\xBF{}", 0, "byte order mark");
}

TEST(JSONTest, DuplicateKeys) {
  expectError(R"({"a": 1, "b": 2, "a": 3})", 17, "duplicate key \"a\"");
}

TEST(JSONTest, DepthLimit) {
  std::string ok = std::string(64, '[') + std::string(64, ']');
  EXPECT_TRUE(parse(ok, "deep.json").ok());
  std::string deep = std::string(65, '[') + std::string(65, ']');
  expectError(deep, 64, "nesting deeper than 64 levels");
  expectError(R"({"a": {"b": [1]}})", 12, "nesting deeper than 2 levels", {.maxDepth = 2});
  // Far deeper than the stack would allow, rejected early.
  expectError(std::string(1000000, '['), 64, "nesting deeper than 64 levels");
}

} // namespace
