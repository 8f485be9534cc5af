// Tests for TaskPool and Activity: timing, no lost wakes, one run at a time, Stop.
#include "common/task_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>

namespace hydrant {
namespace {

using namespace std::chrono_literals;

TEST(TaskPoolTest, RunsPostedAndTimedTasksInTimeOrder) {
  TaskPool pool(2, "test");
  std::promise<void> now;
  pool.Post([&] { now.set_value(); });
  EXPECT_EQ(now.get_future().wait_for(5s), std::future_status::ready);

  std::mutex mu;
  std::vector<int> order;
  std::promise<void> last;
  const auto start = std::chrono::steady_clock::now();
  pool.PostAt(start + 150ms, [&] {
    std::lock_guard lock(mu);
    order.push_back(2);
    last.set_value();
  });
  pool.PostAt(start + 50ms, [&] {
    std::lock_guard lock(mu);
    order.push_back(1);
  });
  uint64_t cancelled = pool.PostAt(start + 100ms, [&] { ADD_FAILURE() << "cancelled task ran"; });
  pool.Cancel(cancelled);
  ASSERT_EQ(last.get_future().wait_for(5s), std::future_status::ready);
  EXPECT_GE(std::chrono::steady_clock::now() - start, 150ms);
  std::lock_guard lock(mu);
  EXPECT_EQ(order, (std::vector<int>{1, 2}));
}

TEST(TaskPoolTest, CancellingTheTimerThreadsWaitForRunsNothing) {
  // Threads wait until the earliest timer; cancelling it frees it under them (the fuzz build's
  // AddressSanitizer caught a wait that still read it).
  TaskPool pool(2, "test");
  std::atomic<int> ran{0};
  for (int i = 0; i < 200; ++i) {
    uint64_t id = pool.PostAt(std::chrono::steady_clock::now() + 20ms, [&] { ran.fetch_add(1); });
    std::this_thread::sleep_for(100us);
    pool.Cancel(id);
  }
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(ran.load(), 0);
}

TEST(ActivityTest, NeverRunsTwiceAtOnceAndNeverLosesAWake) {
  TaskPool pool(4, "test");
  std::atomic<int> running{0}, overlaps{0}, runs{0};
  std::atomic<int> seen{0};
  std::atomic<int> wakes{0};
  Activity activity(&pool, [&] {
    if (running.fetch_add(1) > 0) overlaps.fetch_add(1);
    seen.store(wakes.load());
    std::this_thread::sleep_for(1ms);
    runs.fetch_add(1);
    running.fetch_sub(1);
  });
  std::vector<std::thread> wakers;
  for (int t = 0; t < 4; ++t) {
    wakers.emplace_back([&] {
      for (int i = 0; i < 200; ++i) {
        wakes.fetch_add(1);
        activity.Wake();
      }
    });
  }
  for (auto& t : wakers) t.join();
  // Every wake is followed by a run that began after it.
  for (int i = 0; i < 500 && seen.load() != wakes.load(); ++i) std::this_thread::sleep_for(10ms);
  EXPECT_EQ(seen.load(), wakes.load());
  EXPECT_EQ(overlaps.load(), 0);
  EXPECT_LT(runs.load(), 800);  // wakes while queued or running fold into one run
}

TEST(ActivityTest, TheEarliestWakeAtWinsAndStopEndsIt) {
  TaskPool pool(1, "test");
  std::atomic<int> runs{0};
  Activity activity(&pool, [&] { runs.fetch_add(1); });
  activity.WakeAfter(500);
  activity.WakeAfter(30);
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(runs.load(), 1);
  activity.WakeAfter(100);
  activity.Stop();
  activity.Wake();
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(runs.load(), 1);
}

}  // namespace
}  // namespace hydrant
