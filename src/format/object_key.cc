// Object key naming.
#include "format/object_key.h"

#include "common/time_format.h"
#include "format/prefix_expression.h"

namespace hydrant::format {

std::string ObjectKey(const ObjectKeyParts& parts) {
  // Prefixes are validated when a stream is created, so evaluation cannot fail here; the
  // literal prefix is the safe fallback should it ever.
  auto evaluated = EvaluateDataPrefix(parts.prefix, parts.timestamp_millis, parts.time_zone);
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
                           std::string_view extension, const TimeZone* time_zone) {
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

}  // namespace hydrant::format
