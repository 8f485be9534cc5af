// ParquetWriter: writes one Parquet file from rows, following the Apache Parquet format
// specification (parquet-format): a schema of groups and primitive columns with their
// repetition, rows shredded into columns with repetition and definition levels (Dremel), PLAIN
// values, levels in the RLE/bit-packed hybrid (RLE runs), optional dictionary pages
// (RLE_DICTIONARY), data pages V1 or V2 compressed with SNAPPY or GZIP, row groups, and the
// Thrift compact footer. Nested data uses the standard LIST and MAP layouts:
//   <optional> group name (LIST) { repeated group list { <optional> T element; } }
//   <optional> group name (MAP) { repeated group key_value { required K key; <optional> V value; } }
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/status.h"

namespace hydrant::format::parquet {

enum class Physical { kBoolean = 0, kInt32 = 1, kInt64 = 2, kInt96 = 3, kFloat = 4, kDouble = 5, kByteArray = 6,
                      kFixedLenByteArray = 7 };
enum class Repetition { kRequired = 0, kOptional = 1, kRepeated = 2 };
// parquet-format's ConvertedType values (-1: none).
enum class Converted { kNone = -1, kUtf8 = 0, kMap = 1, kMapKeyValue = 2, kList = 3, kDecimal = 5, kDate = 6,
                       kInt8 = 15, kInt16 = 16 };

struct Node {
  std::string name;
  Repetition repetition = Repetition::kOptional;
  bool group = false;
  Physical physical = Physical::kByteArray;  // primitives
  int32_t type_length = 0;                   // FIXED_LEN_BYTE_ARRAY
  Converted converted = Converted::kNone;
  int32_t precision = 0, scale = 0;          // DECIMAL
  std::vector<Node> children{};              // groups
};

// One value of a row. Lists hold a LIST's elements or a MAP's entries (each entry a struct of
// key and value); structs hold a group's children in schema order.
struct Value {
  enum class Kind { kNull, kBool, kInt, kFloat, kDouble, kBytes, kList, kStruct };
  Kind kind = Kind::kNull;
  bool boolean = false;
  int64_t integer = 0;  // INT32 and INT64
  double real = 0;      // FLOAT and DOUBLE
  std::string bytes{};  // BYTE_ARRAY, FIXED_LEN_BYTE_ARRAY, INT96 (12 bytes)
  std::vector<Value> items{};
};

enum class Codec { kUncompressed = 0, kSnappy = 1, kGzip = 2 };

struct WriterOptions {
  Codec codec = Codec::kSnappy;
  uint64_t row_group_bytes = 256ull << 20;  // BlockSizeBytes: a row group ends once it holds this much
  uint64_t page_bytes = 1 << 20;            // PageSizeBytes
  bool dictionary = true;                   // EnableDictionaryCompression
  bool page_v2 = false;                     // WriterVersion V2
  std::string created_by = "hydrant";
};

class ParquetWriter {
 public:
  // `columns`: the top-level fields (the file's schema root holds them).
  static Result<std::unique_ptr<ParquetWriter>> Create(std::vector<Node> columns, WriterOptions options);
  ~ParquetWriter();

  // One row: a struct with a value per top-level column. kInvalidArgument when a value does not
  // fit its node (the row is then not written).
  Status Append(const Value& row);
  uint64_t rows() const;
  // The whole file. The writer is spent.
  Result<std::string> Finish();

 private:
  struct State;
  explicit ParquetWriter(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace hydrant::format::parquet
