// UTC time formatting with gmtime_r and strftime.
#include "common/time_format.h"

#include <ctime>

namespace hydrant {

std::string FormatUtc(int64_t epoch_millis, const char* strftime_pattern) {
  time_t secs = static_cast<time_t>(epoch_millis / 1000);
  struct tm tm;
  gmtime_r(&secs, &tm);
  char buf[256];
  size_t n = strftime(buf, sizeof buf, strftime_pattern, &tm);
  return std::string(buf, n);
}

std::string FormatIso8601Millis(int64_t epoch_millis) {
  char ms[8];
  snprintf(ms, sizeof ms, ".%03dZ", static_cast<int>(epoch_millis % 1000));
  return FormatUtc(epoch_millis, "%Y-%m-%dT%H:%M:%S") + ms;
}

std::string FormatHttpDate(int64_t epoch_millis) {
  return FormatUtc(epoch_millis, "%a, %d %b %Y %H:%M:%S GMT");
}

}  // namespace hydrant
