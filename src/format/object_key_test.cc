#include "format/object_key.h"

#include <gtest/gtest.h>

#include "format/object.h"

namespace hydrant::format {
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

TEST(ConcatenatingFormat, JoinsRecordsWithoutDelimiter) {
  ConcatenatingFormat format;
  format.Append("{\"a\":1}");
  format.Append("");
  format.Append("{\"a\":2}\n");
  Object object;
  format.Finish(&object);
  EXPECT_EQ(object.body, "{\"a\":1}{\"a\":2}\n");
  EXPECT_EQ(object.records, 3u);
}

}  // namespace
}  // namespace hydrant::format
