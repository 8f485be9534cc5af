// Tests for TimeZone: lookup over the system tz database and UTC offsets across daylight saving.
#include "format/time_zone.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace hydrant::format {
namespace {

using ::testing::HasSubstr;

constexpr int64_t kHourMillis = 3600 * 1000;
constexpr int64_t k20260308T065959Z = 1772953199000;  // New York: 01:59:59 EST, then clocks jump
constexpr int64_t k20260308T070000Z = 1772953200000;  // New York: 03:00:00 EDT
constexpr int64_t k20261101T053000Z = 1793511000000;  // New York: 01:30 EDT (first 01:30)
constexpr int64_t k20261101T063000Z = 1793514600000;  // New York: 01:30 EST (second 01:30)

const TimeZone* Zone(std::string_view name) {
  auto zone = LookupTimeZone(name);
  EXPECT_TRUE(zone.ok()) << name << ": " << zone.status().ToString();
  return zone.ok() ? *zone : nullptr;
}

TEST(TimeZoneTest, EmptyAndUtcNeedNoLookup) {
  EXPECT_EQ(Zone(""), nullptr);
  EXPECT_EQ(Zone("UTC"), nullptr);
  EXPECT_EQ(LocalMillis(k20260308T070000Z, nullptr), k20260308T070000Z);
}

TEST(TimeZoneTest, IanaNamesResolveToOneZoneEach) {
  const TimeZone* tokyo = Zone("Asia/Tokyo");
  ASSERT_NE(tokyo, nullptr);
  EXPECT_EQ(Zone("Asia/Tokyo"), tokyo);  // the database owns zones: equal names, equal pointers
  EXPECT_NE(Zone("America/New_York"), nullptr);
  EXPECT_NE(Zone("Europe/London"), nullptr);
  EXPECT_EQ(LocalMillis(k20260308T070000Z, tokyo), k20260308T070000Z + 9 * kHourMillis);
}

TEST(TimeZoneTest, UnknownNamesAreInvalidArguments) {
  for (std::string_view name : {"Asia/Tokio", "Mars/Olympus_Mons", "asia/tokyo", "localtime"}) {
    auto zone = LookupTimeZone(name);
    ASSERT_FALSE(zone.ok()) << name;
    EXPECT_EQ(zone.status().code(), StatusCode::kInvalidArgument);
    EXPECT_THAT(zone.status().message(), HasSubstr(std::string(name)));
  }
}

TEST(TimeZoneTest, OffsetsFollowDaylightSavingTransitions) {
  const TimeZone* new_york = Zone("America/New_York");
  // Spring forward: one second apart in UTC, an hour and a second apart on the wall clock.
  EXPECT_EQ(LocalMillis(k20260308T065959Z, new_york), k20260308T065959Z - 5 * kHourMillis);
  EXPECT_EQ(LocalMillis(k20260308T070000Z, new_york), k20260308T070000Z - 4 * kHourMillis);
  // Fall back: two instants an hour apart show the same wall-clock time.
  EXPECT_EQ(LocalMillis(k20261101T053000Z, new_york), LocalMillis(k20261101T063000Z, new_york));
}

}  // namespace
}  // namespace hydrant::format
