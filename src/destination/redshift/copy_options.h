// CopyOptions: the Redshift COPY options of a RedshiftDestinationConfiguration, parsed into what
// Hydrant applies itself when it loads a batch into PostgreSQL (load_rows.h). Only options Hydrant
// implements are accepted; any other is refused by name at create time, never ignored.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"

namespace hydrant::destination::redshift {

enum class InputFormat { kDelimited, kCsv, kJson };
enum class JsonMapping { kAuto, kAutoIgnoreCase, kJsonPaths };

struct CopyOptions {
  InputFormat format = InputFormat::kDelimited;
  JsonMapping json = JsonMapping::kAuto;
  std::string jsonpaths_url;              // JSON 's3://bucket/key': the jsonpaths file
  char delimiter = '|';                   // DELIMITER (CSV: ',')
  char quote = '"';                       // CSV QUOTE AS
  bool escape = false;                    // ESCAPE: a backslash takes the next character literally
  int64_t ignore_header = 0;              // IGNOREHEADER: lines skipped at the top of each object
  std::optional<std::string> null_as;     // NULL AS (delimited text: "\N" when not given)
  bool empty_as_null = false;             // EMPTYASNULL
  bool blanks_as_null = false;            // BLANKSASNULL
  bool gzip = false;                      // GZIP: the staged objects are gzipped
  bool truncate_columns = false;          // TRUNCATECOLUMNS
  std::optional<char> accept_inv_chars;   // ACCEPTINVCHARS ['c']: invalid UTF-8 becomes c ('?')
  std::string time_format;                // TIMEFORMAT: "" (PostgreSQL reads it), auto, epochsecs, epochmillisecs, a pattern
  std::string date_format;                // DATEFORMAT: "" or auto, or a pattern
  int64_t max_error = 0;                  // MAXERROR: rows that may be rejected before the load fails
  bool operator==(const CopyOptions&) const = default;
};

// Parses Redshift COPY options ("JSON 'auto' GZIP MAXERROR 10;"): keywords in any case, values in
// single quotes, an optional trailing ';'. REGION, COMPUPDATE and STATUPDATE are accepted and mean
// nothing here. kInvalidArgument names an option Hydrant does not support, a malformed value, or
// options Redshift refuses together (JSON with CSV, DELIMITER, NULL AS or ESCAPE; CSV with ESCAPE).
Result<CopyOptions> ParseCopyOptions(std::string_view text);

}  // namespace hydrant::destination::redshift
