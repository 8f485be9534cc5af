#include "stream/lineage.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "stream/recent_errors.h"
#include "stream/replay.h"

namespace hydrant::stream {
namespace {

TEST(RecordIdTest, NamesThePositionAndTheStream) {
  const uint64_t tag = RecordIdTag("orders", 1'796'595'218'997);
  std::string id;
  AppendRecordId(tag, {7, 123'456'789}, &id);
  ASSERT_EQ(id.size(), 32u);
  auto decoded = DecodeRecordId(id);
  ASSERT_TRUE(decoded);
  EXPECT_EQ(decoded->tag, tag);
  EXPECT_EQ(decoded->position, (wal::LogPosition{7, 123'456'789}));
  // A namesake created later has another tag.
  EXPECT_NE(RecordIdTag("orders", 1'796'595'218'998), tag);
}

TEST(RecordIdTest, RefusesIdsItDidNotGive) {
  std::string id;
  AppendRecordId(RecordIdTag("s", 1), {1, 16}, &id);
  std::string changed = id;
  changed[10] = changed[10] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(DecodeRecordId(changed));
  EXPECT_FALSE(DecodeRecordId(id.substr(1)));
  EXPECT_FALSE(DecodeRecordId(std::string(32, 'A')));
  EXPECT_FALSE(DecodeRecordId("not base64 at all, not at all!!!"));
}

TEST(LineageLogTest, FindsTheBatchesHoldingAPositionAcrossRotation) {
  const std::string dir = testing::TempDir() + "/lineage_log_test";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  LineageLog log(dir + "/lineage.log");
  LineageEntry e;
  e.event = "delivered";
  e.lane = "destination";
  e.results = {"12", "d", "f"};
  e.error_objects = {"s3://b/processing-failed/x"};
  // Enough lines to rotate once: the older file is still searched.
  std::string padding(4000, 'k');
  const int lines = static_cast<int>(LineageLog::kRotateBytes / 4000) + 10;
  for (int i = 0; i < lines; ++i) {
    e.begin = {1, static_cast<uint64_t>(i) * 100};
    e.end = {1, static_cast<uint64_t>(i + 1) * 100};
    e.target = "s3://b/" + std::to_string(i) + padding;
    e.sequence = i;
    log.Append(e);
  }
  EXPECT_TRUE(std::filesystem::exists(dir + "/lineage.log.1"));
  auto found = log.Find({1, 150});
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].sequence, 1u);
  EXPECT_EQ(found[0].results, e.results);
  EXPECT_EQ(found[0].error_objects, e.error_objects);
  EXPECT_EQ(log.Find({1, static_cast<uint64_t>(lines - 1) * 100 + 5}).at(0).sequence, uint64_t(lines - 1));
  EXPECT_TRUE(log.Find({2, 0}).empty());
}

TEST(RecentErrorsTest, CountsRepeatsAndKeepsTheLatest) {
  RecentErrors errors;
  errors.Add("S3.NoSuchBucket", "bucket b does not exist", 1000);
  errors.Add("Lambda.FunctionError", "boom", 2000);
  errors.Add("S3.NoSuchBucket", "bucket b does not exist", 3000);
  auto list = errors.List();
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].code, "S3.NoSuchBucket");
  EXPECT_EQ(list[0].count, 2u);
  EXPECT_EQ(list[0].first_millis, 1000);
  EXPECT_EQ(list[0].last_millis, 3000);
  for (int i = 0; i < 100; ++i) errors.Add("X", std::to_string(i), 4000 + i);
  list = errors.List();
  EXPECT_EQ(list.size(), RecentErrors::kMaxEntries);
  EXPECT_EQ(list[0].message, "99");
}

TEST(ParseTimeMillisTest, ReadsIso8601AndEpochSeconds) {
  EXPECT_EQ(*ParseTimeMillis("2026-12-06T10:00:00Z"), 1796551200000);
  EXPECT_EQ(*ParseTimeMillis("2026-12-06T10:00:00.250Z"), 1796551200250);
  EXPECT_EQ(*ParseTimeMillis("2026-12-06T11:00:00+01:00"), 1796551200000);
  EXPECT_EQ(*ParseTimeMillis("2026-12-06T10:00"), 1796551200000);
  EXPECT_EQ(*ParseTimeMillis("2026-12-06"), 1796515200000);
  EXPECT_EQ(*ParseTimeMillis("1796551200"), 1796551200000);
  for (const char* bad : {"", "yesterday", "2026-13-01", "2026-12-06T10", "2026-12-06T10:00:00Q", "2026-12-06X"}) {
    EXPECT_EQ(ParseTimeMillis(bad).status().code(), StatusCode::kInvalidArgument) << bad;
  }
}

}  // namespace
}  // namespace hydrant::stream
