#include "buffer/buffer_policy.h"

#include <gtest/gtest.h>

#include "common/clock.h"

namespace hydrant::buffer {
namespace {

TEST(BufferPolicy, EmptyBufferNeverFlushes) {
  FakeClock clock;
  BufferPolicy policy({1024, 1000});
  EXPECT_FALSE(policy.ShouldFlush(clock.NowMillis()));
  clock.Advance(10'000'000);
  EXPECT_FALSE(policy.ShouldFlush(clock.NowMillis()));
  EXPECT_EQ(policy.MillisUntilDue(clock.NowMillis()), std::nullopt);
}

TEST(BufferPolicy, FlushesWhenIntervalElapsesSinceOldestRecord) {
  FakeClock clock;
  BufferPolicy policy({1 << 20, 60'000});
  policy.Add(1, 10, clock.NowMillis());
  clock.Advance(30'000);
  policy.Add(1, 10, clock.NowMillis());  // a newer record does not restart the interval
  EXPECT_FALSE(policy.ShouldFlush(clock.NowMillis()));
  EXPECT_EQ(policy.MillisUntilDue(clock.NowMillis()), 30'000);
  clock.Advance(29'999);
  EXPECT_FALSE(policy.ShouldFlush(clock.NowMillis()));
  clock.Advance(1);
  EXPECT_TRUE(policy.ShouldFlush(clock.NowMillis()));
}

TEST(BufferPolicy, FlushesOnSizeBeforeInterval) {
  FakeClock clock;
  BufferPolicy policy({100, 900'000});
  policy.Add(9, 99, clock.NowMillis());
  EXPECT_FALSE(policy.ShouldFlush(clock.NowMillis()));
  policy.Add(1, 1, clock.NowMillis());
  EXPECT_TRUE(policy.ShouldFlush(clock.NowMillis()));
  EXPECT_EQ(policy.MillisUntilDue(clock.NowMillis()), 0);
}

TEST(BufferPolicy, ZeroIntervalFlushesImmediately) {
  FakeClock clock;
  BufferPolicy policy({5 << 20, 0});
  policy.Add(1, 1, clock.NowMillis());
  EXPECT_TRUE(policy.ShouldFlush(clock.NowMillis()));
}

TEST(BufferPolicy, TakingABatchRestartsTheIntervalFromTheNextOldestRecord) {
  FakeClock clock;
  BufferPolicy policy({100, 1000});
  int64_t t0 = clock.NowMillis();
  policy.Add(1, 60, t0);
  clock.Advance(500);
  policy.Add(1, 60, clock.NowMillis());
  ASSERT_TRUE(policy.ShouldFlush(clock.NowMillis()));  // 120 bytes >= 100
  policy.Take(1, 60, t0 + 500);
  EXPECT_EQ(policy.pending_bytes(), 60u);
  EXPECT_FALSE(policy.ShouldFlush(clock.NowMillis()));
  clock.Advance(1000);
  EXPECT_TRUE(policy.ShouldFlush(clock.NowMillis()));
  policy.Take(1, 60, 0);
  EXPECT_TRUE(policy.Empty());
}

}  // namespace
}  // namespace hydrant::buffer
