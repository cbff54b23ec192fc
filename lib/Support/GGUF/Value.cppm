//===- Value.cppm - GGUF metadata values ------------------------*- C++ -*-===//
//
// Part of quantc.
//
// A metadata value of any of GGUF's thirteen value types. The alternatives of
// `Value::Storage` and `ArrayElements` are in the order of `ValueType`, so a
// variant's index is its GGUF type id. Arrays are typed vectors (a tokenizer's
// 150,000 scores are one `std::vector<float>`), and may nest.
//
//===----------------------------------------------------------------------===//

module;

#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

export module quantc.gguf:value;

export namespace quantc::gguf {

/// `enum gguf_type`: how a metadata value is stored.
enum class ValueType : uint32_t {
  U8 = 0,
  I8 = 1,
  U16 = 2,
  I16 = 3,
  U32 = 4,
  I32 = 5,
  F32 = 6,
  Bool = 7,
  String = 8,
  Array = 9,
  U64 = 10,
  I64 = 11,
  F64 = 12,
};
inline constexpr uint32_t kNumValueTypes = 13;

/// "u8", "i32", "f32", "bool", "string", "array", ...
std::string_view valueTypeName(ValueType type);

/// Arrays nested deeper than this (an array of arrays is depth 2) are
/// rejected by the reader and the writer.
inline constexpr unsigned kMaxArrayDepth = 8;

struct Array;

/// The elements of an array, one vector per element type, in ValueType order.
using ArrayElements =
    std::variant<std::vector<uint8_t>, std::vector<int8_t>, std::vector<uint16_t>,
                 std::vector<int16_t>, std::vector<uint32_t>, std::vector<int32_t>,
                 std::vector<float>, std::vector<bool>, std::vector<std::string>,
                 std::vector<Array>, std::vector<uint64_t>, std::vector<int64_t>,
                 std::vector<double>>;

/// A GGUF array: all elements have one type; elements that are arrays carry
/// their own element type.
struct Array {
  ArrayElements elements;

  Array() = default;
  template <typename T>
    requires std::is_constructible_v<ArrayElements, std::vector<T>>
  Array(std::vector<T> values) : elements(std::move(values)) {}

  ValueType elementType() const { return static_cast<ValueType>(elements.index()); }
  size_t size() const {
    return std::visit([](const auto &values) { return values.size(); }, elements);
  }
  /// The elements as a `std::vector<T>` when their type is T, else nullptr.
  template <typename T> const std::vector<T> *getIf() const {
    return std::get_if<std::vector<T>>(&elements);
  }

  friend bool operator==(const Array &, const Array &) = default;
};

/// One metadata value.
class Value {
public:
  using Storage = std::variant<uint8_t, int8_t, uint16_t, int16_t, uint32_t, int32_t, float,
                               bool, std::string, Array, uint64_t, int64_t, double>;

  /// Any alternative of Storage, by its exact type (`Value(uint32_t(32))`).
  template <typename T>
    requires(!std::is_same_v<std::remove_cvref_t<T>, Value> &&
             std::is_constructible_v<Storage, T &&>)
  Value(T &&value) : storage(std::forward<T>(value)) {}
  Value(const char *text) : storage(std::string(text)) {}
  Value(std::string_view text) : storage(std::string(text)) {}

  ValueType type() const { return static_cast<ValueType>(storage.index()); }
  const Storage &get() const { return storage; }
  /// The value when it is a T (exactly: a u32 is not an i32), else nullptr.
  template <typename T> const T *getIf() const { return std::get_if<T>(&storage); }

  friend bool operator==(const Value &, const Value &) = default;

private:
  Storage storage;
};

/// The ValueType of a C++ type (uint32_t -> U32, std::string -> String).
template <typename T> constexpr ValueType valueTypeOf() {
  constexpr size_t index = []<size_t... I>(std::index_sequence<I...>) {
    size_t found = kNumValueTypes;
    ((std::is_same_v<std::variant_alternative_t<I, Value::Storage>, T> ? (void)(found = I)
                                                                        : (void)0),
     ...);
    return found;
  }(std::make_index_sequence<kNumValueTypes>());
  static_assert(index < kNumValueTypes, "not a GGUF value type");
  return static_cast<ValueType>(index);
}

/// A key and its value, as stored in the file.
struct KeyValue {
  std::string key;
  Value value;
};

} // namespace quantc::gguf
