// TaskPool and Activity: work that costs threads only while it runs.
//
// A TaskPool is a fixed set of threads running posted tasks, now or at a time. An Activity is
// one piece of recurring work on a pool (a stream's delivery lane, a log's group commit): it
// runs when woken, never on two threads at once, and sleeps without a thread in between. So
// thousands of idle streams cost no threads and no wakeups.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

namespace hydrant {

using SteadyTime = std::chrono::steady_clock::time_point;

// Thread-safe.
class TaskPool {
 public:
  // `on_start` runs first on each thread (e.g. to lower its priority).
  TaskPool(int threads, std::string name, std::function<void()> on_start = nullptr);
  ~TaskPool();  // runs queued tasks that are due, drops timed ones, joins
  TaskPool(const TaskPool&) = delete;
  TaskPool& operator=(const TaskPool&) = delete;

  void Post(std::function<void()> task);
  // Runs `task` at `when`; the id cancels it until it starts.
  uint64_t PostAt(SteadyTime when, std::function<void()> task);
  void Cancel(uint64_t id);
  size_t threads() const { return threads_.size(); }

 private:
  void Work(size_t index);

  const std::string name_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> ready_;                               // guarded by mu_
  using Timers = std::multimap<SteadyTime, std::pair<uint64_t, std::function<void()>>>;
  Timers timed_;                                                          // guarded by mu_
  std::unordered_map<uint64_t, Timers::iterator> timer_by_id_;            // guarded by mu_
  uint64_t next_id_ = 1;                                                  // guarded by mu_
  bool stopping_ = false;                                                 // guarded by mu_
  std::vector<std::thread> threads_;
};

// One recurring piece of work on a pool. Wake runs the body soon (again after the current run,
// if it is running: a wake is never lost); WakeAt runs it at a time (the earliest of the times
// asked for wins). Stop waits for a running body and runs it no more; the owner must Stop
// before whatever the body uses goes away. Thread-safe; the body may call Wake and WakeAt.
class Activity {
 public:
  Activity(TaskPool* pool, std::function<void()> body);
  ~Activity();  // Stop()
  Activity(const Activity&) = delete;
  Activity& operator=(const Activity&) = delete;

  void Wake();
  void WakeAt(SteadyTime when);
  void WakeAfter(int64_t millis) { WakeAt(std::chrono::steady_clock::now() + std::chrono::milliseconds(millis)); }
  void Stop();

 private:
  struct State;
  static void Run(const std::shared_ptr<State>& state);
  std::shared_ptr<State> state_;
};

}  // namespace hydrant
