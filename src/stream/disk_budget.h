// DiskBudget: the cap on bytes of buffered (not yet delivered) data on disk, shared by all
// streams. Puts reserve before appending; delivered WAL segments give the space back.
#pragma once

#include <atomic>
#include <cstdint>
#include <span>

namespace hydrant::stream {

// Thread-safe (lock-free).
class DiskBudget {
 public:
  explicit DiskBudget(uint64_t cap_bytes) : cap_(cap_bytes) {}

  // Reserves space for the longest prefix of `sizes` that fits; returns how many fit.
  size_t ReservePrefix(std::span<const uint64_t> sizes);
  // Accounts bytes that are already on disk (recovered at start), even beyond the cap.
  void ForceReserve(uint64_t bytes) { used_ += bytes; }
  void Release(uint64_t bytes);
  uint64_t used() const { return used_.load(); }
  uint64_t cap() const { return cap_; }

 private:
  const uint64_t cap_;
  std::atomic<uint64_t> used_{0};
};

}  // namespace hydrant::stream
