// LogSyncTurns: bulk writes take as many bytes as the logs, and past that wait for a log sync.
#include "common/log_sync_turns.h"

#include <algorithm>

namespace hydrant {

LogSyncTurns& LogSyncTurns::Shared() {
  static LogSyncTurns* turns = new LogSyncTurns;  // never destroyed: files may outlive statics
  return *turns;
}

void LogSyncTurns::End(uint64_t bytes) {
  last_sync_bytes_.store(bytes);
  logged_bytes_.fetch_add(bytes);
  in_flight_.fetch_sub(1);
  if (waiters_.load() == 0) return;  // the common case: no lock
  {
    std::lock_guard lock(mu_);
    ++ends_;
  }
  ended_.notify_all();
}

uint64_t LogSyncTurns::BeforeBulkWrite(uint64_t least, uint64_t most, std::chrono::microseconds at_most) {
  least = std::min(least, most);
  // Counted as a waiter before looking, so an End after the look always notifies.
  waiters_.fetch_add(1);
  std::unique_lock lock(mu_);
  uint64_t logged = logged_bytes_.load();
  const uint64_t cap = std::max(kMinCreditCapBytes, last_sync_bytes_.load());
  bulk_bytes_ = std::max(bulk_bytes_, logged - std::min(logged, cap));
  if (bulk_bytes_ + least > logged && in_flight_.load() > 0) {
    waits_.fetch_add(1);
    const uint64_t ends = ends_;
    ended_.wait_for(lock, at_most, [&] { return ends_ != ends || in_flight_.load() == 0; });
    logged = logged_bytes_.load();
  }
  const uint64_t bytes = std::clamp(logged - std::min(logged, bulk_bytes_), least, most);
  // Bytes past the credit are not carried as a debt: they waited their turn instead.
  bulk_bytes_ = std::min(bulk_bytes_ + bytes, std::max(bulk_bytes_, logged));
  lock.unlock();
  waiters_.fetch_sub(1);
  return bytes;
}

}  // namespace hydrant
