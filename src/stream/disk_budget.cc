// DiskBudget: compare-and-swap reservation of a prefix of a batch.
#include "stream/disk_budget.h"

namespace hydrant::stream {

size_t DiskBudget::ReservePrefix(std::span<const uint64_t> sizes) {
  uint64_t used = used_.load();
  while (true) {
    uint64_t total = 0;
    size_t count = 0;
    for (uint64_t s : sizes) {
      if (used + total + s > cap_) break;
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
