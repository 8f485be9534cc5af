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
  turns.WaitForAnEnd(milliseconds(2000));
  EXPECT_LT(Since(start), milliseconds(1000));
}

TEST(LogSyncTurnsTest, AWaitEndsWhenASyncEnds) {
  LogSyncTurns turns;
  turns.Begin();
  turns.Begin();  // two logs syncing: the first end is the turn
  auto waiting = std::async(std::launch::async, [&] { turns.WaitForAnEnd(milliseconds(60'000)); });
  EXPECT_EQ(waiting.wait_for(milliseconds(50)), std::future_status::timeout);
  turns.End();
  EXPECT_EQ(waiting.wait_for(milliseconds(30'000)), std::future_status::ready);
  EXPECT_EQ(turns.in_flight(), 1);
  turns.End();
}

TEST(LogSyncTurnsTest, AWaitIsBoundedWhenSyncsNeverEnd) {
  LogSyncTurns turns;
  turns.Begin();
  const auto start = Clock::now();
  turns.WaitForAnEnd(milliseconds(40));
  EXPECT_GE(Since(start), milliseconds(40));
  turns.End();
}

// A bulk (kDirect) write of 3 MiB goes 256 KiB at a time, each piece after a log sync in flight:
// with one that never ends, it takes at least twelve of the 10 ms waits.
TEST(LogSyncTurnsTest, DirectWritesWaitPieceByPieceForALogSyncInFlight) {
  char tmpl[] = "/tmp/hydrant-turns-XXXXXX";
  const std::string dir = mkdtemp(tmpl);
  Env* env = Env::Default();
  const std::string data(3 << 20, 'o');
  auto file = env->NewWritableFile(dir + "/during", /*truncate=*/true, WriteMode::kDirect);
  ASSERT_TRUE(file.ok());
  LogSyncTurns::Shared().Begin();
  const auto start = Clock::now();
  EXPECT_TRUE((*file)->Append(data).ok());
  EXPECT_TRUE((*file)->Sync().ok());
  EXPECT_TRUE((*file)->Close().ok());
  EXPECT_GE(Since(start), milliseconds(120));
  LogSyncTurns::Shared().End();
  EXPECT_EQ(*env->ReadFile(dir + "/during"), data);
  ASSERT_TRUE(env->RemoveDirRecursively(dir).ok());
}

}  // namespace
}  // namespace hydrant
