// ParquetConverter: record format conversion, JSON records to a Parquet file typed by a Glue
// table's columns, as Firehose's DataFormatConversionConfiguration does. The input SerDe is
// OpenXJsonSerDe (keys matched case-insensitively unless told otherwise, dots in keys made
// underscores on request, ColumnToJsonKeyMappings) or HiveJsonSerDe (TimestampFormats); each
// record holds one or more concatenated JSON objects, each a row. Columns map to Parquet as
// Hive-based writers write them: strings UTF8, tinyint/smallint INT32 with INT_8/INT_16,
// decimals FIXED_LEN_BYTE_ARRAY (DECIMAL), dates INT32 (DATE), timestamps INT96, arrays and maps
// in the standard LIST and MAP layouts, structs as groups; every column optional.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "format/parquet/parquet_writer.h"
#include "schema/hive_type.h"

namespace hydrant::conversion {

struct Column {
  std::string name;
  schema::HiveType type;
};

struct InputOptions {
  bool hive = false;            // HiveJsonSerDe (else OpenXJsonSerDe)
  bool case_insensitive = true;  // OpenX CaseInsensitive
  bool dots_to_underscores = false;  // OpenX ConvertDotsInJsonKeysToUnderscores
  std::map<std::string, std::string> column_to_json_key;  // OpenX ColumnToJsonKeyMappings
  std::vector<std::string> timestamp_formats;  // HiveJsonSerDe TimestampFormats (Joda patterns, "millis")
};

// The Parquet node of one column.
format::parquet::Node NodeOf(const std::string& name, const schema::HiveType& type);

class ParquetConverter {
 public:
  static Result<std::unique_ptr<ParquetConverter>> Create(std::vector<Column> columns, InputOptions input,
                                                          format::parquet::WriterOptions output);
  // Converts one record (every object in it); on kInvalidArgument none of its rows is written and
  // the message says why (the service's format-conversion-failed error output).
  Status Add(std::string_view record);
  // Each object of `records` (objects back to back) as a record of its own, so that memory
  // follows one object at a time; stops at the first that does not convert (kInvalidArgument).
  Status AddEach(std::string_view records);
  uint64_t rows() const { return writer_->rows(); }
  Result<std::string> Finish() { return writer_->Finish(); }

 private:
  ParquetConverter(std::vector<Column> columns, InputOptions input, std::unique_ptr<format::parquet::ParquetWriter> w)
      : columns_(std::move(columns)), input_(std::move(input)), writer_(std::move(w)) {}
  std::vector<Column> columns_;
  InputOptions input_;
  std::unique_ptr<format::parquet::ParquetWriter> writer_;
};

}  // namespace hydrant::conversion
