// Object key naming.
#include "destination/s3/object_key.h"

#include "common/time_format.h"
#include "format/compression.h"
#include "format/prefix_expression.h"

namespace hydrant::destination::s3 {


using format::LocalMillis;

std::string ObjectKey(const ObjectKeyParts& parts) {
  // Prefixes are validated when a stream is created, so evaluation cannot fail here; the
  // literal prefix is the safe fallback should it ever.
  auto evaluated = format::EvaluateDataPrefix(parts.prefix, parts.timestamp_millis, parts.time_zone);
  std::string key =
      evaluated.ok() ? std::move(*evaluated)
                     : std::string(parts.prefix) +
                           FormatUtc(LocalMillis(parts.timestamp_millis, parts.time_zone),
                                     "%Y/%m/%d/%H/");
  return ObjectKeyUnder(key, parts.stream_name, parts.stream_version, parts.timestamp_millis,
                        parts.uuid, parts.extension, parts.time_zone);
}

std::string ObjectKeyUnder(std::string_view evaluated_prefix, std::string_view stream_name,
                           int64_t stream_version, int64_t timestamp_millis, std::string_view uuid,
                           std::string_view extension, const format::TimeZone* time_zone) {
  std::string key(evaluated_prefix);
  key += stream_name;
  key += '-';
  key += std::to_string(stream_version);
  // FormatUtc of the shifted instant prints the zone's wall-clock time.
  key += FormatUtc(LocalMillis(timestamp_millis, time_zone), "-%Y-%m-%d-%H-%M-%S-");
  key += uuid;
  key += extension;
  return key;
}

Result<std::string> DataObjectKey(std::string_view prefix, std::string_view compression,
                                  std::string_view file_extension, const format::TimeZone* time_zone,
                                  const BatchFacts& facts) {
  auto format = format::LookupCompressionFormat(compression);
  if (!format.ok()) return format.status();
  return ObjectKey({.prefix = prefix,
                    .stream_name = facts.stream_name,
                    .stream_version = facts.stream_version,
                    .timestamp_millis = facts.first_arrival_millis,
                    .uuid = facts.batch_id,
                    .extension = file_extension.empty() ? format->extension : file_extension,
                    .time_zone = time_zone});
}

Result<std::string> ErrorObjectKey(const S3Destination& location, std::string_view error_output_type,
                                   const BatchFacts& facts) {
  auto prefix = format::EvaluateErrorPrefix(location.prefix, location.error_output_prefix, facts.first_arrival_millis,
                                            error_output_type, location.time_zone);
  if (!prefix.ok()) return prefix.status();
  return ObjectKeyUnder(*prefix, facts.stream_name, facts.stream_version, facts.first_arrival_millis,
                        facts.batch_id, /*extension=*/"", location.time_zone);
}

Result<std::string> PartitionObjectKey(const S3Destination& s3, const std::map<std::string, std::string>& keys,
                                       const BatchFacts& facts) {
  auto prefix = format::PrefixExpression::Parse(s3.prefix);
  if (!prefix.ok()) return prefix.status();
  auto format = format::LookupCompressionFormat(s3.compression);
  if (!format.ok()) return format.status();
  std::string evaluated = prefix->Evaluate(
      {.epoch_millis = facts.first_arrival_millis, .time_zone = s3.time_zone, .partition_keys = &keys});
  const std::string_view extension = !s3.file_extension.empty() ? std::string_view(s3.file_extension)
                                     : s3.conversion              ? std::string_view(".parquet")
                                                                  : format->extension;
  return ObjectKeyUnder(evaluated, facts.stream_name, facts.stream_version, facts.first_arrival_millis,
                        facts.batch_id, extension, s3.time_zone);
}

}  // namespace hydrant::destination::s3
