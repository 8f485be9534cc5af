// Object keys exactly as the service names them:
//   <evaluated Prefix>[YYYY/MM/DD/HH/]<stream>-<version>-YYYY-MM-DD-HH-MM-SS-<uuid><extension>
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "common/status.h"
#include "destination/destination.h"
#include "destination/s3/s3_config.h"
#include "format/time_zone.h"

namespace hydrant::destination::s3 {

struct ObjectKeyParts {
  std::string_view prefix;       // the stream's Prefix as configured
  std::string_view stream_name;
  int64_t stream_version = 1;
  int64_t timestamp_millis = 0;  // arrival time of the oldest record in the object (epoch ms)
  std::string_view uuid;
  std::string_view extension{};  // "" for uncompressed objects
  // CustomTimeZone: the zone of the date folders, timestamp expressions and the name's date;
  // nullptr = UTC.
  const format::TimeZone* time_zone = nullptr;
};

// The full key. Expressions in the prefix are evaluated (prefix_expression.h); a prefix without
// a !{timestamp:...} expression gets "YYYY/MM/DD/HH/" appended verbatim (no slash is inserted:
// "logs" gives "logs2026/...", as the service does).
std::string ObjectKey(const ObjectKeyParts& parts);

// The key under a prefix that is already evaluated (error outputs):
// <evaluated_prefix><stream>-<version>-YYYY-MM-DD-HH-MM-SS-<uuid><extension>, the date in
// `time_zone` (nullptr = UTC).
std::string ObjectKeyUnder(std::string_view evaluated_prefix, std::string_view stream_name,
                           int64_t stream_version, int64_t timestamp_millis, std::string_view uuid,
                           std::string_view extension = "", const format::TimeZone* time_zone = nullptr);

// The names of a batch's objects. `facts` give the stream, its version, the oldest record's
// arrival (the time in every name and folder) and the batch id (the name's UUID), so a batch
// planned again after a restart gets the same keys.

// A data object: <Prefix>[YYYY/MM/DD/HH/]<name>, with FileExtension or the compression's.
Result<std::string> DataObjectKey(std::string_view prefix, std::string_view compression,
                                  std::string_view file_extension, const format::TimeZone* time_zone,
                                  const BatchFacts& facts);
// An error output object of `error_output_type` in `location`: under its ErrorOutputPrefix, or
// <Prefix><type>/YYYY/MM/dd/HH/; never compressed, no extension.
Result<std::string> ErrorObjectKey(const S3Destination& location, std::string_view error_output_type,
                                   const BatchFacts& facts);
// A dynamic partition's object: the Prefix evaluated with the partition's keys, as written (no
// default date folders).
Result<std::string> PartitionObjectKey(const S3Destination& s3, const std::map<std::string, std::string>& keys,
                                       const BatchFacts& facts);

}  // namespace hydrant::destination::s3
