// Tests for RecentWrites: contiguous copies, the shared budget, forgetting.
#include "wal/recent_writes.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

namespace hydrant::wal {
namespace {

// Keeps `bytes` as a piece of its own, in an exactly sized buffer.
void KeepCopy(RecentWrites& recent, uint64_t log, uint64_t segment, uint64_t offset, const std::string& bytes) {
  auto buffer = std::make_shared<const std::string>(bytes);
  recent.Keep(log, segment, offset, buffer, *buffer);
}

std::string CopyOrMiss(RecentWrites& recent, uint64_t log, uint64_t segment, uint64_t offset, size_t n) {
  std::string out = "untouched";
  return recent.Copy(log, segment, offset, n, &out) ? out : "miss:" + out;
}

TEST(RecentWritesTest, CopiesAcrossContiguousPiecesOfOneSegment) {
  RecentWrites recent(1 << 20);
  const uint64_t log = recent.NewLogId();
  KeepCopy(recent, log, 1, 100, "abcd");
  KeepCopy(recent, log, 1, 104, "efgh");
  KeepCopy(recent, log, 1, 108, "ij");
  EXPECT_EQ(CopyOrMiss(recent, log, 1, 100, 10), "abcdefghij");
  EXPECT_EQ(CopyOrMiss(recent, log, 1, 102, 5), "cdefg");
  EXPECT_EQ(CopyOrMiss(recent, log, 1, 109, 1), "j");
  EXPECT_EQ(recent.hit_bytes(), 16u);
  EXPECT_EQ(recent.missed_bytes(), 0u);
}

TEST(RecentWritesTest, AReadNotWhollyKeptIsAMissAndLeavesTheBufferAlone) {
  RecentWrites recent(1 << 20);
  const uint64_t log = recent.NewLogId(), other = recent.NewLogId();
  KeepCopy(recent, log, 1, 100, "abcd");
  KeepCopy(recent, log, 1, 108, "ij");  // a gap at 104..108
  KeepCopy(recent, log, 2, 112, "kl");
  KeepCopy(recent, other, 1, 104, "efgh");
  EXPECT_EQ(CopyOrMiss(recent, log, 1, 99, 2), "miss:untouched");    // starts before the first
  EXPECT_EQ(CopyOrMiss(recent, log, 1, 102, 4), "miss:untouched");   // runs into the gap
  EXPECT_EQ(CopyOrMiss(recent, log, 1, 108, 4), "miss:untouched");   // past the last piece
  EXPECT_EQ(CopyOrMiss(recent, log, 1, 104, 2), "miss:untouched");   // another log's bytes
  EXPECT_EQ(CopyOrMiss(recent, log, 2, 110, 4), "miss:untouched");   // the next segment
  EXPECT_EQ(CopyOrMiss(recent, other, 1, 104, 4), "efgh");
  EXPECT_EQ(recent.missed_bytes(), 16u);
}

TEST(RecentWritesTest, TheOldestPiecesOfAnyLogGoFirstWhenTheBudgetIsFull) {
  // Pieces longer than a short string's inline buffer, so that each counts its own length.
  const std::string a1(20, 'a'), b1(20, 'b'), b2(20, 'c');
  RecentWrites recent(50);
  const uint64_t a = recent.NewLogId(), b = recent.NewLogId();
  KeepCopy(recent, a, 1, 0, a1);
  KeepCopy(recent, b, 1, 0, b1);
  EXPECT_EQ(recent.kept_bytes(), 40u);
  KeepCopy(recent, b, 1, 20, b2);  // a's piece, the oldest, makes room
  EXPECT_EQ(recent.kept_bytes(), 40u);
  EXPECT_EQ(CopyOrMiss(recent, a, 1, 0, 20), "miss:untouched");
  EXPECT_EQ(CopyOrMiss(recent, b, 1, 0, 40), b1 + b2);
  KeepCopy(recent, a, 1, 20, std::string(51, 'x'));  // larger than the whole budget: not kept
  EXPECT_EQ(recent.kept_bytes(), 40u);
  EXPECT_EQ(CopyOrMiss(recent, b, 1, 0, 40), b1 + b2);
}

TEST(RecentWritesTest, ABuffersUnusedCapacityCountsAgainstTheBudget) {
  RecentWrites recent(1 << 20);
  std::string grown;
  grown.reserve(4096);
  grown.assign(1024, 'g');
  auto buffer = std::make_shared<const std::string>(std::move(grown));
  ASSERT_GE(buffer->capacity(), 4096u);
  const uint64_t log = recent.NewLogId();
  recent.Keep(log, 1, 0, buffer, std::string_view(*buffer).substr(0, 512));
  recent.Keep(log, 1, 512, buffer, std::string_view(*buffer).substr(512));
  EXPECT_EQ(recent.kept_bytes(), buffer->capacity());
  EXPECT_EQ(CopyOrMiss(recent, log, 1, 0, 1024), std::string(1024, 'g'));
}

TEST(RecentWritesTest, ForgetsReleasedSegmentsAndClosedLogs) {
  RecentWrites recent(1 << 20);
  const uint64_t a = recent.NewLogId(), b = recent.NewLogId();
  const std::string one(20, '1'), two(20, '2'), three(20, '3'), other(20, 'o');
  KeepCopy(recent, a, 1, 0, one);
  KeepCopy(recent, a, 2, 0, two);
  KeepCopy(recent, a, 3, 0, three);
  KeepCopy(recent, b, 1, 0, other);
  recent.ForgetBefore(a, 3);
  EXPECT_EQ(CopyOrMiss(recent, a, 2, 0, 20), "miss:untouched");
  EXPECT_EQ(CopyOrMiss(recent, a, 3, 0, 20), three);
  EXPECT_EQ(recent.kept_bytes(), 40u);
  recent.Forget(a);
  EXPECT_EQ(CopyOrMiss(recent, a, 3, 0, 20), "miss:untouched");
  EXPECT_EQ(CopyOrMiss(recent, b, 1, 0, 20), other);
  EXPECT_EQ(recent.kept_bytes(), 20u);
}

}  // namespace
}  // namespace hydrant::wal
