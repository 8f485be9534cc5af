// Load rows: a staged object's bytes, read the way Redshift's COPY reads them with the stream's
// CopyOptions (delimited text, CSV, or JSON objects matched to columns by name or by jsonpaths),
// turned into rows for PostgreSQL's COPY ... FROM STDIN (FORMAT csv). Redshift's conversion rules
// that PostgreSQL lacks are applied here: NULL AS, EMPTYASNULL, BLANKSASNULL, TIMEFORMAT and
// DATEFORMAT, TRUNCATECOLUMNS, ACCEPTINVCHARS. A row that cannot be read is rejected with its line
// and reason; PostgreSQL itself rejects values its column types refuse (postgres_loader.h).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "destination/redshift/copy_options.h"

namespace hydrant::destination::redshift {

enum class ColumnType { kText, kTimestamp, kTimestampTz, kDate, kOther };

// A target column, as the table declares it.
struct Column {
  std::string name;
  ColumnType type = ColumnType::kOther;
  int32_t max_chars = 0;  // char(n) / varchar(n): n; 0 = no limit
};

// A jsonpaths file ({"jsonpaths": ["$.a", "$['b']", "$.c[0]"]}) as JSON pointers, one per target
// column. kInvalidArgument with Redshift's reason when the file is malformed, mixes dot and
// bracket notation, or has a different number of paths than `columns`.
Result<std::vector<std::string>> ParseJsonPaths(std::string_view file, size_t columns);

struct RejectedRow {
  int64_t line = 0;    // in the staged object, from 1
  std::string reason;
};

// Rows for COPY (FORMAT csv): one line each, every value quoted, NULL an empty unquoted field.
struct LoadRows {
  std::string csv;
  std::vector<size_t> ends;    // where each row ends in `csv`
  std::vector<int64_t> lines;  // each row's line in the staged object
  std::vector<RejectedRow> rejected;
  size_t size() const { return ends.size(); }
  // Row i's bytes, with its newline.
  std::string_view row(size_t i) const {
    const size_t begin = i == 0 ? 0 : ends[i - 1];
    return std::string_view(csv).substr(begin, ends[i] - begin);
  }
};

// `input` is the object's bytes, already decompressed. `json_pointers` are used with JSON
// jsonpaths (ParseJsonPaths).
LoadRows ReadRows(std::string_view input, const CopyOptions& options, std::span<const Column> columns,
                  std::span<const std::string> json_pointers = {});

}  // namespace hydrant::destination::redshift
