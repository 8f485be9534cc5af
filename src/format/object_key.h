// Object keys exactly as the service names them:
//   <evaluated Prefix>[YYYY/MM/DD/HH/]<stream>-<version>-YYYY-MM-DD-HH-MM-SS-<uuid><extension>
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "format/time_zone.h"

namespace hydrant::format {

struct ObjectKeyParts {
  std::string_view prefix;       // the stream's Prefix as configured
  std::string_view stream_name;
  int64_t stream_version = 1;
  int64_t timestamp_millis = 0;  // arrival time of the oldest record in the object (epoch ms)
  std::string_view uuid;
  std::string_view extension{};  // "" for uncompressed objects
  // CustomTimeZone: the zone of the date folders, timestamp expressions and the name's date;
  // nullptr = UTC.
  const TimeZone* time_zone = nullptr;
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
                           std::string_view extension = "", const TimeZone* time_zone = nullptr);

}  // namespace hydrant::format
