// TimeZone: the IANA time zone a stream's CustomTimeZone names, for prefix and object-name times.
//
// Zones come from the system's tz database (/usr/share/zoneinfo, Debian's tzdata) through
// Howard Hinnant's date library built with USE_OS_TZDB: nothing is downloaded. The database owns
// every zone for the life of the process, so a `const TimeZone*` never dangles and equal names give
// equal pointers. Throughout format/, a null `const TimeZone*` means UTC.
//
// Cost: the first lookup in a process reads the zoneinfo directory (a few ms); later lookups are
// a map search. Look a zone up once per stream config and convert per object (about 100 ns).
// Thread-safety: LookupTimeZone and LocalMillis are safe from any thread.
#pragma once

#include <cstdint>
#include <string_view>

#include "common/status.h"

namespace date {
class time_zone;
}  // namespace date

namespace hydrant::format {

using TimeZone = date::time_zone;

// The zone named `name` ("Asia/Tokyo", "America/New_York", "UTC"). "" and "UTC" give nullptr (UTC
// without a table lookup). kInvalidArgument naming the value when the tz database has no such
// zone, or for "localtime" (the host's own zone, not an IANA name).
Result<const TimeZone*> LookupTimeZone(std::string_view name);

// `epoch_millis` shifted by `zone`'s UTC offset at that instant (daylight saving included), so
// that UTC calendar arithmetic on the result gives the wall-clock time in `zone`. nullptr:
// unchanged.
int64_t LocalMillis(int64_t epoch_millis, const TimeZone* zone);

}  // namespace hydrant::format
