// DiskBudget: the cap on bytes of buffered (not yet delivered) data on disk, shared by all
// streams. Puts reserve before appending; delivered WAL segments give the space back.
// With a free-space floor it also refuses what would leave the data directory's file system
// with less than that floor free, so puts are throttled before the disk is full (objects and
// journals still need room to deliver, which is what frees the WAL).
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <span>
#include <string>

#include "common/env.h"

namespace hydrant::stream {

// Thread-safe (lock-free).
class DiskBudget {
 public:
  explicit DiskBudget(uint64_t cap_bytes) : cap_(cap_bytes) {}
  // Also keeps min_free_bytes free on the file system of `dir` (checked every 100 ms).
  DiskBudget(uint64_t cap_bytes, Env* env, std::string dir, uint64_t min_free_bytes)
      : cap_(cap_bytes), env_(env), dir_(std::move(dir)), min_free_(min_free_bytes) {}

  // Reserves space for the longest prefix of `sizes` that fits; returns how many fit.
  size_t ReservePrefix(std::span<const uint64_t> sizes);
  // Accounts bytes that are already on disk (recovered at start), even beyond the cap.
  void ForceReserve(uint64_t bytes) { used_ += bytes; }
  void Release(uint64_t bytes);
  uint64_t used() const { return used_.load(); }
  // Delivered bytes streams keep for their retention period: they never cause "Slow down.",
  // but beyond the cap (with what is undelivered) the oldest of them are released.
  void AddRetained(int64_t delta) { retained_ += delta; }
  bool RetentionOverCap() const { return used_.load() + static_cast<uint64_t>(std::max<int64_t>(0, retained_.load())) > cap_; }
  int64_t retained() const { return retained_.load(); }
  uint64_t cap() const { return cap_; }

 private:
  // The cap, lowered to what the free-space floor allows.
  uint64_t Limit();

  const uint64_t cap_;
  Env* const env_ = nullptr;
  const std::string dir_;
  const uint64_t min_free_ = 0;
  std::atomic<uint64_t> used_{0};
  std::atomic<int64_t> retained_{0};
  // Free-space floor as a limit on used_: used_ at the last check + free bytes then − floor.
  std::atomic<int64_t> floor_limit_{INT64_MAX};
  std::atomic<int64_t> next_check_nanos_{0};
  std::atomic<bool> below_floor_{false};
};

}  // namespace hydrant::stream
