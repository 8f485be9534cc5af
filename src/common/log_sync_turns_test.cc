// Tests for LogSyncTurns, and that the posix Env's bulk writes take their turns after log syncs.
#include "common/log_sync_turns.h"

#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <string>

#include "common/env.h"

namespace hydrant {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

milliseconds Since(Clock::time_point start) {
  return std::chrono::duration_cast<milliseconds>(Clock::now() - start);
}

TEST(LogSyncTurnsTest, NoSyncInFlightMeansNoWait) {
  LogSyncTurns turns;
  const auto start = Clock::now();
  EXPECT_EQ(turns.BeforeBulkWrite(256 << 10, 1 << 20, milliseconds(2000)), 256u << 10);
  EXPECT_LT(Since(start), milliseconds(1000));
}

TEST(LogSyncTurnsTest, AWaitEndsWhenASyncEnds) {
  LogSyncTurns turns;
  turns.Begin();
  turns.Begin();  // two logs syncing: the first end is the turn
  auto waiting = std::async(std::launch::async, [&] { turns.BeforeBulkWrite(1 << 20, 1 << 20, milliseconds(60'000)); });
  EXPECT_EQ(waiting.wait_for(milliseconds(50)), std::future_status::timeout);
  turns.End(4096);
  EXPECT_EQ(waiting.wait_for(milliseconds(30'000)), std::future_status::ready);
  EXPECT_EQ(turns.in_flight(), 1);
  turns.End(4096);
}

TEST(LogSyncTurnsTest, AWaitIsBoundedWhenSyncsNeverEnd) {
  LogSyncTurns turns;
  turns.Begin();
  const auto start = Clock::now();
  turns.BeforeBulkWrite(1 << 20, 1 << 20, milliseconds(40));
  EXPECT_GE(Since(start), milliseconds(40));
  turns.End(4096);
}

// Bulk writes take as many bytes as the logs' syncs wrote without waiting, and past that wait.
TEST(LogSyncTurnsTest, BulkWritesGoAtOnceWhileTheLogsWroteAsMuch) {
  LogSyncTurns turns;
  turns.Begin();
  turns.End(600 << 10);
  turns.Begin();  // a sync in flight that never ends
  const auto start = Clock::now();
  turns.BeforeBulkWrite(256 << 10, 256 << 10, milliseconds(200));
  turns.BeforeBulkWrite(256 << 10, 256 << 10, milliseconds(200));
  EXPECT_LT(Since(start), milliseconds(150));  // 512 KiB of 600 KiB credit
  turns.BeforeBulkWrite(256 << 10, 256 << 10, milliseconds(200));
  EXPECT_GE(Since(start), milliseconds(200));  // past the credit
  turns.End(4096);
}

// The credit is capped at the last sync's bytes, at least kMinCreditCapBytes: logs that wrote
// alone for a while put about one sync's bytes of bulk writes in front of the next sync.
TEST(LogSyncTurnsTest, TheCreditIsCappedAtTheLastSyncsBytes) {
  LogSyncTurns turns;
  turns.Begin();
  turns.End(64 << 20);
  turns.Begin();
  turns.End(4096);
  turns.Begin();  // a sync in flight that never ends
  auto start = Clock::now();
  EXPECT_EQ(turns.BeforeBulkWrite(256 << 10, 8 << 20, milliseconds(200)), LogSyncTurns::kMinCreditCapBytes);
  EXPECT_LT(Since(start), milliseconds(150));
  EXPECT_EQ(turns.BeforeBulkWrite(256 << 10, 8 << 20, milliseconds(200)), 256u << 10);
  EXPECT_GE(Since(start), milliseconds(200));  // past the credit: waited, then 256 KiB
  turns.End(3 << 20);                          // a large group
  turns.Begin();
  start = Clock::now();
  EXPECT_EQ(turns.BeforeBulkWrite(256 << 10, 8 << 20, milliseconds(200)), 3u << 20);
  EXPECT_LT(Since(start), milliseconds(150));
  turns.End(4096);
}

// A bulk (kDirect) write of 3 MiB with no credit goes 256 KiB at a time, each piece after a log
// sync in flight: with one that never ends, it takes twelve of the 10 ms waits. With credit it
// takes none.
TEST(LogSyncTurnsTest, DirectWritesWaitPieceByPieceUnlessTheLogsWroteAsMuch) {
  char tmpl[] = "/tmp/hydrant-turns-XXXXXX";
  const std::string dir = mkdtemp(tmpl);
  Env* env = Env::Default();
  const std::string data(3 << 20, 'o');
  auto file = env->NewWritableFile(dir + "/during", /*truncate=*/true, WriteMode::kDirect);
  ASSERT_TRUE(file.ok());
  LogSyncTurns::Shared().Begin();
  const auto start = Clock::now();
  const uint64_t waits = LogSyncTurns::Shared().waits();
  EXPECT_TRUE((*file)->Append(data).ok());
  EXPECT_TRUE((*file)->Sync().ok());
  EXPECT_TRUE((*file)->Close().ok());
  EXPECT_GE(Since(start), milliseconds(120));
  EXPECT_EQ(LogSyncTurns::Shared().waits() - waits, 12u);
  LogSyncTurns::Shared().End(0);
  EXPECT_EQ(*env->ReadFile(dir + "/during"), data);

  // Once the logs' syncs wrote 8 MiB, 8 MiB go without a wait (else 32).
  const std::string more(8 << 20, 'p');
  LogSyncTurns::Shared().Begin();
  LogSyncTurns::Shared().End(more.size());
  file = env->NewWritableFile(dir + "/paced", /*truncate=*/true, WriteMode::kDirect);
  ASSERT_TRUE(file.ok());
  LogSyncTurns::Shared().Begin();
  const uint64_t waits_before = LogSyncTurns::Shared().waits();
  EXPECT_TRUE((*file)->Append(more).ok());
  EXPECT_TRUE((*file)->Close().ok());
  EXPECT_EQ(LogSyncTurns::Shared().waits(), waits_before);
  LogSyncTurns::Shared().End(0);
  EXPECT_EQ(*env->ReadFile(dir + "/paced"), more);
  ASSERT_TRUE(env->RemoveDirRecursively(dir).ok());
}

}  // namespace
}  // namespace hydrant
