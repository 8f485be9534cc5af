// HiveType: a Glue column's type string ("bigint", "decimal(10,2)",
// "array<struct<a:int,b:map<string,timestamp>>>") parsed into a tree, as the Glue Data Catalog
// stores Hive types and Firehose's record format conversion reads them.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace hydrant::schema {

struct HiveType {
  enum class Kind {
    kString, kChar, kVarchar, kTinyint, kSmallint, kInt, kBigint, kFloat, kDouble, kDecimal, kBoolean,
    kDate, kTimestamp, kBinary, kArray, kMap, kStruct,
  };
  struct Field;

  Kind kind = Kind::kString;
  int32_t length = 0;     // char(n), varchar(n)
  int32_t precision = 0;  // decimal(p,s); "decimal" alone is decimal(10,0), as in Hive
  int32_t scale = 0;
  std::vector<Field> fields;  // struct members; array: [element]; map: [key, value]

  bool primitive() const { return kind < Kind::kArray; }
  std::string ToString() const;  // the canonical spelling: lower case, no spaces
};

struct HiveType::Field {
  std::string name;  // "" for array elements and map keys/values
  HiveType type;
};

// Parses a type string; case and spaces around tokens do not matter ("INT", "map< string , int >").
// kInvalidArgument names what is wrong and where.
Result<HiveType> ParseHiveType(std::string_view text);

}  // namespace hydrant::schema
