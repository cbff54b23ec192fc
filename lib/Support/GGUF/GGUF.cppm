//===- GGUF.cppm - The quantc.gguf module -----------------------*- C++ -*-===//
//
// Part of quantc.
//
// Reading and writing llama.cpp's GGUF files (versions 2 and 3,
// little-endian). LLVM-free. Partitions:
//   :types   ggml tensor types: block size and bytes per block of each
//   :value   metadata values (every GGUF value type, nested arrays)
//   :reader  the validating, memory-mapped reader
//   :writer  the streaming writer (temporary file, renamed on finish)
//
// Layout of a GGUF file (ggml/src/gguf.cpp; all integers little-endian):
//   "GGUF" u32 version, u64 tensor_count, u64 kv_count
//   kv_count   x { string key, u32 value_type, value }
//   tensor_count x { string name, u32 n_dims, i64 ne[n_dims] (ne0 first),
//                    u32 ggml_type, u64 offset (from the data section) }
//   zero padding to general.alignment (default 32)
//   tensor data, each tensor followed by zero padding to the alignment
// A string is a u64 byte length and that many UTF-8 bytes; an array value is
// u32 element type, u64 count and the elements (strings and arrays with
// their own headers).
//
//===----------------------------------------------------------------------===//

export module quantc.gguf;

export import :types;
export import :value;
export import :reader;
export import :writer;
