// RetryBackoff tests: 1 s, doubling, capped at 120 s, ±15 % jitter.
#include "stream/retry_backoff.h"

#include <gtest/gtest.h>

namespace hydrant::stream {
namespace {

TEST(RetryBackoffTest, DoublesFromOneSecondUpToTheCapWithinTheJitter) {
  RetryBackoff backoff(RetryBackoff::kMaxMillis, /*seed=*/7);
  const int64_t bases[] = {1000, 2000, 4000, 8000, 16000, 32000, 64000, 120000, 120000, 120000};
  for (int64_t base : bases) {
    EXPECT_EQ(backoff.base_millis(), base);
    const int64_t wait = backoff.Next();
    EXPECT_GE(wait, base * 85 / 100);
    EXPECT_LE(wait, base * 115 / 100);
  }
}

TEST(RetryBackoffTest, WaitsAreSpreadAcrossTheJitterRange) {
  int64_t lowest = INT64_MAX, highest = 0;
  for (uint64_t seed = 0; seed < 200; ++seed) {
    const int64_t wait = RetryBackoff(RetryBackoff::kMaxMillis, seed).Next();
    lowest = std::min(lowest, wait);
    highest = std::max(highest, wait);
  }
  EXPECT_LT(lowest, 900);   // well below the base: streams that failed together spread out
  EXPECT_GT(highest, 1100);
}

TEST(RetryBackoffTest, ASmallerCapApplies) {
  RetryBackoff backoff(/*max_millis=*/200, /*seed=*/1);
  backoff.Next();
  EXPECT_EQ(backoff.base_millis(), 200);
}

}  // namespace
}  // namespace hydrant::stream
