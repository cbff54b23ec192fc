//===- JSON.cppm - A strict, bounded JSON parser ----------------*- C++ -*-===//
//
// Part of quantc.
//
// RFC 8259 JSON for the headers of safetensors files and Hugging Face's
// config.json and model.safetensors.index.json. Strict: no comments, no
// trailing commas, no duplicate keys, no unpaired surrogates, input must be
// valid UTF-8. Bounded: nesting deeper than ParseOptions::maxDepth is an
// error. Objects keep their keys in document order. Numbers without a
// fraction or exponent that fit in int64 are integers, others doubles.
// Errors name the source and the byte offset. LLVM-free.
//
//===----------------------------------------------------------------------===//

module;

#include "absl/status/statusor.h"

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

export module quantc.json;

export namespace quantc::json {

class Value;
struct Member;

/// A JSON array.
using Array = std::vector<Value>;

/// A JSON object: members in document order, keys unique.
class Object {
public:
  std::span<const Member> members() const;
  size_t size() const;
  bool empty() const;
  const Member *begin() const;
  const Member *end() const;
  /// The value of `key`, or nullptr (a linear search).
  const Value *find(std::string_view key) const;
  /// Appends a member; the caller keeps keys unique.
  void append(std::string key, Value value);

  friend bool operator==(const Object &, const Object &);

private:
  std::vector<Member> entries;
};

enum class Kind : uint8_t { Null, Bool, Int, Double, String, Array, Object };

/// "null", "bool", "integer", "number", "string", "array", "object".
std::string_view kindName(Kind kind);

/// One JSON value.
class Value {
public:
  // Defined after Member, which they need complete.
  Value();
  Value(std::nullptr_t);
  Value(bool value);
  template <std::integral T>
    requires(!std::same_as<T, bool>)
  Value(T value);
  Value(double value);
  Value(const char *value);
  Value(std::string value);
  Value(Array value);
  Value(Object value);

  Kind kind() const { return static_cast<Kind>(storage.index()); }
  bool isNull() const { return kind() == Kind::Null; }
  std::optional<bool> getBool() const;
  /// An integer (not a double, even one with an integral value).
  std::optional<int64_t> getInt() const;
  /// Any number, as a double.
  std::optional<double> getNumber() const;
  const std::string *getString() const { return std::get_if<std::string>(&storage); }
  const Array *getArray() const { return std::get_if<Array>(&storage); }
  const Object *getObject() const { return std::get_if<Object>(&storage); }
  /// For an object, the value of `key`; nullptr otherwise.
  const Value *find(std::string_view key) const;

  friend bool operator==(const Value &, const Value &) = default;

private:
  std::variant<std::nullptr_t, bool, int64_t, double, std::string, Array, Object> storage;
};

struct Member {
  std::string key;
  Value value;

  friend bool operator==(const Member &, const Member &) = default;
};

inline Value::Value() : storage(nullptr) {}
inline Value::Value(std::nullptr_t) : storage(nullptr) {}
inline Value::Value(bool value) : storage(value) {}
template <std::integral T>
  requires(!std::same_as<T, bool>)
Value::Value(T value) : storage(static_cast<int64_t>(value)) {}
inline Value::Value(double value) : storage(value) {}
inline Value::Value(const char *value) : storage(std::string(value)) {}
inline Value::Value(std::string value) : storage(std::move(value)) {}
inline Value::Value(Array value) : storage(std::move(value)) {}
inline Value::Value(Object value) : storage(std::move(value)) {}

inline std::span<const Member> Object::members() const { return entries; }
inline size_t Object::size() const { return entries.size(); }
inline bool Object::empty() const { return entries.empty(); }

struct ParseOptions {
  /// Arrays and objects nested deeper than this are rejected.
  unsigned maxDepth = 64;
};

/// Parses one JSON document. `sourceName` (a file name) starts every error
/// message: "config.json: JSON error at byte offset 17: expected ':'".
absl::StatusOr<Value> parse(std::string_view text, const std::string &sourceName,
                            ParseOptions options = {});

/// Compact JSON text for `value` (no spaces; doubles in shortest form).
std::string serialize(const Value &value);

} // namespace quantc::json
