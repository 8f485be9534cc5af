// LogSyncTurns: log syncs go first on the disk they share with bulk writes.
//
// A log's group commit ends in an fdatasync, which waits for every write the disk took before it
// to be durable, a delivered object's included. An object written in one go can thus put
// megabytes in front of an acknowledgement. Bulk writers therefore write a piece at a time, and
// before each piece wait while a log sync is in flight, until one ends (at most `at_most`, so a
// disk that is never free of syncs still takes the pieces): each sync then waits behind at most
// one piece. Thread-safe; one per process (Shared) for the posix Env.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>

namespace hydrant {

class LogSyncTurns {
 public:
  static LogSyncTurns& Shared();

  void Begin() { in_flight_.fetch_add(1); }
  void End();
  // Returns at once when no log sync is in flight; else when one ends, or after `at_most`.
  void WaitForAnEnd(std::chrono::microseconds at_most);

  int in_flight() const { return in_flight_.load(); }

 private:
  std::atomic<int> in_flight_{0};
  std::atomic<int> waiters_{0};
  std::mutex mu_;
  std::condition_variable ended_;
  uint64_t ends_ = 0;  // guarded by mu_
};

}  // namespace hydrant
