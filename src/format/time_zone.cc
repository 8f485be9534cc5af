// TimeZone lookup and UTC-offset conversion over the system tz database.
#include "format/time_zone.h"

#include <date/tz.h>
#include <fmt/format.h>

#include <chrono>
#include <exception>

namespace hydrant::format {

Result<const TimeZone*> LookupTimeZone(std::string_view name) {
  if (name.empty() || name == "UTC") return static_cast<const TimeZone*>(nullptr);
  auto unknown = [name] {
    return Status::InvalidArgument(fmt::format(
        "CustomTimeZone {} is not a supported time zone: use an IANA time zone name such as "
        "Asia/Tokyo or America/New_York",
        name));
  };
  if (name == "localtime") return unknown();
  try {
    return date::locate_zone(name);
  } catch (const std::exception&) {
    // "<name> not found in timezone database" (or an unreadable database): the library throws.
    return unknown();
  }
}

int64_t LocalMillis(int64_t epoch_millis, const TimeZone* zone) {
  if (zone == nullptr) return epoch_millis;
  const auto instant =
      date::sys_time<std::chrono::milliseconds>(std::chrono::milliseconds(epoch_millis));
  const std::chrono::seconds offset = zone->get_info(instant).offset;
  return epoch_millis + std::chrono::duration_cast<std::chrono::milliseconds>(offset).count();
}

}  // namespace hydrant::format
