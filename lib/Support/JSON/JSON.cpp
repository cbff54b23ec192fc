//===- JSON.cpp - A strict, bounded JSON parser ---------------------------===//
//
// Part of quantc.
//
//===----------------------------------------------------------------------===//

module;

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <variant>
#include <vector>

module quantc.json;

import quantc.formatsupport;

namespace quantc::json {

//===----------------------------------------------------------------------===//
// Values
//===----------------------------------------------------------------------===//

const Member *Object::begin() const { return entries.data(); }
const Member *Object::end() const { return entries.data() + entries.size(); }

const Value *Object::find(std::string_view key) const {
  for (const Member &member : entries)
    if (member.key == key)
      return &member.value;
  return nullptr;
}

void Object::append(std::string key, Value value) {
  entries.push_back({std::move(key), std::move(value)});
}

bool operator==(const Object &a, const Object &b) { return a.entries == b.entries; }

std::string_view kindName(Kind kind) {
  switch (kind) {
  case Kind::Null:
    return "null";
  case Kind::Bool:
    return "bool";
  case Kind::Int:
    return "integer";
  case Kind::Double:
    return "number";
  case Kind::String:
    return "string";
  case Kind::Array:
    return "array";
  case Kind::Object:
    return "object";
  }
  return "unknown";
}

std::optional<bool> Value::getBool() const {
  if (const bool *value = std::get_if<bool>(&storage))
    return *value;
  return std::nullopt;
}

std::optional<int64_t> Value::getInt() const {
  if (const int64_t *value = std::get_if<int64_t>(&storage))
    return *value;
  return std::nullopt;
}

std::optional<double> Value::getNumber() const {
  if (const int64_t *value = std::get_if<int64_t>(&storage))
    return static_cast<double>(*value);
  if (const double *value = std::get_if<double>(&storage))
    return *value;
  return std::nullopt;
}

const Value *Value::find(std::string_view key) const {
  const Object *object = getObject();
  return object ? object->find(key) : nullptr;
}

//===----------------------------------------------------------------------===//
// Parser
//===----------------------------------------------------------------------===//

namespace {

class Parser {
public:
  Parser(std::string_view text, const std::string &name, ParseOptions options)
      : text(text), name(name), options(options) {}

  absl::StatusOr<Value> parseDocument();

private:
  absl::Status error(size_t at, const std::string &what) const {
    return absl::InvalidArgumentError(
        absl::StrCat(name, ": JSON error at byte offset ", at, ": ", what));
  }
  bool atEnd() const { return pos == text.size(); }
  char peek() const { return text[pos]; }
  void skipWhitespace() {
    while (pos < text.size() &&
           (text[pos] == ' ' || text[pos] == '\t' || text[pos] == '\n' || text[pos] == '\r'))
      ++pos;
  }
  std::string describeHere() const;

  absl::Status parseValue(Value &out, unsigned depth);
  absl::Status parseObject(Value &out, unsigned depth);
  absl::Status parseArray(Value &out, unsigned depth);
  absl::Status parseString(std::string &out);
  absl::Status parseNumber(Value &out);
  absl::Status parseLiteral(std::string_view word, Value value, Value &out);
  absl::Status parseHex4(uint32_t &out);

