// BufferPolicy: size-or-interval flush decisions.
#include "buffer/buffer_policy.h"

#include <algorithm>

namespace hydrant::buffer {

void BufferPolicy::Add(uint64_t records, uint64_t data_bytes, int64_t arrival_millis) {
  if (records == 0) return;
  if (pending_records_ == 0) oldest_arrival_millis_ = arrival_millis;
  pending_records_ += records;
  pending_bytes_ += data_bytes;
}

void BufferPolicy::Take(uint64_t records, uint64_t data_bytes, int64_t next_oldest_arrival) {
  pending_records_ -= std::min(records, pending_records_);
  pending_bytes_ -= std::min(data_bytes, pending_bytes_);
  if (pending_records_ == 0) pending_bytes_ = 0;
  oldest_arrival_millis_ = next_oldest_arrival;
}

std::optional<int64_t> BufferPolicy::oldest_arrival_millis() const {
  if (Empty()) return std::nullopt;
  return oldest_arrival_millis_;
}

bool BufferPolicy::ShouldFlush(int64_t now_millis) const {
  if (Empty()) return false;
  if (pending_bytes_ >= hints_.size_bytes) return true;
  return now_millis - oldest_arrival_millis_ >= hints_.interval_millis;
}

std::optional<int64_t> BufferPolicy::MillisUntilDue(int64_t now_millis) const {
  if (Empty()) return std::nullopt;
  if (pending_bytes_ >= hints_.size_bytes) return 0;
  return std::max<int64_t>(0, oldest_arrival_millis_ + hints_.interval_millis - now_millis);
}

}  // namespace hydrant::buffer
