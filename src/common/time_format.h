// UTC time formatting for object keys, S3 listings and HTTP headers.
#pragma once

#include <cstdint>
#include <string>

namespace hydrant {

// strftime over the UTC time of `epoch_millis` (e.g. "%Y/%m/%d/%H/").
std::string FormatUtc(int64_t epoch_millis, const char* strftime_pattern);
// 2026-11-27T15:20:22.123Z (S3 LastModified in XML).
std::string FormatIso8601Millis(int64_t epoch_millis);
// Fri, 27 Nov 2026 15:20:22 GMT (HTTP Last-Modified / Date).
std::string FormatHttpDate(int64_t epoch_millis);

}  // namespace hydrant
