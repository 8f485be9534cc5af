// LogSyncTurns: bulk writes wait for a log sync in flight to end.
#include "common/log_sync_turns.h"

namespace hydrant {

LogSyncTurns& LogSyncTurns::Shared() {
  static LogSyncTurns* turns = new LogSyncTurns;  // never destroyed: files may outlive statics
  return *turns;
}

void LogSyncTurns::End() {
  in_flight_.fetch_sub(1);
  if (waiters_.load() == 0) return;  // the common case: no lock
  {
    std::lock_guard lock(mu_);
    ++ends_;
  }
  ended_.notify_all();
}

void LogSyncTurns::WaitForAnEnd(std::chrono::microseconds at_most) {
  // Counted as a waiter before looking, so an End after the look always notifies.
  waiters_.fetch_add(1);
  if (in_flight_.load() > 0) {
    std::unique_lock lock(mu_);
    const uint64_t ends = ends_;
    ended_.wait_for(lock, at_most, [&] { return ends_ != ends || in_flight_.load() == 0; });
  }
  waiters_.fetch_sub(1);
}

}  // namespace hydrant
