#include "destination/s3/object_key.h"

#include <gtest/gtest.h>


namespace hydrant::destination::s3 {

using format::LookupTimeZone;
using format::TimeZone;
namespace {

// 2025-08-07T10:15:00.250Z
constexpr int64_t kArrival = 1754561700250;

TEST(ObjectKey, FollowsTheServiceLayout) {
  EXPECT_EQ(ObjectKey({.prefix = "etl-output/",
                       .stream_name = "firehose-etl-stream",
                       .stream_version = 1,
                       .timestamp_millis = kArrival,
                       .uuid = "a9fa96af-e4e4-409f-bac3-1f804714faaa"}),
            "etl-output/2025/08/07/10/firehose-etl-stream-1-2025-08-07-10-15-00-"
            "a9fa96af-e4e4-409f-bac3-1f804714faaa");
}

TEST(ObjectKey, FoldersAndNameShowTheCustomTimeZone) {
  auto tokyo = LookupTimeZone("Asia/Tokyo");
  ASSERT_TRUE(tokyo.ok());
  // 2025-12-31T15:30Z is 2026-01-01 00:30 in Tokyo: every date part moves to the new year.
  EXPECT_EQ(ObjectKey({.prefix = "p/", .stream_name = "s", .stream_version = 1,
                       .timestamp_millis = 1767195000000, .uuid = "u", .extension = ".gz",
                       .time_zone = *tokyo}),
            "p/2026/01/01/00/s-1-2026-01-01-00-30-00-u.gz");
  EXPECT_EQ(ObjectKeyUnder("err/", "s", 2, 1767195000000, "u", "", *tokyo),
            "err/s-2-2026-01-01-00-30-00-u");
}

TEST(ObjectKey, NameFollowsDaylightSaving) {
  auto new_york = LookupTimeZone("America/New_York");
  ASSERT_TRUE(new_york.ok());
  // 2026-03-08T07:00:00Z: the first second of EDT.
  EXPECT_EQ(ObjectKey({.prefix = "", .stream_name = "s", .stream_version = 1,
                       .timestamp_millis = 1772953200000, .uuid = "u", .time_zone = *new_york}),
            "2026/03/08/03/s-1-2026-03-08-03-00-00-u");
  EXPECT_EQ(ObjectKey({.prefix = "", .stream_name = "s", .stream_version = 1,
                       .timestamp_millis = 1772953199000, .uuid = "u", .time_zone = *new_york}),
            "2026/03/08/01/s-1-2026-03-08-01-59-59-u");
}

TEST(ObjectKey, PrefixWithoutSlashIsGluedToTheDate) {
  EXPECT_EQ(ObjectKey({.prefix = "logs", .stream_name = "s", .stream_version = 3,
                       .timestamp_millis = kArrival, .uuid = "u"}),
            "logs2025/08/07/10/s-3-2025-08-07-10-15-00-u");
}

TEST(ObjectKey, EmptyPrefixStartsWithTheDate) {
  EXPECT_EQ(ObjectKey({.prefix = "", .stream_name = "s", .stream_version = 12,
                       .timestamp_millis = 0, .uuid = "u", .extension = ".gz"}),
            "1970/01/01/00/s-12-1970-01-01-00-00-00-u.gz");
}

TEST(ObjectKey, TimestampExpressionsReplaceTheDefaultDateFolders) {
  EXPECT_EQ(ObjectKey({.prefix = "year=!{timestamp:yyyy}/month=!{timestamp:MM}/", .stream_name = "s",
                       .stream_version = 1, .timestamp_millis = kArrival, .uuid = "u"}),
            "year=2025/month=08/s-1-2025-08-07-10-15-00-u");
}

}  // namespace
}  // namespace hydrant::destination::s3