  std::string_view text;
  const std::string &name;
  ParseOptions options;
  size_t pos = 0;
};

std::string Parser::describeHere() const {
  if (atEnd())
    return "the end of the input";
  unsigned char c = static_cast<unsigned char>(peek());
  if (c >= 0x20 && c < 0x7f)
    return absl::StrCat("'", std::string(1, static_cast<char>(c)), "'");
  return absl::StrCat("byte 0x", absl::Hex(c, absl::kZeroPad2));
}

absl::StatusOr<Value> Parser::parseDocument() {
  if (std::optional<size_t> bad = findInvalidUTF8(text))
    return error(*bad, "invalid UTF-8");
  if (text.starts_with("\xEF\xBB\xBF"))
    return error(0, "byte order mark before the JSON text");
  Value result;
  skipWhitespace();
  if (absl::Status s = parseValue(result, 0); !s.ok())
    return s;
  skipWhitespace();
  if (!atEnd())
    return error(pos, absl::StrCat("unexpected ", describeHere(), " after the JSON value"));
  return result;
}

absl::Status Parser::parseValue(Value &out, unsigned depth) {
  if (atEnd())
    return error(pos, "expected a value, found the end of the input");
  switch (peek()) {
  case '{':
    return parseObject(out, depth + 1);
  case '[':
    return parseArray(out, depth + 1);
  case '"': {
    std::string value;
    if (absl::Status s = parseString(value); !s.ok())
      return s;
    out = Value(std::move(value));
    return absl::OkStatus();
  }
  case 't':
    return parseLiteral("true", Value(true), out);
  case 'f':
    return parseLiteral("false", Value(false), out);
  case 'n':
    return parseLiteral("null", Value(nullptr), out);
  default:
    if (peek() == '-' || (peek() >= '0' && peek() <= '9'))
      return parseNumber(out);
    return error(pos, absl::StrCat("expected a value, found ", describeHere()));
  }
}

absl::Status Parser::parseLiteral(std::string_view word, Value value, Value &out) {
  if (text.substr(pos, word.size()) != word)
    return error(pos, absl::StrCat("expected a value, found ", describeHere()));
  pos += word.size();
  out = std::move(value);
  return absl::OkStatus();
}

absl::Status Parser::parseObject(Value &out, unsigned depth) {
  if (depth > options.maxDepth)
    return error(pos, absl::StrCat("nesting deeper than ", options.maxDepth, " levels"));
  ++pos; // '{'
  Object object;
  absl::flat_hash_set<std::string> keys;
  skipWhitespace();
  if (!atEnd() && peek() == '}') {
    ++pos;
    out = Value(std::move(object));
    return absl::OkStatus();
  }
  while (true) {
    skipWhitespace();
    if (atEnd() || peek() != '"')
      return error(pos, absl::StrCat("expected a string key, found ", describeHere()));
    size_t keyAt = pos;
    std::string key;
    if (absl::Status s = parseString(key); !s.ok())
      return s;
    if (!keys.insert(key).second)
      return error(keyAt, absl::StrCat("duplicate key \"", key, "\""));
    skipWhitespace();
    if (atEnd() || peek() != ':')
      return error(pos, absl::StrCat("expected ':' after a key, found ", describeHere()));
    ++pos;
    skipWhitespace();
    Value value;
    if (absl::Status s = parseValue(value, depth); !s.ok())
      return s;
    object.append(std::move(key), std::move(value));
    skipWhitespace();
    if (!atEnd() && peek() == ',') {
      ++pos;
      continue;
    }
    if (!atEnd() && peek() == '}') {
      ++pos;
      out = Value(std::move(object));
      return absl::OkStatus();
    }
    return error(pos, absl::StrCat("expected ',' or '}' in an object, found ", describeHere()));
  }
}

absl::Status Parser::parseArray(Value &out, unsigned depth) {
  if (depth > options.maxDepth)
    return error(pos, absl::StrCat("nesting deeper than ", options.maxDepth, " levels"));
  ++pos; // '['
  Array array;
  skipWhitespace();
  if (!atEnd() && peek() == ']') {
    ++pos;
    out = Value(std::move(array));
    return absl::OkStatus();
  }
  while (true) {
    skipWhitespace();
    Value value;
    if (absl::Status s = parseValue(value, depth); !s.ok())
      return s;
    array.push_back(std::move(value));
    skipWhitespace();
    if (!atEnd() && peek() == ',') {
      ++pos;
      continue;
    }
    if (!atEnd() && peek() == ']') {
      ++pos;
      out = Value(std::move(array));
      return absl::OkStatus();
    }
    return error(pos, absl::StrCat("expected ',' or ']' in an array, found ", describeHere()));
  }
}

absl::Status Parser::parseHex4(uint32_t &out) {
  if (text.size() - pos < 4)
    return error(pos, "truncated \\u escape");
  out = 0;
  for (int i = 0; i < 4; ++i) {
    char c = text[pos + i];
    uint32_t digit;
    if (c >= '0' && c <= '9')
      digit = c - '0';
    else if (c >= 'a' && c <= 'f')
      digit = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F')
      digit = c - 'A' + 10;
    else
      return error(pos + i, "invalid hex digit in a \\u escape");
    out = out * 16 + digit;
  }
  pos += 4;
  return absl::OkStatus();
}

void appendUTF8(std::string &out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

absl::Status Parser::parseString(std::string &out) {
  size_t start = pos;
  ++pos; // '"'
  while (true) {
    size_t runStart = pos;
    while (pos < text.size() && text[pos] != '"' && text[pos] != '\\' &&
           static_cast<unsigned char>(text[pos]) >= 0x20)
      ++pos;
    // The whole text is valid UTF-8 and runs end at ASCII bytes, so each run
    // is valid UTF-8 too.
    out.append(text.substr(runStart, pos - runStart));
    if (atEnd())
      return error(start, "unterminated string");
    char c = peek();
    if (c == '"') {
      ++pos;
      return absl::OkStatus();
    }
    if (c != '\\')
      return error(pos, absl::StrCat("unescaped control character 0x",
                                     absl::Hex(static_cast<unsigned char>(c), absl::kZeroPad2),
                                     " in a string"));
    size_t escapeAt = pos;
    ++pos;
    if (atEnd())
      return error(start, "unterminated string");
    char e = peek();
    ++pos;
    switch (e) {
    case '"':
      out += '"';
      break;
    case '\\':
      out += '\\';
      break;
    case '/':
      out += '/';
      break;
    case 'b':
      out += '\b';
      break;
    case 'f':
      out += '\f';
      break;
    case 'n':
      out += '\n';
      break;
    case 'r':
      out += '\r';
      break;
    case 't':
      out += '\t';
      break;
    case 'u': {
      uint32_t cp;
      if (absl::Status s = parseHex4(cp); !s.ok())
        return s;
      if (cp >= 0xDC00 && cp <= 0xDFFF)
        return error(escapeAt, "unpaired low surrogate in a \\u escape");
      if (cp >= 0xD800 && cp <= 0xDBFF) {
        if (text.substr(pos, 2) != "\\u")
          return error(escapeAt, "high surrogate not followed by a low surrogate");
        pos += 2;
        uint32_t low;
        if (absl::Status s = parseHex4(low); !s.ok())
          return s;
        if (low < 0xDC00 || low > 0xDFFF)
          return error(escapeAt, "high surrogate not followed by a low surrogate");
        cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
      }
      appendUTF8(out, cp);
      break;
    }
    default:
      return error(escapeAt, absl::StrCat("invalid escape '\\", std::string(1, e), "'"));
    }
  }
}

absl::Status Parser::parseNumber(Value &out) {
  size_t start = pos;
  auto digits = [&] {
    size_t first = pos;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9')
      ++pos;
    return pos - first;
  };
  if (peek() == '-')
    ++pos;
  if (atEnd() || !(peek() >= '0' && peek() <= '9'))
    return error(start, "invalid number: no digits");
  if (peek() == '0') {
    ++pos;
    if (!atEnd() && peek() >= '0' && peek() <= '9')
      return error(start, "invalid number: leading zero");
  } else {
    digits();
  }
  bool integral = true;
  if (!atEnd() && peek() == '.') {
    integral = false;
    ++pos;
    if (digits() == 0)
      return error(start, "invalid number: no digits after '.'");
  }
  if (!atEnd() && (peek() == 'e' || peek() == 'E')) {
    integral = false;
    ++pos;
    if (!atEnd() && (peek() == '+' || peek() == '-'))
      ++pos;
    if (digits() == 0)
      return error(start, "invalid number: no digits in the exponent");
  }
  const char *first = text.data() + start;
  const char *last = text.data() + pos;
  if (integral) {
    int64_t value;
    auto [end, ec] = std::from_chars(first, last, value);
    if (ec == std::errc() && end == last) {
      out = Value(value);
      return absl::OkStatus();
    }
  }
  double value;
  auto [end, ec] = std::from_chars(first, last, value);
  if (ec == std::errc::result_out_of_range)
    return error(start, absl::StrCat("number ", std::string(first, last),
                                     " is out of the range of a double"));
  if (ec != std::errc() || end != last)
    return error(start, "invalid number");
  out = Value(value);
  return absl::OkStatus();
}

//===----------------------------------------------------------------------===//
// Serializer
//===----------------------------------------------------------------------===//

void serializeString(std::string &out, const std::string &text) {
  out += '"';
  for (char c : text) {
    unsigned char u = static_cast<unsigned char>(c);
    switch (c) {
    case '"':
      out += "\\\"";
      break;
    case '\\':
      out += "\\\\";
      break;
    case '\n':
      out += "\\n";
      break;
    case '\r':
      out += "\\r";
      break;
    case '\t':
      out += "\\t";
      break;
    case '\b':
      out += "\\b";
      break;
    case '\f':
      out += "\\f";
      break;
    default:
      if (u < 0x20)
        absl::StrAppend(&out, "\\u00", absl::Hex(u, absl::kZeroPad2));
      else
        out += c;
    }
  }
  out += '"';
}

void serializeValue(std::string &out, const Value &value) {
  switch (value.kind()) {
  case Kind::Null:
    out += "null";
    return;
  case Kind::Bool:
    out += *value.getBool() ? "true" : "false";
    return;
  case Kind::Int:
    absl::StrAppend(&out, *value.getInt());
    return;
  case Kind::Double: {
    if (!std::isfinite(*value.getNumber())) {
      out += "null"; // JSON has no infinities or NaNs
      return;
    }
    char buffer[64];
    auto [end, ec] = std::to_chars(buffer, buffer + sizeof(buffer), *value.getNumber());
    std::string_view digits(buffer, ec == std::errc() ? end - buffer : 0);
    out.append(digits);
    // Keep it a double when read back.
    if (digits.find_first_of(".eE") == std::string_view::npos)
      out += ".0";
    return;
  }
  case Kind::String:
    serializeString(out, *value.getString());
    return;
  case Kind::Array: {
    out += '[';
    bool first = true;
    for (const Value &element : *value.getArray()) {
      if (!first)
        out += ',';
      first = false;
      serializeValue(out, element);
    }
    out += ']';
    return;
  }
  case Kind::Object: {
    out += '{';
    bool first = true;
    for (const Member &member : *value.getObject()) {
      if (!first)
        out += ',';
      first = false;
      serializeString(out, member.key);
      out += ':';
      serializeValue(out, member.value);
    }
    out += '}';
    return;
  }
  }
}

} // namespace

absl::StatusOr<Value> parse(std::string_view text, const std::string &sourceName,
                            ParseOptions options) {
  return Parser(text, sourceName, options).parseDocument();
}

std::string serialize(const Value &value) {
  std::string out;
  serializeValue(out, value);
  return out;
}

} // namespace quantc::json
