// ByteBudget: a limit on bytes that many threads take and give back (request bodies in memory,
// the WAL's spare files). Thread-safe.
#pragma once

#include <atomic>
#include <cstdint>

namespace hydrant {

class ByteBudget {
 public:
  explicit ByteBudget(uint64_t limit_bytes) : limit_(limit_bytes) {}
  // Takes `bytes` if they fit under the limit; else takes nothing and returns false.
  bool TryReserve(uint64_t bytes) {
    uint64_t used = used_.load(std::memory_order_relaxed);
    do {
      if (bytes > limit_ || used > limit_ - bytes) return false;
    } while (!used_.compare_exchange_weak(used, used + bytes, std::memory_order_relaxed));
    return true;
  }
  void Release(uint64_t bytes) { used_.fetch_sub(bytes, std::memory_order_relaxed); }
  uint64_t used() const { return used_.load(std::memory_order_relaxed); }

 private:
  const uint64_t limit_;
  std::atomic<uint64_t> used_{0};
};

}  // namespace hydrant
