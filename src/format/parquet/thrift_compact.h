// ThriftCompactWriter: the Thrift compact protocol, writing only, for the structures a Parquet
// file's footer and page headers are made of (parquet-format's parquet.thrift). Written by hand:
// a handful of field kinds, far less than generating code with the Thrift compiler would bring.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace hydrant::format::parquet {

class ThriftCompactWriter {
 public:
  enum Type : uint8_t { kTrue = 1, kFalse = 2, kByte = 3, kI16 = 4, kI32 = 5, kI64 = 6, kDouble = 7, kBinary = 8,
                        kList = 9, kStruct = 12 };

  void I32(int16_t id, int32_t v) { Field(id, kI32), Varint(ZigZag(v)); }
  void I64(int16_t id, int64_t v) { Field(id, kI64), Varint(ZigZag(v)); }
  void Bool(int16_t id, bool v) { Field(id, v ? kTrue : kFalse); }
  void Binary(int16_t id, std::string_view v) { Field(id, kBinary), Bytes(v); }
  // A struct field: BeginStruct, its fields, EndStruct.
  void BeginStruct(int16_t id) { Field(id, kStruct), last_.push_back(0); }
  void EndStruct() { out_ += '\0', last_.pop_back(); }
  // A list field of `size` elements of `element` type; elements follow (structs: BeginElement /
  // EndStruct each; i32: ListI32; binary: ListBinary).
  void List(int16_t id, Type element, size_t size);
  void BeginElement() { last_.push_back(0); }
  void ListI32(int32_t v) { Varint(ZigZag(v)); }
  void ListBinary(std::string_view v) { Bytes(v); }
  // Ends the top-level struct and returns its bytes.
  std::string Finish() { out_ += '\0'; return std::move(out_); }

 private:
  static uint64_t ZigZag(int64_t v) { return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63); }
  void Varint(uint64_t v);
  void Bytes(std::string_view v) { Varint(v.size()), out_.append(v); }
  void Field(int16_t id, uint8_t type);

  std::string out_;
  std::vector<int16_t> last_ = {0};  // the last field id of each open struct
};

}  // namespace hydrant::format::parquet
