// DiskBudget: compare-and-swap reservation of a prefix of a batch.
#include "stream/disk_budget.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>

namespace hydrant::stream {

uint64_t DiskBudget::Limit() {
  if (env_ == nullptr) return cap_;
  const int64_t now = std::chrono::steady_clock::now().time_since_epoch().count();
  int64_t due = next_check_nanos_.load();
  // One caller per 100 ms asks the file system; the others use the last answer. Reservations
  // since then count against it through used_, so a burst cannot overshoot the floor.
  if (now >= due && next_check_nanos_.compare_exchange_strong(due, now + 100'000'000)) {
    auto free = env_->FreeBytes(dir_);
    if (free.ok()) {
      const int64_t limit = static_cast<int64_t>(used_.load()) + static_cast<int64_t>(*free) -
                            static_cast<int64_t>(min_free_);
      floor_limit_ = limit;
      const bool below = *free < min_free_;
      if (below_floor_.exchange(below) != below) {
        if (below) {
          spdlog::warn("{} has {} bytes free, less than --min-free-disk-bytes {}: puts get "
                       "\"Slow down.\" until deliveries free space",
                       dir_, *free, min_free_);
        } else {
          spdlog::info("{} has {} bytes free again: puts are accepted", dir_, *free);
        }
      }
    }
  }
  const int64_t floor = floor_limit_.load();
  return floor <= 0 ? 0 : std::min<uint64_t>(cap_, static_cast<uint64_t>(floor));
}

size_t DiskBudget::ReservePrefix(std::span<const uint64_t> sizes) {
  const uint64_t limit = Limit();
  uint64_t used = used_.load();
  while (true) {
    uint64_t total = 0;
    size_t count = 0;
    for (uint64_t s : sizes) {
      if (used + total + s > limit) break;
      total += s;
      ++count;
    }
    if (count == 0) return 0;
    if (used_.compare_exchange_weak(used, used + total)) return count;
  }
}

void DiskBudget::Release(uint64_t bytes) {
  uint64_t used = used_.load();
  while (!used_.compare_exchange_weak(used, used >= bytes ? used - bytes : 0)) {
  }
}

}  // namespace hydrant::stream
