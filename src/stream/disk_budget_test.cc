// Tests for DiskBudget: the cap and the free-space floor of the data directory's file system.
#include "stream/disk_budget.h"

#include <gtest/gtest.h>

#include <vector>

namespace hydrant::stream {
namespace {

TEST(DiskBudgetTest, ReservesTheLongestPrefixUnderTheCap) {
  DiskBudget budget(250);
  std::vector<uint64_t> sizes{100, 100, 100};
  EXPECT_EQ(budget.ReservePrefix(sizes), 2u);
  EXPECT_EQ(budget.ReservePrefix(sizes), 0u);
  budget.Release(200);
  EXPECT_EQ(budget.ReservePrefix(sizes), 2u);
}

// The floors are set relative to what /tmp has free right now; others writing to the same
// disk move that by megabytes at most, hence the wide margins.
TEST(DiskBudgetTest, KeepsTheFreeSpaceFloor) {
  Env* env = Env::Default();
  auto free = env->FreeBytes("/tmp");
  ASSERT_TRUE(free.ok()) << free.status().ToString();
  ASSERT_GT(*free, 1ull << 30) << "needs 1 GiB free in /tmp";
  std::vector<uint64_t> sizes(40, 5ull << 20);  // 200 MiB in 5 MiB records

  DiskBudget no_floor(1ull << 40, env, "/tmp", 0);
  EXPECT_EQ(no_floor.ReservePrefix(sizes), sizes.size());

  DiskBudget above_free(1ull << 40, env, "/tmp", *free + (1ull << 30));
  EXPECT_EQ(above_free.ReservePrefix(sizes), 0u);

  // 100 MiB above the floor: about 20 of the 5 MiB records fit, the reservation counting as
  // used space until the file system is asked again.
  DiskBudget near_floor(1ull << 40, env, "/tmp", *free - (100ull << 20));
  size_t accepted = near_floor.ReservePrefix(sizes);
  EXPECT_GE(accepted, 15u);
  EXPECT_LE(accepted, 25u);
  EXPECT_EQ(near_floor.ReservePrefix(sizes), 0u);
}

}  // namespace
}  // namespace hydrant::stream
